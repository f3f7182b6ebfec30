package queuetest

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

// consume runs queue.Consume in the background; the returned stop cancels it and checks it returns
// context.Canceled once its handlers are done. stop is also registered as a cleanup.
func consume(t *testing.T, q queue.Queue, topic string, h queue.Handler, o queue.ConsumeOptions) (stop func()) {
	t.Helper()
	o.Log = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- queue.Consume(ctx, q, topic, h, o) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("Consume returned %v, want context.Canceled", err)
				}
			case <-time.After(2 * patience):
				t.Errorf("Consume did not return %s after its context was canceled", 2*patience)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}

func waitFor(t *testing.T, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(3 * patience):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func testConsumeRetry(t *testing.T, q queue.Queue) {
	send(t, q, "jobs", msg("m", "body"))
	var mu sync.Mutex
	var attempts []int
	done := make(chan struct{})
	h := func(ctx context.Context, d queue.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, d.Attempt)
		if d.Attempt < 3 {
			return errors.New("transient failure")
		}
		close(done)
		return nil
	}
	stop := consume(t, q, "jobs", h, queue.ConsumeOptions{
		Concurrency: 2, Visibility: long, Wait: short, Backoff: func(int) time.Duration { return short / 4 },
	})
	waitFor(t, "the third attempt", done)
	stop() // waits for the acknowledgement
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(attempts, []int{1, 2, 3}) {
		t.Errorf("handler saw attempts %v, want [1 2 3]", attempts)
	}
	expectEmpty(t, q, "jobs", 0)
	expectEmpty(t, q, queue.DeadLetter("jobs"), 0)
}

func testConsumePermanent(t *testing.T, q queue.Queue) {
	send(t, q, "jobs", msg("bad", "x"), msg("good", "y"))
	var mu sync.Mutex
	calls := map[string]int{}
	both := make(chan struct{})
	h := func(ctx context.Context, d queue.Delivery) error {
		mu.Lock()
		defer mu.Unlock()
		calls[d.ID]++
		if len(calls) == 2 && calls[d.ID] == 1 {
			close(both)
		}
		if d.ID == "bad" {
			return queue.Permanent(errors.New("malformed"))
		}
		return nil
	}
	stop := consume(t, q, "jobs", h, queue.ConsumeOptions{
		Visibility: 2 * short, Wait: short, Backoff: func(int) time.Duration { return short / 4 },
	})
	waitFor(t, "both messages handled", both)
	stop()
	expectEmpty(t, q, "jobs", 3*short) // acknowledged: not back after the visibility timeout
	expectEmpty(t, q, queue.DeadLetter("jobs"), 0)
	mu.Lock()
	defer mu.Unlock()
	if calls["bad"] != 1 || calls["good"] != 1 {
		t.Errorf("handler calls %v, want bad and good once each", calls)
	}
}

func testConsumeExtendsLease(t *testing.T, q queue.Queue) {
	send(t, q, "jobs", msg("slow", "z"))
	var mu sync.Mutex
	var attempts []int
	started, finished := make(chan struct{}), make(chan struct{})
	h := func(ctx context.Context, d queue.Delivery) error {
		mu.Lock()
		attempts = append(attempts, d.Attempt)
		first := len(attempts) == 1
		mu.Unlock()
		if !first {
			return nil
		}
		close(started)
		defer close(finished)
		select { // a handler running three times the visibility timeout
		case <-time.After(6 * short):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	stop := consume(t, q, "jobs", h, queue.ConsumeOptions{Concurrency: 1, Visibility: 2 * short, Wait: short})
	waitFor(t, "the handler to start", started)
	expectEmpty(t, q, "jobs", 5*short) // the lease is extended while the handler runs
	waitFor(t, "the handler to finish", finished)
	stop()
	expectEmpty(t, q, "jobs", 3*short) // acknowledged once done
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(attempts, []int{1}) {
		t.Errorf("handler saw attempts %v, want [1]", attempts)
	}
}
