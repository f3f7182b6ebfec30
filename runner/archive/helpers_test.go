package archive

import (
	"archive/tar"
	"bytes"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// node is what snapshot records of one path.
type node struct {
	Type  string // "file", "dir", "symlink", "other"
	Mode  fs.FileMode
	Data  string // file contents
	Link  string // symlink text
	MTime time.Time
}

// snapshot walks dir without following links.
func snapshot(t testing.TB, dir string) map[string]node {
	t.Helper()
	out := map[string]node{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		n := node{Mode: fi.Mode().Perm(), MTime: fi.ModTime().UTC()}
		switch {
		case fi.Mode().IsRegular():
			n.Type = "file"
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.Data = string(b)
		case fi.IsDir():
			n.Type = "dir"
		case fi.Mode()&fs.ModeSymlink != 0:
			n.Type = "symlink"
			n.Mode, n.MTime = 0, time.Time{} // not restored
			if n.Link, err = os.Readlink(p); err != nil {
				return err
			}
		default:
			n.Type = "other"
		}
		out[filepath.ToSlash(rel)] = n
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

// spec describes one path for writeTree, applied in order.
type spec struct {
	Name  string
	Type  string // "file" (default), "dir", "symlink"
	Data  string
	Link  string
	Mode  fs.FileMode
	MTime time.Time
}

// writeTree creates specs under root; modes and times are set afterwards,
// deepest first, so read-only directories and directory mtimes hold.
func writeTree(t testing.TB, root string, specs []spec) {
	t.Helper()
	for _, s := range specs {
		p := filepath.Join(root, filepath.FromSlash(s.Name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch s.Type {
		case "dir":
			err = os.MkdirAll(p, 0o755)
		case "symlink":
			err = os.Symlink(s.Link, p)
		default:
			err = os.WriteFile(p, []byte(s.Data), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := len(specs) - 1; i >= 0; i-- {
		s := specs[i]
		p := filepath.Join(root, filepath.FromSlash(s.Name))
		if s.Type == "symlink" {
			continue
		}
		if s.Mode != 0 {
			if err := os.Chmod(p, s.Mode); err != nil {
				t.Fatal(err)
			}
		}
		if !s.MTime.IsZero() {
			if err := os.Chtimes(p, s.MTime, s.MTime); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// tempDir is t.TempDir whose contents are made writable before removal, as
// archives may create read-only directories.
func tempDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	t.Cleanup(func() { makeWritable(dir) })
	return dir
}

func makeWritable(dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o700)
		}
		return nil
	})
}

// entry is one member of a hand-built archive.
type entry struct {
	Type byte
	Name string
	Link string
	Data string
	Mode int64
}

// tarBytes builds an uncompressed tar stream.
func tarBytes(t testing.TB, entries []entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		h := &tar.Header{Typeflag: e.Type, Name: e.Name, Linkname: e.Link, Mode: mode, ModTime: time.Unix(1e9, 0)}
		if e.Type == tar.TypeReg {
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("write header %q: %v", e.Name, err)
		}
		if _, err := io.WriteString(tw, e.Data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testEncoder is shared: EncodeAll may be called concurrently, and a new
// encoder per fuzz input would dominate the fuzzer's time.
var testEncoder = sync.OnceValues(func() (*zstd.Encoder, error) {
	return zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
})

func compress(t testing.TB, data []byte) []byte {
	t.Helper()
	enc, err := testEncoder()
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(data, nil)
}

// buildArchive returns a compressed archive of entries.
func buildArchive(t testing.TB, entries []entry) []byte {
	t.Helper()
	return compress(t, tarBytes(t, entries))
}

// pack runs Pack into memory.
func pack(t testing.TB, root string, paths []string) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Pack(&buf, root, paths, Options{})
	if err != nil {
		t.Fatalf("Pack(%s, %q): %v", root, paths, err)
	}
	return buf.Bytes(), st
}

// entryNames lists the names in a compressed archive, in order.
func entryNames(t testing.TB, archive []byte) []string {
	t.Helper()
	dec, err := zstd.NewReader(bytes.NewReader(archive))
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	tr := tar.NewReader(dec)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatalf("list archive: %v", err)
		}
		names = append(names, h.Name)
	}
}
