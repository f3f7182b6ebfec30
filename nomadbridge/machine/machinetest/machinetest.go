package machinetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/google/go-cmp/cmp"
)

// Config says what the suite creates. Zero fields take values a fake accepts.
type Config struct {
	Image        string        // cloud image; default "caravan-test-image"
	InstanceType string        // instance type; default "caravan.small"
	Patience     time.Duration // how long to wait for a state change; default 5 minutes
}

// Run runs the suite with a zero Config. newCloud is called once per subtest, possibly from parallel subtests.
func Run(t *testing.T, newCloud func(t *testing.T) machine.Cloud) {
	RunConfig(t, Config{}, newCloud)
}

// RunConfig runs the suite with c.
func RunConfig(t *testing.T, c Config, newCloud func(t *testing.T) machine.Cloud) {
	if c.Image == "" {
		c.Image = "caravan-test-image"
	}
	if c.InstanceType == "" {
		c.InstanceType = "caravan.small"
	}
	if c.Patience <= 0 {
		c.Patience = 5 * time.Minute
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s *suite)
	}{
		{"CreateIdempotent", testCreateIdempotent},
		{"CreateDistinctTokens", testCreateDistinct},
		{"CreateStopped", testCreateStopped},
		{"ListByLabel", testListByLabel},
		{"Assign", testAssign},
		{"Delete", testDelete},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := &suite{c: c, cloud: newCloud(t), run: randomHex(t, 6), ctx: t.Context()}
			t.Cleanup(func() { s.cleanup(t) })
			tt.fn(t, s)
		})
	}
}

type suite struct {
	c     Config
	cloud machine.Cloud
	run   string // value of the label marking this subtest's instances
	ctx   context.Context
	ids   []string
}

const runLabel = "caravan-conformance"

// labels returns the subtest's base labels plus extra.
func (s *suite) labels(extra ...string) map[string]string {
	l := map[string]string{machine.LabelManaged: "true", runLabel: s.run}
	for i := 0; i+1 < len(extra); i += 2 {
		l[extra[i]] = extra[i+1]
	}
	return l
}

func (s *suite) spec(t *testing.T, labels map[string]string) machine.Spec {
	token := "conf-" + randomHex(t, 12)
	return machine.Spec{Name: "caravan-conf-" + token[5:17], Image: s.c.Image, InstanceType: s.c.InstanceType,
		BootScript: "#!/bin/bash\necho conformance\n", Token: token, Labels: labels}
}

func (s *suite) create(t *testing.T, sp machine.Spec) machine.Instance {
	t.Helper()
	in, err := s.cloud.Create(s.ctx, sp)
	if err != nil {
		t.Fatalf("Create(%q): %v", sp.Name, err)
	}
	if in.ID == "" {
		t.Fatalf("Create(%q) returned an instance without an id", sp.Name)
	}
	s.ids = append(s.ids, in.ID)
	return in
}

func (s *suite) list(t *testing.T, match map[string]string) []machine.Instance {
	t.Helper()
	got, err := s.cloud.List(s.ctx, match)
	if err != nil {
		t.Fatalf("List(%v): %v", match, err)
	}
	return got
}

// live lists the instances matching match that are not terminated, sorted by id.
func (s *suite) live(t *testing.T, match map[string]string) []machine.Instance {
	t.Helper()
	var out []machine.Instance
	for _, in := range s.list(t, match) {
		if in.State != machine.StateTerminated {
			out = append(out, in)
		}
	}
	slices.SortFunc(out, func(a, b machine.Instance) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// waitState waits until the instance id, listed through match, is in one of the states.
func (s *suite) waitState(t *testing.T, match map[string]string, id string, states ...string) machine.Instance {
	t.Helper()
	deadline := time.Now().Add(s.c.Patience)
	for {
		var last machine.Instance
		for _, in := range s.list(t, match) {
			if in.ID == id {
				last = in
			}
		}
		if slices.Contains(states, last.State) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("instance %q is in state %q, want one of %q", id, last.State, states)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (s *suite) cleanup(t *testing.T) {
	if len(s.ids) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.c.Patience)
	defer cancel()
	if err := s.cloud.Delete(ctx, s.ids...); err != nil {
		t.Errorf("cleanup: Delete(%q): %v", s.ids, err)
	}
}

func ids(ins []machine.Instance) []string {
	out := make([]string, 0, len(ins))
	for _, in := range ins {
		out = append(out, in.ID)
	}
	slices.Sort(out)
	return out
}

func sortedIDs(v ...string) []string {
	v = slices.Clone(v)
	slices.Sort(v)
	return v
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("read random: %v", err)
	}
	return hex.EncodeToString(b)
}

func diff(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", what, d)
	}
}
