package archive

import (
	"archive/tar"
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Unpack extracts the archive read from r under the absolute directory
// target, which is created if missing and may be "/". It enforces the rules
// in the package documentation: entries that are absolute or leave target,
// hard links to anything but a regular file inside target, and entries below
// a symbolic link the archive created are rejected with an error wrapping
// ErrUnsafeEntry. Existing files, links and empty directories of the same
// name are replaced; existing directories are reused. Modes and modification
// times are restored (directories' once every entry is written). Entry types
// other than files, directories, symbolic and hard links are skipped and
// counted. Extraction stops at the first error; entries before it stay.
func Unpack(r io.Reader, target string, opt Options) (Stats, error) {
	var st Stats
	target, err := checkRoot("unpack target", target)
	if err != nil {
		return st, err
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return st, fmt.Errorf("create target %q: %w", target, err)
	}
	cr := &countReader{r: r}
	dec, err := zstd.NewReader(bufio.NewReaderSize(cr, bufSize),
		zstd.WithDecoderConcurrency(opt.concurrency()),
		zstd.WithDecoderMaxWindow(maxWindow))
	if err != nil {
		return st, fmt.Errorf("create zstd decoder: %w", err)
	}
	defer dec.Close()
	u := &unpacker{target: target, buf: make([]byte, bufSize), st: &st, links: make(map[string]bool),
		strict: opt.StrictLinks, realDirs: make(map[string]bool)}
	tr := tar.NewReader(dec)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return st, fmt.Errorf("read archive: %w", err)
		}
		if err := u.entry(h, tr); err != nil {
			return st, err
		}
	}
	// Read to the end of the zstd stream so its checksum is verified.
	if _, err := io.CopyBuffer(io.Discard, onlyReader{dec}, u.buf); err != nil {
		return st, fmt.Errorf("read archive: %w", err)
	}
	st.Compressed = cr.n
	if cr.n == 0 {
		return st, fmt.Errorf("read archive: %w", io.ErrUnexpectedEOF)
	}
	if err := u.finish(); err != nil {
		return st, err
	}
	return st, nil
}

type unpacker struct {
	target string
	buf    []byte
	st     *Stats
	// links holds the names of the symbolic links this archive created.
	links map[string]bool
	// strict (Options.StrictLinks) refuses every symlink on the way; realDirs caches directories found real.
	strict   bool
	realDirs map[string]bool
	// dirs are the directory entries whose mode and mtime are set last.
	dirs []dirMeta
	// lastDir is the parent most recently made sure to exist.
	lastDir string
}

func (u *unpacker) entry(h *tar.Header, tr *tar.Reader) error {
	name, err := u.clean(h.Name)
	if err != nil {
		return err
	}
	if name == u.lastDir || isUnder(u.lastDir, name) {
		u.lastDir = "" // the entry may replace a directory made before
	}
	if isSparse(h) {
		u.st.Skipped++ // Pack never writes them; their holes could expand without bound
		return nil
	}
	switch h.Typeflag {
	case tar.TypeDir:
		return u.dir(name, h)
	case tar.TypeReg:
		return u.file(name, h, tr)
	case tar.TypeSymlink:
		return u.symlink(name, h)
	case tar.TypeLink:
		return u.hardlink(name, h)
	default:
		u.st.Skipped++
		return nil
	}
}

// prepare makes room for a file or link entry: its parent exists and
// nothing is left at its name.
func (u *unpacker) prepare(name, raw string) error {
	if name == "." {
		return fmt.Errorf("archive entry %q would replace the target: %w", raw, ErrUnsafeEntry)
	}
	if err := u.parent(name); err != nil {
		return err
	}
	return u.removeExisting(name)
}

// clean validates an entry name and returns it clean and slash-separated,
// "." for the target itself.
func (u *unpacker) clean(raw string) (string, error) {
	if raw == "" {
		return "", fmt.Errorf("archive entry %q has no name: %w", raw, ErrUnsafeEntry)
	}
	name := path.Clean(raw)
	if path.IsAbs(raw) || (name != "." && !filepath.IsLocal(filepath.FromSlash(name))) {
		return "", fmt.Errorf("archive entry %q escapes target %q: %w", raw, u.target, ErrUnsafeEntry)
	}
	for d := path.Dir(name); d != "."; d = path.Dir(d) {
		if u.links[d] {
			return "", fmt.Errorf("archive entry %q passes through symlink %q the archive created: %w", raw, d, ErrUnsafeEntry)
		}
		if u.strict && !u.realDirs[d] {
			if fi, err := os.Lstat(u.full(d)); err == nil {
				if fi.Mode()&os.ModeSymlink != 0 {
					return "", fmt.Errorf("archive entry %q passes through symlink %q in the target: %w", raw, d, ErrUnsafeEntry)
				}
				if fi.IsDir() {
					u.realDirs[d] = true
				}
			}
		}
	}
	return name, nil
}

func (u *unpacker) full(name string) string {
	return filepath.Join(u.target, filepath.FromSlash(name))
}

// parent makes sure the parent directory of name exists.
func (u *unpacker) parent(name string) error {
	dir := path.Dir(name)
	if dir == "." || dir == u.lastDir {
		return nil
	}
	if err := os.MkdirAll(u.full(dir), 0o755); err != nil {
		return fmt.Errorf("create directory %q: %w", u.full(dir), err)
	}
	u.lastDir = dir
	return nil
}

// removeExisting removes whatever is at name, unless it is a non-empty
// directory, so the entry never writes through an existing link.
func (u *unpacker) removeExisting(name string) error {
	full := u.full(name)
	if _, err := os.Lstat(full); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err := os.Remove(full); err != nil {
		return fmt.Errorf("replace %q: %w", full, err)
	}
	delete(u.links, name)
	return nil
}

func (u *unpacker) file(name string, h *tar.Header, tr *tar.Reader) error {
	if err := u.prepare(name, h.Name); err != nil {
		return err
	}
	full := u.full(name)
	f, err := os.OpenFile(full, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create file %q: %w", full, err)
	}
	n, err := io.CopyBuffer(onlyWriter{f}, onlyReader{tr}, u.buf)
	u.st.Bytes += n
	if err != nil {
		f.Close()
		return fmt.Errorf("extract file %q: %w", full, err)
	}
	if err := f.Chmod(fileMode(h.Mode)); err != nil {
		f.Close()
		return fmt.Errorf("chmod file %q: %w", full, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write file %q: %w", full, err)
	}
	if err := os.Chtimes(full, time.Time{}, h.ModTime); err != nil {
		return fmt.Errorf("set times of %q: %w", full, err)
	}
	u.st.Files++
	return nil
}

func (u *unpacker) symlink(name string, h *tar.Header) error {
	if err := u.prepare(name, h.Name); err != nil {
		return err
	}
	full := u.full(name)
	if err := os.Symlink(h.Linkname, full); err != nil {
		return fmt.Errorf("create symlink %q: %w", full, err)
	}
	u.links[name] = true
	u.st.Symlinks++
	return nil
}

func (u *unpacker) hardlink(name string, h *tar.Header) error {
	src, err := u.clean(h.Linkname)
	if err != nil {
		return fmt.Errorf("hard link %q: %w", h.Name, err)
	}
	if src == name {
		return fmt.Errorf("hard link %q to itself: %w", h.Name, ErrUnsafeEntry)
	}
	srcFull := u.full(src)
	fi, err := os.Lstat(srcFull)
	if err != nil {
		return fmt.Errorf("hard link %q to %q: %w", h.Name, h.Linkname, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("hard link %q to %q, not a regular file: %w", h.Name, h.Linkname, ErrUnsafeEntry)
	}
	if err := u.prepare(name, h.Name); err != nil {
		return err
	}
	if err := os.Link(srcFull, u.full(name)); err != nil {
		return fmt.Errorf("create hard link %q: %w", u.full(name), err)
	}
	u.st.Hardlinks++
	return nil
}

// isSparse reports a GNU sparse entry, old-style or in PAX records.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
