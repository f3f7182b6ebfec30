package archive

import (
	"archive/tar"
	"bytes"
	"os"
	"testing"
)

// FuzzUnpack feeds Unpack arbitrary tar streams (compressed here, so the
// fuzzer works on tar structure rather than on zstd) and checks that nothing
// outside the target changes and that nothing panics. Link text may name the
// sibling directory "outside" relatively ("../outside"); absolute paths of
// the temporary directory cannot appear in a stored corpus.
func FuzzUnpack(f *testing.F) {
	seeds := [][]entry{
		{
			{Type: tar.TypeDir, Name: "d/", Mode: 0o755},
			{Type: tar.TypeReg, Name: "d/f", Data: "hello", Mode: 0o644},
			{Type: tar.TypeSymlink, Name: "d/l", Link: "f"},
			{Type: tar.TypeLink, Name: "d/h", Link: "d/f"},
			{Type: tar.TypeDir, Name: "ro/", Mode: 0o555},
		},
		{{Type: tar.TypeReg, Name: "../outside/evil", Data: "x"}},
		{{Type: tar.TypeReg, Name: "/abs", Data: "x"}},
		{{Type: tar.TypeReg, Name: "a/../../outside/evil", Data: "x"}},
		{{Type: tar.TypeLink, Name: "h", Link: "../outside/secret"}},
		{{Type: tar.TypeLink, Name: "h", Link: "/etc/passwd"}},
		{
			{Type: tar.TypeSymlink, Name: "d", Link: "../outside"},
			{Type: tar.TypeReg, Name: "d/evil", Data: "x"},
			{Type: tar.TypeLink, Name: "h", Link: "d/secret"},
		},
		{
			{Type: tar.TypeSymlink, Name: "up", Link: ".."},
			{Type: tar.TypeDir, Name: "up/outside/dir/x/"},
		},
		{
			{Type: tar.TypeDir, Name: "d/", Mode: 0o700},
			{Type: tar.TypeSymlink, Name: "d", Link: "../outside/dir"},
			{Type: tar.TypeSymlink, Name: "s", Link: "../outside/secret"},
			{Type: tar.TypeReg, Name: "s", Data: "replaced"},
		},
	}
	for _, s := range seeds {
		f.Add(tarBytes(f, s))
	}
	// One sandbox for the fuzz test, its target emptied before each input:
	// file system calls are most of the cost of an input.
	s := newSandbox(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		makeWritable(s.target)
		if err := os.RemoveAll(s.target); err != nil {
			t.Fatal(err)
		}
		// Errors are expected; only what happens on disk matters.
		_, _ = Unpack(bytes.NewReader(compress(t, data)), s.target, Options{Concurrency: 1})
		s.check(t)
	})
}
