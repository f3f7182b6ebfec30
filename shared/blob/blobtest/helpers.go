package blobtest

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/blob"
)

// longestKey is a valid key of blob.MaxKeyLen bytes made of 100-byte
// segments: file-system adapters cannot hold a single segment longer than a
// file name, so the suite keeps segments short.
var longestKey = func() string {
	seg := strings.Repeat("k", 99) + "/"
	k := strings.Repeat(seg, blob.MaxKeyLen/len(seg))
	return k + strings.Repeat("z", blob.MaxKeyLen-len(k))
}()

func put(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s blob.Store, key string) []byte {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("Get(%q): read: %v", key, err)
	}
	return data
}

func del(t *testing.T, s blob.Store, key string) {
	t.Helper()
	if err := s.Delete(context.Background(), key); err != nil {
		t.Fatalf("Delete(%q): %v", key, err)
	}
}

func list(t *testing.T, s blob.Store, prefix string) []blob.Object {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return objs
}

func keysOf(objs []blob.Object) []string {
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// clip shortens data for error messages.
func clip(data []byte) string {
	if len(data) > 64 {
		return string(data[:64]) + "…"
	}
	return string(data)
}
