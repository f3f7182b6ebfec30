package queuetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/queue"
)

type received struct {
	ds  []queue.Delivery
	err error
	at  time.Time
}

func testWait(t *testing.T, q queue.Queue) {
	start := time.Now()
	expectEmpty(t, q, "jobs", 0)
	if elapsed := time.Since(start); elapsed > patience {
		t.Errorf("Receive with Wait 0 on an empty topic took %s", elapsed)
	}
	start = time.Now()
	expectEmpty(t, q, "jobs", short)
	if elapsed := time.Since(start); elapsed < short-slack {
		t.Errorf("Receive with Wait %s on an empty topic returned after %s", short, elapsed)
	}

	// A waiting Receive returns as soon as a message is sent, long before its wait ends.
	const wait = 15 * time.Second
	done := make(chan received, 1)
	go func() {
		ds, err := q.Receive(context.Background(), "jobs", queue.ReceiveOptions{Wait: wait, Visibility: long})
		done <- received{ds, err, time.Now()}
	}()
	time.Sleep(short)
	select {
	case r := <-done:
		t.Fatalf("waiting Receive returned %s, %v before anything was sent", describe(r.ds), r.err)
	default:
	}
	sent := time.Now()
	send(t, q, "jobs", msg("m", "body"))
	r := <-done
	if r.err != nil {
		t.Fatalf("waiting Receive: %v", r.err)
	}
	if len(r.ds) != 1 {
		t.Fatalf("waiting Receive = %s, want the message sent", describe(r.ds))
	}
	checkDelivery(t, r.ds[0], "jobs", "m", "body", 1)
	if took := r.at.Sub(sent); took > wait/2 {
		t.Errorf("waiting Receive returned %s after the Send, want well before its %s wait ends", took, wait)
	}
	ack(t, q, r.ds[0])
}

func testMax(t *testing.T, q queue.Queue) {
	var want []string
	var msgs []queue.Message
	for i := range 15 {
		id := fmt.Sprintf("m%02d", i)
		want = append(want, id)
		msgs = append(msgs, msg(id, id))
	}
	send(t, q, "jobs", msgs...)
	var all []queue.Delivery
	for _, max := range []int{3, 1} {
		ds := receive(t, q, "jobs", queue.ReceiveOptions{Max: max, Wait: patience, Visibility: long})
		if len(ds) < 1 || len(ds) > max {
			t.Errorf("Receive(Max %d) with 15 messages visible = %d deliveries", max, len(ds))
		}
		all = append(all, ds...)
	}
	for len(all) < 15 {
		ds := receive(t, q, "jobs", queue.ReceiveOptions{Wait: patience, Visibility: long})
		if len(ds) == 0 || len(ds) > 10 {
			t.Fatalf("Receive(default Max) with %d messages visible = %d deliveries, want 1..10", 15-len(all), len(ds))
		}
		all = append(all, ds...)
	}
	if got := ids(all); !slices.Equal(got, want) {
		t.Errorf("received IDs %v, want %v", got, want)
	}
	expectEmpty(t, q, "jobs", 0)
}

func testTopicsIsolated(t *testing.T, q queue.Queue) {
	send(t, q, "alpha", msg("a1", "1"), msg("a2", "2"))
	send(t, q, "beta", msg("b1", "3"))
	send(t, q, "Alpha", msg("A1", "4")) // names are case-sensitive in SQS and Pub/Sub
	if got := ids(receiveN(t, q, "alpha", 2, long)); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Errorf("alpha delivered %v, want [a1 a2]", got)
	}
	expectEmpty(t, q, "alpha", short)
	b := receiveOne(t, q, "beta", long)
	checkDelivery(t, b, "beta", "b1", "3", 1)
	checkDelivery(t, receiveOne(t, q, "Alpha", long), "Alpha", "A1", "4", 1)
	expectEmpty(t, q, "gamma", 0)
	expectEmpty(t, q, queue.DeadLetter("alpha"), 0)
	ack(t, q, b)
}

func testInvalid(t *testing.T, q queue.Queue) {
	ctx := context.Background()
	for _, topic := range []string{"", "has space", "slash/x", "dot.x", "ünï", strings.Repeat("a", 81), strings.Repeat("b", 77)} {
		if err := q.Send(ctx, topic, msg("m", "b")); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("Send to topic %q: error = %v, want ErrInvalid", topic, err)
		}
		if _, err := q.Receive(ctx, topic, queue.ReceiveOptions{}); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("Receive from topic %q: error = %v, want ErrInvalid", topic, err)
		}
	}
	longest := "A-_09" + strings.Repeat("z", 71) // 76: its dead-letter topic is 80, still valid
	send(t, q, longest, msg("m", "b"))
	ack(t, q, receiveOne(t, q, longest, long))
	if _, err := q.Receive(ctx, queue.DeadLetter(longest), queue.ReceiveOptions{}); err != nil {
		t.Errorf("Receive from the dead-letter topic of the longest topic: %v", err)
	}

	for _, m := range []queue.Message{
		{ID: "big", Body: make([]byte, queue.MaxBody+1)},
		{ID: "negative", Delay: -time.Nanosecond},
		{ID: "too late", Delay: queue.MaxDelay + time.Nanosecond},
	} {
		// A batch with one invalid message sends nothing.
		if err := q.Send(ctx, "batch", msg("ok", "ok"), m); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("Send(%s): error = %v, want ErrInvalid", m.ID, err)
		}
	}
	expectEmpty(t, q, "batch", 0)
	send(t, q, "batch") // no messages: nothing to do
	send(t, q, "batch", queue.Message{ID: "max", Body: make([]byte, queue.MaxBody)},
		queue.Message{ID: "maxdelay", Delay: queue.MaxDelay})
	d := receiveOne(t, q, "batch", long)
	if d.ID != "max" || len(d.Body) != queue.MaxBody {
		t.Errorf("received %s with %d bytes, want max with %d", d.ID, len(d.Body), queue.MaxBody)
	}

	for _, o := range []queue.ReceiveOptions{
		{Max: 11}, {Max: -1}, {Wait: -time.Nanosecond}, {Wait: 20*time.Second + time.Nanosecond},
		{Visibility: -time.Nanosecond}, {Visibility: queue.MaxVisibility + time.Nanosecond},
	} {
		if _, err := q.Receive(ctx, "batch", o); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("Receive(%+v): error = %v, want ErrInvalid", o, err)
		}
	}
	for _, v := range []time.Duration{-time.Nanosecond, queue.MaxVisibility + time.Nanosecond} {
		if err := q.SetVisibility(ctx, d, v); !errors.Is(err, queue.ErrInvalid) {
			t.Errorf("SetVisibility(%s): error = %v, want ErrInvalid", v, err)
		}
	}
	for _, bad := range []queue.Delivery{{}, {Topic: "batch", ID: "max", Handle: "bogus"}} {
		err := q.Ack(ctx, bad)
		if !errors.Is(err, queue.ErrInvalid) && !errors.Is(err, queue.ErrStaleHandle) {
			t.Errorf("Ack(%+v): error = %v, want ErrInvalid or ErrStaleHandle", bad, err)
		}
	}
	ack(t, q, d) // still valid after the rejected calls
}

func testContextCanceled(t *testing.T, q queue.Queue) {
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(short, cancel)
	start := time.Now()
	ds, err := q.Receive(ctx, "jobs", queue.ReceiveOptions{Wait: 15 * time.Second, Visibility: long})
	if elapsed := time.Since(start); elapsed > patience {
		t.Errorf("Receive returned %s after its context was canceled", elapsed-short)
	}
	if len(ds) > 0 || err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a canceled context = %s, %v; want nothing and nil or context.Canceled", describe(ds), err)
	}
	ds, err = q.Receive(ctx, "jobs", queue.ReceiveOptions{Wait: 15 * time.Second})
	if len(ds) > 0 || err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a context canceled before = %s, %v; want nothing and nil or context.Canceled", describe(ds), err)
	}
	send(t, q, "jobs", msg("m", "b")) // the queue still works
	ack(t, q, receiveOne(t, q, "jobs", long))
}
