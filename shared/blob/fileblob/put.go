package fileblob

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/blob/internal/ctxio"
)

// Put implements blob.Store: it streams r to a new file in tmp/, syncs it,
// and renames it over the object's file, so readers see the old object or
// the whole new one. On any error the temporary file is removed.
func (s *Store) Put(ctx context.Context, key string, r io.Reader) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("put blob %q: %w", key, err)
	}
	file, dir, err := objectPath(key)
	if err != nil {
		return fmt.Errorf("put blob %q: %w", key, err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put blob %q: %w", key, err)
	}
	if err := s.put(ctx, r, file, dir); err != nil {
		return fmt.Errorf("put blob %q: %w", key, err)
	}
	return nil
}

func (s *Store) put(ctx context.Context, r io.Reader, file, dir string) (err error) {
	tmp := path.Join(tmpDir, "put-"+rand.Text())
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			s.root.Remove(tmp)
		}
	}()
	if _, err := io.Copy(f, ctxio.Reader(ctx, r)); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	closed = true
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil { // last chance not to commit
		return err
	}
	// A concurrent Delete may prune the directories MkdirAll is creating,
	// or has just created; retry until the rename lands.
	for attempt := 0; ; attempt++ {
		err := s.root.MkdirAll(dir, 0o700)
		if err == nil {
			err = s.root.Rename(tmp, file)
		}
		if err == nil {
			break
		}
		// ErrExist: os.Root.MkdirAll lost a race with a concurrent Put creating the same directory.
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) || attempt == maxAttempts {
			return err
		}
	}
	if err := s.syncDir(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err // (not exist: a Delete of this key already pruned dir)
	}
	return nil
}

// maxAttempts bounds the retries of a Put racing with Deletes.
const maxAttempts = 100

// syncDir makes a rename into dir durable.
func (s *Store) syncDir(dir string) error {
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
