package sqlitequeue_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/sqlitequeue"
)

// TestSendWakesAtOnce checks that a Send wakes a Receive of the same Queue without waiting for the poll.
func TestSendWakesAtOnce(t *testing.T) {
	ctx := context.Background()
	q := open(t, filepath.Join(t.TempDir(), "queue.db"), sqlitequeue.Options{Poll: time.Hour})
	type result struct {
		ds  []queue.Delivery
		err error
		at  time.Time
	}
	done := make(chan result, 1)
	go func() {
		ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Wait: 20 * time.Second})
		done <- result{ds, err, time.Now()}
	}()
	time.Sleep(100 * time.Millisecond)
	sent := time.Now()
	if err := q.Send(ctx, "jobs", queue.Message{ID: "m"}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	select {
	case r := <-done:
		if r.err != nil || len(r.ds) != 1 {
			t.Fatalf("Receive = %v, %v; want the message", r.ds, r.err)
		}
		t.Logf("woken %s after Send", r.at.Sub(sent))
	case <-time.After(10 * time.Second):
		t.Fatalf("a waiting Receive was not woken by a Send of the same Queue")
	}
}

func TestCloseWakesReceive(t *testing.T) {
	q, err := sqlitequeue.Open(filepath.Join(t.TempDir(), "queue.db"), sqlitequeue.Options{Poll: time.Hour})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := q.Receive(context.Background(), "jobs", queue.ReceiveOptions{Wait: 20 * time.Second})
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	if err := q.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, sqlitequeue.ErrClosed) {
			t.Errorf("Receive waiting across Close: error = %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Close did not wake a waiting Receive")
	}
	if err := q.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// BenchmarkSendReceiveAck measures one message through the queue: Send, Receive, Ack.
func BenchmarkSendReceiveAck(b *testing.B) {
	ctx := context.Background()
	q := open(b, filepath.Join(b.TempDir(), "queue.db"), sqlitequeue.Options{})
	body := make([]byte, 512)
	for b.Loop() {
		if err := q.Send(ctx, "jobs", queue.Message{ID: "m", Body: body}); err != nil {
			b.Fatalf("Send: %v", err)
		}
		ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Max: 1})
		if err != nil || len(ds) != 1 {
			b.Fatalf("Receive = %v, %v", ds, err)
		}
		if err := q.Ack(ctx, ds[0]); err != nil {
			b.Fatalf("Ack: %v", err)
		}
	}
}

// BenchmarkWakeLatency measures the time from a Send to a waiting Receive of the same Queue returning it.
func BenchmarkWakeLatency(b *testing.B) {
	ctx := context.Background()
	q := open(b, filepath.Join(b.TempDir(), "queue.db"), sqlitequeue.Options{Poll: time.Hour})
	got := make(chan time.Time)
	go func() {
		for {
			ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Max: 1, Wait: 20 * time.Second})
			if err != nil {
				close(got)
				return
			}
			for _, d := range ds {
				at := time.Now()
				q.Ack(ctx, d)
				got <- at
			}
		}
	}()
	var total time.Duration
	for b.Loop() {
		sent := time.Now()
		if err := q.Send(ctx, "jobs", queue.Message{ID: "m"}); err != nil {
			b.Fatalf("Send: %v", err)
		}
		total += (<-got).Sub(sent)
	}
	b.ReportMetric(float64(total.Nanoseconds())/float64(b.N), "ns/wake")
}
