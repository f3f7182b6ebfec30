package archive

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// bufSize is the size of the buffered I/O around the archive and of the
// buffer file contents are copied through.
const bufSize = 1 << 20

// maxWindow bounds the zstd window Unpack accepts, and so its memory. The
// encoder's default window is at most 8 MiB.
const maxWindow = 64 << 20

// ErrUnsafeEntry is wrapped by Unpack errors about an entry that would write
// outside the target, or through a symbolic link the archive created.
var ErrUnsafeEntry = errors.New("unsafe archive entry")

// ErrNoMatch is wrapped by Glob errors about a pattern that matched nothing.
var ErrNoMatch = errors.New("no match")

// Options tune compression. The zero value is the default.
type Options struct {
	// Level is the zstd encoder level used by Pack; zero means
	// zstd.SpeedFastest. Unpack ignores it.
	Level zstd.EncoderLevel
	// Concurrency is the number of goroutines the zstd encoder or decoder
	// may use; zero means GOMAXPROCS.
	Concurrency int
	// StrictLinks makes Unpack refuse entries below any symbolic link inside target, also one that was there
	// before (a workspace layer must not write through a link an earlier layer made). Caches restored to "/"
	// leave it off, so host links such as /home -> /var/home keep working.
	StrictLinks bool
}

func (o Options) level() zstd.EncoderLevel {
	if o.Level == 0 {
		return zstd.SpeedFastest
	}
	return o.Level
}

func (o Options) concurrency() int {
	if o.Concurrency <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return o.Concurrency
}

// Stats counts what Pack wrote or Unpack extracted.
type Stats struct {
	Files     int   // regular files
	Dirs      int   // directories
	Symlinks  int   // symbolic links
	Hardlinks int   // hard links (Unpack only; Pack writes files instead)
	Skipped   int   // sockets, devices, pipes, and other entry types
	Bytes     int64 // file contents, uncompressed
	// Compressed is the size of the archive: bytes written by Pack, bytes
	// read by Unpack.
	Compressed int64
}

func (s Stats) String() string {
	return fmt.Sprintf("%d files, %d dirs, %d symlinks, %d hardlinks, %d skipped, %d bytes (%d compressed)",
		s.Files, s.Dirs, s.Symlinks, s.Hardlinks, s.Skipped, s.Bytes, s.Compressed)
}

// relPath turns p, slash- or OS-separated and relative to root (or absolute
// inside root), into a clean OS-separated relative path, "." for root itself.
func relPath(root, p string) (string, error) {
	if p == "" {
		return "", errors.New("empty path")
	}
	p = filepath.FromSlash(p)
	if filepath.IsAbs(p) {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return "", fmt.Errorf("make %q relative to %q: %w", p, root, err)
		}
		p = rel
	}
	p = filepath.Clean(p)
	if p != "." && !filepath.IsLocal(p) {
		return "", fmt.Errorf("%q is outside %q", p, root)
	}
	return p, nil
}

// checkRoot requires an absolute directory and returns it cleaned.
func checkRoot(what, dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%s %q: %w", what, dir, errors.New("not an absolute path"))
	}
	return filepath.Clean(dir), nil
}

// isUnder reports whether p is below dir, both clean and slash-separated;
// "." contains everything.
func isUnder(p, dir string) bool {
	return dir == "." || strings.HasPrefix(p, dir+"/")
}

// countWriter counts the bytes written to w.
type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// countReader counts the bytes read from r.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// onlyWriter and onlyReader hide ReaderFrom and WriterTo so io.CopyBuffer
// uses the large buffer it is given (os.File's fallbacks copy 32 KiB at a
// time).
type onlyWriter struct{ io.Writer }

type onlyReader struct{ io.Reader }
