package nomadbridge

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
)

func pendingIDs(b *Bridge) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Sorted(maps.Keys(b.pending))
}

func TestHasRoom(t *testing.T) {
	t.Parallel()
	down := node("n2", "docker")
	down.Status = "down"
	ineligible := node("n3", "docker")
	ineligible.SchedulingEligibility = "ineligible"
	tests := []struct {
		name    string
		nodes   []*api.NodeListStub
		pending int
		blocked int
		fail    string // Client method that errors
		want    bool
		why     string // in the reason
	}{
		{name: "room", nodes: []*api.NodeListStub{down, node("n1", "docker")}, pending: 2, want: true},
		{name: "MaxPending reached", nodes: []*api.NodeListStub{node("n1", "docker")}, pending: 3,
			why: "3 jobs wait for placement"},
		{name: "no client", why: "no ready Nomad client"},
		{name: "no ready eligible client", nodes: []*api.NodeListStub{down, ineligible}, why: "no ready Nomad client"},
		{name: "blocked evaluations", nodes: []*api.NodeListStub{node("n1", "docker")}, blocked: 1,
			why: "blocked evaluations"},
		{name: "nodes unavailable", nodes: []*api.NodeListStub{node("n1", "docker")}, fail: "Nodes",
			why: errTransient.Error()},
		{name: "evaluations unavailable", nodes: []*api.NodeListStub{node("n1", "docker")}, fail: "BlockedEvals",
			why: errTransient.Error()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *Options) { o.MaxPending = 3 })
			e.nomad.nodes, e.nomad.blocked = tt.nodes, tt.blocked
			if tt.fail != "" {
				e.nomad.fail(tt.fail, errTransient)
			}
			for i := range tt.pending {
				e.b.setPending(JobID("p-"+string(rune('a'+i)), 1), true)
			}
			ok, why := e.b.hasRoom(context.Background())
			if ok != tt.want || !strings.Contains(why, tt.why) {
				t.Errorf("hasRoom = %t %q, want %t with %q", ok, why, tt.want, tt.why)
			}
		})
	}
}

// TestHasRoomRefreshes: Nomad's answers are reused for a while, then asked again.
func TestHasRoomRefreshes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.nomad.setBlocked(2)
	if ok, _ := e.b.hasRoom(ctx); ok {
		t.Fatal("room with blocked evaluations")
	}
	e.nomad.setBlocked(0)
	if ok, _ := e.b.hasRoom(ctx); ok {
		t.Error("the blocked evaluations were not reused")
	}
	e.clock.Advance(roomTTL + time.Millisecond)
	// A stale answer is refreshed in the background: the next calls see the new count once it arrives.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, why := e.b.hasRoom(ctx)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no room once the evaluations are unblocked: %s", why)
		}
		time.Sleep(time.Millisecond)
	}
	if got := e.nomad.count("BlockedEvals " + JobPrefix); got != 2 {
		t.Errorf("BlockedEvals asked %d times, want 2", got)
	}
	e.nomad.mu.Lock()
	e.nomad.nodes = nil
	e.nomad.mu.Unlock()
	e.clock.Advance(nodesTTL)
	if ok, _ := e.b.hasRoom(ctx); ok {
		t.Error("room after the last client left")
	}
}
