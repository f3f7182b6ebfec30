package queuetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

// Timings of the suite. short is a visibility timeout or delay that expires during a test; long is one that
// must not expire during a test; patience bounds a wait for something that should happen promptly.
const (
	short    = 200 * time.Millisecond
	long     = 30 * time.Second
	patience = 5 * time.Second
	// slack absorbs clock granularity (e.g. a database storing times with another clock reading) when
	// asserting that something did not happen early.
	slack = 20 * time.Millisecond
)

func send(t *testing.T, q queue.Queue, topic string, msgs ...queue.Message) {
	t.Helper()
	if err := q.Send(context.Background(), topic, msgs...); err != nil {
		t.Fatalf("Send(%s, %d messages): %v", topic, len(msgs), err)
	}
}

func receive(t *testing.T, q queue.Queue, topic string, o queue.ReceiveOptions) []queue.Delivery {
	t.Helper()
	ds, err := q.Receive(context.Background(), topic, o)
	if err != nil {
		t.Fatalf("Receive(%s, %+v): %v", topic, o, err)
	}
	return ds
}

// receiveOne waits up to patience for exactly one delivery on topic.
func receiveOne(t *testing.T, q queue.Queue, topic string, visibility time.Duration) queue.Delivery {
	t.Helper()
	ds := receive(t, q, topic, queue.ReceiveOptions{Max: 10, Wait: patience, Visibility: visibility})
	if len(ds) != 1 {
		t.Fatalf("Receive(%s) = %d deliveries %s, want 1", topic, len(ds), describe(ds))
	}
	return ds[0]
}

// receiveN receives from topic until it has n deliveries or patience runs out.
func receiveN(t *testing.T, q queue.Queue, topic string, n int, visibility time.Duration) []queue.Delivery {
	t.Helper()
	var all []queue.Delivery
	deadline := time.Now().Add(patience)
	for len(all) < n && time.Now().Before(deadline) {
		all = append(all, receive(t, q, topic, queue.ReceiveOptions{Wait: time.Until(deadline), Visibility: visibility})...)
	}
	if len(all) != n {
		t.Fatalf("received %d deliveries from %s %s, want %d", len(all), topic, describe(all), n)
	}
	return all
}

// expectEmpty checks that a Receive waiting wait on topic gets nothing.
func expectEmpty(t *testing.T, q queue.Queue, topic string, wait time.Duration) {
	t.Helper()
	if ds := receive(t, q, topic, queue.ReceiveOptions{Wait: wait, Visibility: long}); len(ds) > 0 {
		t.Fatalf("Receive(%s, wait %s) = %s, want nothing", topic, wait, describe(ds))
	}
}

func ack(t *testing.T, q queue.Queue, d queue.Delivery) {
	t.Helper()
	if err := q.Ack(context.Background(), d); err != nil {
		t.Fatalf("Ack(%s attempt %d): %v", d.ID, d.Attempt, err)
	}
}

func setVisibility(t *testing.T, q queue.Queue, d queue.Delivery, v time.Duration) {
	t.Helper()
	if err := q.SetVisibility(context.Background(), d, v); err != nil {
		t.Fatalf("SetVisibility(%s attempt %d, %s): %v", d.ID, d.Attempt, v, err)
	}
}

func checkDelivery(t *testing.T, d queue.Delivery, topic, id, body string, attempt int) {
	t.Helper()
	if d.Topic != topic || d.ID != id || string(d.Body) != body || d.Attempt != attempt || d.Handle == "" {
		t.Errorf("delivery = {Topic %s ID %q Body %q Attempt %d Handle %q}, want {Topic %s ID %q Body %q Attempt %d Handle non-empty}",
			d.Topic, d.ID, clip(d.Body), d.Attempt, d.Handle, topic, id, body, attempt)
	}
}

func ids(ds []queue.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	slices.Sort(out)
	return out
}

func describe(ds []queue.Delivery) string {
	s := "["
	for i, d := range ds {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s#%d", d.ID, d.Attempt)
	}
	return s + "]"
}

func clip(b []byte) string {
	if len(b) > 40 {
		return fmt.Sprintf("%s… (%d bytes)", b[:40], len(b))
	}
	return string(b)
}

func msg(id, body string) queue.Message { return queue.Message{ID: id, Body: []byte(body)} }
