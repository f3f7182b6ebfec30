package memstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/store"
)

// Store is an in-memory store.Store. The zero value is not usable; call New.
type Store struct {
	now func() time.Time

	mu         sync.Mutex
	partitions map[string]*partition
	counters   map[store.Key]int64
}

// partition holds one partition's items and its sort keys in byte order.
type partition struct {
	items map[string]store.Item
	keys  []string
}

var _ store.Store = (*Store)(nil)

// New returns an empty Store.
func New() *Store {
	return &Store{now: time.Now, partitions: map[string]*partition{}, counters: map[store.Key]int64{}}
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, k store.Key) (store.Item, error) {
	if err := store.ValidKey(k); err != nil {
		return store.Item{}, fmt.Errorf("memstore get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return store.Item{}, fmt.Errorf("memstore get %q/%q: %w", k.PK, k.SK, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.live(k, s.now())
	if !ok {
		return store.Item{}, fmt.Errorf("memstore get %q/%q: %w", k.PK, k.SK, store.ErrNotFound)
	}
	return clone(it), nil
}

// Write implements store.Store.
func (s *Store) Write(ctx context.Context, ops ...store.Op) error {
	if err := store.ValidOps(ops); err != nil {
		return fmt.Errorf("memstore write: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memstore write: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	versions := make([]int64, len(ops)) // version of the live item at each op's key, 0 if none
	for i, op := range ops {
		cur, ok := s.live(op.Item.Key, now)
		if ok {
			versions[i] = cur.Version
		}
		if !holds(op, cur, ok) {
			return fmt.Errorf("memstore write: op %d on %q/%q: %w", i, op.Item.PK, op.Item.SK, store.ErrConflict)
		}
	}
	for i, op := range ops {
		switch op.Kind {
		case store.Put:
			it := clone(op.Item)
			it.Version = versions[i] + 1
			s.put(it)
		case store.Delete:
			s.delete(op.Item.Key)
		}
	}
	return nil
}

// holds reports whether op's condition holds for the item cur, live when ok.
func holds(op store.Op, cur store.Item, ok bool) bool {
	switch op.Cond {
	case store.Absent:
		return !ok
	case store.AtVersion:
		return ok && cur.Version == op.Version
	case store.Exists:
		return ok
	}
	return true
}

// Query implements store.Store.
func (s *Store) Query(ctx context.Context, pk string, q store.Query) (store.Page, error) {
	if err := store.ValidKey(store.Key{PK: pk, SK: "-"}); err != nil {
		return store.Page{}, fmt.Errorf("memstore query: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return store.Page{}, fmt.Errorf("memstore query %q: %w", pk, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.partitions[pk]
	if p == nil {
		return store.Page{}, nil
	}
	now, size := s.now(), q.PageSize()
	var page store.Page
	for i, step := start(p.keys, q); i >= 0 && i < len(p.keys); i += step {
		sk := p.keys[i]
		if !strings.HasPrefix(sk, q.Prefix) {
			break // left the prefix's range, which is contiguous in sort order
		}
		it := p.items[sk]
		if expired(it, now) {
			continue
		}
		if len(page.Items) == size {
			page.Next = page.Items[size-1].SK
			break
		}
		page.Items = append(page.Items, clone(it))
	}
	return page, nil
}

// start returns the index of the first sort key a query visits and the direction it walks in.
func start(keys []string, q store.Query) (int, int) {
	if !q.Desc {
		i, _ := slices.BinarySearch(keys, q.Prefix)
		if q.After != "" && q.After >= q.Prefix {
			i, _ = slices.BinarySearch(keys, q.After+"\x00") // the first key > After
		}
		return i, 1
	}
	i := len(keys)
	if q.Prefix != "" {
		// Keys with the prefix sort below the prefix followed by the greatest possible continuation.
		i, _ = slices.BinarySearch(keys, q.Prefix+"\xff")
	}
	if q.After != "" {
		if j, _ := slices.BinarySearch(keys, q.After); j < i {
			i = j
		}
	}
	return i - 1, -1
}

// Incr implements store.Store.
func (s *Store) Incr(ctx context.Context, k store.Key, delta int64) (int64, error) {
	if err := store.ValidKey(k); err != nil {
		return 0, fmt.Errorf("memstore incr: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("memstore incr %q/%q: %w", k.PK, k.SK, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counters[k] += delta
	return s.counters[k], nil
}

// live returns the item at k unless it is missing or expired. The caller holds s.mu.
func (s *Store) live(k store.Key, now time.Time) (store.Item, bool) {
	p := s.partitions[k.PK]
	if p == nil {
		return store.Item{}, false
	}
	it, ok := p.items[k.SK]
	if !ok || expired(it, now) {
		return store.Item{}, false
	}
	return it, true
}

// put stores it, which the store owns from now on. The caller holds s.mu.
func (s *Store) put(it store.Item) {
	p := s.partitions[it.PK]
	if p == nil {
		p = &partition{items: map[string]store.Item{}}
		s.partitions[it.PK] = p
	}
	if _, ok := p.items[it.SK]; !ok {
		i, _ := slices.BinarySearch(p.keys, it.SK)
		p.keys = slices.Insert(p.keys, i, it.SK)
	}
	p.items[it.SK] = it
}

// delete removes the item at k, live or expired. The caller holds s.mu.
func (s *Store) delete(k store.Key) {
	p := s.partitions[k.PK]
	if p == nil {
		return
	}
	if _, ok := p.items[k.SK]; !ok {
		return
	}
	delete(p.items, k.SK)
	i, _ := slices.BinarySearch(p.keys, k.SK)
	p.keys = slices.Delete(p.keys, i, i+1)
	if len(p.keys) == 0 {
		delete(s.partitions, k.PK)
	}
}

func expired(it store.Item, now time.Time) bool {
	return !it.ExpiresAt.IsZero() && !now.Before(it.ExpiresAt)
}

func clone(it store.Item) store.Item {
	it.Data = bytes.Clone(it.Data)
	return it
}
