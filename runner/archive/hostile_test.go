package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sandbox is a base directory holding the unpack target and a sibling
// "outside" with one file, which no archive may change.
type sandbox struct {
	base, target, outside string
	before                map[string]node
	baseNames             []string
}

func newSandbox(t testing.TB) *sandbox {
	t.Helper()
	base := tempDir(t)
	s := &sandbox{base: base, target: filepath.Join(base, "target"), outside: filepath.Join(base, "outside")}
	writeTree(t, base, []spec{
		{Name: "outside/secret", Data: "secret", Mode: 0o600, MTime: t1},
		{Name: "outside/dir", Type: "dir", Mode: 0o700, MTime: t1},
		{Name: "outside", Type: "dir", Mode: 0o755, MTime: t2},
		{Name: "target", Type: "dir"},
	})
	s.before = snapshot(t, s.outside)
	s.baseNames = dirNames(t, base)
	return s
}

func dirNames(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// check fails t if anything outside the target changed.
func (s *sandbox) check(t testing.TB) {
	t.Helper()
	if diff := cmp.Diff(s.baseNames, dirNames(t, s.base)); diff != "" {
		t.Errorf("base directory changed (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(s.before, snapshot(t, s.outside)); diff != "" {
		t.Errorf("outside directory changed (-want +got):\n%s", diff)
	}
	fi, err := os.Stat(s.outside)
	if err != nil || fi.Mode().Perm() != 0o755 || !fi.ModTime().Equal(t2) {
		t.Errorf("outside directory itself changed: %v, %v", fi, err)
	}
	if n, ok := linkCount(filepath.Join(s.outside, "secret")); ok && n != 1 {
		t.Errorf("outside/secret has %d links, want 1", n)
	}
}

func TestUnpackHostile(t *testing.T) {
	const out = "$OUT" // replaced by the sandbox's outside directory
	tests := []struct {
		name    string
		entries []entry
		wantErr string // "" when the archive is harmless and must unpack
	}{
		{"dot dot", []entry{{Type: tar.TypeReg, Name: "../evil", Data: "x"}},
			`archive entry "../evil" escapes target`},
		{"dot dot into sibling", []entry{{Type: tar.TypeReg, Name: "../outside/secret", Data: "x"}}, "escapes target"},
		{"absolute", []entry{{Type: tar.TypeReg, Name: "/abs", Data: "x"}}, `archive entry "/abs" escapes target`},
		{"absolute into sibling", []entry{{Type: tar.TypeReg, Name: out + "/secret", Data: "x"}}, "escapes target"},
		{"inner dot dot", []entry{{Type: tar.TypeReg, Name: "a/../../evil", Data: "x"}}, "escapes target"},
		{"dot slash dot dot", []entry{{Type: tar.TypeDir, Name: "./../evil/"}}, "escapes target"},
		{"dot as a file", []entry{{Type: tar.TypeReg, Name: ".", Data: "x"}}, "would replace the target"},
		{"hardlink absolute", []entry{{Type: tar.TypeLink, Name: "h", Link: "/etc/passwd"}}, "escapes target"},
		{"hardlink dot dot", []entry{{Type: tar.TypeLink, Name: "h", Link: "../outside/secret"}}, "escapes target"},
		{"hardlink absolute sibling", []entry{{Type: tar.TypeLink, Name: "h", Link: out + "/secret"}}, "escapes target"},
		{"hardlink through symlink", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: out},
			{Type: tar.TypeLink, Name: "h", Link: "d/secret"},
		}, `passes through symlink "d"`},
		{"hardlink to symlink", []entry{
			{Type: tar.TypeSymlink, Name: "l", Link: out + "/secret"},
			{Type: tar.TypeLink, Name: "h", Link: "l"},
		}, "not a regular file"},
		{"hardlink to itself", []entry{{Type: tar.TypeReg, Name: "f", Data: "x"}, {Type: tar.TypeLink, Name: "f", Link: "f"}}, "to itself"},
		{"write through absolute symlink", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: out},
			{Type: tar.TypeReg, Name: "d/file", Data: "x"},
		}, `passes through symlink "d"`},
		{"write through relative symlink", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: "../outside"},
			{Type: tar.TypeReg, Name: "d/secret", Data: "x"},
		}, "passes through symlink"},
		{"symlink to parent then write", []entry{
			{Type: tar.TypeSymlink, Name: "up", Link: ".."},
			{Type: tar.TypeReg, Name: "up/outside/evil", Data: "x"},
		}, `passes through symlink "up"`},
		{"nested symlink then dir", []entry{
			{Type: tar.TypeDir, Name: "a/"},
			{Type: tar.TypeSymlink, Name: "a/b", Link: "../../outside"},
			{Type: tar.TypeDir, Name: "a/b/c/"},
		}, `passes through symlink "a/b"`},
		{"symlink below symlink", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: out},
			{Type: tar.TypeSymlink, Name: "d/x", Link: "y"},
		}, "passes through symlink"},
		{"cleaned name through symlink", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: out},
			{Type: tar.TypeReg, Name: "x/../d/dir/f", Data: "x"},
		}, "passes through symlink"},
		{"dir replaced by symlink keeps outside mode", []entry{
			{Type: tar.TypeDir, Name: "d/", Mode: 0o700},
			{Type: tar.TypeSymlink, Name: "d", Link: out},
		}, ""},
		{"symlink replaced by file", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: out + "/secret"},
			{Type: tar.TypeReg, Name: "d", Data: "x"},
		}, ""},
		{"symlink replaced by dir", []entry{
			{Type: tar.TypeSymlink, Name: "d", Link: out + "/dir"},
			{Type: tar.TypeDir, Name: "d/"},
			{Type: tar.TypeReg, Name: "d/f", Data: "x"},
		}, ""},
		{"links pointing outside are kept", []entry{
			{Type: tar.TypeSymlink, Name: "abs", Link: out + "/secret"},
			{Type: tar.TypeSymlink, Name: "rel", Link: "../outside/dir"},
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSandbox(t)
			entries := make([]entry, len(tt.entries))
			for i, e := range tt.entries {
				e.Name = strings.ReplaceAll(e.Name, out, s.outside)
				e.Link = strings.ReplaceAll(e.Link, out, s.outside)
				entries[i] = e
			}
			_, err := Unpack(bytes.NewReader(buildArchive(t, entries)), s.target, Options{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("Unpack: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("Unpack error = %v, want it to contain %q", err, tt.wantErr)
			case tt.wantErr != "" && strings.Contains(tt.wantErr, "escapes") && !errors.Is(err, ErrUnsafeEntry):
				t.Errorf("Unpack error = %v, want ErrUnsafeEntry", err)
			}
			s.check(t)
		})
	}
}
