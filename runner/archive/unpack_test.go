package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnpackSkipsOtherTypes(t *testing.T) {
	archive := buildArchive(t, []entry{
		{Type: tar.TypeFifo, Name: "fifo"},
		{Type: tar.TypeChar, Name: "null"},
		{Type: tar.TypeReg, Name: "f", Data: "x"},
	})
	target := tempDir(t)
	st, err := Unpack(bytes.NewReader(archive), target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 2 || st.Files != 1 {
		t.Errorf("stats = %+v, want 2 skipped and 1 file", st)
	}
	if diff := cmp.Diff([]string{"f"}, mapKeys(snapshot(t, target))); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}

func TestUnpackCorrupt(t *testing.T) {
	good := buildArchive(t, []entry{{Type: tar.TypeReg, Name: "f", Data: strings.Repeat("data", 1000)}})
	tests := map[string][]byte{
		"not zstd":  []byte("hello, this is not an archive"),
		"truncated": good[:len(good)/2],
		"empty":     nil,
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Unpack(bytes.NewReader(data), tempDir(t), Options{}); err == nil {
				t.Errorf("Unpack succeeded, want an error")
			}
		})
	}
	if _, err := Unpack(bytes.NewReader(good), "relative/dir", Options{}); err == nil {
		t.Errorf("Unpack to a relative target succeeded")
	}
}

func mapKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestUnpackFollowsExistingLinks is restore_cache to "/" on a machine where
// /home is a link: links that were there before are followed, not replaced,
// and their targets' modes are left alone.
func TestUnpackFollowsExistingLinks(t *testing.T) {
	base := tempDir(t)
	writeTree(t, base, []spec{
		{Name: "var/home/u", Type: "dir", Mode: 0o751},
		{Name: "root/home", Type: "symlink", Link: "../var/home"},
	})
	archive := buildArchive(t, []entry{
		{Type: tar.TypeDir, Name: "home/", Mode: 0o700},
		{Type: tar.TypeReg, Name: "home/u/.cache/f", Data: "cached"},
	})
	if _, err := Unpack(bytes.NewReader(archive), filepath.Join(base, "root"), Options{}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(base, "var/home/u/.cache/f")); err != nil || string(b) != "cached" {
		t.Errorf("file through existing link = %q, %v", b, err)
	}
	if fi, err := os.Stat(filepath.Join(base, "var/home/u")); err != nil || fi.Mode().Perm() != 0o751 {
		t.Errorf("var/home/u = %v, %v; want mode 0751 kept", fi, err)
	}
	if n := snapshot(t, base)["root/home"]; n.Type != "symlink" {
		t.Errorf("root/home = %+v, want the link kept", n)
	}
}

func TestUnpackHardlinkAndDuplicates(t *testing.T) {
	archive := buildArchive(t, []entry{
		{Type: tar.TypeReg, Name: "a", Data: "first"},
		{Type: tar.TypeReg, Name: "a", Data: "second"},
		{Type: tar.TypeLink, Name: "b", Link: "./a"},
		{Type: tar.TypeDir, Name: "d/", Mode: 0o755},
		{Type: tar.TypeDir, Name: "d/", Mode: 0o700},
	})
	target := tempDir(t)
	st, err := Unpack(bytes.NewReader(archive), target, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 2 || st.Hardlinks != 1 || st.Dirs != 2 {
		t.Errorf("stats = %+v", st)
	}
	got := snapshot(t, target)
	if got["a"].Data != "second" || got["b"].Data != "second" || got["d"].Mode != 0o700 {
		t.Errorf("target = %+v, want a and b %q and d mode 0700", got, "second")
	}
	if n, ok := linkCount(filepath.Join(target, "a")); ok && n != 2 {
		t.Errorf("a has %d links, want 2", n)
	}
}
