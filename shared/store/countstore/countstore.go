package countstore

import (
	"context"
	"sync/atomic"

	"github.com/caravan-ci/caravan/shared/store"
)

// Counts is a snapshot of a Store's counters. Every call counts, whether it succeeds or not.
type Counts struct {
	Gets         int64 // calls to Get
	Writes       int64 // calls to Write
	WrittenItems int64 // Put and Delete operations in calls to Write (Checks write nothing)
	Queries      int64 // calls to Query
	Incrs        int64 // calls to Incr
}

// Store is a store.Store that counts the calls it passes on. The zero value is not usable; call New.
type Store struct {
	s store.Store

	gets, writes, writtenItems, queries, incrs atomic.Int64
}

var _ store.Store = (*Store)(nil)

// New returns a Store passing every call on to s.
func New(s store.Store) *Store { return &Store{s: s} }

// Counts returns the counters' current values.
func (c *Store) Counts() Counts {
	return Counts{
		Gets:         c.gets.Load(),
		Writes:       c.writes.Load(),
		WrittenItems: c.writtenItems.Load(),
		Queries:      c.queries.Load(),
		Incrs:        c.incrs.Load(),
	}
}

// Get implements store.Store.
func (c *Store) Get(ctx context.Context, k store.Key) (store.Item, error) {
	c.gets.Add(1)
	return c.s.Get(ctx, k)
}

// Write implements store.Store.
func (c *Store) Write(ctx context.Context, ops ...store.Op) error {
	c.writes.Add(1)
	var n int64
	for _, op := range ops {
		if op.Kind != store.Check {
			n++
		}
	}
	c.writtenItems.Add(n)
	return c.s.Write(ctx, ops...)
}

// Query implements store.Store.
func (c *Store) Query(ctx context.Context, pk string, q store.Query) (store.Page, error) {
	c.queries.Add(1)
	return c.s.Query(ctx, pk, q)
}

// Incr implements store.Store.
func (c *Store) Incr(ctx context.Context, k store.Key, delta int64) (int64, error) {
	c.incrs.Add(1)
	return c.s.Incr(ctx, k, delta)
}
