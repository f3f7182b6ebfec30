package machine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fill tops up every warm pool of Options.Warm to its count with stopped instances labelled caravan-warm=true.
// Instances of a pool that are not terminated and not past their expiry count, whatever their state (a new one
// is pending, then stopping, then stopped). A pool that cannot be filled does not stop the others; the errors
// are joined.
func (p *Provisioner) Fill(ctx context.Context) error {
	if p.o.Cloud == nil {
		return errNoCloud
	}
	var errs []error
	for _, pool := range slices.Sorted(maps.Keys(p.o.Warm)) {
		if err := p.fill(ctx, pool, p.o.Warm[pool]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (p *Provisioner) fill(ctx context.Context, pool string, want int) error {
	i := strings.LastIndexByte(pool, '/')
	if i <= 0 || i == len(pool)-1 {
		return fmt.Errorf("fill warm pool %q: want <image>/<resource class>", pool)
	}
	cloudImage, instanceType, err := p.resolve(pool[:i], pool[i+1:])
	if err != nil {
		return fmt.Errorf("fill warm pool %q: %w", pool, err)
	}
	match := map[string]string{LabelManaged: "true", LabelWarm: "true", LabelPool: pool}
	found, err := p.o.Cloud.List(ctx, match)
	if err != nil {
		return fmt.Errorf("list warm instances of pool %q: %w", pool, err)
	}
	now := p.o.Now()
	have := 0
	for _, in := range found {
		if hasLabels(in, match) && in.State != StateTerminated && !p.warmExpired(in, now) {
			have++
		}
	}
	for ; have < want; have++ {
		token, err := warmToken()
		if err != nil {
			return fmt.Errorf("fill warm pool %q: %w", pool, err)
		}
		labels := p.labels(map[string]string{LabelWarm: "true", LabelPool: pool, LabelExpires: expires(now, p.o.WarmTTL)})
		in, err := p.o.Cloud.Create(ctx, Spec{Name: instanceName(token), Image: cloudImage, InstanceType: instanceType,
			Token: token, Labels: labels, Stopped: true})
		if err != nil {
			return fmt.Errorf("create warm instance in pool %q: %w", pool, err)
		}
		p.log.InfoContext(ctx, "warm machine created", "pool", pool, "instance", in.ID)
	}
	return nil
}

// Collect deletes the provisioner's instances that should not exist any more and returns their ids, sorted:
//   - a task's instance past its caravan-expires time (or, without that label, older than TTL);
//   - a task's instance whose task is no longer active (active returns false: finished, canceled, or orphaned
//     by a crash); active may be nil, then only expiry counts;
//   - a warm instance past its caravan-expires time or older than WarmTTL.
//
// Instances without caravan-managed=true are never touched, and terminated ones a cloud still lists are
// skipped. An error of active skips that task's instances; the errors are joined with the ids deleted.
func (p *Provisioner) Collect(ctx context.Context, active func(ctx context.Context, taskID string) (bool, error)) (deleted []string, err error) {
	if p.o.Cloud == nil {
		return nil, errNoCloud
	}
	found, err := p.o.Cloud.List(ctx, map[string]string{LabelManaged: "true"})
	if err != nil {
		return nil, fmt.Errorf("list managed instances: %w", err)
	}
	now := p.o.Now()
	known := map[string]bool{}
	var ids []string
	var errs []error
	for _, in := range found {
		if in.Labels[LabelManaged] != "true" || in.State == StateTerminated {
			continue
		}
		reason := ""
		switch task := in.Labels[LabelTask]; {
		case in.Labels[LabelWarm] == "true":
			if p.warmExpired(in, now) {
				reason = "warm instance expired"
			}
		case expired(in, now, p.o.TTL):
			reason = "expired"
		case task != "" && active != nil:
			ok, seen := known[task]
			if !seen {
				ok, err = active(ctx, task)
				if err != nil {
					errs = append(errs, fmt.Errorf("check task %q of instance %q: %w", task, in.ID, err))
					continue
				}
				known[task] = ok
			}
			if !ok {
				reason = "task not active"
			}
		}
		if reason != "" {
			p.log.InfoContext(ctx, "collecting machine", "instance", in.ID, "task", in.Labels[LabelTask], "reason", reason)
			ids = append(ids, in.ID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		if err := p.o.Cloud.Delete(ctx, ids...); err != nil {
			return nil, errors.Join(append(errs, fmt.Errorf("delete %d collected instances: %w", len(ids), err))...)
		}
	}
	return ids, errors.Join(errs...)
}

func (p *Provisioner) warmExpired(in Instance, now time.Time) bool {
	if !in.Created.IsZero() && now.Sub(in.Created) > p.o.WarmTTL {
		return true
	}
	return expired(in, now, p.o.WarmTTL)
}

// expired reports whether in is past its caravan-expires label or, without a valid one, older than ttl.
func expired(in Instance, now time.Time, ttl time.Duration) bool {
	if s, err := strconv.ParseInt(in.Labels[LabelExpires], 10, 64); err == nil {
		return now.Unix() > s
	}
	return !in.Created.IsZero() && now.Sub(in.Created) > ttl
}

func warmToken() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random token: %w", err)
	}
	return "warm-" + hex.EncodeToString(b[:]), nil
}
