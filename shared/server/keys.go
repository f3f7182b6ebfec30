package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// signingKey reads (or creates) the server's 32-byte HMAC root key.
func signingKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if len(b) != 32 {
			return nil, fmt.Errorf("signing key %s has %d bytes, want 32", path, len(b))
		}
		return b, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	b = make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := writeSecretFile(path, b); err != nil {
		return nil, err
	}
	return b, nil
}

// writeSecretFile writes a 0600 file atomically; it fails if the file appeared meanwhile.
func writeSecretFile(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// subkey derives an independent key for one purpose from the root key.
func subkey(root []byte, purpose string) []byte {
	m := hmac.New(sha256.New, root)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// readKey reads the server's root key without creating it.
func readKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	if len(b) != 32 {
		return nil, fmt.Errorf("signing key %s has %d bytes, want 32", path, len(b))
	}
	return b, nil
}
