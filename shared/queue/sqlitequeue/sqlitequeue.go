package sqlitequeue

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrClosed is returned (wrapped) by a Receive waiting when the Queue is closed.
var ErrClosed = errors.New("sqlitequeue: queue closed")

// DefaultPoll is how often a waiting Receive looks for messages sent by other processes by default.
const DefaultPoll = 200 * time.Millisecond

// busyTimeout bounds how long a statement waits for another process's write transaction.
const busyTimeout = 10 * time.Second

// Options configure a Queue. Zero values pick defaults.
type Options struct {
	// MaxAttempts is how many deliveries a message gets before it moves to the dead-letter topic
	// (default queue.DefaultMaxAttempts).
	MaxAttempts int
	// Poll is how often a waiting Receive re-checks the database for messages sent by other processes
	// (default DefaultPoll). Sends of the same Queue wake it at once.
	Poll time.Duration
	// Log receives warnings, such as messages moved to a dead-letter topic (default: discarded).
	Log *slog.Logger
}

// Queue is a queue.Queue over a SQLite file. Safe for concurrent use; several processes (or several Queue
// values) may open the same file.
type Queue struct {
	db          *sql.DB
	path        string
	maxAttempts int
	poll        time.Duration
	log         *slog.Logger

	wmu sync.Mutex // serializes this Queue's write transactions

	mu      sync.Mutex
	waiters map[string]chan struct{} // per topic, closed by notify
	closed  chan struct{}
	once    sync.Once
}

var _ queue.Queue = (*Queue)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS messages (
	id         INTEGER PRIMARY KEY,
	topic      TEXT    NOT NULL,
	msg_id     TEXT    NOT NULL,
	body       BLOB    NOT NULL,
	visible_at INTEGER NOT NULL, -- unix nanoseconds
	attempts   INTEGER NOT NULL DEFAULT 0,
	handle     TEXT
);
CREATE INDEX IF NOT EXISTS messages_topic_visible ON messages (topic, visible_at);
`

// Open opens (creating if needed) the queue database at path.
func Open(path string, opts Options) (*Queue, error) {
	if opts.MaxAttempts < 0 || opts.Poll < 0 {
		return nil, fmt.Errorf("sqlitequeue: open %s: options %+v: %w", path, opts, queue.ErrInvalid)
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = queue.DefaultMaxAttempts
	}
	if opts.Poll == 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: open %s: %w", path, err)
	}
	params := url.Values{}
	params.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	params.Add("_pragma", "journal_mode(WAL)")
	params.Add("_pragma", "synchronous(NORMAL)")
	params.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlitequeue: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	db.SetMaxIdleConns(4)
	ctx, cancel := context.WithTimeout(context.Background(), 2*busyTimeout)
	defer cancel()
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlitequeue: open %s: create schema: %w", path, err)
	}
	return &Queue{
		db: db, path: path, maxAttempts: opts.MaxAttempts, poll: opts.Poll, log: opts.Log.With("queue", path),
		waiters: map[string]chan struct{}{}, closed: make(chan struct{}),
	}, nil
}

// Close wakes the waiting Receives (they return ErrClosed) and closes the database.
func (q *Queue) Close() error {
	var err error
	q.once.Do(func() {
		close(q.closed)
		if cerr := q.db.Close(); cerr != nil {
			err = fmt.Errorf("sqlitequeue: close %s: %w", q.path, cerr)
		}
	})
	return err
}

// Depth counts topic's messages: visible ones (ready for delivery, including those about to move to the
// dead-letter topic) and in-flight ones (delivered, not acknowledged, still hidden). Messages whose first
// delivery is delayed are in neither count.
func (q *Queue) Depth(ctx context.Context, topic string) (visible, inflight int, err error) {
	if err := queue.ValidTopic(topic); err != nil {
		return 0, 0, fmt.Errorf("sqlitequeue: depth: %w", err)
	}
	err = q.db.QueryRowContext(ctx, `
		SELECT coalesce(sum(visible_at <= ?1), 0), coalesce(sum(visible_at > ?1 AND attempts > 0), 0)
		FROM messages WHERE topic = ?2`, time.Now().UnixNano(), topic).Scan(&visible, &inflight)
	if err != nil {
		return 0, 0, fmt.Errorf("sqlitequeue: depth of %s: %w", topic, err)
	}
	return visible, inflight, nil
}

// waiter returns a channel closed by the next notify of topic. Take it before looking at the database, so a
// Send committed after the look cannot be missed.
func (q *Queue) waiter(topic string) <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	ch, ok := q.waiters[topic]
	if !ok {
		ch = make(chan struct{})
		q.waiters[topic] = ch
	}
	return ch
}

// notify wakes the Receives of this Queue waiting on topic.
func (q *Queue) notify(topic string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if ch, ok := q.waiters[topic]; ok {
		close(ch)
		delete(q.waiters, topic)
	}
}

// write runs fn in one IMMEDIATE transaction, serialized with this Queue's other writes.
func (q *Queue) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	q.wmu.Lock()
	defer q.wmu.Unlock()
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
