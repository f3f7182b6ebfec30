package machine_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/google/go-cmp/cmp"
)

func TestFill(t *testing.T) {
	t.Parallel()
	c := newFakeCloud()
	c.add(warm("w-existing", "default/medium", machine.StateStopped))
	c.add(warm("w-terminated", "default/medium", machine.StateTerminated))
	p := newProvisioner(c, func(o *machine.Options) {
		o.Warm = map[string]int{"default/medium": 2, "ubuntu-2204:2024.01.1/arm.medium": 1, "default/large": 0}
	})
	if err := p.Fill(t.Context()); err != nil {
		t.Fatalf("Fill: %v", err)
	}
	_, specs := c.recorded()
	type created struct {
		Pool, Image, Type string
		Stopped           bool
		Labels            map[string]string
	}
	var got []created
	for _, s := range specs {
		if s.Token == "" || s.Name == "" || s.BootScript != "" {
			t.Errorf("warm spec %+v: want a token, a name and no boot script", s)
		}
		got = append(got, created{s.Labels[machine.LabelPool], s.Image, s.InstanceType, s.Stopped, s.Labels})
	}
	exp := strconv.FormatInt(testNow.Add(24*time.Hour).Unix(), 10)
	labels := func(pool string) map[string]string {
		return map[string]string{"team": "ci", machine.LabelManaged: "true", machine.LabelWarm: "true",
			machine.LabelPool: pool, machine.LabelExpires: exp}
	}
	want := []created{
		{"default/medium", "img-default", "type-m", true, labels("default/medium")},
		{"ubuntu-2204:2024.01.1/arm.medium", "img-2204-arm", "type-arm-m", true, labels("ubuntu-2204:2024.01.1/arm.medium")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created (-want +got):\n%s", diff)
	}
	if err := p.Fill(t.Context()); err != nil {
		t.Fatalf("second Fill: %v", err)
	}
	if _, specs := c.recorded(); len(specs) != 2 {
		t.Errorf("second Fill created %d more instances, want none", len(specs)-2)
	}
}

func TestFillBadPools(t *testing.T) {
	t.Parallel()
	c := newFakeCloud()
	p := newProvisioner(c, func(o *machine.Options) {
		o.Warm = map[string]int{"no-slash": 1, "default/gpu": 1, "default/medium": 1}
	})
	err := p.Fill(t.Context())
	if err == nil || !strings.Contains(err.Error(), `"no-slash"`) || !strings.Contains(err.Error(), `"gpu"`) {
		t.Fatalf("Fill error = %v, want errors for both bad pools", err)
	}
	if _, specs := c.recorded(); len(specs) != 1 || specs[0].Labels[machine.LabelPool] != "default/medium" {
		t.Errorf("created %+v, want the one good pool filled", specs)
	}
}

func TestCollect(t *testing.T) {
	t.Parallel()
	unix := func(d time.Duration) string { return strconv.FormatInt(testNow.Add(d).Unix(), 10) }
	task := func(id, taskID, exp, state string) machine.Instance {
		l := map[string]string{machine.LabelManaged: "true", machine.LabelTask: taskID, machine.LabelAttempt: "1"}
		if exp != "" {
			l[machine.LabelExpires] = exp
		}
		return machine.Instance{ID: id, State: state, Labels: l, Created: testNow.Add(-10 * time.Minute)}
	}
	oldWarm := warm("warm-old", "default/medium", machine.StateStopped)
	oldWarm.Created = testNow.Add(-25 * time.Hour)
	expWarm := warm("warm-expired", "default/medium", machine.StateStopped)
	expWarm.Labels[machine.LabelExpires] = unix(-time.Second)
	noExpOld := task("no-expiry-old", "active", "", machine.StateRunning)
	noExpOld.Created = testNow.Add(-3 * time.Hour)
	unmanaged := task("unmanaged", "gone", unix(-time.Hour), machine.StateRunning)
	delete(unmanaged.Labels, machine.LabelManaged)
	notTrue := task("managed-false", "gone", unix(-time.Hour), machine.StateRunning)
	notTrue.Labels[machine.LabelManaged] = "false"

	instances := []machine.Instance{
		task("expired", "active", unix(-time.Second), machine.StateRunning),
		task("live", "active", unix(time.Hour), machine.StateRunning),
		task("orphan", "gone", unix(time.Hour), machine.StateRunning),
		task("orphan-stopped", "gone", unix(time.Hour), machine.StateStopped),
		task("terminated", "gone", unix(-time.Hour), machine.StateTerminated),
		task("flaky", "flaky", unix(time.Hour), machine.StateRunning),
		warm("warm-fresh", "default/medium", machine.StateStopped),
		oldWarm, expWarm, noExpOld, unmanaged, notTrue,
	}
	c := newFakeCloud()
	for _, in := range instances {
		c.add(in)
	}
	var asked []string
	active := func(_ context.Context, id string) (bool, error) {
		asked = append(asked, id)
		if id == "flaky" {
			return false, errors.New("store unavailable")
		}
		return id == "active", nil
	}
	deleted, err := newProvisioner(c, nil).Collect(t.Context(), active)
	if err == nil || !strings.Contains(err.Error(), "store unavailable") {
		t.Errorf("Collect error = %v, want the active check's error", err)
	}
	want := []string{"expired", "no-expiry-old", "orphan", "orphan-stopped", "warm-expired", "warm-old"}
	if diff := cmp.Diff(want, deleted); diff != "" {
		t.Errorf("deleted (-want +got):\n%s", diff)
	}
	for _, id := range []string{"live", "flaky", "warm-fresh", "unmanaged", "managed-false"} {
		if s := c.get(id).State; s == machine.StateTerminated {
			t.Errorf("instance %q was deleted", id)
		}
	}
	slices.Sort(asked)
	if diff := cmp.Diff([]string{"active", "flaky", "gone"}, asked); diff != "" {
		t.Errorf("active asked about (-want +got), each task once:\n%s", diff)
	}
	calls, _ := c.recorded()
	if slices.Contains(calls, "delete terminated") {
		t.Error("a terminated leftover was deleted again")
	}
}

func TestCollectWithoutActive(t *testing.T) {
	t.Parallel()
	c := newFakeCloud()
	p := newProvisioner(c, nil)
	in, err := p.Run(t.Context(), launch("job-0", 1))
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if deleted, err := p.Collect(t.Context(), nil); err != nil || len(deleted) != 0 {
		t.Fatalf("Collect = %q, %v; want nothing deleted", deleted, err)
	}
	later := newProvisioner(c, func(o *machine.Options) { o.Now = func() time.Time { return testNow.Add(3 * time.Hour) } })
	deleted, err := later.Collect(t.Context(), nil)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if diff := cmp.Diff([]string{in.ID}, deleted); diff != "" {
		t.Errorf("deleted after TTL (-want +got):\n%s", diff)
	}
}
