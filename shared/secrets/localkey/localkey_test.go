package localkey_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/secrets/localkey"
	"github.com/caravan-ci/caravan/shared/secrets/secretstest"
)

func TestConformance(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.KeyService {
		master := make([]byte, 32)
		rand.Read(master)
		ks, err := localkey.New(master)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		return ks
	})
}

func TestConformanceFile(t *testing.T) {
	secretstest.Run(t, func(t *testing.T) secrets.KeyService {
		return open(t, filepath.Join(t.TempDir(), "master.key"))
	})
}

func open(t *testing.T, path string) *localkey.KeyService {
	t.Helper()
	ks, err := localkey.Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	return ks
}

// sameKey checks that a key wrapped by a unwraps under b.
func sameKey(t *testing.T, a, b *localkey.KeyService) {
	t.Helper()
	ctx := context.Background()
	pt, wrapped, err := a.GenerateDataKey(ctx)
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	got, err := b.DecryptDataKey(ctx, wrapped)
	if err != nil || !bytes.Equal(got, pt) {
		t.Errorf("DecryptDataKey under the other KeyService = %x, %v; want the same key", got, err)
	}
}

func TestNew(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := localkey.New(make([]byte, n)); err == nil {
			t.Errorf("New(%d bytes) succeeded", n)
		}
	}
	ks, err := localkey.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, wrapped, err := ks.GenerateDataKey(context.Background())
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	if len(wrapped) != 65 || wrapped[0] != 1 || hex.EncodeToString(wrapped[1:5]) != ks.KeyID() {
		t.Errorf("wrapped key %x, want 65 bytes: version 1, key id %s, nonce, sealed key", wrapped, ks.KeyID())
	}
	other, err := localkey.New(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, err = other.DecryptDataKey(context.Background(), wrapped)
	if !errors.Is(err, secrets.ErrDecrypt) || !strings.Contains(err.Error(), ks.KeyID()) {
		t.Errorf("DecryptDataKey under another master key: error = %v, want ErrDecrypt naming key %s", err, ks.KeyID())
	}
}

func TestOpenCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "dir")
	path := filepath.Join(dir, "master.key")
	ks := open(t, path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatalf("Stat after Open: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("created key file has mode %#o, want 0600", fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	if _, err := hex.DecodeString(strings.TrimSuffix(string(data), "\n")); err != nil || len(data) != 65 {
		t.Errorf("created key file holds %q, want 64 hex characters and a newline", data)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("directory holds %v (%v), want only the key file", entries, err)
	}
	again := open(t, path)
	if again.KeyID() != ks.KeyID() {
		t.Errorf("reopened key id %s, want %s", again.KeyID(), ks.KeyID())
	}
	sameKey(t, ks, again)
	if after, _ := os.ReadFile(path); !bytes.Equal(after, data) {
		t.Errorf("reopening changed the key file")
	}
}

func TestOpenFormats(t *testing.T) {
	master := make([]byte, 32)
	rand.Read(master)
	want, err := localkey.New(master)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h := hex.EncodeToString(master)
	for name, content := range map[string][]byte{
		"raw":             master,
		"hex":             []byte(h),
		"hex newline":     []byte(h + "\n"),
		"upper hex crlf":  []byte(strings.ToUpper(h) + "\r\n"),
		"hex with spaces": []byte("  " + h + " \n"),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, content, 0o600); err != nil {
				t.Fatal(err)
			}
			ks := open(t, path)
			if ks.KeyID() != want.KeyID() {
				t.Errorf("key id %s, want %s", ks.KeyID(), want.KeyID())
			}
			sameKey(t, want, ks)
		})
	}
}

func TestOpenBadContent(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for name, content := range map[string]string{
		"empty":         "",
		"31 bytes":      strings.Repeat("k", 31),
		"33 bytes":      strings.Repeat("k", 33),
		"short hex":     h[:62] + "\n",
		"long hex":      h + "ab\n",
		"64 non-hex":    strings.Repeat("zz", 32),
		"two keys":      h + "\n" + h + "\n",
		"hex in quotes": `"` + h + `"`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "master.key")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := localkey.Open(path)
			if err == nil || !strings.Contains(err.Error(), path) {
				t.Errorf("Open of a key file holding %q: error = %v, want one naming the file", content, err)
			}
			if after, _ := os.ReadFile(path); string(after) != content {
				t.Errorf("Open changed a bad key file to %q", after)
			}
		})
	}
}

func TestOpenPermissions(t *testing.T) {
	key := []byte(strings.Repeat("ab", 32))
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o606, 0o700 | 0o070} {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, key, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := localkey.Open(path); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("Open of a key file with mode %#o: error = %v, want one naming the file", mode, err)
		}
	}
	for _, mode := range []os.FileMode{0o600, 0o400} {
		path := filepath.Join(t.TempDir(), "master.key")
		if err := os.WriteFile(path, key, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		open(t, path)
	}
}

func TestOpenNotAFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := localkey.Open(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Open of a directory: error = %v, want one naming it", err)
	}
}

// TestOpenConcurrent has several goroutines (standing for processes) create the same key file at once: they
// must all end up with the one key that is on disk.
func TestOpenConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "master.key")
	kss := make([]*localkey.KeyService, 8)
	var wg sync.WaitGroup
	for i := range kss {
		wg.Go(func() {
			ks, err := localkey.Open(path)
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			kss[i] = ks
		})
	}
	wg.Wait()
	final := open(t, path)
	for _, ks := range kss {
		if ks != nil && ks.KeyID() != final.KeyID() {
			t.Errorf("a concurrent Open got key %s, the file holds %s", ks.KeyID(), final.KeyID())
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key file", len(entries))
	}
}
