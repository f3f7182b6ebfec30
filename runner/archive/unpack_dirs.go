package archive

import (
	"archive/tar"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// dirMeta is a directory entry whose mode and time finish sets.
type dirMeta struct {
	name    string
	mode    fs.FileMode
	mtime   time.Time
	existed bool
}

func (u *unpacker) dir(name string, h *tar.Header) error {
	u.st.Dirs++
	if name == "." {
		return nil // the target's own mode and times are left alone
	}
	if err := u.parent(name); err != nil {
		return err
	}
	full := u.full(name)
	meta := dirMeta{name: name, mode: fileMode(h.Mode), mtime: h.ModTime}
	fi, err := os.Lstat(full)
	switch {
	case err == nil && fi.IsDir():
		// Reuse it, writable until finish sets its mode.
		meta.existed = true
		if err := os.Chmod(full, fi.Mode().Perm()|0o700); err != nil && !errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("chmod directory %q: %w", full, err)
		}
	case err == nil && fi.Mode()&fs.ModeSymlink != 0 && !u.links[name] && isDir(full):
		return nil // a link to a directory that was there before: follow it, leave it as is
	case err == nil || !errors.Is(err, fs.ErrNotExist):
		if err := u.removeExisting(name); err != nil {
			return err
		}
		fallthrough
	default:
		if err := os.Mkdir(full, meta.mode.Perm()|0o700); err != nil {
			return fmt.Errorf("create directory %q: %w", full, err)
		}
	}
	u.dirs = append(u.dirs, meta)
	return nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// finish sets the mode and modification time of the directory entries,
// deepest last-written first, so a read-only directory does not stop the
// ones below it; a directory listed twice gets its last entry's values.
func (u *unpacker) finish() error {
	done := make(map[string]bool, len(u.dirs))
	for i := len(u.dirs) - 1; i >= 0; i-- {
		d := u.dirs[i]
		if done[d.name] {
			continue
		}
		done[d.name] = true
		full := u.full(d.name)
		if fi, err := os.Lstat(full); err != nil || !fi.IsDir() {
			continue // replaced by a later entry; never chmod through a link
		}
		if err := os.Chmod(full, d.mode); err != nil {
			if d.existed && errors.Is(err, fs.ErrPermission) {
				continue // not ours, e.g. restoring to "/"
			}
			return fmt.Errorf("chmod directory %q: %w", full, err)
		}
		if err := os.Chtimes(full, time.Time{}, d.mtime); err != nil {
			return fmt.Errorf("set times of %q: %w", full, err)
		}
	}
	return nil
}

// fileMode keeps the permission and sticky bits of a tar mode; set-ID bits
// are dropped.
func fileMode(mode int64) fs.FileMode {
	m := fs.FileMode(mode) & fs.ModePerm
	if mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
