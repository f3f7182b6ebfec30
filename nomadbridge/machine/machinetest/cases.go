package machinetest

import (
	"slices"
	"testing"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

var startedStates = []string{machine.StatePending, machine.StateRunning}

func testCreateIdempotent(t *testing.T, s *suite) {
	sp := s.spec(t, s.labels("role", "single"))
	first := s.create(t, sp)
	second := s.create(t, sp)
	if first.ID != second.ID {
		t.Fatalf("Create with the same token returned %q then %q, want the same instance", first.ID, second.ID)
	}
	if first.Name != sp.Name {
		t.Errorf("Create returned name %q, want %q", first.Name, sp.Name)
	}
	if !slices.Contains(startedStates, first.State) {
		t.Errorf("Create returned state %q, want one of %q", first.State, startedStates)
	}
	diff(t, "instances of the token", []string{first.ID}, ids(s.live(t, s.labels())))
}

func testCreateDistinct(t *testing.T, s *suite) {
	a := s.create(t, s.spec(t, s.labels()))
	b := s.create(t, s.spec(t, s.labels()))
	if a.ID == b.ID {
		t.Fatalf("Create with two tokens returned the same instance %q", a.ID)
	}
	diff(t, "instances", sortedIDs(a.ID, b.ID), ids(s.live(t, s.labels())))
}

func testCreateStopped(t *testing.T, s *suite) {
	sp := s.spec(t, s.labels(machine.LabelWarm, "true"))
	sp.BootScript = ""
	sp.Stopped = true
	in := s.create(t, sp)
	if !slices.Contains([]string{machine.StateStopping, machine.StateStopped}, in.State) {
		t.Errorf("Create(Stopped) returned state %q, want stopping or stopped", in.State)
	}
	s.waitState(t, s.labels(), in.ID, machine.StateStopped)
	again := s.create(t, sp)
	if again.ID != in.ID {
		t.Fatalf("a retried Create(Stopped) returned %q, want %q", again.ID, in.ID)
	}
	diff(t, "instances of the token", []string{in.ID}, ids(s.live(t, s.labels())))
	s.waitState(t, s.labels(), in.ID, machine.StateStopped)
}

func testListByLabel(t *testing.T, s *suite) {
	// Values a restrictive cloud (GCE) cannot hold as they are: they must still match and come back unchanged.
	odd := s.labels("role", "a", machine.LabelPool, "ubuntu-2204:2024.01.1/arm.medium",
		machine.LabelTask, "Task_ID.With:Odd/Chars and spaces")
	a := s.create(t, s.spec(t, odd))
	b := s.create(t, s.spec(t, s.labels("role", "b")))
	c := s.create(t, s.spec(t, s.labels("role", "a", "extra", "x")))
	unmanaged := s.spec(t, map[string]string{runLabel: s.run, "role": "a"})
	d := s.create(t, unmanaged)

	tests := []struct {
		name  string
		match map[string]string
		want  []string
	}{
		{"all managed", s.labels(), sortedIDs(a.ID, b.ID, c.ID)},
		{"one label", s.labels("role", "a"), sortedIDs(a.ID, c.ID)},
		{"two labels", s.labels("role", "a", "extra", "x"), []string{c.ID}},
		{"odd values", s.labels(machine.LabelTask, "Task_ID.With:Odd/Chars and spaces"), []string{a.ID}},
		{"similar value", s.labels(machine.LabelTask, "task_id.with:odd/chars and spaces"), nil},
		{"no match", s.labels("role", "none"), nil},
		{"missing label", s.labels("absent", "x"), nil},
		{"without managed", map[string]string{runLabel: s.run, "role": "a"}, sortedIDs(a.ID, c.ID, d.ID)},
	}
	for _, tt := range tests {
		got := ids(s.live(t, tt.match))
		if len(tt.want) == 0 && len(got) == 0 {
			continue
		}
		diff(t, "List "+tt.name, tt.want, got)
	}
	for _, in := range s.live(t, s.labels(machine.LabelTask, "Task_ID.With:Odd/Chars and spaces")) {
		diff(t, "labels of "+in.ID, odd, in.Labels)
		if in.Created.IsZero() {
			t.Errorf("instance %q has no creation time", in.ID)
		}
		if in.Name != "" && in.Name != a.Name {
			t.Errorf("instance %q listed with name %q, want %q", in.ID, in.Name, a.Name)
		}
	}
}

func testAssign(t *testing.T, s *suite) {
	warm := s.labels(machine.LabelWarm, "true", machine.LabelPool, "default/medium")
	sp := s.spec(t, warm)
	sp.BootScript = ""
	sp.Stopped = true
	in := s.create(t, sp)
	s.waitState(t, s.labels(), in.ID, machine.StateStopped)

	assigned := s.labels(machine.LabelPool, "default/medium", machine.LabelTask, "task-1", machine.LabelAttempt, "1")
	if err := s.cloud.Assign(s.ctx, in.ID, "#!/bin/bash\necho assigned\n", assigned); err != nil {
		t.Fatalf("Assign(%q): %v", in.ID, err)
	}
	got := s.waitState(t, s.labels(machine.LabelTask, "task-1"), in.ID, startedStates...)
	diff(t, "labels after Assign", assigned, got.Labels)
	if left := s.live(t, s.labels(machine.LabelWarm, "true")); len(left) != 0 {
		t.Errorf("warm instances after Assign: %q, want none (the label must be gone)", ids(left))
	}
}

func testDelete(t *testing.T, s *suite) {
	a := s.create(t, s.spec(t, s.labels()))
	b := s.create(t, s.spec(t, s.labels()))
	keep := s.create(t, s.spec(t, s.labels("keep", "yes")))
	if err := s.cloud.Delete(s.ctx, a.ID, b.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	diff(t, "instances left", []string{keep.ID}, ids(s.live(t, s.labels())))
	if err := s.cloud.Delete(s.ctx, a.ID, b.ID); err != nil {
		t.Errorf("Delete of deleted instances: %v, want nil", err)
	}
	if err := s.cloud.Delete(s.ctx); err != nil {
		t.Errorf("Delete of nothing: %v, want nil", err)
	}
}
