package nomadbridge

import (
	"context"
	"errors"
	"maps"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

// MachineMaintainer is implemented by a Machines that needs upkeep besides Launch and Stop (warm pools, VMs
// left behind). When Options.Machines implements it, Run calls Maintain once at its start and then every
// MachineMaintenancePeriod.
type MachineMaintainer interface {
	// Maintain does one round of upkeep. active reports whether a task may still use its VMs: false for a
	// task that ended or does not exist, and for a canceled one once KillGrace has passed since the bridge
	// first saw it canceled (its runner stops by itself in the meantime). So a canceled task's VM is deleted
	// by a maintenance pass: within about two MachineMaintenancePeriods of the cancel.
	Maintain(ctx context.Context, active func(ctx context.Context, taskID string) (bool, error)) error
}

// MachineMaintenancePeriod is how often Run calls MachineMaintainer.Maintain.
const MachineMaintenancePeriod = time.Minute

// ProvisionerMachines runs machine jobs on the VMs of a machine.Provisioner: it is Machines and
// MachineMaintainer.
type ProvisionerMachines struct {
	p *machine.Provisioner
}

var (
	_ Machines          = (*ProvisionerMachines)(nil)
	_ MachineMaintainer = (*ProvisionerMachines)(nil)
)

// NewProvisionerMachines returns the Machines of p, for Options.Machines. Maintain deletes the VMs of tasks
// unknown to the bridge, so p's Cloud must list this installation's VMs only: wrap it with ScopeCloud when
// other installations may share the cloud account or project.
func NewProvisionerMachines(p *machine.Provisioner) *ProvisionerMachines {
	return &ProvisionerMachines{p: p}
}

// Launch starts the task's VM (Provisioner.Run). A job whose machine image or resource class is not
// configured is an error wrapping ErrRejected (and machine.ErrUnroutable): the task ends, as retrying cannot
// help.
func (m *ProvisionerMachines) Launch(ctx context.Context, l MachineLaunch) error {
	_, err := m.p.Run(ctx, machine.Launch{TaskID: l.TaskID, Attempt: l.Attempt, Image: l.Image,
		ResourceClass: l.ResourceClass, APIURL: l.APIURL, Token: l.Token, RunnerURL: l.RunnerURL})
	if errors.Is(err, machine.ErrUnroutable) {
		return &rejectedError{err: err}
	}
	return err
}

// Stop deletes the task's VMs (Provisioner.Stop).
func (m *ProvisionerMachines) Stop(ctx context.Context, taskID string) error {
	return m.p.Stop(ctx, taskID)
}

// Maintain deletes the VMs of inactive tasks and expired ones (Provisioner.Collect), then tops up the warm
// pools (Provisioner.Fill). One failing does not skip the other; the errors are joined.
func (m *ProvisionerMachines) Maintain(ctx context.Context,
	active func(ctx context.Context, taskID string) (bool, error)) error {
	_, cerr := m.p.Collect(ctx, active)
	return errors.Join(cerr, m.p.Fill(ctx))
}

// rejectedError is err, also matching ErrRejected; its message stays err's.
type rejectedError struct{ err error }

func (e *rejectedError) Error() string   { return e.err.Error() }
func (e *rejectedError) Unwrap() []error { return []error{ErrRejected, e.err} }

// maintainMachines runs m's maintenance now and then every MachineMaintenancePeriod until ctx ends.
func (b *Bridge) maintainMachines(ctx context.Context, m MachineMaintainer) {
	k := &machineKeeper{b: b, m: m}
	t := time.NewTicker(MachineMaintenancePeriod)
	defer t.Stop()
	for {
		if err := k.pass(ctx); err != nil && ctx.Err() == nil {
			b.log.Warn("machine maintenance failed; the next pass retries", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// machineKeeper runs maintenance passes, remembering between them when each canceled task was first seen.
type machineKeeper struct {
	b *Bridge
	m MachineMaintainer

	mu       sync.Mutex
	canceled map[string]time.Time // task id → when a pass first saw it canceled but not ended
}

// pass runs one Maintain with the bridge's view of which tasks are active.
func (k *machineKeeper) pass(ctx context.Context) error {
	now := k.b.o.Now()
	seen := map[string]time.Time{}
	active := func(ctx context.Context, taskID string) (bool, error) {
		t, err := k.b.o.Tasks.Task(ctx, taskID)
		switch {
		case errors.Is(err, ErrTaskNotFound):
			return false, nil // an orphan (the provisioner's Cloud sees this installation's VMs only: ScopeCloud)
		case err != nil:
			return false, err
		case t.Status.Terminal():
			return false, nil
		case !t.Canceled:
			return true, nil
		}
		k.mu.Lock()
		defer k.mu.Unlock()
		first, ok := k.canceled[taskID]
		if !ok {
			first = now
		}
		seen[taskID] = first
		return now.Sub(first) < k.b.o.KillGrace, nil
	}
	err := k.m.Maintain(ctx, active)
	k.mu.Lock()
	k.canceled = seen // tasks no pass asks about any more are forgotten
	k.mu.Unlock()
	return err
}

// LabelInstall is the label ScopeCloud puts on VMs: the installation, as in the jobs' meta.
const LabelInstall = "caravan-install"

// ScopeCloud restricts c to the VMs of the installation whose runners report to apiURL (the bridges of one
// server share it): instances it creates or assigns are labelled with LabelInstall, and it lists only those.
func ScopeCloud(c machine.Cloud, apiURL string) machine.Cloud {
	return scopedCloud{Cloud: c, install: installID(apiURL)}
}

type scopedCloud struct {
	machine.Cloud
	install string
}

func (c scopedCloud) with(labels map[string]string) map[string]string {
	l := maps.Clone(labels)
	if l == nil {
		l = map[string]string{}
	}
	l[LabelInstall] = c.install
	return l
}

func (c scopedCloud) Create(ctx context.Context, s machine.Spec) (machine.Instance, error) {
	s.Labels = c.with(s.Labels)
	return c.Cloud.Create(ctx, s)
}

func (c scopedCloud) List(ctx context.Context, match map[string]string) ([]machine.Instance, error) {
	return c.Cloud.List(ctx, c.with(match))
}

func (c scopedCloud) Assign(ctx context.Context, id, bootScript string, labels map[string]string) error {
	return c.Cloud.Assign(ctx, id, bootScript, c.with(labels))
}
