package archive

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGlob(t *testing.T) {
	// The root has metacharacters of its own, which must match literally.
	root := filepath.Join(tempDir(t), "proj[1]*")
	writeTree(t, root, []spec{
		{Name: "a.txt"}, {Name: "b.txt"}, {Name: "c.log"}, {Name: ".hidden.txt"},
		{Name: "dir/x.bin"}, {Name: "dir/y.bin"}, {Name: "dir/nested/z.bin"},
		{Name: "sub/dir/file"}, {Name: "sub/other"},
		{Name: "weird[name].txt"},
	})
	tests := []struct {
		name     string
		patterns []string
		want     []string
		wantErr  string
	}{
		{name: "star", patterns: []string{"*.txt"}, want: []string{".hidden.txt", "a.txt", "b.txt", "weird[name].txt"}},
		{name: "dir star", patterns: []string{"dir/*"}, want: []string{"dir/nested", "dir/x.bin", "dir/y.bin"}},
		{name: "star does not cross dirs", patterns: []string{"*/*.bin"}, want: []string{"dir/x.bin", "dir/y.bin"}},
		{name: "dot", patterns: []string{"."}, want: []string{"."}},
		{name: "dot slash", patterns: []string{"./"}, want: []string{"."}},
		{name: "plain path", patterns: []string{"sub/dir"}, want: []string{"sub/dir"}},
		{name: "plain path cleaned", patterns: []string{"./sub//dir/"}, want: []string{"sub/dir"}},
		{name: "absolute inside root", patterns: []string{filepath.Join(root, "sub", "other")}, want: []string{"sub/other"}},
		{name: "dot dot inside root", patterns: []string{"sub/../a.txt"}, want: []string{"a.txt"}},
		{name: "escaped metacharacter", patterns: []string{`weird\[name\].txt`}, want: []string{"weird[name].txt"}},
		{name: "class", patterns: []string{"[ab].txt"}, want: []string{"a.txt", "b.txt"}},
		{name: "dedup and sort", patterns: []string{"b.txt", "*.txt", "a.txt", "dir", "dir/x.bin"},
			want: []string{".hidden.txt", "a.txt", "b.txt", "dir", "dir/x.bin", "weird[name].txt"}},
		{name: "escape", patterns: []string{"../x"}, wantErr: `glob pattern "../x"`},
		{name: "escape with star", patterns: []string{"*/../../*"}, wantErr: "outside"},
		{name: "absolute outside root", patterns: []string{"/etc/passwd"}, wantErr: `glob pattern "/etc/passwd"`},
		{name: "no match", patterns: []string{"a.txt", "*.go"}, wantErr: `glob pattern "*.go" under "` + root + `": no match`},
		{name: "missing plain path", patterns: []string{"sub/nope"}, wantErr: `glob pattern "sub/nope" under`},
		{name: "bad pattern", patterns: []string{"[x"}, wantErr: "syntax error in pattern"},
		{name: "empty pattern", patterns: []string{""}, wantErr: "empty path"},
		{name: "no patterns", patterns: nil, wantErr: "no patterns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Glob(root, tt.patterns)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Glob(%q) = %q, %v; want error containing %q", tt.patterns, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Glob(%q): %v", tt.patterns, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Glob(%q) (-want +got):\n%s", tt.patterns, diff)
			}
		})
	}
	for _, p := range []string{"*.go", "sub/nope"} {
		if _, err := Glob(root, []string{p}); !errors.Is(err, ErrNoMatch) {
			t.Errorf("Glob(%q) error = %v, want ErrNoMatch", p, err)
		}
	}
	if _, err := Glob("relative", []string{"."}); err == nil {
		t.Errorf("Glob with a relative root succeeded")
	}
}

// TestGlobThenPack is the persist_to_workspace path: overlapping matches are
// written once.
func TestGlobThenPack(t *testing.T) {
	root := tempDir(t)
	writeTree(t, root, []spec{{Name: "dir/a.txt", Data: "a"}, {Name: "dir/b.txt", Data: "b"}, {Name: "top.txt"}})
	paths, err := Glob(root, []string{"dir", "dir/*.txt", "."})
	if err != nil {
		t.Fatal(err)
	}
	archive, _ := pack(t, root, paths)
	want := []string{"dir/", "dir/a.txt", "dir/b.txt", "top.txt"}
	if diff := cmp.Diff(want, entryNames(t, archive)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
}
