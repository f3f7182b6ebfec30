package testsplit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/google/go-cmp/cmp"
)

// fakeSource is a Source with canned answers that records what it is asked.
type fakeSource struct {
	timings   map[string]map[string]float64 // by kind
	err       error
	failed    []junit.Case
	rerun     bool
	failedErr error
	asked     []string
}

func (f *fakeSource) Timings(_ context.Context, by string) (map[string]float64, error) {
	f.asked = append(f.asked, by)
	return f.timings[by], f.err
}

func (f *fakeSource) FailedTests(context.Context) ([]junit.Case, bool, error) {
	return f.failed, f.rerun, f.failedErr
}

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRunSplit(t *testing.T) {
	list := filepath.Join(t.TempDir(), "items.txt")
	if err := os.WriteFile(list, []byte("c.py\n a.py\tb.py\n\nd.py"), 0o644); err != nil {
		t.Fatal(err)
	}
	byFile := &fakeSource{timings: map[string]map[string]float64{
		"file": {"a.py": 10, "b.py": 9, "c.py": 8, "d.py": 1},
	}}
	byClass := &fakeSource{timings: map[string]map[string]float64{
		"classname": {"pkg.A": 1, "pkg.B": 5, "pkg.C": 1},
	}}
	node1of2 := map[string]string{"CIRCLE_NODE_INDEX": "1", "CIRCLE_NODE_TOTAL": "2"}
	tests := []struct {
		name        string
		args        []string
		stdin       string
		env         map[string]string
		src         Source
		code        int
		out, errOut string
	}{
		{"defaults to all items", nil, "b a\nc", nil, nil, 0, "b\na\nc\n", ""},
		{"node from env", nil, "a b c d", node1of2, nil, 0, "b\nd\n", ""},
		{"flags override env", []string{"--index", "0", "--total=3"}, "a b c d", node1of2, nil, 0, "a\nd\n", ""},
		{"items from files, flags after them", []string{list, "--index=1", "--total", "2"}, "ignored", nil, nil, 0, "b.py\nd.py\n", ""},
		{"by timings with ./ items", []string{"--split-by", "timings", "--index=1", "--total=2"}, "./a.py ./b.py ./c.py ./d.py",
			nil, byFile, 0, "./b.py\n./c.py\n", ""},
		{"timings type alias", []string{"--split-by=timings", "--timings-type=filename", "--total=2"}, "a.py b.py c.py d.py",
			nil, byFile, 0, "a.py\nd.py\n", ""},
		{"autodetect finds classnames", []string{"--split-by=timings", "--timings-type=autodetect", "--total=2"},
			"pkg.A pkg.B pkg.C", nil, byClass, 0, "pkg.B\n", ""},
		{"no timings falls back to name", []string{"--split-by=timings", "--total=2"}, "x.py y.py z.py", nil, byFile, 0,
			"x.py\nz.py\n", noTimingsNotice},
		{"no source falls back to name", []string{"--split-by=timings"}, "x.py", nil, nil, 0, "x.py\n", noTimingsNotice},
		{"source error falls back to name", []string{"--split-by=timings"}, "x.py", nil, &fakeSource{err: errors.New("server down")},
			0, "x.py\n", "loading file timings: server down; falling back to splitting by name"},
		{"show counts", []string{"--show-counts", "--total=3"}, "a b c d", nil, nil, 0, "a\nd\n",
			"tests split: node 0: 2 items\ntests split: node 1: 1 items\ntests split: node 2: 1 items\n"},
		{"empty input", []string{"--total=2", "--index=1"}, "a", nil, nil, 0, "", ""},
		{"index out of range", []string{"--index=2", "--total=2"}, "a", nil, nil, 2, "", "index 2 is out of range for total 2"},
		{"bad env", nil, "a", map[string]string{"CIRCLE_NODE_TOTAL": "lots"}, nil, 2, "", "$CIRCLE_NODE_TOTAL is not a number"},
		{"bad split-by", []string{"--split-by=size"}, "a", nil, nil, 2, "", `unknown --split-by "size"`},
		{"bad timings type", []string{"--timings-type=suite"}, "a", nil, nil, 2, "", `unknown --timings-type "suite"`},
		{"missing file", []string{"/nonexistent/items"}, "", nil, nil, 1, "", "reading items:"},
		{"help", []string{"--help"}, "", nil, nil, 0, "", "usage: circleci tests split"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := RunSplit(context.Background(), tt.args, strings.NewReader(tt.stdin), &out, &errOut, envOf(tt.env), tt.src)
			if code != tt.code {
				t.Errorf("code = %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			if diff := cmp.Diff(tt.out, out.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(errOut.String(), tt.errOut) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), tt.errOut)
			}
			if tt.errOut == "" && errOut.Len() > 0 {
				t.Errorf("unexpected stderr %q", errOut.String())
			}
		})
	}
}

func TestRunSplitFallbackNoticeIsOneLine(t *testing.T) {
	var out, errOut bytes.Buffer
	src := &fakeSource{timings: map[string]map[string]float64{}}
	code := RunSplit(context.Background(), []string{"--split-by=timings", "--timings-type=autodetect"},
		strings.NewReader("a.py b.py"), &out, &errOut, envOf(nil), src)
	if code != 0 {
		t.Fatalf("code = %d", code)
	}
	if got, want := errOut.String(), noTimingsNotice+"\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]string{"file", "classname", "name"}, src.asked); diff != "" {
		t.Errorf("kinds asked mismatch (-want +got):\n%s", diff)
	}
}
