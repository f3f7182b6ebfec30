package nomadbridge

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/google/go-cmp/cmp"
)

// memCloud is an in-memory machine.Cloud: instances change state at once, and deleted ones stay listed as
// terminated.
type memCloud struct {
	mu      sync.Mutex
	seq     int
	byToken map[string]string
	insts   map[string]*memInstance
	creates int
}

type memInstance struct {
	machine.Instance
	spec   machine.Spec
	script string
}

func newMemCloud() *memCloud {
	return &memCloud{byToken: map[string]string{}, insts: map[string]*memInstance{}}
}

func (c *memCloud) Create(_ context.Context, s machine.Spec) (machine.Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if id, ok := c.byToken[s.Token]; ok {
		return c.insts[id].copy(), nil
	}
	c.seq++
	c.creates++
	id := fmt.Sprintf("vm-%02d", c.seq)
	state := machine.StateRunning
	if s.Stopped {
		state = machine.StateStopped
	}
	c.insts[id] = &memInstance{Instance: machine.Instance{ID: id, Name: s.Name, State: state,
		Labels: maps.Clone(s.Labels)}, spec: s, script: s.BootScript}
	c.byToken[s.Token] = id
	return c.insts[id].copy(), nil
}

func (c *memCloud) List(_ context.Context, match map[string]string) ([]machine.Instance, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []machine.Instance
	for _, id := range slices.Sorted(maps.Keys(c.insts)) {
		if in := c.insts[id]; hasAll(in.Labels, match) {
			out = append(out, in.copy())
		}
	}
	return out, nil
}

func (c *memCloud) Assign(_ context.Context, id, script string, labels map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	in, ok := c.insts[id]
	if !ok || in.State != machine.StateStopped {
		return fmt.Errorf("mem cloud: %s is not a stopped instance", id)
	}
	in.script, in.Labels, in.State = script, maps.Clone(labels), machine.StateRunning
	return nil
}

func (c *memCloud) Delete(_ context.Context, ids ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if in, ok := c.insts[id]; ok {
			in.State = machine.StateTerminated
		}
	}
	return nil
}

// live lists the instances not terminated, as "task=<task id>" or "warm=<pool>", sorted.
func (c *memCloud) live() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, in := range c.insts {
		switch {
		case in.State == machine.StateTerminated:
		case in.Labels[machine.LabelWarm] == "true":
			out = append(out, "warm="+in.Labels[machine.LabelPool])
		default:
			out = append(out, "task="+in.Labels[machine.LabelTask])
		}
	}
	slices.Sort(out)
	return out
}

// only returns the one instance the cloud holds.
func (c *memCloud) only(t *testing.T) memInstance {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.insts) != 1 {
		t.Fatalf("the cloud holds %d instances, want 1", len(c.insts))
	}
	for _, in := range c.insts {
		return *in
	}
	panic("unreachable")
}

func (in *memInstance) copy() machine.Instance {
	c := in.Instance
	c.Labels = maps.Clone(in.Labels)
	return c
}

func hasAll(labels, match map[string]string) bool {
	for k, v := range match {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// newMachineEnv is a bridge whose machine jobs run on a provisioner over cloud.
func newMachineEnv(t *testing.T, cloud machine.Cloud, warm map[string]int) *env {
	t.Helper()
	return newEnv(t, func(o *Options) {
		o.Machines = NewProvisionerMachines(machine.New(machine.Options{Cloud: cloud, Now: o.Now, Warm: warm,
			Images:  map[string]string{"default": "img-2204", "ubuntu-2404:*": "img-2404"},
			Classes: map[string]string{"medium": "type-m", "large": "type-l", "arm.medium": "type-arm"}}))
	})
}

func machineExec(image, class string) plan.Executor {
	return plan.Executor{Kind: plan.ExecMachine, ResourceClass: class, Machine: &plan.Machine{Image: image}}
}

func TestMachineLaunch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cloud := newMemCloud()
	e := newMachineEnv(t, cloud, nil)
	e.tasks.add(domain.Task{ID: "t-0"}, machineExec("ubuntu-2404:2025.01.1", "large"))

	for range 2 { // the second message is a duplicate
		if err := e.b.Handle(ctx, delivery("t-0", 1)); err != nil {
			t.Fatalf("Handle: %v", err)
		}
	}
	if cloud.creates != 1 {
		t.Errorf("%d instances created, want 1", cloud.creates)
	}
	in := cloud.only(t)
	if in.spec.Image != "img-2404" || in.spec.InstanceType != "type-l" {
		t.Errorf("instance of image %q, type %q; want img-2404, type-l", in.spec.Image, in.spec.InstanceType)
	}
	for k, want := range map[string]string{machine.LabelTask: "t-0", machine.LabelAttempt: "1",
		machine.LabelPool: "ubuntu-2404:2025.01.1/large"} {
		if got := in.Labels[k]; got != want {
			t.Errorf("label %s = %q, want %q", k, got, want)
		}
	}
	for _, want := range []string{"'token-t-0'", "'" + testAPIURL + "'", "'https://ci.example.com/runner/linux-amd64.tar.gz'"} {
		if !strings.Contains(in.script, want) {
			t.Errorf("boot script lacks %s", want)
		}
	}
	if got := e.tasks.get("t-0"); got.Status != domain.TaskQueued || got.Executor != ExecutorName {
		t.Errorf("task %+v, want queued and dispatched", got)
	}
	if n := e.nomad.count("Register"); n != 0 {
		t.Errorf("%d Nomad jobs registered for a machine task", n)
	}
}

func TestMachineUnroutable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		ex      plan.Executor
		wantMsg string
	}{
		{name: "unknown image", ex: machineExec("windows-server-2022-gui:current", "medium"),
			wantMsg: `no machine for the job: launch task "t-0": no machine image is configured for ` +
				`"windows-server-2022-gui:current": unroutable machine job`},
		{name: "unknown resource class", ex: machineExec("", "gpu.nvidia.small"),
			wantMsg: `no machine for the job: launch task "t-0": no machine instance type is configured for ` +
				`resource class "gpu.nvidia.small": unroutable machine job`},
		{name: "arm class without an arm image", ex: machineExec("", "arm.medium"),
			wantMsg: `no machine for the job: launch task "t-0": no machine image is configured for "default" on ` +
				`arm64 (resource class "arm.medium"): unroutable machine job`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cloud := newMemCloud()
			e := newMachineEnv(t, cloud, nil)
			e.tasks.add(domain.Task{ID: "t-0"}, tt.ex)
			if err := e.b.Handle(context.Background(), delivery("t-0", 1)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			got := e.tasks.get("t-0")
			if got.Status != domain.TaskInfrastructureFail {
				t.Errorf("task %s, want %s", got.Status, domain.TaskInfrastructureFail)
			}
			if diff := cmp.Diff(tt.wantMsg, got.Message); diff != "" {
				t.Errorf("message (-want +got):\n%s", diff)
			}
			if cloud.creates != 0 {
				t.Errorf("%d instances created", cloud.creates)
			}
		})
	}
}

func TestProvisionerMachinesErrors(t *testing.T) {
	t.Parallel()
	m := NewProvisionerMachines(machine.New(machine.Options{Cloud: newMemCloud(),
		Images: map[string]string{"default": "img"}, Classes: map[string]string{"medium": "type-m"}}))
	l := MachineLaunch{TaskID: "t-0", Attempt: 1, Image: "nope", APIURL: testAPIURL, Token: "tok", RunnerURL: "u"}
	err := m.Launch(context.Background(), l)
	if !errors.Is(err, ErrRejected) || !errors.Is(err, machine.ErrUnroutable) {
		t.Errorf("unroutable launch: %v, want ErrRejected and machine.ErrUnroutable", err)
	}
	l.Image, l.Token = "", "" // routable, but invalid
	if err := m.Launch(context.Background(), l); err == nil || errors.Is(err, ErrRejected) {
		t.Errorf("launch without a token: %v, want an error that is not ErrRejected", err)
	}
}

func TestMachineMaintain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cloud := newMemCloud()
	e := newMachineEnv(t, cloud, map[string]int{"default/medium": 1})
	for _, id := range []string{"running", "ended", "canceled", "gone", "queued"} {
		e.tasks.add(domain.Task{ID: id}, machineExec("", "medium"))
		if err := e.b.Handle(ctx, delivery(id, 1)); err != nil {
			t.Fatalf("Handle %s: %v", id, err)
		}
	}
	e.tasks.update("running", func(t *domain.Task) { t.Status = domain.TaskRunning })
	e.tasks.update("ended", func(t *domain.Task) { t.Status = domain.TaskSuccess })
	e.tasks.update("canceled", func(t *domain.Task) { t.Status, t.Canceled = domain.TaskRunning, true })
	e.tasks.mu.Lock()
	delete(e.tasks.tasks, "gone")
	e.tasks.mu.Unlock()

	k := &machineKeeper{b: e.b, m: e.b.o.Machines.(MachineMaintainer)}
	if err := k.pass(ctx); err != nil {
		t.Fatalf("first pass: %v", err)
	}
	want := []string{"task=canceled", "task=queued", "task=running", "warm=default/medium"}
	if diff := cmp.Diff(want, cloud.live()); diff != "" {
		t.Errorf("after the first pass (-want +got):\n%s", diff)
	}

	e.clock.Advance(e.b.o.KillGrace) // the canceled task's runner had its time to stop
	if err := k.pass(ctx); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	want = []string{"task=queued", "task=running", "warm=default/medium"}
	if diff := cmp.Diff(want, cloud.live()); diff != "" {
		t.Errorf("after KillGrace (-want +got):\n%s", diff)
	}
	if len(k.canceled) != 1 {
		t.Errorf("keeper remembers %d canceled tasks, want 1", len(k.canceled))
	}

	e.tasks.update("running", func(t *domain.Task) { t.Status = domain.TaskFailed })
	if err := k.pass(ctx); err != nil {
		t.Fatalf("third pass: %v", err)
	}
	want = []string{"task=queued", "warm=default/medium"}
	if diff := cmp.Diff(want, cloud.live()); diff != "" {
		t.Errorf("after the task failed (-want +got):\n%s", diff)
	}
	if len(k.canceled) != 0 {
		t.Errorf("keeper still remembers %v", k.canceled)
	}
}

func TestMachineMaintainTaskError(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cloud := newMemCloud()
	e := newMachineEnv(t, cloud, nil)
	e.tasks.add(domain.Task{ID: "t-0"}, machineExec("", ""))
	if err := e.b.Handle(ctx, delivery("t-0", 1)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	e.tasks.update("t-0", func(t *domain.Task) { t.Status = domain.TaskSuccess })
	e.tasks.fail("Task", errTransient)
	k := &machineKeeper{b: e.b, m: e.b.o.Machines.(MachineMaintainer)}
	if err := k.pass(ctx); !errors.Is(err, errTransient) {
		t.Errorf("pass: %v, want the task store's error", err)
	}
	if diff := cmp.Diff([]string{"task=t-0"}, cloud.live()); diff != "" {
		t.Errorf("a task that could not be read lost its VM (-want +got):\n%s", diff)
	}
	if err := k.pass(ctx); err != nil {
		t.Fatalf("second pass: %v", err)
	}
	if got := cloud.live(); len(got) != 0 {
		t.Errorf("VMs of an ended task left: %v", got)
	}
}

// countingMachines is Machines and MachineMaintainer, counting Maintain calls.
type countingMachines struct {
	mu       sync.Mutex
	maintain int
}

func (*countingMachines) Launch(context.Context, MachineLaunch) error { return nil }
func (*countingMachines) Stop(context.Context, string) error          { return nil }

func (m *countingMachines) Maintain(context.Context, func(context.Context, string) (bool, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.maintain++
	return nil
}

func (m *countingMachines) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.maintain
}

func TestRunMaintainsMachines(t *testing.T) {
	t.Parallel()
	m := &countingMachines{}
	e := newEnv(t, func(o *Options) { o.Machines = m })
	stop := start(t, func(ctx context.Context) { _ = e.b.Run(ctx) })
	waitFor(t, "a maintenance pass at start", func() bool { return m.count() >= 1 })
	stop()
}

func TestScopeCloud(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cloud := newMemCloud()
	mine, theirs := ScopeCloud(cloud, testAPIURL), ScopeCloud(cloud, "https://other.example.com")
	a, err := mine.Create(ctx, machine.Spec{Token: "a", Labels: map[string]string{machine.LabelManaged: "true"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := theirs.Create(ctx, machine.Spec{Token: "b", Labels: map[string]string{machine.LabelManaged: "true"},
		Stopped: true}); err != nil {
		t.Fatal(err)
	}
	got, err := mine.List(ctx, map[string]string{machine.LabelManaged: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != a.ID || got[0].Labels[LabelInstall] != installID(testAPIURL) {
		t.Errorf("listed %+v, want only %s labelled with its installation", got, a.ID)
	}
	all, _ := cloud.List(ctx, nil)
	if err := mine.Assign(ctx, all[1].ID, "script", map[string]string{machine.LabelTask: "t"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := mine.List(ctx, map[string]string{machine.LabelTask: "t"}); len(got) != 1 {
		t.Errorf("an assigned instance is not listed in its new installation: %+v", got)
	}
}
