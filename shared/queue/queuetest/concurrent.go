package queuetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

// testConcurrentReceivers has 8 receivers drain 200 messages sent while they wait: with a visibility timeout
// longer than the test, every message must be delivered exactly once, and every Ack must succeed.
func testConcurrentReceivers(t *testing.T, q queue.Queue) {
	const n, receivers = 200, 8
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var (
		mu     sync.Mutex
		counts = map[string]int{}
		acked  atomic.Int64
		wg     sync.WaitGroup
	)
	for range receivers {
		wg.Go(func() {
			for acked.Load() < n && ctx.Err() == nil {
				ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Wait: short, Visibility: long})
				if err != nil {
					if ctx.Err() == nil {
						t.Errorf("concurrent Receive: %v", err)
					}
					return
				}
				for _, d := range ds {
					mu.Lock()
					counts[d.ID]++
					mu.Unlock()
					if d.Attempt != 1 {
						t.Errorf("concurrent delivery of %s has Attempt %d, want 1", d.ID, d.Attempt)
					}
					if err := q.Ack(ctx, d); err != nil {
						t.Errorf("concurrent Ack(%s): %v", d.ID, err)
						continue
					}
					acked.Add(1)
				}
			}
		})
	}
	for i := 0; i < n; i += 10 {
		var batch []queue.Message
		for j := i; j < i+10; j++ {
			id := fmt.Sprintf("m%03d", j)
			batch = append(batch, msg(id, id))
		}
		send(t, q, "jobs", batch...)
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Errorf("receivers acknowledged %d of %d messages before the deadline", acked.Load(), n)
	}
	for id, c := range counts {
		if c != 1 {
			t.Errorf("%s delivered %d times, want once", id, c)
		}
	}
	if len(counts) != n {
		t.Errorf("%d distinct messages delivered, want %d", len(counts), n)
	}
	expectEmpty(t, q, "jobs", 0)
}
