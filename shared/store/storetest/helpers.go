package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
)

// expiryPrecision is how far an adapter may move ExpiresAt (DynamoDB's TTL keeps whole seconds).
const expiryPrecision = time.Second

func key(pk, sk string) store.Key { return store.Key{PK: pk, SK: sk} }

func item(pk, sk, data string) store.Item {
	return store.Item{Key: key(pk, sk), Data: []byte(data)}
}

func putOp(pk, sk, data string) store.Op { return store.Op{Kind: store.Put, Item: item(pk, sk, data)} }

// put writes data at pk/sk unconditionally.
func put(t *testing.T, s store.Store, pk, sk, data string) {
	t.Helper()
	write(t, s, putOp(pk, sk, data))
}

// write applies ops and fails the test on error.
func write(t *testing.T, s store.Store, ops ...store.Op) {
	t.Helper()
	if err := s.Write(context.Background(), ops...); err != nil {
		t.Fatalf("Write(%s): %v", describe(ops), err)
	}
}

// putMany writes n items sk = fmt.Sprintf(format, i) in writes of store.MaxOps operations.
func putMany(t *testing.T, s store.Store, pk, format string, n int) []string {
	t.Helper()
	var sks []string
	var ops []store.Op
	for i := range n {
		sk := fmt.Sprintf(format, i)
		sks = append(sks, sk)
		ops = append(ops, putOp(pk, sk, "v:"+sk))
		if len(ops) == store.MaxOps || i == n-1 {
			write(t, s, ops...)
			ops = nil
		}
	}
	return sks
}

func get(t *testing.T, s store.Store, k store.Key) store.Item {
	t.Helper()
	it, err := s.Get(context.Background(), k)
	if err != nil {
		t.Fatalf("Get(%q/%q): %v", k.PK, k.SK, err)
	}
	if it.Key != k {
		t.Errorf("Get(%q/%q) returned key %q/%q", k.PK, k.SK, it.PK, it.SK)
	}
	return it
}

// wantItem checks the live item at k: its version and data.
func wantItem(t *testing.T, s store.Store, k store.Key, version int64, data string) {
	t.Helper()
	it := get(t, s, k)
	if it.Version != version || !bytes.Equal(it.Data, []byte(data)) {
		t.Errorf("Get(%q/%q) = version %d data %q, want version %d data %q", k.PK, k.SK, it.Version,
			clip(it.Data), version, clip([]byte(data)))
	}
}

// wantAbsent checks that no live item is at k.
func wantAbsent(t *testing.T, s store.Store, k store.Key) {
	t.Helper()
	it, err := s.Get(context.Background(), k)
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get(%q/%q) = version %d data %q, error %v; want ErrNotFound", k.PK, k.SK, it.Version,
			clip(it.Data), err)
	}
}

func query(t *testing.T, s store.Store, pk string, q store.Query) store.Page {
	t.Helper()
	p, err := s.Query(context.Background(), pk, q)
	if err != nil {
		t.Fatalf("Query(%q, %+v): %v", pk, q, err)
	}
	return p
}

// queryAll follows Next from q.After to the end and returns every item and the number of pages. It checks
// that pages respect the page size, that Next moves on, and that every item is in pk. (A page may be empty
// and still have a Next, as DynamoDB's are when a filter drops expired items; testQueryPaging counts pages
// where nothing has expired.)
func queryAll(t *testing.T, s store.Store, pk string, q store.Query) ([]store.Item, int) {
	t.Helper()
	var all []store.Item
	for pages := 1; ; pages++ {
		p := query(t, s, pk, q)
		if len(p.Items) > q.PageSize() {
			t.Fatalf("Query(%q, %+v) page %d has %d items, want at most %d", pk, q, pages, len(p.Items),
				q.PageSize())
		}
		for _, it := range p.Items {
			if it.PK != pk {
				t.Fatalf("Query(%q, %+v) returned an item of partition %q", pk, q, it.PK)
			}
		}
		all = append(all, p.Items...)
		if p.Next == "" {
			return all, pages
		}
		if p.Next == q.After {
			t.Fatalf("Query(%q, %+v) page %d returned its own After as Next", pk, q, pages)
		}
		if pages > 2000 {
			t.Fatalf("Query(%q, %+v): still paging after %d pages", pk, q, pages)
		}
		q.After = p.Next
	}
}

func sortKeys(items []store.Item) []string {
	var sks []string
	for _, it := range items {
		sks = append(sks, it.SK)
	}
	return sks
}

func reversed(s []string) []string {
	var r []string
	for i := len(s) - 1; i >= 0; i-- {
		r = append(r, s[i])
	}
	return r
}

// describe names ops for failure messages.
func describe(ops []store.Op) string {
	if len(ops) > 3 {
		return fmt.Sprintf("%d ops on %q/%q…", len(ops), ops[0].Item.PK, ops[0].Item.SK)
	}
	var b bytes.Buffer
	for i, op := range ops {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %q/%q if %s", kindName(op.Kind), clip([]byte(op.Item.PK)), clip([]byte(op.Item.SK)),
			condName(op.Cond, op.Version))
	}
	return b.String()
}

func kindName(k store.OpKind) string {
	switch k {
	case store.Put:
		return "Put"
	case store.Delete:
		return "Delete"
	case store.Check:
		return "Check"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

func condName(c store.Cond, version int64) string {
	switch c {
	case store.Any:
		return "Any"
	case store.Absent:
		return "Absent"
	case store.AtVersion:
		return fmt.Sprintf("AtVersion(%d)", version)
	case store.Exists:
		return "Exists"
	}
	return fmt.Sprintf("Cond(%d)", c)
}

// clip shortens data for failure messages.
func clip(data []byte) string {
	if len(data) > 48 {
		return string(data[:48]) + "…"
	}
	return string(data)
}
