package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
)

func testDuplicateKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	put(t, s, "d", "k", "old")
	for _, ops := range [][]store.Op{
		{putOp("d", "new", "n"), putOp("d", "k", "a"), putOp("d", "k", "b")},
		{putOp("d", "new", "n"), putOp("d", "k", "a"), {Kind: store.Delete, Item: store.Item{Key: key("d", "k")}}},
		{{Kind: store.Check, Item: store.Item{Key: key("d", "k")}, Cond: store.Exists}, putOp("d", "k", "a"),
			putOp("d", "new", "n")},
	} {
		if err := s.Write(ctx, ops...); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Write(%s): error = %v, want ErrInvalid", describe(ops), err)
		}
	}
	wantItem(t, s, key("d", "k"), 1, "old")
	wantAbsent(t, s, key("d", "new"))
	// The same sort key in another partition, or the same partition key as a sort key, is another item.
	write(t, s, putOp("d", "k", "a"), putOp("e", "k", "b"), putOp("k", "d", "c"))
	wantItem(t, s, key("d", "k"), 2, "a")
	wantItem(t, s, key("e", "k"), 1, "b")
	wantItem(t, s, key("k", "d"), 1, "c")
}

func testOpCount(t *testing.T, s store.Store) {
	ctx := context.Background()
	if err := s.Write(ctx); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Write of no ops: error = %v, want ErrInvalid", err)
	}
	ops := func(n int) []store.Op {
		var ops []store.Op
		for i := range n {
			ops = append(ops, putOp("n", fmt.Sprintf("%03d", i), "x"))
		}
		return ops
	}
	if err := s.Write(ctx, ops(store.MaxOps+1)...); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Write of %d ops: error = %v, want ErrInvalid", store.MaxOps+1, err)
	}
	if items, _ := queryAll(t, s, "n", store.Query{}); len(items) != 0 {
		t.Errorf("after a rejected write of %d ops Query = %d items, want none", store.MaxOps+1, len(items))
	}
	write(t, s, ops(store.MaxOps)...)
	if items, _ := queryAll(t, s, "n", store.Query{}); len(items) != store.MaxOps {
		t.Errorf("after a write of %d ops Query = %d items, want %d", store.MaxOps, len(items), store.MaxOps)
	}
}

func testItemSize(t *testing.T, s store.Store) {
	ctx := context.Background()
	largest := strings.Repeat("x", store.MaxItemSize-1) + "y"
	put(t, s, "big", "largest", largest)
	wantItem(t, s, key("big", "largest"), 1, largest)
	ops := []store.Op{putOp("big", "small", "x"), putOp("big", "over", largest+"z")}
	if err := s.Write(ctx, ops...); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Write of a %d-byte item: error = %v, want ErrInvalid", store.MaxItemSize+1, err)
	}
	wantAbsent(t, s, key("big", "over"))
	wantAbsent(t, s, key("big", "small"))
	// Only a Put's data counts: data on a Delete or Check is ignored.
	write(t, s, store.Op{Kind: store.Check, Item: item("big", "largest", largest+"z"), Cond: store.Exists})
	write(t, s, store.Op{Kind: store.Delete, Item: item("big", "largest", largest+"z")})
	wantAbsent(t, s, key("big", "largest"))
}

func testInvalidKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	long := strings.Repeat("k", store.MaxKeyLen+1)
	longRunes := strings.Repeat("é", store.MaxKeyLen/2) + "k"
	keys := []store.Key{
		{}, key("", "sk"), key("pk", ""), key("p\x00k", "sk"), key("pk", "s\x00k"), key("\xff", "sk"),
		key("pk", "a\xc3"), key("pk", "\xed\xa0\x80"), key(long, "sk"), key("pk", long), key("pk", longRunes),
	}
	for _, k := range keys {
		name := fmt.Sprintf("%q/%q", clip([]byte(k.PK)), clip([]byte(k.SK)))
		if _, err := s.Get(ctx, k); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Get(%s): error = %v, want ErrInvalid", name, err)
		}
		for _, kind := range []store.OpKind{store.Put, store.Delete, store.Check} {
			ops := []store.Op{putOp("valid", "k", "x"), {Kind: kind, Item: store.Item{Key: k, Data: []byte("x")}}}
			if err := s.Write(ctx, ops...); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Write(%s): error = %v, want ErrInvalid", describe(ops), err)
			}
		}
		if _, err := s.Incr(ctx, k, 1); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Incr(%s): error = %v, want ErrInvalid", name, err)
		}
		if store.ValidKey(key(k.PK, "sk")) != nil {
			if _, err := s.Query(ctx, k.PK, store.Query{}); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("Query(%q): error = %v, want ErrInvalid", clip([]byte(k.PK)), err)
			}
		}
	}
	wantAbsent(t, s, key("valid", "k"))
}

func testInvalidOps(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, op := range []store.Op{
		{Kind: store.Check + 1, Item: item("o", "k", "x")},
		{Kind: -1, Item: item("o", "k", "x")},
		{Kind: store.Put, Item: item("o", "k", "x"), Cond: store.Exists + 1},
		{Kind: store.Delete, Item: item("o", "k", "x"), Cond: -1},
	} {
		ops := []store.Op{putOp("o", "other", "x"), op}
		if err := s.Write(ctx, ops...); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("Write(%s): error = %v, want ErrInvalid", describe(ops), err)
		}
	}
	wantAbsent(t, s, key("o", "other"))
	wantAbsent(t, s, key("o", "k"))
}
