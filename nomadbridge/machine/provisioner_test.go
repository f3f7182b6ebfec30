package machine_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

func newProvisioner(c *fakeCloud, mod func(o *machine.Options)) *machine.Provisioner {
	c.now = func() time.Time { return testNow }
	o := machine.Options{
		Cloud: c,
		Images: map[string]string{
			"default":             "img-default",
			"default@arm64":       "img-default-arm",
			"ubuntu-2204:*":       "img-2204",
			"ubuntu-2204:*@arm64": "img-2204-arm",
			"ubuntu-2004:2023.1":  "img-2004-pinned",
		},
		Classes: map[string]string{"medium": "type-m", "large": "type-l", "arm.medium": "type-arm-m"},
		Labels:  map[string]string{"team": "ci", machine.LabelManaged: "no"},
		Now:     func() time.Time { return testNow },
	}
	if mod != nil {
		mod(&o)
	}
	return machine.New(o)
}

func launch(task string, attempt int) machine.Launch {
	return machine.Launch{TaskID: task, Attempt: attempt, Image: "ubuntu-2204:2024.01.1", ResourceClass: "large",
		APIURL: "https://ci.example.com", Token: "tok-" + task, RunnerURL: "https://ci.example.com/runner.tar.gz"}
}

func TestRunCreates(t *testing.T) {
	t.Parallel()
	c := newFakeCloud()
	p := newProvisioner(c, nil)
	l := launch("job-0", 2)
	in, err := p.Run(t.Context(), l)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	wantLabels := map[string]string{"team": "ci", machine.LabelManaged: "true", machine.LabelPool: "ubuntu-2204:2024.01.1/large",
		machine.LabelTask: "job-0", machine.LabelAttempt: "2", machine.LabelExpires: strconv.FormatInt(testNow.Add(2*time.Hour).Unix(), 10)}
	if diff := cmp.Diff(wantLabels, in.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	got := c.get(in.ID)
	if got.Spec.Image != "img-2204" || got.Spec.InstanceType != "type-l" || got.Spec.Stopped {
		t.Errorf("spec = %+v, want image img-2204, type type-l, started", got.Spec)
	}
	if got.Script != machine.BootScript(l) {
		t.Errorf("boot script differs from BootScript(launch)")
	}
	if len(got.Spec.Token) > 64 || !strings.HasPrefix(got.Spec.Name, "caravan-") || len(got.Spec.Name) > 63 {
		t.Errorf("token %q / name %q: want a token of at most 64 characters and a caravan- name", got.Spec.Token, got.Spec.Name)
	}
}

func TestRunIdempotent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		second   machine.Launch
		sameInst bool
	}{
		{"same attempt", launch("job-0", 1), true},
		{"next attempt", launch("job-0", 2), false},
		{"other task", launch("job-1", 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCloud()
			first, err := newProvisioner(c, nil).Run(t.Context(), launch("job-0", 1))
			if err != nil {
				t.Fatalf("first Run: %v", err)
			}
			// A second provisioner (a restarted bridge) over the same cloud.
			second, err := newProvisioner(c, nil).Run(t.Context(), tt.second)
			if err != nil {
				t.Fatalf("second Run: %v", err)
			}
			if (first.ID == second.ID) != tt.sameInst {
				t.Errorf("instances %q and %q: same = %v, want %v", first.ID, second.ID, first.ID == second.ID, tt.sameInst)
			}
			_, specs := c.recorded()
			want := 2
			if tt.sameInst {
				want = 1
			}
			if len(specs) != want {
				t.Errorf("%d instances created, want %d", len(specs), want)
			}
		})
	}
}

// An instance the list does not show yet (or a lost reply) is still found again through the create token.
func TestRunTokenDerivedFromTaskAttempt(t *testing.T) {
	t.Parallel()
	c := newFakeCloud()
	p := newProvisioner(c, nil)
	first, err := p.Run(t.Context(), launch("job-0", 1))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	c.mu.Lock()
	c.insts[first.ID].Labels = map[string]string{} // hide it from the label lookup
	c.mu.Unlock()
	second, err := p.Run(t.Context(), launch("job-0", 1))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if first.ID != second.ID {
		t.Errorf("second Run created %q, want the token to return %q", second.ID, first.ID)
	}
}

func warm(id, pool, state string) machine.Instance {
	return machine.Instance{ID: id, State: state, Created: testNow.Add(-time.Hour), Labels: map[string]string{
		machine.LabelManaged: "true", machine.LabelWarm: "true", machine.LabelPool: pool,
		machine.LabelExpires: strconv.FormatInt(testNow.Add(time.Hour).Unix(), 10)}}
}

func TestRunWarmPool(t *testing.T) {
	t.Parallel()
	expiredWarm := warm("w-old", "ubuntu-2204:2024.01.1/large", machine.StateStopped)
	expiredWarm.Labels[machine.LabelExpires] = strconv.FormatInt(testNow.Add(-time.Minute).Unix(), 10)
	tests := []struct {
		name      string
		pool      []machine.Instance
		assignErr error
		wantID    string // "" means a new instance
		wantCalls []string
	}{
		{"takes stopped warm of the pool", []machine.Instance{warm("w-1", "ubuntu-2204:2024.01.1/large", machine.StateStopped)},
			nil, "w-1", []string{"assign w-1"}},
		{"other pool is not taken", []machine.Instance{warm("w-1", "ubuntu-2204:2024.01.1/medium", machine.StateStopped)},
			nil, "", []string{"create"}},
		{"warm still starting is not taken", []machine.Instance{warm("w-1", "ubuntu-2204:2024.01.1/large", machine.StatePending)},
			nil, "", []string{"create"}},
		{"expired warm is not taken", []machine.Instance{expiredWarm}, nil, "", []string{"create"}},
		{"failed assign deletes and creates", []machine.Instance{warm("w-1", "ubuntu-2204:2024.01.1/large", machine.StateStopped)},
			errors.New("boom"), "", []string{"assign w-1", "delete w-1", "create"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCloud()
			for _, in := range tt.pool {
				c.add(in)
			}
			c.assignErr = tt.assignErr
			l := launch("job-0", 1)
			in, err := newProvisioner(c, nil).Run(t.Context(), l)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			calls, _ := c.recorded()
			for i := range calls {
				calls[i], _, _ = strings.Cut(calls[i], " caravan-")
			}
			if diff := cmp.Diff(tt.wantCalls, calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tt.wantID != "" && in.ID != tt.wantID {
				t.Fatalf("Run returned %q, want warm %q", in.ID, tt.wantID)
			}
			got := c.get(in.ID)
			if got.Script != machine.BootScript(l) || got.State != machine.StateRunning {
				t.Errorf("instance %q: state %q, script set %v; want running with the boot script", in.ID, got.State, got.Script != "")
			}
			if got.Labels[machine.LabelWarm] != "" || got.Labels[machine.LabelTask] != "job-0" || got.Labels[machine.LabelAttempt] != "1" {
				t.Errorf("labels after Run: %v, want task labels and no warm label", got.Labels)
			}
			if diff := cmp.Diff(got.Labels, in.Labels); diff != "" {
				t.Errorf("returned labels differ from the cloud's (-cloud +returned):\n%s", diff)
			}
			// A redelivered message finds the instance, warm or not.
			again, err := newProvisioner(c, nil).Run(t.Context(), l)
			if err != nil || again.ID != in.ID {
				t.Errorf("second Run = %q, %v; want %q", again.ID, err, in.ID)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		mod     func(l *machine.Launch)
		listErr error
		want    string
	}{
		{"unknown image", func(l *machine.Launch) { l.Image = "ubuntu-2004:foo" }, nil, `no machine image is configured for "ubuntu-2004:foo"`},
		{"unknown class", func(l *machine.Launch) { l.ResourceClass = "gpu.nvidia.small" }, nil, `resource class "gpu.nvidia.small"`},
		{"arm without arm image", func(l *machine.Launch) { l.Image, l.ResourceClass = "ubuntu-2004:2023.1", "arm.medium" },
			nil, `no machine image is configured for "ubuntu-2004:2023.1" on arm64`},
		{"no task id", func(l *machine.Launch) { l.TaskID = "" }, nil, "invalid task id"},
		{"task id with slash", func(l *machine.Launch) { l.TaskID = "../etc" }, nil, "invalid task id"},
		{"no token", func(l *machine.Launch) { l.Token = "" }, nil, "no token"},
		{"no runner url", func(l *machine.Launch) { l.RunnerURL = "" }, nil, "no runner url"},
		{"nul byte", func(l *machine.Launch) { l.APIURL = "http://x\x00" }, nil, "NUL"},
		{"list fails", nil, errors.New("cloud down"), "cloud down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newFakeCloud()
			c.listErr = tt.listErr
			l := launch("job-0", 1)
			if tt.mod != nil {
				tt.mod(&l)
			}
			_, err := newProvisioner(c, nil).Run(t.Context(), l)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run error = %v, want one containing %q", err, tt.want)
			}
			if tt.listErr != nil && !errors.Is(err, tt.listErr) {
				t.Errorf("Run error %v does not wrap the cloud's error", err)
			}
			if _, specs := c.recorded(); len(specs) != 0 {
				t.Errorf("%d instances created, want none", len(specs))
			}
		})
	}
}

func TestRunResolvesImages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		image, class, want string
	}{
		{"", "", "img-default"},
		{"default", "arm.medium", "img-default-arm"},
		{"ubuntu-2204:2024.01.1", "medium", "img-2204"},
		{"ubuntu-2204:current", "arm.medium", "img-2204-arm"},
		{"ubuntu-2004:2023.1", "medium", "img-2004-pinned"},
	}
	for _, tt := range tests {
		t.Run(tt.image+"/"+tt.class, func(t *testing.T) {
			t.Parallel()
			c := newFakeCloud()
			l := launch("job-0", 1)
			l.Image, l.ResourceClass = tt.image, tt.class
			in, err := newProvisioner(c, nil).Run(t.Context(), l)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			if got := c.get(in.ID).Spec.Image; got != tt.want {
				t.Errorf("image = %q, want %q", got, tt.want)
			}
			if got, want := in.Labels[machine.LabelPool], machine.PoolKey(tt.image, tt.class); got != want {
				t.Errorf("pool label = %q, want %q", got, want)
			}
		})
	}
}

func TestStop(t *testing.T) {
	t.Parallel()
	c := newFakeCloud()
	p := newProvisioner(c, nil)
	ctx := t.Context()
	a1, _ := p.Run(ctx, launch("job-0", 1))
	a2, _ := p.Run(ctx, launch("job-0", 2))
	other, _ := p.Run(ctx, launch("job-1", 1))
	if err := p.Stop(ctx, "job-0"); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for id, want := range map[string]string{a1.ID: machine.StateTerminated, a2.ID: machine.StateTerminated, other.ID: machine.StateRunning} {
		if got := c.get(id).State; got != want {
			t.Errorf("instance %q: state %q, want %q", id, got, want)
		}
	}
	if err := p.Stop(ctx, "job-0"); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := p.Stop(context.Background(), "no-such-task"); err != nil {
		t.Errorf("Stop of a task without machines: %v", err)
	}
	calls, _ := c.recorded()
	if n := strings.Count(strings.Join(calls, "\n"), "delete "); n != 2 {
		t.Errorf("%d deletes, want 2 (terminated instances are not deleted again): %q", n, calls)
	}
}

func TestNoCloud(t *testing.T) {
	t.Parallel()
	p := machine.New(machine.Options{})
	if _, err := p.Run(t.Context(), launch("job-0", 1)); err == nil {
		t.Error("Run without a cloud succeeded")
	}
	if err := p.Fill(t.Context()); err == nil {
		t.Error("Fill without a cloud succeeded")
	}
}
