package countstore_test

import (
	"context"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/countstore"
	"github.com/caravan-ci/caravan/shared/store/memstore"
	"github.com/caravan-ci/caravan/shared/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return countstore.New(memstore.New()) })
}

func TestCounts(t *testing.T) {
	ctx := context.Background()
	s := countstore.New(memstore.New())
	k := store.Key{PK: "p", SK: "k"}
	if err := s.Write(ctx,
		store.Op{Kind: store.Put, Item: store.Item{Key: k}},
		store.Op{Kind: store.Delete, Item: store.Item{Key: store.Key{PK: "p", SK: "gone"}}},
		store.Op{Kind: store.Check, Item: store.Item{Key: store.Key{PK: "p", SK: "x"}}},
	); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := s.Write(ctx, store.PutIf(store.Item{Key: k}, store.Absent, 0)); err == nil {
		t.Fatalf("conflicting Write succeeded")
	}
	for range 3 {
		if _, err := s.Get(ctx, k); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
	if _, err := s.Query(ctx, "p", store.Query{}); err != nil {
		t.Fatalf("Query: %v", err)
	}
	for range 2 {
		if _, err := s.Incr(ctx, k, 1); err != nil {
			t.Fatalf("Incr: %v", err)
		}
	}
	want := countstore.Counts{Gets: 3, Writes: 2, WrittenItems: 3, Queries: 1, Incrs: 2}
	if got := s.Counts(); got != want {
		t.Errorf("Counts() = %+v, want %+v", got, want)
	}
}
