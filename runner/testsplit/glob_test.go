package testsplit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// tree creates files (and, for names ending in "/", directories) under a
// temporary directory and returns it.
func tree(t *testing.T, names ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if strings.HasSuffix(n, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func globTree(t *testing.T) string {
	root := tree(t,
		"a.py", "b.txt", ".hidden.py", "weird[1].py",
		"tests/test_a.py", "tests/test_b.py", "tests/unit/test_c.py", "tests/unit/deep/test_d.py",
		"tests/.cache/test_x.py", "tests/data/", "tests/data.py/",
		"src/main.go", "src/main_test.go", "src/pkg/util.go", "src/pkg/util_test.go",
	)
	for link, target := range map[string]string{"link_to_tests": "tests", "link.py": "a.py", "dangling.py": "nope.py"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestGlob(t *testing.T) {
	root := globTree(t)
	tests := []struct {
		name     string
		patterns []string
		want     []string
	}{
		{"star", []string{"*.py"}, []string{"a.py", "link.py", "weird[1].py"}},
		{"star skips directories", []string{"tests/*.py"}, []string{"tests/test_a.py", "tests/test_b.py"}},
		{"double star", []string{"tests/**/*.py"},
			[]string{"tests/test_a.py", "tests/test_b.py", "tests/unit/deep/test_d.py", "tests/unit/test_c.py"}},
		{"leading double star", []string{"**/*_test.go"}, []string{"src/main_test.go", "src/pkg/util_test.go"}},
		{"trailing double star", []string{"src/**"},
			[]string{"src/main.go", "src/main_test.go", "src/pkg/util.go", "src/pkg/util_test.go"}},
		{"repeated double star", []string{"src/**/**/util.go"}, []string{"src/pkg/util.go"}},
		{"question mark", []string{"tests/test_?.py"}, []string{"tests/test_a.py", "tests/test_b.py"}},
		{"class", []string{"tests/test_[a].py"}, []string{"tests/test_a.py"}},
		{"negated class", []string{"tests/test_[!a].py", "tests/test_[^b].py"}, []string{"tests/test_a.py", "tests/test_b.py"}},
		{"braces", []string{"{src,tests}/*.{go,py}"},
			[]string{"src/main.go", "src/main_test.go", "tests/test_a.py", "tests/test_b.py"}},
		{"nested braces", []string{"tests/{unit/{deep/,},}test_*.py"},
			[]string{"tests/test_a.py", "tests/test_b.py", "tests/unit/deep/test_d.py", "tests/unit/test_c.py"}},
		{"dot slash kept", []string{"./tests/*_a.py"}, []string{"./tests/test_a.py"}},
		{"deduplicated", []string{"tests/*.py", "tests/test_a.py", "./tests/test_a.py", "tests//test_b.py"},
			[]string{"tests/test_a.py", "tests/test_b.py"}},
		{"explicit hidden", []string{"tests/.cache/*.py", ".*.py"}, []string{".hidden.py", "tests/.cache/test_x.py"}},
		{"symlinked dir followed by name", []string{"link_to_tests/*_b.py"}, []string{"link_to_tests/test_b.py"}},
		{"symlinked dir not followed by double star", []string{"**/test_b.py"}, []string{"tests/test_b.py"}},
		{"escape", []string{`weird\[1\].py`}, []string{"weird[1].py"}},
		{"literal file", []string{"src/pkg/util.go"}, []string{"src/pkg/util.go"}},
		{"no match", []string{"nothing/*.py", "src/*.rs", "tests/", "{a,b", "dangling.py"}, nil},
		{"no pattern", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Glob(root, tt.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Glob(%q) mismatch (-want +got):\n%s", tt.patterns, diff)
			}
		})
	}
}

func TestGlobAbsolute(t *testing.T) {
	root := globTree(t)
	got, err := Glob("/elsewhere", []string{filepath.ToSlash(root) + "/src/*.go"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{path.Join(filepath.ToSlash(root), "src/main.go"), path.Join(filepath.ToSlash(root), "src/main_test.go")}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestGlobErrors(t *testing.T) {
	root := globTree(t)
	if _, err := Glob(root, []string{"tests/[a.py"}); !errors.Is(err, path.ErrBadPattern) {
		t.Errorf("unclosed class: err = %v, want ErrBadPattern", err)
	}
	if _, err := Glob(root, []string{strings.Repeat("{a,b}", 13)}); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("brace bomb: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := globContext(ctx, root, []string{"**"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
}

func TestExpandBraces(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"plain", []string{"plain"}},
		{"{a,b}", []string{"a", "b"}},
		{"x{a,b{1,2}}y", []string{"xay", "xb1y", "xb2y"}},
		{"{a,b}{1,2}", []string{"a1", "a2", "b1", "b2"}},
		{"{a}", []string{"a"}},
		{"{,a}", []string{"", "a"}},
		{"{a", []string{"{a"}},
		{"{a{b}", []string{"{ab"}},
		{"a}", []string{"a}"}},
		{`\{a,b}`, []string{`\{a,b}`}},
		{`{a\,b,c}`, []string{`a\,b`, "c"}},
	}
	for _, tt := range tests {
		got, err := expandBraces(tt.in)
		if err != nil {
			t.Fatalf("expandBraces(%q): %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("expandBraces(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestRunGlob(t *testing.T) {
	root := globTree(t)
	tests := []struct {
		name        string
		args        []string
		code        int
		out, errOut string
	}{
		{"matches", []string{"src/*.go", "tests/test_a.py"}, 0, "src/main.go\nsrc/main_test.go\ntests/test_a.py\n", ""},
		{"nothing", []string{"*.rs"}, 0, "", ""},
		{"no pattern", nil, 2, "", "no pattern given"},
		{"bad pattern", []string{"["}, 2, "", "syntax error in pattern"},
		{"help", []string{"-h"}, 0, "", "usage: circleci tests glob"},
		{"unknown flag", []string{"--bogus"}, 2, "", "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			if code := RunGlob(context.Background(), tt.args, &out, &errOut, root); code != tt.code {
				t.Errorf("code = %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			if diff := cmp.Diff(tt.out, out.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(errOut.String(), tt.errOut) {
				t.Errorf("stderr %q does not contain %q", errOut.String(), tt.errOut)
			}
		})
	}
}
