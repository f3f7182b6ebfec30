package fileblob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/caravan-ci/caravan/shared/blob"
)

// Get implements blob.Store. The reader is the object's file, so a Put that
// replaces the object meanwhile does not change what it reads.
func (s *Store) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	f, _, err := s.open(ctx, key)
	if err != nil {
		return nil, err
	}
	return f, nil
}

// open opens the object's file. Only a regular file is an object: a
// symbolic link, directory, FIFO or device at its path is reported as not
// found, and os.Root keeps every lookup inside the store's directory.
func (s *Store) open(ctx context.Context, key string) (*os.File, fs.FileInfo, error) {
	if err := blob.ValidKey(key); err != nil {
		return nil, nil, fmt.Errorf("get blob %q: %w", key, err)
	}
	file, _, err := objectPath(key)
	if err != nil {
		return nil, nil, fmt.Errorf("get blob %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("get blob %q: %w", key, err)
	}
	lfi, err := s.root.Lstat(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("get blob %q: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get blob %q: %w", key, err)
	}
	if !lfi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("get blob %q: %w (%s is not a regular file)", key, blob.ErrNotFound, file)
	}
	f, err := s.root.Open(file)
	if errors.Is(err, fs.ErrNotExist) { // deleted since Lstat
		return nil, nil, fmt.Errorf("get blob %q: %w", key, blob.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("get blob %q: %w", key, err)
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%w (%s changed to a non-regular file)", blob.ErrNotFound, file)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("get blob %q: %w", key, err)
	}
	return f, fi, nil
}

// List implements blob.Store. It walks only the directories that can hold
// keys with prefix, and never follows symbolic links.
func (s *Store) List(ctx context.Context, prefix string) ([]blob.Object, error) {
	out := []blob.Object{}
	dirKey, keyPrefix := "", ""
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		dirKey, keyPrefix = prefix[:i], prefix[:i+1]
		if blob.ValidKey(dirKey) != nil {
			return out, nil // no valid key starts with prefix
		}
	}
	dirs, err := encodeDirs(dirKey)
	if err != nil {
		return out, nil // a segment too long to be a directory holds nothing
	}
	if err := s.walk(ctx, path.Join(objectsDir, dirs), keyPrefix, prefix, &out); err != nil {
		return nil, fmt.Errorf("list blobs %q: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// walk appends to out the objects below dir, whose keys start with
// keyPrefix, that match prefix.
func (s *Store) walk(ctx context.Context, dir, keyPrefix, prefix string, out *[]blob.Object) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	entries, err := fs.ReadDir(s.fsys, dir)
	if errors.Is(err, fs.ErrNotExist) { // never created, or pruned meanwhile
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		seg, isDir, ok := decodeName(e.Name())
		if !ok {
			continue // not an object: something else put it there
		}
		key := keyPrefix + seg
		switch {
		case isDir && e.IsDir():
			sub := key + "/"
			if strings.HasPrefix(sub, prefix) || strings.HasPrefix(prefix, sub) {
				if err := s.walk(ctx, path.Join(dir, e.Name()), sub, prefix, out); err != nil {
					return err
				}
			}
		case !isDir && e.Type().IsRegular() && strings.HasPrefix(key, prefix):
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) { // deleted meanwhile
				continue
			}
			if err != nil {
				return err
			}
			*out = append(*out, blob.Object{Key: key, Size: info.Size(), Modified: info.ModTime()})
		}
	}
	return nil
}
