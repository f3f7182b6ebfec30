package store

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrNotFound is returned (wrapped) by Get for a key that holds no live item.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict is returned (wrapped) by Write when a condition does not hold; nothing was written.
	ErrConflict = errors.New("store: condition failed")
	// ErrInvalid is returned (wrapped) for a malformed key, too many operations or an oversized item.
	ErrInvalid = errors.New("store: invalid request")
)

// Limits every adapter accepts, chosen to fit DynamoDB (400 KB items, 100-item transactions) and Firestore.
const (
	MaxOps      = 100
	MaxItemSize = 350 << 10 // bytes of Data
	MaxKeyLen   = 512       // bytes of a partition or sort key
)

// Key addresses an item: PK is its partition, SK its place in the partition's sort order (byte order).
// Both are non-empty valid UTF-8 without NUL bytes and at most MaxKeyLen bytes.
type Key struct {
	PK string `json:"pk"`
	SK string `json:"sk"`
}

// Item is a stored item. Version is assigned by the store: 1 on creation, +1 on every put. ExpiresAt, when not
// zero, makes the item disappear after that time (Get and Query stop returning it; adapters may delete it
// later, as DynamoDB's TTL does).
type Item struct {
	Key
	Version   int64     `json:"version"`
	Data      []byte    `json:"data"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// Cond is the condition an Op puts on the item currently at its key.
type Cond int

const (
	// Any writes whatever is there.
	Any Cond = iota
	// Absent requires that no live item exists at the key.
	Absent
	// AtVersion requires the live item to have exactly Op.Version.
	AtVersion
	// Exists requires a live item at the key, of any version.
	Exists
)

// OpKind is what an Op does.
type OpKind int

const (
	// Put writes Op.Item (its Version field is ignored: the store assigns it).
	Put OpKind = iota
	// Delete removes the item at Op.Item.Key; deleting nothing is not an error unless Cond says otherwise.
	Delete
	// Check only tests Cond; it writes nothing.
	Check
)

// Op is one operation of an atomic Write.
type Op struct {
	Kind    OpKind
	Item    Item
	Cond    Cond
	Version int64 // for Cond == AtVersion
}

// PutIf builds a Put with a condition.
func PutIf(it Item, c Cond, version int64) Op {
	return Op{Kind: Put, Item: it, Cond: c, Version: version}
}

// Query lists a partition. Prefix restricts sort keys to those starting with it; After (a Page's Next token)
// continues a listing; Limit caps the items returned (0 means 100; adapters cap it at 1000). Desc lists in
// descending sort-key order.
type Query struct {
	Prefix string
	After  string
	Limit  int
	Desc   bool
}

// Page is one page of a listing. Next is empty on the last page; otherwise pass it as Query.After.
type Page struct {
	Items []Item
	Next  string
}

// Store is the port.
//
// Concurrency: safe for concurrent use by many goroutines and, for shared backends, many processes.
// Consistency: Get and Query after a successful Write see it (strong consistency; DynamoDB adapters read
// consistently and keep listings in the base table, Firestore is strongly consistent).
// Idempotency: Write is all-or-nothing; retrying a Write whose outcome is unknown must be made safe by its
// conditions (callers write with Absent or AtVersion, so a retry either applies once or reports ErrConflict).
type Store interface {
	// Get returns the live item at k, or an error wrapping ErrNotFound.
	Get(ctx context.Context, k Key) (Item, error)
	// Write applies ops atomically: every condition holds and every op is applied, or an error wrapping
	// ErrConflict (a condition failed) or another error is returned and nothing changed. At most MaxOps ops,
	// each key at most once.
	Write(ctx context.Context, ops ...Op) error
	// Query lists the live items of partition pk in sort-key order.
	Query(ctx context.Context, pk string, q Query) (Page, error)
	// Incr atomically adds delta to the counter at k (created at 0) and returns the new value. Counters live
	// in their own keys: never Put or Query them.
	Incr(ctx context.Context, k Key, delta int64) (int64, error)
}
