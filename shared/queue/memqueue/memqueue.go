package memqueue

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

// Queue is an in-memory queue.Queue. The zero value is not usable; call New.
type Queue struct {
	maxAttempts int

	mu      sync.Mutex
	seq     uint64
	topics  map[string]*topic
	handles map[string]*message
}

type topic struct {
	msgs    []*message    // in send order
	changed chan struct{} // closed and replaced when a message may have become visible
}

type message struct {
	seq       uint64
	topic     string
	id        string
	body      []byte // never modified once stored
	visibleAt time.Time
	attempts  int
	handle    string
}

var _ queue.Queue = (*Queue)(nil)

// New returns an empty Queue that moves a message to its dead-letter topic after maxAttempts deliveries
// (queue.DefaultMaxAttempts if maxAttempts <= 0).
func New(maxAttempts int) *Queue {
	if maxAttempts <= 0 {
		maxAttempts = queue.DefaultMaxAttempts
	}
	return &Queue{maxAttempts: maxAttempts, topics: map[string]*topic{}, handles: map[string]*message{}}
}

// Send enqueues msgs on topic name, after checking all of them.
func (q *Queue) Send(ctx context.Context, name string, msgs ...queue.Message) error {
	if err := queue.ValidTopic(name); err != nil {
		return fmt.Errorf("memqueue: send: %w", err)
	}
	for i, m := range msgs {
		if err := queue.ValidMessage(m); err != nil {
			return fmt.Errorf("memqueue: send to %s: message %d (%q): %w", name, i, m.ID, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("memqueue: send to %s: %w", name, err)
	}
	if len(msgs) == 0 {
		return nil
	}
	now := time.Now()
	q.mu.Lock()
	defer q.mu.Unlock()
	tp := q.topic(name)
	for _, m := range msgs {
		q.seq++
		tp.msgs = append(tp.msgs, &message{
			seq: q.seq, topic: name, id: m.ID, body: slices.Clone(m.Body), visibleAt: now.Add(m.Delay),
		})
	}
	tp.notify()
	return nil
}

// Receive claims up to o.Max visible messages of topic name, waiting up to o.Wait for the first one.
func (q *Queue) Receive(ctx context.Context, name string, o queue.ReceiveOptions) ([]queue.Delivery, error) {
	if err := queue.ValidTopic(name); err != nil {
		return nil, fmt.Errorf("memqueue: receive: %w", err)
	}
	o, err := o.Normalize()
	if err != nil {
		return nil, fmt.Errorf("memqueue: receive from %s: %w", name, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("memqueue: receive from %s: %w", name, err)
	}
	deadline := time.Now().Add(o.Wait)
	for {
		now := time.Now()
		q.mu.Lock()
		ds, next := q.claim(name, o, now)
		changed := q.topic(name).changed
		q.mu.Unlock()
		if len(ds) > 0 {
			return ds, nil
		}
		wake := deadline
		if !next.IsZero() && next.Before(wake) {
			wake = next
		}
		if !now.Before(deadline) {
			return nil, nil
		}
		t := time.NewTimer(wake.Sub(now))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("memqueue: receive from %s: %w", name, ctx.Err())
		case <-changed:
		case <-t.C:
		}
		t.Stop()
	}
}

// claim delivers up to o.Max visible messages of topic name, moving those out of attempts to the
// dead-letter topic, and returns when the next hidden message becomes visible (zero if none is hidden).
// q.mu must be held.
func (q *Queue) claim(name string, o queue.ReceiveOptions, now time.Time) ([]queue.Delivery, time.Time) {
	tp := q.topic(name)
	var ds []queue.Delivery
	var next time.Time
	kept := tp.msgs[:0]
	var dead []*message
	for _, m := range tp.msgs {
		switch {
		case m.visibleAt.After(now):
			if next.IsZero() || m.visibleAt.Before(next) {
				next = m.visibleAt
			}
		case m.attempts >= q.maxAttempts:
			dead = append(dead, m)
			continue
		case len(ds) < o.Max:
			delete(q.handles, m.handle)
			m.attempts++
			m.handle = newHandle()
			m.visibleAt = now.Add(o.Visibility)
			q.handles[m.handle] = m
			ds = append(ds, queue.Delivery{
				Topic: name, ID: m.id, Body: slices.Clone(m.body), Attempt: m.attempts, Handle: m.handle,
			})
		}
		kept = append(kept, m)
	}
	clear(tp.msgs[len(kept):])
	tp.msgs = kept
	if len(dead) > 0 {
		dlq := q.topic(queue.DeadLetter(name))
		for _, m := range dead {
			delete(q.handles, m.handle)
			m.topic, m.attempts, m.handle, m.visibleAt = queue.DeadLetter(name), 0, "", now
			dlq.msgs = append(dlq.msgs, m)
		}
		dlq.notify()
	}
	return ds, next
}

// Ack deletes the delivered message if d's handle is still current.
func (q *Queue) Ack(ctx context.Context, d queue.Delivery) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.lookup(d)
	if err != nil {
		return fmt.Errorf("memqueue: ack %s on %s: %w", d.ID, d.Topic, err)
	}
	delete(q.handles, m.handle)
	tp := q.topics[m.topic]
	if i := slices.Index(tp.msgs, m); i >= 0 {
		tp.msgs = slices.Delete(tp.msgs, i, i+1)
	}
	return nil
}

// SetVisibility hides the delivered message for visibility from now if d's handle is still current.
func (q *Queue) SetVisibility(ctx context.Context, d queue.Delivery, visibility time.Duration) error {
	if visibility < 0 || visibility > queue.MaxVisibility {
		return fmt.Errorf("memqueue: set visibility of %s on %s to %s: outside [0, %s]: %w",
			d.ID, d.Topic, visibility, queue.MaxVisibility, queue.ErrInvalid)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	m, err := q.lookup(d)
	if err != nil {
		return fmt.Errorf("memqueue: set visibility of %s on %s: %w", d.ID, d.Topic, err)
	}
	m.visibleAt = time.Now().Add(visibility)
	q.topics[m.topic].notify()
	return nil
}

// lookup finds the message d's handle currently designates. q.mu must be held.
func (q *Queue) lookup(d queue.Delivery) (*message, error) {
	if d.Handle == "" {
		return nil, fmt.Errorf("empty handle: %w", queue.ErrInvalid)
	}
	m, ok := q.handles[d.Handle]
	if !ok || m.topic != d.Topic {
		return nil, queue.ErrStaleHandle
	}
	return m, nil
}

// topic returns the named topic, creating it. q.mu must be held.
func (q *Queue) topic(name string) *topic {
	tp, ok := q.topics[name]
	if !ok {
		tp = &topic{changed: make(chan struct{})}
		q.topics[name] = tp
	}
	return tp
}

// notify wakes the receivers waiting on tp. The queue's mutex must be held.
func (tp *topic) notify() {
	close(tp.changed)
	tp.changed = make(chan struct{})
}

func newHandle() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails
	return hex.EncodeToString(b)
}
