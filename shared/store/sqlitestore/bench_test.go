package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
)

// BenchmarkWrite measures one conditional put: an update of one item at its current version.
func BenchmarkWrite(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "store.db"))
	it := store.Item{Key: store.Key{PK: "bench", SK: "item"}, Data: make([]byte, 512)}
	if err := s.Write(ctx, store.PutIf(it, store.Absent, 0)); err != nil {
		b.Fatalf("Write: %v", err)
	}
	version := int64(1)
	for b.Loop() {
		if err := s.Write(ctx, store.PutIf(it, store.AtVersion, version)); err != nil {
			b.Fatalf("Write: %v", err)
		}
		version++
	}
}

// BenchmarkGet measures a read of one item by key.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "store.db"))
	it := store.Item{Key: store.Key{PK: "bench", SK: "item"}, Data: make([]byte, 512)}
	if err := s.Write(ctx, store.Op{Kind: store.Put, Item: it}); err != nil {
		b.Fatalf("Write: %v", err)
	}
	for b.Loop() {
		if _, err := s.Get(ctx, it.Key); err != nil {
			b.Fatalf("Get: %v", err)
		}
	}
}
