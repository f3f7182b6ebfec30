package testsplit

import (
	"context"
	"path"
	"strings"

	"github.com/caravan-ci/caravan/shared/junit"
)

// Source gives the split commands the project's test history. The runner
// implements it by asking the server; a nil Source means no history.
type Source interface {
	// Timings returns the seconds recorded per key in earlier runs of this
	// job, keyed by "file", "classname" or "name" as by says.
	Timings(ctx context.Context, by string) (map[string]float64, error)
	// FailedTests returns the test cases that failed in the previous attempt
	// of this job; rerun is true when this job is a rerun of failed tests.
	FailedTests(ctx context.Context) (cases []junit.Case, rerun bool, err error)
}

// Timing types accepted on the command line besides junit.Kind's.
const autodetect = "autodetect"

// TimingWeights weighs items by recorded timings keyed by kind (a
// junit.Kind value). File keys and items are compared after cleaning, so
// "./a_test.go" finds "a_test.go". Items without a timing get the average of
// those with one. matched is the number of items that had a timing; when it
// is 0 the weights are all 0 and carry no information.
func TimingWeights(items []string, timings map[string]float64, kind string) (weights []float64, matched int) {
	if kind == junit.KindFile {
		cleaned := make(map[string]float64, len(timings))
		for k, v := range timings {
			cleaned[junit.CleanFile(k)] += v
		}
		timings = cleaned
	}
	weights = make([]float64, len(items))
	known := make([]bool, len(items))
	for i, item := range items {
		weights[i], known[i] = timings[itemKey(item, kind)]
	}
	return weights, fillUnknown(weights, known)
}

func itemKey(item, kind string) string {
	if kind == junit.KindFile {
		return junit.CleanFile(item)
	}
	return item
}

// candidateKinds lists the timing kinds to try for a --timings-type value,
// best guess first; autodetect guesses from the items.
func candidateKinds(timingsType string, items []string) []string {
	if kind, ok := junit.Kind(timingsType); ok {
		return []string{kind}
	}
	if looksLikeFiles(items) {
		return []string{junit.KindFile, junit.KindClassname, junit.KindName}
	}
	return []string{junit.KindClassname, junit.KindFile, junit.KindName}
}

// looksLikeFiles reports whether most items look like file paths: they
// contain a slash or end in a short lower-case extension such as ".py",
// unlike class names such as "tests.test_math" or "com.acme.FooTest".
func looksLikeFiles(items []string) bool {
	n := 0
	for _, item := range items {
		if looksLikeFile(item) {
			n++
		}
	}
	return n > 0 && 2*n > len(items)
}

func looksLikeFile(item string) bool {
	if strings.Contains(item, "/") {
		return true
	}
	ext := strings.TrimPrefix(path.Ext(item), ".")
	if ext == "" || len(ext) > 5 {
		return false
	}
	letter := false
	for _, c := range ext {
		switch {
		case 'a' <= c && c <= 'z':
			letter = true
		case '0' <= c && c <= '9':
		default:
			return false
		}
	}
	return letter
}

// failedItems keeps the items that correspond to a failed case of
// failed, trying kinds in order and using the first under which any item
// matches. It returns nil when no item matches under any kind.
func failedItems(items []string, failed []junit.Case, kinds []string) (kept []string, kind string) {
	for _, kind := range kinds {
		keys := make(map[string]bool)
		for _, c := range failed {
			if k := c.Key(kind); k != "" {
				keys[k] = true
			}
		}
		for _, item := range items {
			if keys[itemKey(item, kind)] {
				kept = append(kept, item)
			}
		}
		if len(kept) > 0 {
			return kept, kind
		}
	}
	return nil, ""
}

// onlyFailed returns the cases that failed; a case with no result recorded
// counts as failed, since the source was asked for failures.
func onlyFailed(cases []junit.Case) []junit.Case {
	var out []junit.Case
	for _, c := range cases {
		if c.Result == "" || c.Failed() {
			out = append(out, c)
		}
	}
	return out
}
