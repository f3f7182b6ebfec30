package sqlitestore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/sqlitestore"
	"github.com/caravan-ci/caravan/shared/store/storetest"
)

// alternating spreads calls over several Stores on one file, as processes sharing it would.
type alternating struct {
	stores []*sqlitestore.Store
	n      atomic.Uint64
}

func (a *alternating) next() *sqlitestore.Store {
	return a.stores[a.n.Add(1)%uint64(len(a.stores))]
}

func (a *alternating) Get(ctx context.Context, k store.Key) (store.Item, error) {
	return a.next().Get(ctx, k)
}
func (a *alternating) Write(ctx context.Context, ops ...store.Op) error {
	return a.next().Write(ctx, ops...)
}
func (a *alternating) Query(ctx context.Context, pk string, q store.Query) (store.Page, error) {
	return a.next().Query(ctx, pk, q)
}
func (a *alternating) Incr(ctx context.Context, k store.Key, d int64) (int64, error) {
	return a.next().Incr(ctx, k, d)
}

// TestConformanceShared runs the suite with every call going to one of three Stores on the same file in
// turn: each sees the others' writes at once, and their conditional writes conflict.
func TestConformanceShared(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		path := filepath.Join(t.TempDir(), "store.db")
		return &alternating{stores: []*sqlitestore.Store{open(t, path), open(t, path), open(t, path)}}
	})
}

func TestTwoStores(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	a, b := open(t, path), open(t, path)
	k := store.Key{PK: "p", SK: "k"}
	if err := a.Write(ctx, store.PutIf(store.Item{Key: k, Data: []byte("from a")}, store.Absent, 0)); err != nil {
		t.Fatalf("a.Write: %v", err)
	}
	if it, err := b.Get(ctx, k); err != nil || string(it.Data) != "from a" || it.Version != 1 {
		t.Fatalf("b.Get = %+v, %v; want version 1 from a", it, err)
	}
	if err := b.Write(ctx, store.PutIf(store.Item{Key: k, Data: []byte("from b")}, store.AtVersion, 1)); err != nil {
		t.Fatalf("b.Write at version 1: %v", err)
	}
	err := a.Write(ctx, store.PutIf(store.Item{Key: k, Data: []byte("lost")}, store.AtVersion, 1))
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a.Write at stale version 1: error = %v, want ErrConflict", err)
	}
	if p, err := a.Query(ctx, "p", store.Query{}); err != nil || len(p.Items) != 1 ||
		string(p.Items[0].Data) != "from b" || p.Items[0].Version != 2 {
		t.Fatalf("a.Query = %+v, %v; want the item at version 2 from b", p.Items, err)
	}
	if n, err := a.Incr(ctx, k, 2); err != nil || n != 2 {
		t.Fatalf("a.Incr = %d, %v; want 2", n, err)
	}
	if n, err := b.Incr(ctx, k, 3); err != nil || n != 5 {
		t.Fatalf("b.Incr = %d, %v; want 5", n, err)
	}
}

func TestPersistence(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := sqlitestore.Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	k := store.Key{PK: "p", SK: "k"}
	later := time.Now().Add(time.Hour)
	for _, data := range []string{"one", "two"} {
		if err := s.Write(ctx, store.Op{Kind: store.Put, Item: store.Item{Key: k, Data: []byte(data), ExpiresAt: later}},
			store.Op{Kind: store.Put, Item: store.Item{Key: store.Key{PK: "p", SK: "gone"}, ExpiresAt: time.Unix(1, 0)}},
		); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if _, err := s.Incr(ctx, k, 7); err != nil {
		t.Fatalf("Incr: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.Get(ctx, k); err == nil {
		t.Errorf("Get after Close succeeded")
	}

	s = open(t, path)
	it, err := s.Get(ctx, k)
	if err != nil || string(it.Data) != "two" || it.Version != 2 || !it.ExpiresAt.Equal(later) {
		t.Fatalf("after reopening Get = %+v, %v; want version 2 %q expiring %v", it, err, "two", later)
	}
	if p, err := s.Query(ctx, "p", store.Query{}); err != nil || len(p.Items) != 1 {
		t.Fatalf("after reopening Query = %+v, %v; want one item", p.Items, err)
	}
	if n, err := s.Incr(ctx, k, 1); err != nil || n != 8 {
		t.Fatalf("after reopening Incr = %d, %v; want 8", n, err)
	}
	if err := s.Write(ctx, store.PutIf(store.Item{Key: k, Data: []byte("three")}, store.AtVersion, 2)); err != nil {
		t.Fatalf("after reopening Write at version 2: %v", err)
	}
}

func TestConcurrentOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			s, err := sqlitestore.Open(path)
			if err != nil {
				t.Errorf("concurrent Open: %v", err)
				return
			}
			defer s.Close()
			if _, err := s.Incr(context.Background(), store.Key{PK: "opened", SK: strconv.Itoa(i)}, 1); err != nil {
				t.Errorf("Incr on a store opened concurrently: %v", err)
			}
		})
	}
	wg.Wait()
}

const childEnv = "SQLITESTORE_TEST_CHILD_DB"

// TestMultiProcess has three processes (this one and two children running this test) add to one item with
// compare-and-swap loops and to one counter with Incr.
func TestMultiProcess(t *testing.T) {
	const each = 40
	if path := os.Getenv(childEnv); path != "" {
		if err := addMany(open(t, path), each); err != nil {
			t.Fatal(err)
		}
		return
	}
	if testing.Short() {
		t.Skip("starts processes")
	}
	path := filepath.Join(t.TempDir(), "store.db")
	s := open(t, path)
	if err := s.Write(context.Background(), store.Op{Kind: store.Put, Item: store.Item{Key: casKey, Data: []byte("0")}}); err != nil {
		t.Fatalf("Write: %v", err)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMultiProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+path)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child: %v\n%s", err, out)
			}
		})
	}
	if err := addMany(s, each); err != nil {
		t.Error(err)
	}
	wg.Wait()
	it, err := s.Get(context.Background(), casKey)
	if err != nil || string(it.Data) != strconv.Itoa(3*each) || it.Version != 3*each+1 {
		t.Errorf("after three processes added %d each: Get = version %d data %q, %v; want version %d data %d",
			each, it.Version, it.Data, err, 3*each+1, 3*each)
	}
	if n, err := s.Incr(context.Background(), casKey, 0); err != nil || n != 3*each {
		t.Errorf("after three processes added %d each: counter = %d, %v; want %d", each, n, err, 3*each)
	}
}

var casKey = store.Key{PK: "multi", SK: "n"}

// addMany adds n to the number at casKey, one compare-and-swap at a time, and n to its counter.
func addMany(s store.Store, n int) error {
	ctx := context.Background()
	for range n {
		if _, err := s.Incr(ctx, casKey, 1); err != nil {
			return fmt.Errorf("incr: %w", err)
		}
		for {
			it, err := s.Get(ctx, casKey)
			if err != nil {
				return fmt.Errorf("get: %w", err)
			}
			v, err := strconv.Atoi(string(it.Data))
			if err != nil {
				return fmt.Errorf("item holds %q: %w", it.Data, err)
			}
			op := store.PutIf(store.Item{Key: casKey, Data: []byte(strconv.Itoa(v + 1))}, store.AtVersion, it.Version)
			err = s.Write(ctx, op)
			if err == nil {
				break
			}
			if !errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("write: %w", err)
			}
		}
	}
	return nil
}
