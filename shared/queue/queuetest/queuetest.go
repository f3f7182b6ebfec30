package queuetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

// Run runs the conformance suite. newQueue is called once per subtest, possibly from parallel subtests, and
// must return an empty queue that dead-letters a message after maxAttempts deliveries; it should register
// its own cleanup with t.Cleanup.
func Run(t *testing.T, newQueue func(t *testing.T, maxAttempts int) queue.Queue) {
	tests := []struct {
		name        string
		maxAttempts int
		fn          func(t *testing.T, q queue.Queue)
	}{
		{"SendReceiveAck", 5, testSendReceiveAck},
		{"Redelivery", 5, testRedelivery},
		{"SetVisibilityExtends", 5, testSetVisibilityExtends},
		{"SetVisibilityShort", 5, testSetVisibilityShort},
		{"Delay", 5, testDelay},
		{"DeadLetter", 2, testDeadLetter},
		{"StaleHandle", 5, testStaleHandle},
		{"Wait", 5, testWait},
		{"Max", 5, testMax},
		{"TopicsIsolated", 5, testTopicsIsolated},
		{"Invalid", 5, testInvalid},
		{"ConcurrentReceivers", 5, testConcurrentReceivers},
		{"ContextCanceled", 5, testContextCanceled},
		{"ConsumeRetry", 5, testConsumeRetry},
		{"ConsumePermanent", 5, testConsumePermanent},
		{"ConsumeExtendsLease", 5, testConsumeExtendsLease},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newQueue(t, tt.maxAttempts))
		})
	}
}

func testSendReceiveAck(t *testing.T, q queue.Queue) {
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i)
	}
	want := map[string]string{"a": "hello", "b": "", "c": string(binary)}
	send(t, q, "orders", msg("a", "hello"), queue.Message{ID: "b"}, queue.Message{ID: "c", Body: binary})
	binary[0] = 'X' // the queue must have copied the body
	ds := receiveN(t, q, "orders", 3, 2*short)
	handles := map[string]bool{}
	for _, d := range ds {
		checkDelivery(t, d, "orders", d.ID, want[d.ID], 1)
		if handles[d.Handle] {
			t.Errorf("handle %q given to two deliveries", d.Handle)
		}
		handles[d.Handle] = true
	}
	if got := ids(ds); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("received IDs %v, want [a b c]", got)
	}
	for _, d := range ds {
		ack(t, q, d)
	}
	if err := q.Ack(context.Background(), ds[0]); !errors.Is(err, queue.ErrStaleHandle) {
		t.Errorf("second Ack(%s) error = %v, want ErrStaleHandle", ds[0].ID, err)
	}
	expectEmpty(t, q, "orders", 3*short) // acknowledged messages do not come back after their visibility
}

func testRedelivery(t *testing.T, q queue.Queue) {
	send(t, q, "jobs", msg("m", "body"))
	start := time.Now()
	d1 := receiveOne(t, q, "jobs", 2*short)
	checkDelivery(t, d1, "jobs", "m", "body", 1)
	expectEmpty(t, q, "jobs", 0) // hidden while its visibility lasts
	d2 := receiveOne(t, q, "jobs", long)
	if elapsed := time.Since(start); elapsed < 2*short-slack {
		t.Errorf("redelivered after %s, before the visibility timeout of %s", elapsed, 2*short)
	}
	checkDelivery(t, d2, "jobs", "m", "body", 2)
	if d2.Handle == d1.Handle {
		t.Errorf("redelivery has the same handle %q as the first delivery", d2.Handle)
	}
	ack(t, q, d2)
	expectEmpty(t, q, "jobs", 0)
}

func testSetVisibilityExtends(t *testing.T, q queue.Queue) {
	send(t, q, "jobs", msg("m", "body"))
	d := receiveOne(t, q, "jobs", short)
	start := time.Now()
	setVisibility(t, q, d, 5*short)
	expectEmpty(t, q, "jobs", 2*short) // past the first visibility timeout, well within the extended one
	d2 := receiveOne(t, q, "jobs", long)
	if elapsed := time.Since(start); elapsed < 5*short-slack {
		t.Errorf("redelivered %s after SetVisibility(%s)", elapsed, 5*short)
	}
	checkDelivery(t, d2, "jobs", "m", "body", 2)
	ack(t, q, d2)
}

func testSetVisibilityShort(t *testing.T, q queue.Queue) {
	send(t, q, "jobs", msg("m", "body"))
	d := receiveOne(t, q, "jobs", long)
	start := time.Now()
	setVisibility(t, q, d, short/2) // hand it back early, as a retry back-off does
	d2 := receiveOne(t, q, "jobs", long)
	if elapsed := time.Since(start); elapsed < short/2-slack {
		t.Errorf("redelivered %s after SetVisibility(%s)", elapsed, short/2)
	}
	checkDelivery(t, d2, "jobs", "m", "body", 2)
	// SetVisibility(0) makes it visible again at once, also to a Receive already waiting.
	done := make(chan received, 1)
	go func() {
		ds, err := q.Receive(context.Background(), "jobs", queue.ReceiveOptions{Wait: 15 * time.Second, Visibility: long})
		done <- received{ds, err, time.Now()}
	}()
	time.Sleep(short / 2)
	start = time.Now()
	setVisibility(t, q, d2, 0)
	r := <-done
	if r.err != nil || len(r.ds) != 1 {
		t.Fatalf("Receive waiting across SetVisibility(0) = %s, %v; want the message", describe(r.ds), r.err)
	}
	if took := r.at.Sub(start); took > 2*time.Second {
		t.Errorf("redelivered %s after SetVisibility(0), want at once", took)
	}
	d3 := r.ds[0]
	checkDelivery(t, d3, "jobs", "m", "body", 3)
	ack(t, q, d3)
}

func testDelay(t *testing.T, q queue.Queue) {
	start := time.Now()
	send(t, q, "jobs", queue.Message{ID: "later", Body: []byte("l"), Delay: 3 * short}, msg("now", "n"))
	d := receiveOne(t, q, "jobs", long)
	checkDelivery(t, d, "jobs", "now", "n", 1)
	expectEmpty(t, q, "jobs", 0)
	d2 := receiveOne(t, q, "jobs", long)
	if elapsed := time.Since(start); elapsed < 3*short-slack {
		t.Errorf("delayed message delivered after %s, want at least %s", elapsed, 3*short)
	}
	checkDelivery(t, d2, "jobs", "later", "l", 1)
	ack(t, q, d)
	ack(t, q, d2)
}

// testDeadLetter runs with maxAttempts 2.
func testDeadLetter(t *testing.T, q queue.Queue) {
	dlq := queue.DeadLetter("jobs")
	send(t, q, "jobs", msg("m", "poison"))
	var last queue.Delivery
	for attempt := 1; attempt <= 2; attempt++ {
		last = receiveOne(t, q, "jobs", short)
		checkDelivery(t, last, "jobs", "m", "poison", attempt)
	}
	expectEmpty(t, q, "jobs", 3*short) // a third delivery would exceed maxAttempts
	d := receiveOne(t, q, dlq, long)
	checkDelivery(t, d, dlq, "m", "poison", 1)
	if err := q.Ack(context.Background(), last); !errors.Is(err, queue.ErrStaleHandle) {
		t.Errorf("Ack of the last delivery on the topic after dead-lettering: error = %v, want ErrStaleHandle", err)
	}
	ack(t, q, d)
	expectEmpty(t, q, "jobs", 0)
	expectEmpty(t, q, dlq, 0)
}

func testStaleHandle(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	send(t, q, "jobs", msg("m", "body"))
	d1 := receiveOne(t, q, "jobs", short)
	d2 := receiveOne(t, q, "jobs", long) // redelivered to "someone else"
	checkDelivery(t, d2, "jobs", "m", "body", 2)
	if err := q.Ack(ctx, d1); !errors.Is(err, queue.ErrStaleHandle) {
		t.Errorf("Ack with the first, stale handle: error = %v, want ErrStaleHandle", err)
	}
	if err := q.SetVisibility(ctx, d1, 0); !errors.Is(err, queue.ErrStaleHandle) {
		t.Errorf("SetVisibility with the first, stale handle: error = %v, want ErrStaleHandle", err)
	}
	expectEmpty(t, q, "jobs", 0)  // the stale SetVisibility(0) did not expose the message
	setVisibility(t, q, d2, long) // the new delivery is still valid
	ack(t, q, d2)
	if err := q.Ack(ctx, d2); !errors.Is(err, queue.ErrStaleHandle) {
		t.Errorf("Ack after Ack: error = %v, want ErrStaleHandle", err)
	}
	if err := q.SetVisibility(ctx, d2, short); !errors.Is(err, queue.ErrStaleHandle) {
		t.Errorf("SetVisibility after Ack: error = %v, want ErrStaleHandle", err)
	}
	expectEmpty(t, q, "jobs", short)
}
