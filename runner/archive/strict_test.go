package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestStrictLinksAcrossLayers: a workspace layer leaves d -> outside; the next layer writes d/file. Without
// StrictLinks the pre-existing link is followed (as caches restored to "/" need); with it, the entry is refused
// and nothing lands outside the target.
func TestStrictLinksAcrossLayers(t *testing.T) {
	base := t.TempDir()
	target, outside := filepath.Join(base, "target"), filepath.Join(base, "outside")
	os.MkdirAll(target, 0o755)
	os.MkdirAll(outside, 0o755)
	layer1 := buildArchive(t, []entry{{Type: tar.TypeSymlink, Name: "d", Link: outside}})
	layer2 := buildArchive(t, []entry{{Type: tar.TypeReg, Name: "d/file", Data: "x", Mode: 0o644}})
	if _, err := Unpack(bytes.NewReader(layer1), target, Options{StrictLinks: true}); err != nil {
		t.Fatal(err)
	}
	_, err := Unpack(bytes.NewReader(layer2), target, Options{StrictLinks: true})
	if !errors.Is(err, ErrUnsafeEntry) {
		t.Fatalf("got %v, want ErrUnsafeEntry", err)
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("a layer wrote outside its target: %v", ents)
	}
	// A real directory on the way is fine.
	layer3 := buildArchive(t, []entry{{Type: tar.TypeDir, Name: "real", Mode: 0o755}, {Type: tar.TypeReg, Name: "real/f", Data: "y", Mode: 0o644}})
	if _, err := Unpack(bytes.NewReader(layer3), target, Options{StrictLinks: true}); err != nil {
		t.Fatal(err)
	}
}
