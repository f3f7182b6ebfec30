package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/caravan-ci/caravan/shared/store"
)

func testIncr(t *testing.T, s store.Store) {
	ctx := context.Background()
	k := key("ctr", "jobs")
	for _, step := range []struct{ delta, want int64 }{{1, 1}, {1, 2}, {5, 7}, {-3, 4}, {0, 4}, {-10, -6}} {
		if got, err := s.Incr(ctx, k, step.delta); err != nil || got != step.want {
			t.Errorf("Incr(%d) = %d, %v; want %d", step.delta, got, err, step.want)
		}
	}
	for _, other := range []store.Key{key("ctr", "runs"), key("ctr2", "jobs"), key("jobs", "ctr")} {
		if got, err := s.Incr(ctx, other, 0); err != nil || got != 0 {
			t.Errorf("Incr(%q/%q, 0) of a new counter = %d, %v; want 0", other.PK, other.SK, got, err)
		}
		if got, err := s.Incr(ctx, other, 3); err != nil || got != 3 {
			t.Errorf("Incr(%q/%q, 3) = %d, %v; want 3", other.PK, other.SK, got, err)
		}
	}
	if got, err := s.Incr(ctx, k, 0); err != nil || got != -6 {
		t.Errorf("Incr(0) after other counters moved = %d, %v; want -6", got, err)
	}
}

// testIncrConcurrent increments one counter from 20 goroutines: every call gets its own value.
func testIncrConcurrent(t *testing.T, s store.Store) {
	const goroutines, each = 20, 5
	ctx := context.Background()
	k := key("ctr", "race")
	var mu sync.Mutex
	var got []int64
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				n, err := s.Incr(ctx, k, 1)
				if err != nil {
					t.Errorf("concurrent Incr: %v", err)
					return
				}
				mu.Lock()
				got = append(got, n)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	slices.Sort(got)
	for i, n := range got {
		if n != int64(i+1) {
			t.Fatalf("concurrent Incr values, sorted = %v, want 1 to %d, each once", got, goroutines*each)
		}
	}
	if n, err := s.Incr(ctx, k, 0); err != nil || n != goroutines*each {
		t.Errorf("Incr(0) after the race = %d, %v; want %d", n, err, goroutines*each)
	}
}

// race runs op from n goroutines at once and returns how many succeeded; every failure must be a conflict.
func race(t *testing.T, n int, op func(i int) error) int {
	t.Helper()
	var wins atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			switch err := op(i); {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, store.ErrConflict):
				t.Errorf("racing write %d: error = %v, want success or ErrConflict", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return int(wins.Load())
}

// testConcurrentConditional races 20 writers with the same condition on one key: exactly one wins.
func testConcurrentConditional(t *testing.T, s store.Store) {
	const writers = 20
	ctx := context.Background()
	k := key("race", "k")
	var winner atomic.Int32
	create := func(i int) error {
		err := s.Write(ctx, store.PutIf(item(k.PK, k.SK, strconv.Itoa(i)), store.Absent, 0))
		if err == nil {
			winner.Store(int32(i))
		}
		return err
	}
	if wins := race(t, writers, create); wins != 1 {
		t.Fatalf("%d racing creations succeeded, want 1", wins)
	}
	wantItem(t, s, k, 1, strconv.Itoa(int(winner.Load())))
	for v := int64(1); v <= 4; v++ {
		update := func(i int) error {
			err := s.Write(ctx, store.PutIf(item(k.PK, k.SK, strconv.Itoa(i)), store.AtVersion, v))
			if err == nil {
				winner.Store(int32(i))
			}
			return err
		}
		if wins := race(t, writers, update); wins != 1 {
			t.Fatalf("%d racing updates at version %d succeeded, want 1", wins, v)
		}
		wantItem(t, s, k, v+1, strconv.Itoa(int(winner.Load())))
	}
	del := func(int) error {
		return s.Write(ctx, store.Op{Kind: store.Delete, Item: store.Item{Key: k}, Cond: store.AtVersion, Version: 5})
	}
	if wins := race(t, writers, del); wins != 1 {
		t.Fatalf("%d racing deletes succeeded, want 1", wins)
	}
	wantAbsent(t, s, k)
}

// testConcurrentCompareAndSwap keeps a number in an item and has goroutines add to it with
// read-modify-write loops conditioned on the version: no increment may be lost.
func testConcurrentCompareAndSwap(t *testing.T, s store.Store) {
	const goroutines, each = 8, 10
	ctx := context.Background()
	k := key("cas", "n")
	put(t, s, k.PK, k.SK, "0")
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for range each {
				if err := addOne(ctx, s, k); err != nil {
					t.Errorf("compare-and-swap: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	wantItem(t, s, k, goroutines*each+1, strconv.Itoa(goroutines*each))
}

func addOne(ctx context.Context, s store.Store, k store.Key) error {
	for {
		it, err := s.Get(ctx, k)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(it.Data))
		if err != nil {
			return fmt.Errorf("item holds %q: %w", it.Data, err)
		}
		err = s.Write(ctx, store.PutIf(item(k.PK, k.SK, strconv.Itoa(n+1)), store.AtVersion, it.Version))
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
	}
}

// testConcurrentTransfers moves units between accounts in two partitions with two-item conditional writes:
// however they interleave, no unit is created or lost, and every successful transfer bumps both versions.
func testConcurrentTransfers(t *testing.T, s store.Store) {
	const goroutines, each, accounts = 6, 8, 4
	ctx := context.Background()
	acct := func(i int) store.Key {
		i %= accounts
		return key(fmt.Sprintf("acct%d", i%2), fmt.Sprintf("a%d", i))
	}
	for i := range accounts {
		put(t, s, acct(i).PK, acct(i).SK, "100")
	}
	var done atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for j := range each {
				from, to := acct(g+j), acct(g+j+1+g%2)
				for {
					a, errA := s.Get(ctx, from)
					b, errB := s.Get(ctx, to)
					if err := errors.Join(errA, errB); err != nil {
						t.Errorf("transfer: %v", err)
						return
					}
					na, _ := strconv.Atoi(string(a.Data))
					nb, _ := strconv.Atoi(string(b.Data))
					err := s.Write(ctx,
						store.PutIf(item(from.PK, from.SK, strconv.Itoa(na-1)), store.AtVersion, a.Version),
						store.PutIf(item(to.PK, to.SK, strconv.Itoa(nb+1)), store.AtVersion, b.Version))
					if err == nil {
						done.Add(1)
						break
					}
					if !errors.Is(err, store.ErrConflict) {
						t.Errorf("transfer: %v", err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	var sum, versions int64
	for i := range accounts {
		it := get(t, s, acct(i))
		n, _ := strconv.Atoi(string(it.Data))
		sum += int64(n)
		versions += it.Version - 1
	}
	if sum != 100*accounts || versions != 2*done.Load() || done.Load() != goroutines*each {
		t.Errorf("after %d transfers: sum %d, version increments %d; want %d transfers, sum %d, %d increments",
			done.Load(), sum, versions, goroutines*each, 100*accounts, 2*goroutines*each)
	}
}
