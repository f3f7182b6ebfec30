package sqlitequeue_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/queuetest"
	"github.com/caravan-ci/caravan/shared/queue/sqlitequeue"
)

func open(t testing.TB, path string, opts sqlitequeue.Options) *sqlitequeue.Queue {
	t.Helper()
	q, err := sqlitequeue.Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		if err := q.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return q
}

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, maxAttempts int) queue.Queue {
		return open(t, filepath.Join(t.TempDir(), "queue.db"), sqlitequeue.Options{MaxAttempts: maxAttempts})
	})
}

func TestDurable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	q, err := sqlitequeue.Open(path, sqlitequeue.Options{})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	if err := q.Send(ctx, "jobs", queue.Message{ID: "a", Body: []byte("kept")}, queue.Message{ID: "b"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Max: 1, Visibility: time.Hour})
	if err != nil || len(ds) != 1 {
		t.Fatalf("Receive = %v, %v; want one delivery", ds, err)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{}); err == nil {
		t.Errorf("Receive after Close succeeded")
	}

	q = open(t, path, sqlitequeue.Options{})
	if err := q.Ack(ctx, ds[0]); err != nil { // the lease survives the restart
		t.Fatalf("Ack after reopening: %v", err)
	}
	got, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Visibility: time.Hour})
	if err != nil || len(got) != 1 {
		t.Fatalf("Receive after reopening = %v, %v; want the other message", got, err)
	}
	want := map[string]string{"a": "kept", "b": ""}
	if ds[0].ID == got[0].ID || string(got[0].Body) != want[got[0].ID] || got[0].Attempt != 1 {
		t.Errorf("after reopening received %+v, first delivery was %s", got[0], ds[0].ID)
	}
}

// TestTwoProcesses opens the file twice, as two processes would, and has both drain it concurrently: every
// message is delivered to exactly one of them. It also checks that a waiting Receive of one notices a Send
// of the other within the poll interval.
func TestTwoProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	qs := []*sqlitequeue.Queue{
		open(t, path, sqlitequeue.Options{Poll: 20 * time.Millisecond}),
		open(t, path, sqlitequeue.Options{Poll: 20 * time.Millisecond}),
	}
	const n = 300
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for i, q := range qs {
		for range 3 {
			wg.Go(func() {
				for {
					ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Wait: time.Second, Visibility: time.Minute})
					if err != nil {
						t.Errorf("queue %d: Receive: %v", i, err)
						return
					}
					if len(ds) == 0 {
						return
					}
					for _, d := range ds {
						mu.Lock()
						seen[d.ID]++
						mu.Unlock()
						if err := q.Ack(ctx, d); err != nil {
							t.Errorf("queue %d: Ack(%s): %v", i, d.ID, err)
						}
					}
				}
			})
		}
	}
	for i := range n {
		// Alternate senders: each queue's receivers see the other's sends only by polling.
		if err := qs[i%2].Send(ctx, "jobs", queue.Message{ID: fmt.Sprint(i)}); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d distinct messages delivered, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("message %s delivered %d times", id, c)
		}
	}
}

func TestDepth(t *testing.T) {
	ctx := context.Background()
	q := open(t, filepath.Join(t.TempDir(), "queue.db"), sqlitequeue.Options{})
	msgs := []queue.Message{{ID: "1"}, {ID: "2"}, {ID: "3"}, {ID: "later", Delay: time.Minute}}
	if err := q.Send(ctx, "jobs", msgs...); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if _, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Max: 1, Visibility: time.Minute}); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	visible, inflight, err := q.Depth(ctx, "jobs")
	if err != nil || visible != 2 || inflight != 1 {
		t.Errorf("Depth = %d visible, %d in flight, %v; want 2, 1, nil", visible, inflight, err)
	}
	if v, i, err := q.Depth(ctx, "other"); err != nil || v != 0 || i != 0 {
		t.Errorf("Depth(other) = %d, %d, %v; want 0, 0, nil", v, i, err)
	}
	if _, _, err := q.Depth(ctx, "bad topic"); !errors.Is(err, queue.ErrInvalid) {
		t.Errorf("Depth(bad topic) error = %v, want ErrInvalid", err)
	}
}

func TestSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	open(t, path, sqlitequeue.Options{})
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatalf("sql.Open: %v", err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var plan string
	var id, parent, unused int
	err = db.QueryRow(`EXPLAIN QUERY PLAN SELECT id FROM messages WHERE topic = 'a' AND visible_at <= 1
		ORDER BY visible_at, id LIMIT 10`).Scan(&id, &parent, &unused, &plan)
	if err != nil || !strings.Contains(plan, "messages_topic_visible") {
		t.Errorf("query plan %q, %v; want a search of messages_topic_visible", plan, err)
	}
}

func TestOpenInvalid(t *testing.T) {
	dir := t.TempDir()
	for _, o := range []sqlitequeue.Options{{MaxAttempts: -1}, {Poll: -time.Second}} {
		if _, err := sqlitequeue.Open(filepath.Join(dir, "q.db"), o); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("Open(%+v) error = %v, want ErrInvalid", o, err)
		}
	}
	if _, err := sqlitequeue.Open(filepath.Join(dir, "missing", "dir", "q.db"), sqlitequeue.Options{}); err == nil {
		t.Errorf("Open in a missing directory succeeded")
	}
}
