package nomadbridge

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/hashicorp/nomad/api"
)

// How long Nomad's answers about room and nodes are reused.
const (
	roomTTL  = time.Second
	nodesTTL = 5 * time.Second
)

type roomCache struct {
	at         time.Time
	blocked    int
	err        error
	refreshing bool
}

type nodeCache struct {
	at    time.Time
	nodes []*api.NodeListStub
}

// hasRoom reports whether the bridge may take another message: a ready client exists, fewer than
// MaxPending of its jobs wait for placement, and Nomad holds no blocked evaluation of a Caravan job.
func (b *Bridge) hasRoom(ctx context.Context) (bool, string) {
	b.mu.Lock()
	pending := len(b.pending)
	b.mu.Unlock()
	if pending >= b.o.MaxPending {
		return false, fmt.Sprintf("%d jobs wait for placement", pending)
	}
	nodes, err := b.listNodes(ctx)
	if err != nil {
		return false, err.Error()
	}
	ready := 0
	for _, n := range nodes {
		if n.Status == "ready" && n.SchedulingEligibility == "eligible" {
			ready++
		}
	}
	if ready == 0 {
		return false, "no ready Nomad client"
	}
	b.mu.Lock()
	stale := b.o.Now().Sub(b.room.at) > roomTTL && !b.room.refreshing
	first := b.room.at.IsZero()
	if stale {
		b.room.refreshing = true
	}
	b.mu.Unlock()
	if stale {
		// The count is refreshed off the receive path (listing evaluations takes tens of milliseconds on
		// a busy cluster); only the very first one is waited for.
		refresh := func() {
			n, err := b.o.Client.BlockedEvals(context.WithoutCancel(ctx), JobPrefix)
			b.mu.Lock()
			b.room = roomCache{at: b.o.Now(), blocked: n, err: err}
			b.mu.Unlock()
		}
		if first {
			refresh()
		} else {
			go refresh()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.room.err != nil:
		return false, b.room.err.Error()
	case b.room.blocked > 0:
		return false, "Nomad holds blocked evaluations of Caravan jobs (the cluster is full)"
	}
	return true, ""
}

// listNodes returns the client nodes, at most nodesTTL old.
func (b *Bridge) listNodes(ctx context.Context) ([]*api.NodeListStub, error) {
	b.mu.Lock()
	c := b.nodes
	b.mu.Unlock()
	if c.nodes != nil && b.o.Now().Sub(c.at) < nodesTTL {
		return c.nodes, nil
	}
	nodes, err := b.o.Client.Nodes(ctx)
	if err != nil {
		return nil, err
	}
	if nodes == nil {
		nodes = []*api.NodeListStub{}
	}
	b.mu.Lock()
	b.nodes = nodeCache{at: b.o.Now(), nodes: nodes}
	b.mu.Unlock()
	return nodes, nil
}

// cannotRun returns why no client of the cluster can ever run a task of ex, or "" when one may.
// A driver that some client has detected (even one that is down or busy now) counts as runnable: Nomad
// queues the job until that client can take it.
func (b *Bridge) cannotRun(ctx context.Context, ex plan.Executor) (string, error) {
	switch ex.Kind {
	case plan.ExecMacOS:
		return "macOS jobs cannot run on Nomad: no macOS executor is configured", nil
	case plan.ExecMachine:
		if b.o.Machines != nil {
			return "", nil
		}
	}
	driver := b.driverFor(ex.Kind)
	nodes, err := b.listNodes(ctx)
	if err != nil {
		return "", err
	}
	var why []string
	for _, n := range nodes {
		if d, ok := n.Drivers[driver]; ok && d.Detected {
			return "", nil
		} else if ok && d.HealthDescription != "" {
			why = append(why, n.Name+": "+d.HealthDescription)
		}
	}
	sort.Strings(why)
	msg := fmt.Sprintf("no Nomad client has the %s driver", driver)
	if ex.Kind == plan.ExecDocker && driver == driverDocker {
		msg += " (docker executor jobs need Docker on a Nomad client)"
	}
	if len(why) > 0 {
		msg += ": " + strings.Join(why, "; ")
	}
	return msg, nil
}
