package gcemachine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"google.golang.org/api/iterator"
)

// List returns the zone's instances carrying every label of match (with its original value).
func (c *Cloud) List(ctx context.Context, match map[string]string) ([]machine.Instance, error) {
	req := &computepb.ListInstancesRequest{Project: c.o.Project, Zone: c.o.Zone, MaxResults: ptr(uint32(500))}
	if f := filter(match); f != "" {
		req.Filter = ptr(f)
	}
	var out []machine.Instance
	it := c.client.List(ctx, req)
	for {
		inst, err := it.Next()
		if errors.Is(err, iterator.Done) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list instances labelled %v: %w", match, err)
		}
		in := toInstance(inst)
		if matches(in, match) {
			out = append(out, in)
		}
	}
}

// filter is the list filter of match: labels.k = "v" AND … on the sanitised labels (which need no escaping).
func filter(match map[string]string) string {
	g := gceLabels(match)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(g)) {
		parts = append(parts, fmt.Sprintf("labels.%s = %q", k, g[k]))
	}
	return strings.Join(parts, " AND ")
}

func matches(in machine.Instance, match map[string]string) bool {
	for k, v := range match {
		if got, ok := in.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func toInstance(i *computepb.Instance) machine.Instance {
	in := machine.Instance{ID: i.GetName(), Name: i.GetName(), State: normState(i.GetStatus()), Labels: originalLabels(i)}
	if t, err := time.Parse(time.RFC3339, i.GetCreationTimestamp()); err == nil {
		in.Created = t
	}
	return in
}

// normState maps GCE's instance statuses to the machine package's. TERMINATED is GCE's stopped.
func normState(s string) string {
	switch s {
	case "RUNNING":
		return machine.StateRunning
	case "STOPPING", "SUSPENDING", "PENDING_STOP", "DEPROVISIONING":
		return machine.StateStopping
	case "TERMINATED", "STOPPED", "SUSPENDED":
		return machine.StateStopped
	}
	return machine.StatePending // PROVISIONING, STAGING, REPAIRING, PENDING
}
