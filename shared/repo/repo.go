package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/caravan-ci/caravan/shared/store"
)

// ErrNotFound is store.ErrNotFound, re-exported so services need not import the port for it.
var ErrNotFound = store.ErrNotFound

// Rec is a value read from the store with the version it was read at.
type Rec[T any] struct {
	V       T
	Key     store.Key
	Version int64
}

// Repo reads and writes aggregates. Safe for concurrent use.
type Repo struct {
	S    store.Store
	refs sync.Map // ref key → home key (refs are immutable)
}

// New returns a Repo over s.
func New(s store.Store) *Repo { return &Repo{S: s} }

// Get reads the item at k into a T.
func Get[T any](ctx context.Context, r *Repo, k store.Key) (Rec[T], error) {
	var rec Rec[T]
	it, err := r.S.Get(ctx, k)
	if err != nil {
		return rec, err
	}
	if err := json.Unmarshal(it.Data, &rec.V); err != nil {
		return rec, fmt.Errorf("decode %s/%s: %w", k.PK, k.SK, err)
	}
	rec.Key, rec.Version = k, it.Version
	return rec, nil
}

// List reads one page of partition pk into Ts.
func List[T any](ctx context.Context, r *Repo, pk string, q store.Query) ([]Rec[T], string, error) {
	p, err := r.S.Query(ctx, pk, q)
	if err != nil {
		return nil, "", err
	}
	out := make([]Rec[T], 0, len(p.Items))
	for _, it := range p.Items {
		rec := Rec[T]{Key: it.Key, Version: it.Version}
		if err := json.Unmarshal(it.Data, &rec.V); err != nil {
			return nil, "", fmt.Errorf("decode %s/%s: %w", it.PK, it.SK, err)
		}
		out = append(out, rec)
	}
	return out, p.Next, nil
}

// ListAll reads every item of partition pk (for bounded partitions: a workflow's jobs, a job's tasks).
func ListAll[T any](ctx context.Context, r *Repo, pk, prefix string) ([]Rec[T], error) {
	var all []Rec[T]
	q := store.Query{Prefix: prefix, Limit: 1000}
	for {
		page, next, err := List[T](ctx, r, pk, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		q.After = next
	}
}

// Put returns an op writing v at k under condition c (version for store.AtVersion).
func Put(k store.Key, v any, c store.Cond, version int64) store.Op {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("repo: encode %T: %v", v, err)) // domain types always encode
	}
	return store.Op{Kind: store.Put, Item: store.Item{Key: k, Data: b}, Cond: c, Version: version}
}

// Update returns an op writing rec's value back, conditional on the version it was read at.
func Update[T any](rec Rec[T]) store.Op { return Put(rec.Key, rec.V, store.AtVersion, rec.Version) }

// Create returns an op writing v at k only if nothing is there.
func Create(k store.Key, v any) store.Op { return Put(k, v, store.Absent, 0) }

type ref struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
}

// RefKey is where the ref of an entity of kind with id lives.
func RefKey(kind, id string) store.Key { return store.Key{PK: kind + "#" + id, SK: "ref"} }

// CreateRef returns an op creating the ref from kind/id to home.
func CreateRef(kind, id string, home store.Key) store.Op {
	return Create(RefKey(kind, id), ref{home.PK, home.SK})
}

// Resolve follows a ref to its home key.
func (r *Repo) Resolve(ctx context.Context, kind, id string) (store.Key, error) {
	rk := RefKey(kind, id)
	if v, ok := r.refs.Load(rk); ok {
		return v.(store.Key), nil
	}
	if id == "" {
		return store.Key{}, fmt.Errorf("%s with empty id: %w", kind, ErrNotFound)
	}
	rec, err := Get[ref](ctx, r, rk)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Key{}, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
		}
		return store.Key{}, err
	}
	home := store.Key{PK: rec.V.PK, SK: rec.V.SK}
	r.refs.Store(rk, home)
	return home, nil
}

// ByID reads the entity of kind with id through its ref.
func ByID[T any](ctx context.Context, r *Repo, kind, id string) (Rec[T], error) {
	k, err := r.Resolve(ctx, kind, id)
	if err != nil {
		return Rec[T]{}, err
	}
	rec, err := Get[T](ctx, r, k)
	if errors.Is(err, store.ErrNotFound) {
		return rec, fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	return rec, err
}

// Write applies ops atomically (store.Write).
func (r *Repo) Write(ctx context.Context, ops ...store.Op) error { return r.S.Write(ctx, ops...) }

// IsNotFound reports whether err wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err wraps store.ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
