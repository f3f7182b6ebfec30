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
	"slices"

	"github.com/klauspost/compress/zstd"
)

// Pack writes to w an archive of paths, each a file or directory relative to
// the absolute directory root (slash- or OS-separated; an absolute path
// inside root and "." for root itself are accepted too). Directories are
// included recursively in sorted order; a path below another listed path is
// written once. Symbolic links are stored as links, never followed; sockets,
// devices and pipes are skipped and counted. A listed path that does not
// exist is an error naming it. After an error, what was written to w is not
// a valid archive and should be discarded.
func Pack(w io.Writer, root string, paths []string, opt Options) (Stats, error) {
	var st Stats
	root, err := checkRoot("pack root", root)
	if err != nil {
		return st, err
	}
	tops, err := topPaths(root, paths)
	if err != nil {
		return st, err
	}
	cw := &countWriter{w: w}
	bw := bufio.NewWriterSize(cw, bufSize)
	enc, err := zstd.NewWriter(bw,
		zstd.WithEncoderLevel(opt.level()),
		zstd.WithEncoderConcurrency(opt.concurrency()),
		zstd.WithEncoderCRC(true))
	if err != nil {
		return st, fmt.Errorf("create zstd encoder: %w", err)
	}
	p := &packer{root: root, tw: tar.NewWriter(enc), buf: make([]byte, bufSize), st: &st}
	for _, top := range tops {
		if err := p.add(top); err != nil {
			enc.Close()
			return st, err
		}
	}
	if err := p.tw.Close(); err != nil {
		enc.Close()
		return st, fmt.Errorf("finish tar stream: %w", err)
	}
	if err := enc.Close(); err != nil {
		return st, fmt.Errorf("finish zstd stream: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return st, fmt.Errorf("write archive: %w", err)
	}
	st.Compressed = cw.n
	return st, nil
}

// topPaths cleans paths to slash-separated names relative to root, sorted,
// without duplicates and without any path below another one.
func topPaths(root string, paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("pack: no paths given")
	}
	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		rel, err := relPath(root, p)
		if err != nil {
			return nil, fmt.Errorf("pack path %q: %w", p, err)
		}
		set[filepath.ToSlash(rel)] = true
	}
	var tops []string
	for p := range set {
		if !covered(set, p) {
			tops = append(tops, p)
		}
	}
	slices.Sort(tops)
	return tops, nil
}

// covered reports whether an ancestor of p is in set.
func covered(set map[string]bool, p string) bool {
	if p == "." {
		return false
	}
	for d := path.Dir(p); ; d = path.Dir(d) {
		if set[d] {
			return true
		}
		if d == "." {
			return false
		}
	}
}

type packer struct {
	root string
	tw   *tar.Writer
	buf  []byte
	st   *Stats
}

// add writes name (slash-separated, relative to root) and, for a directory,
// everything below it.
func (p *packer) add(name string) error {
	full := filepath.Join(p.root, filepath.FromSlash(name))
	fi, err := os.Lstat(full)
	if err != nil {
		return fmt.Errorf("pack path %q: %w", name, err)
	}
	return p.addInfo(name, full, fi)
}

func (p *packer) addInfo(name, full string, fi fs.FileInfo) error {
	mode := fi.Mode()
	switch {
	case mode.IsRegular():
		return p.addFile(name, full)
	case mode.IsDir():
		return p.addDir(name, full, fi)
	case mode&fs.ModeSymlink != 0:
		target, err := os.Readlink(full)
		if err != nil {
			return fmt.Errorf("read symlink %q: %w", full, err)
		}
		p.st.Symlinks++
		return p.header(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: fi.ModTime()})
	default:
		p.st.Skipped++
		return nil
	}
}

func (p *packer) addDir(name, full string, fi fs.FileInfo) error {
	if name != "." {
		p.st.Dirs++
		if err := p.header(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: tarMode(fi.Mode()), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	entries, err := os.ReadDir(full) // sorted by name
	if err != nil {
		return fmt.Errorf("read directory %q: %w", full, err)
	}
	for _, e := range entries {
		child := path.Join(name, e.Name())
		childFull := filepath.Join(full, e.Name())
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("stat %q: %w", childFull, err)
		}
		if err := p.addInfo(child, childFull, info); err != nil {
			return err
		}
	}
	return nil
}

func (p *packer) addFile(name, full string) error {
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("open %q: %w", full, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("stat %q: %w", full, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("pack %q: %w", full, errors.New("changed from a regular file while packing"))
	}
	size := fi.Size()
	if err := p.header(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: tarMode(fi.Mode()), ModTime: fi.ModTime()}); err != nil {
		return err
	}
	n, err := io.CopyBuffer(onlyWriter{p.tw}, onlyReader{io.LimitReader(f, size)}, p.buf)
	if err != nil {
		return fmt.Errorf("pack %q: %w", full, err)
	}
	if n != size {
		return fmt.Errorf("pack %q: %w", full, fmt.Errorf("file shrank from %d to %d bytes while packing", size, n))
	}
	p.st.Files++
	p.st.Bytes += size
	return nil
}

func (p *packer) header(h *tar.Header) error {
	// PAX keeps sub-second modification times; with an unspecified format
	// archive/tar would round them to seconds.
	h.Format = tar.FormatPAX
	if err := p.tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write header for %q: %w", h.Name, err)
	}
	return nil
}

// tarMode converts permission, set-ID and sticky bits to tar's mode field.
func tarMode(m fs.FileMode) int64 {
	mode := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		mode |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		mode |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		mode |= 0o1000
	}
	return mode
}
