package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
)

// Run runs the conformance suite. newStore is called once per subtest, possibly from parallel subtests,
// and must return an empty store; it should register its own cleanup with t.Cleanup.
func Run(t *testing.T, newStore func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"PutGet", testPutGet},
		{"Versions", testVersions},
		{"DataCopied", testDataCopied},
		{"NotFound", testNotFound},
		{"Conditions", testConditions},
		{"AllOrNothing", testAllOrNothing},
		{"DuplicateKey", testDuplicateKey},
		{"OpCount", testOpCount},
		{"ItemSize", testItemSize},
		{"InvalidKeys", testInvalidKeys},
		{"InvalidOps", testInvalidOps},
		{"QueryOrder", testQueryOrder},
		{"QueryPrefix", testQueryPrefix},
		{"QueryPaging", testQueryPaging},
		{"QueryPagingChanges", testQueryPagingChanges},
		{"QueryLimit", testQueryLimit},
		{"ExpiresAt", testExpiresAt},
		{"ExpiryClock", testExpiryClock},
		{"ExpiredQuery", testExpiredQuery},
		{"Incr", testIncr},
		{"IncrConcurrent", testIncrConcurrent},
		{"ConcurrentConditional", testConcurrentConditional},
		{"ConcurrentCompareAndSwap", testConcurrentCompareAndSwap},
		{"ConcurrentTransfers", testConcurrentTransfers},
		{"Canceled", testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newStore(t))
		})
	}
}

func testPutGet(t *testing.T, s store.Store) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	tests := []struct {
		k    store.Key
		data []byte
	}{
		{key("p", "a"), []byte("hello")},
		{key("p", "b/c/d"), []byte(`{"json":true}`)},
		{key("p", "empty"), nil},
		{key("p", "binary"), binary},
		{key("other", "a"), []byte("same sort key, other partition")},
		{key("ünï/cödé", "日本/résumé"), []byte("unicode keys")},
		{key("sp ace", "tab\tnew\nline"), []byte("control characters")},
		{key(strings.Repeat("p", store.MaxKeyLen), strings.Repeat("é", store.MaxKeyLen/2)), []byte("longest keys")},
	}
	for _, tt := range tests {
		write(t, s, store.Op{Kind: store.Put, Item: store.Item{Key: tt.k, Data: tt.data}})
	}
	for _, tt := range tests {
		it := get(t, s, tt.k)
		if it.Version != 1 || !bytes.Equal(it.Data, tt.data) || !it.ExpiresAt.IsZero() {
			t.Errorf("Get(%q/%q) = version %d data %q expires %v, want version 1 data %q and no expiry",
				clip([]byte(tt.k.PK)), clip([]byte(tt.k.SK)), it.Version, clip(it.Data), it.ExpiresAt, clip(tt.data))
		}
	}
}

func testVersions(t *testing.T, s store.Store) {
	k := key("v", "k")
	for v := int64(1); v <= 3; v++ {
		put(t, s, "v", "k", "data")
		wantItem(t, s, k, v, "data")
	}
	// The store assigns versions: a version on the item is ignored.
	write(t, s, store.Op{Kind: store.Put, Item: store.Item{Key: k, Version: 42, Data: []byte("x")}})
	wantItem(t, s, k, 4, "x")
	// Checks and failed writes leave the version alone.
	write(t, s, store.Op{Kind: store.Check, Item: item("v", "k", ""), Cond: store.AtVersion, Version: 4})
	if err := s.Write(context.Background(), store.PutIf(item("v", "k", "y"), store.AtVersion, 3)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("Put at stale version 3: error = %v, want ErrConflict", err)
	}
	wantItem(t, s, k, 4, "x")
	// A put after a delete creates the item again: version 1.
	write(t, s, store.Op{Kind: store.Delete, Item: store.Item{Key: k}})
	wantAbsent(t, s, k)
	put(t, s, "v", "k", "again")
	wantItem(t, s, k, 1, "again")
	// Versions count per key.
	put(t, s, "v", "k2", "other")
	wantItem(t, s, key("v", "k2"), 1, "other")
	wantItem(t, s, k, 1, "again")
}

// testDataCopied checks that the store neither keeps the caller's slice nor hands out its own.
func testDataCopied(t *testing.T, s store.Store) {
	ctx := context.Background()
	buf := []byte("original")
	write(t, s, store.Op{Kind: store.Put, Item: store.Item{Key: key("c", "k"), Data: buf}})
	copy(buf, "mutated!")
	it := get(t, s, key("c", "k"))
	if string(it.Data) != "original" {
		t.Fatalf("after the caller changed its slice Get = %q, want %q", it.Data, "original")
	}
	copy(it.Data, "mutated!")
	wantItem(t, s, key("c", "k"), 1, "original")
	p, err := s.Query(ctx, "c", store.Query{})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("Query = %d items, error %v; want 1 item", len(p.Items), err)
	}
	copy(p.Items[0].Data, "mutated!")
	wantItem(t, s, key("c", "k"), 1, "original")
}

func testNotFound(t *testing.T, s store.Store) {
	put(t, s, "p", "a/b", "x")
	for _, k := range []store.Key{
		key("p", "missing"), key("p", "a"), key("p", "a/"), key("p", "a/b/c"), key("p", "a/bb"), key("p", "A/b"),
		key("q", "a/b"), key("P", "a/b"), key("pp", "a/b"),
	} {
		wantAbsent(t, s, k)
	}
	write(t, s, store.Op{Kind: store.Delete, Item: store.Item{Key: key("p", "a/b")}})
	wantAbsent(t, s, key("p", "a/b"))
	if p := query(t, s, "p", store.Query{}); len(p.Items) != 0 || p.Next != "" {
		t.Errorf("Query after the only item was deleted = %d items, next %q; want none", len(p.Items), p.Next)
	}
	if p := query(t, s, "never", store.Query{Desc: true}); len(p.Items) != 0 || p.Next != "" {
		t.Errorf("Query of an unknown partition = %d items, next %q; want none", len(p.Items), p.Next)
	}
	// Deleting nothing is not an error.
	write(t, s, store.Op{Kind: store.Delete, Item: store.Item{Key: key("p", "a/b")}})
	write(t, s, store.Op{Kind: store.Delete, Item: store.Item{Key: key("never", "existed")}})
}

// testCanceled checks that every method fails on a canceled context and that nothing is written.
func testCanceled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	put(t, s, "x", "there", "x")
	if _, err := s.Get(ctx, key("x", "there")); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with canceled context: error = %v, want context.Canceled", err)
	}
	if err := s.Write(ctx, putOp("x", "new", "y")); !errors.Is(err, context.Canceled) {
		t.Errorf("Write with canceled context: error = %v, want context.Canceled", err)
	}
	if _, err := s.Query(ctx, "x", store.Query{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Query with canceled context: error = %v, want context.Canceled", err)
	}
	if _, err := s.Incr(ctx, key("x", "counter"), 1); !errors.Is(err, context.Canceled) {
		t.Errorf("Incr with canceled context: error = %v, want context.Canceled", err)
	}
	wantAbsent(t, s, key("x", "new"))
	if n, err := s.Incr(context.Background(), key("x", "counter"), 1); err != nil || n != 1 {
		t.Errorf("Incr after a canceled Incr = %d, %v; want 1", n, err)
	}
}
