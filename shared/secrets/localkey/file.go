package localkey

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// Open returns a KeyService over the master key in the file at path, creating the file with a random key
// if it does not exist.
func Open(path string) (*KeyService, error) {
	master, err := load(path)
	if errors.Is(err, fs.ErrNotExist) {
		master, err = create(path)
	}
	if err != nil {
		return nil, err
	}
	return New(master)
}

// load reads and checks the key file at path. A missing file yields an error wrapping fs.ErrNotExist.
func load(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("localkey: open key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("localkey: key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("localkey: key file %s is not a regular file (mode %s)", path, fi.Mode())
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("localkey: key file %s has mode %#o: it must not be accessible by group or others "+
			"(chmod 600 %s)", path, perm, path)
	}
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("localkey: read key file %s: %w", path, err)
	}
	return parse(path, data)
}

// parse accepts 32 raw bytes or 64 hex characters with optional surrounding white space.
func parse(path string, data []byte) ([]byte, error) {
	if len(data) == KeySize {
		return data, nil
	}
	text := bytes.TrimSpace(data)
	if len(text) != 2*KeySize {
		return nil, fmt.Errorf("localkey: key file %s holds %d bytes: want %d raw bytes or %d hex characters",
			path, len(data), KeySize, 2*KeySize)
	}
	key := make([]byte, KeySize)
	if _, err := hex.Decode(key, text); err != nil {
		return nil, fmt.Errorf("localkey: key file %s holds %d characters that are not hex: %w", path, len(text), err)
	}
	return key, nil
}

// create writes a new random key file at path, unless another process creates one first, in which case that
// key is returned.
func create(path string) ([]byte, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("localkey: create key file %s: %w", path, err)
	}
	key := make([]byte, KeySize)
	rand.Read(key) // never fails
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("localkey: create key file %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // after the link, path keeps the file
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("localkey: write key file %s: %w", path, err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return load(path) // another process created it meanwhile: use its key
		}
		// A file system without hard links: rename, which could replace a key file created at this very
		// moment by another process.
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, fmt.Errorf("localkey: create key file %s: %w", path, err)
		}
	}
	if d, err := os.Open(dir); err == nil { // make the new directory entry durable
		d.Sync()
		d.Close()
	}
	return key, nil
}
