package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	t1 = time.Date(2021, 3, 4, 5, 6, 7, 123456789, time.UTC)
	t2 = time.Date(2022, 1, 2, 3, 4, 5, 0, time.UTC)
)

// sampleTree has every kind of entry Pack writes.
func sampleTree() []spec {
	return []spec{
		{Name: "a.txt", Data: "hello\n", Mode: 0o644, MTime: t1},
		{Name: "bin/run.sh", Data: "#!/bin/sh\necho hi\n", Mode: 0o755, MTime: t2},
		{Name: "bin", Type: "dir", Mode: 0o755, MTime: t1},
		{Name: "dir/sub/deep.txt", Data: strings.Repeat("deep ", 1000), Mode: 0o600, MTime: t2},
		{Name: "dir/sub", Type: "dir", Mode: 0o750, MTime: t2},
		{Name: "dir", Type: "dir", Mode: 0o755, MTime: t1},
		{Name: "empty", Type: "dir", Mode: 0o700, MTime: t2},
		{Name: "ro/f", Data: "read only", Mode: 0o444, MTime: t1},
		{Name: "ro", Type: "dir", Mode: 0o555, MTime: t1},
		{Name: "zero", Data: "", Mode: 0o640, MTime: t2},
		{Name: "link-rel", Type: "symlink", Link: "a.txt"},
		{Name: "link-abs", Type: "symlink", Link: "/nonexistent/abs/target"},
		{Name: "dir/dangling", Type: "symlink", Link: "../missing"},
		{Name: "dirlink", Type: "symlink", Link: "dir"},
	}
}

func TestRoundTrip(t *testing.T) {
	src := tempDir(t)
	writeTree(t, src, sampleTree())
	// A socket is skipped, not an error.
	l, err := net.Listen("unix", filepath.Join(src, "sock"))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()

	archive, st := pack(t, src, []string{"."})
	want := Stats{Files: 5, Dirs: 5, Symlinks: 4, Skipped: 1, Bytes: 6 + 18 + 5000 + 9, Compressed: int64(len(archive))}
	if diff := cmp.Diff(want, st); diff != "" {
		t.Errorf("Pack stats (-want +got):\n%s", diff)
	}

	dst := filepath.Join(tempDir(t), "new", "target")
	got, err := Unpack(bytes.NewReader(archive), dst, Options{})
	if err != nil {
		t.Fatalf("Unpack: %v", err)
	}
	want.Skipped = 0
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Unpack stats (-want +got):\n%s", diff)
	}
	wantTree := snapshot(t, src)
	delete(wantTree, "sock")
	if diff := cmp.Diff(wantTree, snapshot(t, dst)); diff != "" {
		t.Errorf("unpacked tree (-want +got):\n%s", diff)
	}
	if n := snapshot(t, dst)["a.txt"]; !n.MTime.Equal(t1) {
		t.Errorf("a.txt mtime = %v, want %v (nanoseconds kept)", n.MTime, t1)
	}

	// Same tree, same bytes.
	again, _ := pack(t, src, []string{"."})
	if !bytes.Equal(archive, again) {
		t.Errorf("packing the same tree twice gave different archives")
	}
}

func TestPackPaths(t *testing.T) {
	src := tempDir(t)
	writeTree(t, src, sampleTree())
	tests := []struct {
		name  string
		paths []string
		want  []string
	}{
		{"file", []string{"a.txt"}, []string{"a.txt"}},
		{"dir and file below it", []string{"dir", "dir/sub/deep.txt", "dir/sub"},
			[]string{"dir/", "dir/dangling", "dir/sub/", "dir/sub/deep.txt"}},
		{"duplicates and separators", []string{"bin/", "./bin", filepath.Join("bin", "run.sh"), src + "/a.txt"},
			[]string{"a.txt", "bin/", "bin/run.sh"}},
		{"dot swallows the rest", []string{"empty", ".", "a.txt"},
			[]string{"a.txt", "bin/", "bin/run.sh", "dir/", "dir/dangling", "dir/sub/", "dir/sub/deep.txt",
				"dirlink", "empty/", "link-abs", "link-rel", "ro/", "ro/f", "zero"}},
		{"symlink to dir is not followed", []string{"dirlink"}, []string{"dirlink"}},
		{"sorted", []string{"zero", "empty", "a.txt"}, []string{"a.txt", "empty/", "zero"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			archive, _ := pack(t, src, tt.paths)
			if diff := cmp.Diff(tt.want, entryNames(t, archive)); diff != "" {
				t.Errorf("entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPackErrors(t *testing.T) {
	src := tempDir(t)
	writeTree(t, src, []spec{{Name: "a.txt", Data: "x"}})
	tests := []struct {
		name  string
		root  string
		paths []string
		want  string
	}{
		{"missing path", src, []string{"a.txt", "nope/x"}, `pack path "nope/x"`},
		{"relative root", "rel", []string{"a.txt"}, `pack root "rel"`},
		{"escaping path", src, []string{"../x"}, `pack path "../x"`},
		{"absolute outside root", src, []string{"/etc/passwd"}, `pack path "/etc/passwd"`},
		{"empty path", src, []string{""}, `pack path ""`},
		{"no paths", src, nil, "no paths"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Pack(&buf, tt.root, tt.paths, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Pack error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
	var buf bytes.Buffer
	_, err := Pack(&buf, src, []string{"missing"}, Options{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Pack of a missing path: %v, want fs.ErrNotExist", err)
	}
}

// TestCacheStyle packs the way save_cache does, relative to a root standing
// for "/": parents of the listed path are not archived.
func TestCacheStyle(t *testing.T) {
	fakeRoot := tempDir(t)
	writeTree(t, fakeRoot, []spec{
		{Name: "home/u/.cache/go-build/00/abc-d", Data: "object", MTime: t1},
		{Name: "home/u/.cache/other", Data: "not saved"},
		{Name: "home", Type: "dir", Mode: 0o711},
	})
	archive, _ := pack(t, fakeRoot, []string{"home/u/.cache/go-build"})
	want := []string{"home/u/.cache/go-build/", "home/u/.cache/go-build/00/", "home/u/.cache/go-build/00/abc-d"}
	if diff := cmp.Diff(want, entryNames(t, archive)); diff != "" {
		t.Errorf("entries (-want +got):\n%s", diff)
	}
	restored := tempDir(t)
	if _, err := Unpack(bytes.NewReader(archive), restored, Options{}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(restored, "home/u/.cache/go-build/00/abc-d"))
	if err != nil || string(b) != "object" {
		t.Errorf("restored file = %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(restored, "home/u/.cache/other")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("unlisted sibling restored: %v", err)
	}
}

// TestRealRoot packs and unpacks with root "/" for real; everything it
// writes lies in a temporary directory.
func TestRealRoot(t *testing.T) {
	dir, err := filepath.EvalSymlinks(tempDir(t))
	if err != nil {
		t.Fatal(err)
	}
	cache := filepath.Join(dir, "cache")
	writeTree(t, cache, []spec{{Name: "x/y.bin", Data: "payload", Mode: 0o600, MTime: t2}})
	before := snapshot(t, cache)
	rel := strings.TrimPrefix(cache, "/")
	archive, _ := pack(t, "/", []string{rel})
	if names := entryNames(t, archive); len(names) == 0 || names[0] != rel+"/" {
		t.Fatalf("entries = %q, want first %q", names, rel+"/")
	}
	if err := os.RemoveAll(cache); err != nil {
		t.Fatal(err)
	}
	if _, err := Unpack(bytes.NewReader(archive), "/", Options{}); err != nil {
		t.Fatalf("Unpack to /: %v", err)
	}
	if diff := cmp.Diff(before, snapshot(t, cache)); diff != "" {
		t.Errorf("restored cache (-want +got):\n%s", diff)
	}
}

// TestLayers unpacks two workspace layers into one target: the later wins.
func TestLayers(t *testing.T) {
	one, two := tempDir(t), tempDir(t)
	writeTree(t, one, []spec{
		{Name: "shared.txt", Data: "one"},
		{Name: "only-one.txt", Data: "1"},
		{Name: "d/keep.txt", Data: "kept"},
		{Name: "was-link", Type: "symlink", Link: "shared.txt"},
		{Name: "ro", Type: "dir", Mode: 0o555},
	})
	writeTree(t, two, []spec{
		{Name: "shared.txt", Data: "two"},
		{Name: "d/new.txt", Data: "new"},
		{Name: "was-link", Data: "now a file"},
		{Name: "ro/inside", Data: "written into a read-only dir"},
		{Name: "ro", Type: "dir", Mode: 0o555},
	})
	a1, _ := pack(t, one, []string{"."})
	a2, _ := pack(t, two, []string{"."})
	target := tempDir(t)
	for _, a := range [][]byte{a1, a2} {
		if _, err := Unpack(bytes.NewReader(a), target, Options{}); err != nil {
			t.Fatalf("Unpack: %v", err)
		}
	}
	got := map[string]string{}
	for name, n := range snapshot(t, target) {
		got[name] = n.Type + ":" + n.Data
	}
	want := map[string]string{
		"shared.txt": "file:two", "only-one.txt": "file:1", "d": "dir:", "d/keep.txt": "file:kept",
		"d/new.txt": "file:new", "was-link": "file:now a file", "ro": "dir:", "ro/inside": "file:written into a read-only dir",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("layered target (-want +got):\n%s", diff)
	}
}

// TestReplaceExistingLink checks a file entry replaces a link that was in
// the target before instead of writing through it.
func TestReplaceExistingLink(t *testing.T) {
	base := tempDir(t)
	target, outside := filepath.Join(base, "target"), filepath.Join(base, "outside")
	writeTree(t, base, []spec{
		{Name: "outside/secret", Data: "secret"},
		{Name: "target/f", Type: "symlink", Link: filepath.Join(outside, "secret")},
		{Name: "target/h", Data: "old"},
	})
	if err := os.Link(filepath.Join(outside, "secret"), filepath.Join(target, "hard")); err != nil {
		t.Fatal(err)
	}
	archive := buildArchive(t, []entry{
		{Type: tar.TypeReg, Name: "f", Data: "new"},
		{Type: tar.TypeReg, Name: "hard", Data: "new"},
	})
	if _, err := Unpack(bytes.NewReader(archive), target, Options{}); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(outside, "secret")); string(b) != "secret" {
		t.Errorf("outside/secret = %q, written through a link", b)
	}
	for _, name := range []string{"f", "hard"} {
		n := snapshot(t, target)[name]
		if n.Type != "file" || n.Data != "new" {
			t.Errorf("%s = %+v, want a file with %q", name, n, "new")
		}
	}
}

// TestRoundTripNames covers names USTAR cannot hold: long, non-ASCII, not
// UTF-8, with spaces and a backslash.
func TestRoundTripNames(t *testing.T) {
	src := tempDir(t)
	long := strings.Repeat("d", 150) + "/" + strings.Repeat("f", 200)
	writeTree(t, src, []spec{
		{Name: long, Data: "long"},
		{Name: "été/naïve.txt", Data: "utf-8"},
		{Name: "caf\xe9", Data: "latin-1"},
		{Name: "with space\\and backslash", Data: "odd"},
		{Name: "link", Type: "symlink", Link: strings.Repeat("../", 40) + long},
	})
	archive, _ := pack(t, src, []string{"."})
	dst := tempDir(t)
	if _, err := Unpack(bytes.NewReader(archive), dst, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(snapshot(t, src), snapshot(t, dst)); diff != "" {
		t.Errorf("unpacked tree (-want +got):\n%s", diff)
	}
}
