package nomadbridge

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/nomad/api"
)

// waitFor polls cond until it holds; the deadline only catches a condition that never comes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// start runs fn in the background; the returned stop cancels it and waits for it to return.
func start(t *testing.T, fn func(ctx context.Context)) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); fn(ctx) }()
	stop = func() {
		t.Helper()
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("did not stop after its context ended")
		}
	}
	t.Cleanup(func() { cancel(); <-done })
	return stop
}

func TestRunBackPressure(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.clock.step = 2 * time.Second // every reading is past the caches' lifetimes
	tasks := []string{"t-0", "t-1", "t-2"}
	for _, id := range tasks {
		e.tasks.add(domain.Task{ID: id}, dockerExec())
		if err := e.q.Send(ctx, domain.TopicRuns, runMessage(domain.RunMsg{TaskID: id, Attempt: 1})); err != nil {
			t.Fatal(err)
		}
	}
	e.nomad.setBlocked(1)

	stop := start(t, func(ctx context.Context) { _ = e.b.Run(ctx) })
	waitFor(t, "BlockedEvals asked three times", func() bool { return e.nomad.count("BlockedEvals") >= 3 })
	stop()
	if n := e.nomad.count("Register"); n != 0 || e.tasks.count("Dispatch") != 0 {
		t.Fatalf("with no room: %d registrations, %d dispatches", n, e.tasks.count("Dispatch"))
	}
	ds, err := e.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10})
	if err != nil || len(ds) != len(tasks) {
		t.Fatalf("queue holds %d messages (%v), want %d", len(ds), err, len(tasks))
	}
	for _, d := range ds {
		if d.Attempt != 1 {
			t.Errorf("message %s was received before (attempt %d)", d.ID, d.Attempt)
		}
		if err := e.q.SetVisibility(ctx, d, 0); err != nil {
			t.Fatal(err)
		}
	}

	e.nomad.setBlocked(0)
	stop = start(t, func(ctx context.Context) { _ = e.b.Run(ctx) })
	waitFor(t, "every task registered", func() bool { return len(e.nomad.jobIDs()) == len(tasks) })
	stop()
	for _, id := range tasks {
		if n := e.nomad.count("Register " + JobID(id, 1)); n != 1 {
			t.Errorf("job of %s registered %d times, want once", id, n)
		}
	}
	if ds, err := e.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10}); err != nil || len(ds) != 0 {
		t.Errorf("after the run: %d messages left (%v), want all acknowledged", len(ds), err)
	}
}

// allocEvent is an allocation event as Nomad's stream decodes it (a JSON payload).
func allocEvent(index uint64, a *api.Allocation) *api.Events {
	b, err := json.Marshal(a)
	if err != nil {
		panic(err)
	}
	var payload map[string]any
	if err := json.Unmarshal(b, &payload); err != nil {
		panic(err)
	}
	return &api.Events{Index: index, Events: []api.Event{{Topic: api.TopicAllocation, Type: "AllocationUpdated",
		Key: a.ID, Index: index, Payload: map[string]any{"Allocation": payload}}}}
}

func TestWatchEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tasks.add(runningTask("t-0", 1), dockerExec())
	e.tasks.add(runningTask("t-1", 1), dockerExec())
	e.b.setPending(JobID("t-1", 1), true)
	stop := start(t, e.b.watchEvents)
	push := func(evs *api.Events) {
		t.Helper()
		select {
		case e.nomad.events <- evs:
		case <-time.After(10 * time.Second):
			t.Fatal("nobody reads the event stream")
		}
	}
	push(&api.Events{}) // heartbeat
	push(allocEvent(3, &api.Allocation{ID: "web-1", JobID: "web", ClientStatus: api.AllocClientStatusFailed}))
	push(allocEvent(4, &api.Allocation{ID: "al-1", JobID: JobID("t-1", 1), ClientStatus: api.AllocClientStatusRunning}))
	push(allocEvent(5, &api.Allocation{ID: "al-0", JobID: JobID("t-0", 1), ClientStatus: api.AllocClientStatusFailed,
		TaskStates: driverFailure(), ModifyTime: 7}))
	waitFor(t, "the failed allocation's task retried", func() bool { return e.tasks.get("t-0").Attempt == 2 })
	if got := e.tasks.get("t-0").Message; got != "attempt 1: infrastructure_fail: the Nomad allocation failed "+
		"(runner: Driver Failure: Driver Failure: failed to pull image cimg/nope:1); retried" {
		t.Errorf("message %q", got)
	}
	if n := len(pendingIDs(e.b)); n != 0 {
		t.Errorf("the running allocation's job still counts as pending")
	}

	push(&api.Events{Err: errors.New("stream reset by peer")})
	waitFor(t, "the stream reopened from index 5", func() bool { return slices.Contains(e.nomad.callLog(), "Events 5") })
	stop()
	if len(e.b.kick) != 1 {
		t.Error("a broken stream did not ask for a reconcile pass")
	}
	if diff := cmp.Diff([]string{"Events 0", "Events 5"}, eventCalls(e.nomad.callLog())); diff != "" {
		t.Errorf("Events calls (-want +got):\n%s", diff)
	}
	if n := e.tasks.count("RetryTask"); n != 1 {
		t.Errorf("RetryTask called %d times, want 1", n)
	}
}

func eventCalls(calls []string) []string {
	var out []string
	for _, c := range calls {
		if len(c) > 7 && c[:7] == "Events " {
			out = append(out, c)
		}
	}
	return out
}

// TestRunDeliverSettlesMessages: a handled or unhandleable message is acknowledged; a failed one comes back.
func TestRunDeliverSettlesMessages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.tasks.add(domain.Task{ID: "t-0"}, dockerExec())
	e.nomad.fail("Register", errTransient)
	msgs := []queue.Message{runMessage(domain.RunMsg{TaskID: "t-0", Attempt: 1}), {ID: "bad", Body: []byte("{")}}
	if err := e.q.Send(ctx, domain.TopicRuns, msgs...); err != nil {
		t.Fatal(err)
	}
	ds, err := e.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10, Visibility: time.Hour})
	if err != nil || len(ds) != 2 {
		t.Fatalf("receive: %d, %v", len(ds), err)
	}
	for _, d := range ds {
		e.b.deliver(ctx, d)
	}
	// The failed delivery is hidden for backoff(1); the bad one is gone. Make the first visible again
	// to tell them apart.
	for _, d := range ds {
		err := e.q.SetVisibility(ctx, d, 0)
		if got, want := err != nil, d.ID == "bad"; got != want {
			t.Errorf("message %s: SetVisibility error %v; want an error only for the acknowledged one", d.ID, err)
		}
	}
	again, err := e.q.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: 10})
	if err != nil || len(again) != 1 || again[0].ID != "t-0" {
		t.Fatalf("redelivered: %v (%v), want t-0 only", again, err)
	}
	e.b.deliver(ctx, again[0])
	if job := e.nomad.job(JobID("t-0", 1)); job == nil {
		t.Errorf("the retried delivery registered nothing; calls %v", e.nomad.callLog())
	}
	if n := e.nomad.count("Register"); n != 2 {
		t.Errorf("Register called %d times, want 2", n)
	}
}
