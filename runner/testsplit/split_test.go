package testsplit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/google/go-cmp/cmp"
)

func TestBins(t *testing.T) {
	tests := []struct {
		name    string
		items   []string
		weights []float64
		total   int
		want    [][]string
	}{
		{"by name", []string{"e", "a", "d", "b", "c"}, nil, 2,
			[][]string{{"e", "a", "c"}, {"d", "b"}}},
		{"one node", []string{"b", "a"}, nil, 1, [][]string{{"b", "a"}}},
		{"more nodes than items", []string{"a"}, nil, 3, [][]string{{"a"}, nil, nil}},
		{"no items", nil, nil, 2, [][]string{nil, nil}},
		// 10 | 9 | 8 | 1 1 1: 10+1+1+1 = 13 and 9+8 = 17, the best split there is.
		{"timings balance", []string{"f1", "f10", "f9", "f8", "f1b", "f1c"}, []float64{1, 10, 9, 8, 1, 1}, 2,
			[][]string{{"f1", "f10", "f1b", "f1c"}, {"f9", "f8"}}},
		{"ties by name then bin", []string{"b", "a", "c", "d"}, []float64{5, 5, 5, 5}, 2,
			[][]string{{"a", "c"}, {"b", "d"}}},
		{"zero weights spread evenly", []string{"a", "b", "c", "d", "e", "f"}, []float64{0, 0, 0, 0, 0, 0}, 3,
			[][]string{{"a", "d"}, {"b", "e"}, {"c", "f"}}},
		{"bad weights count as zero", []string{"a", "b", "c"}, []float64{math.NaN(), -4, math.Inf(1)}, 2,
			[][]string{{"a", "c"}, {"b"}}},
		{"duplicates are separate items", []string{"x", "x", "x"}, nil, 2, [][]string{{"x", "x"}, {"x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Bins(tt.items, tt.weights, tt.total)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Bins mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitErrors(t *testing.T) {
	tests := []struct {
		index, total int
		weights      []float64
	}{
		{0, 0, nil}, {-1, 2, nil}, {2, 2, nil}, {0, 1, []float64{1}},
	}
	for _, tt := range tests {
		if _, err := Split([]string{"a", "b"}, tt.weights, tt.index, tt.total); err == nil {
			t.Errorf("Split(index %d, total %d, %d weights) succeeded", tt.index, tt.total, len(tt.weights))
		}
	}
}

// TestSplitProperties checks on random inputs that every item lands on
// exactly one node, that each node keeps the input order, and that the
// result does not change between calls.
func TestSplitProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 300 {
		n := rng.IntN(40)
		items := make([]string, n)
		weights := make([]float64, n)
		for i := range items {
			items[i] = fmt.Sprintf("t%d", rng.IntN(30)) // duplicates on purpose
			weights[i] = float64(rng.IntN(5)) * rng.Float64()
		}
		if iter%3 == 0 {
			weights = nil
		}
		for total := 1; total <= 8; total++ {
			var union []string
			for index := range total {
				part, err := Split(items, weights, index, total)
				if err != nil {
					t.Fatal(err)
				}
				again, _ := Split(slices.Clone(items), slices.Clone(weights), index, total)
				if !slices.Equal(part, again) {
					t.Fatalf("split of %q over %d is not deterministic: %q then %q", items, total, part, again)
				}
				if !isSubsequence(part, items) {
					t.Fatalf("node %d/%d got %q, not in input order of %q", index, total, part, items)
				}
				union = append(union, part...)
			}
			slices.Sort(union)
			sorted := slices.Sorted(slices.Values(items))
			if !slices.Equal(union, sorted) {
				t.Fatalf("split of %q over %d nodes loses or repeats items: %q", items, total, union)
			}
		}
	}
}

func isSubsequence(sub, of []string) bool {
	i := 0
	for _, s := range of {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}

func TestTimingWeights(t *testing.T) {
	timings := map[string]float64{"a_test.py": 4, "./b_test.py": 2, "pkg.C": 9}
	tests := []struct {
		name, kind  string
		items       []string
		want        []float64
		wantMatched int
	}{
		{"files cleaned on both sides", junit.KindFile, []string{"./a_test.py", "b_test.py", "new_test.py"}, []float64{4, 2, 3}, 2},
		{"classnames exact", junit.KindClassname, []string{"pkg.C", "pkg.D"}, []float64{9, 9}, 1},
		{"nothing known", junit.KindName, []string{"x", "y"}, []float64{0, 0}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, matched := TimingWeights(tt.items, timings, tt.kind)
			if diff := cmp.Diff(tt.want, got); diff != "" || matched != tt.wantMatched {
				t.Errorf("TimingWeights matched %d (want %d), weights mismatch (-want +got):\n%s", matched, tt.wantMatched, diff)
			}
		})
	}
}

func TestFilesizeWeights(t *testing.T) {
	dir := t.TempDir()
	for name, size := range map[string]int{"big": 300, "small": 100} {
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	j := func(n string) string { return filepath.Join(dir, n) }
	got := FilesizeWeights([]string{j("small"), j("missing"), j("big"), dir})
	if diff := cmp.Diff([]float64{100, 200, 300, 200}, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	got = FilesizeWeights([]string{j("missing"), j("gone")})
	if diff := cmp.Diff([]float64{1, 1}, got); diff != "" {
		t.Errorf("no files: mismatch (-want +got):\n%s", diff)
	}
}

func TestCandidateKinds(t *testing.T) {
	tests := []struct {
		timingsType string
		items       []string
		want        []string
	}{
		{"filename", []string{"pkg.A"}, []string{"file"}},
		{"testname", nil, []string{"name"}},
		{"autodetect", []string{"tests/test_a.py", "b_test.go", "spec.rb"}, []string{"file", "classname", "name"}},
		{"autodetect", []string{"tests.test_math", "com.acme.FooTest", "x.go"}, []string{"classname", "file", "name"}},
		{"autodetect", []string{"TestAdd", "TestSub"}, []string{"classname", "file", "name"}},
		{"autodetect", nil, []string{"classname", "file", "name"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, candidateKinds(tt.timingsType, tt.items)); diff != "" {
			t.Errorf("candidateKinds(%q, %q) mismatch (-want +got):\n%s", tt.timingsType, tt.items, diff)
		}
	}
}

func TestFailedItems(t *testing.T) {
	failed := []junit.Case{
		{Classname: "tests.test_math", Name: "test_wrong", File: "tests/test_math.py"},
		{Classname: "pkg.B", Name: "TestB"},
	}
	all := []string{"file", "classname", "name"}
	tests := []struct {
		name     string
		items    []string
		kinds    []string
		want     []string
		wantKind string
	}{
		{"by file", []string{"./tests/test_math.py", "tests/test_other.py"}, all, []string{"./tests/test_math.py"}, "file"},
		{"falls through to classname", []string{"pkg.A", "pkg.B"}, all, []string{"pkg.B"}, "classname"},
		{"by name", []string{"TestA", "TestB", "test_wrong"}, []string{"name"}, []string{"TestB", "test_wrong"}, "name"},
		{"no match", []string{"x"}, all, nil, ""},
	}
	for _, tt := range tests {
		got, kind := failedItems(tt.items, failed, tt.kinds)
		if diff := cmp.Diff(tt.want, got); diff != "" || kind != tt.wantKind {
			t.Errorf("%s: kind %q (want %q), mismatch (-want +got):\n%s", tt.name, kind, tt.wantKind, diff)
		}
	}
}
