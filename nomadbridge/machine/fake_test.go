package machine_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

// fakeCloud is an in-memory machine.Cloud: instances change state at once, deleted ones stay listed as
// terminated (as EC2 lists them for a while), and every call is recorded.
type fakeCloud struct {
	mu        sync.Mutex
	now       func() time.Time
	seq       int
	byToken   map[string]string
	insts     map[string]*fakeInstance
	calls     []string
	specs     []machine.Spec
	assignErr error // returned (once per call) by Assign while set
	listErr   error
}

type fakeInstance struct {
	machine.Instance
	Spec   machine.Spec
	Script string
}

func newFakeCloud() *fakeCloud {
	return &fakeCloud{now: time.Now, byToken: map[string]string{}, insts: map[string]*fakeInstance{}}
}

func (f *fakeCloud) Create(_ context.Context, s machine.Spec) (machine.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "create "+s.Name)
	if s.Token == "" {
		return machine.Instance{}, errors.New("fake: create without a token")
	}
	if id, ok := f.byToken[s.Token]; ok {
		return f.insts[id].copy(), nil
	}
	f.seq++
	id := fmt.Sprintf("fake-%03d", f.seq)
	state := machine.StateRunning
	if s.Stopped {
		state = machine.StateStopped
	}
	f.insts[id] = &fakeInstance{Instance: machine.Instance{ID: id, Name: s.Name, State: state,
		Labels: maps.Clone(s.Labels), Created: f.now()}, Spec: s, Script: s.BootScript}
	f.byToken[s.Token] = id
	f.specs = append(f.specs, s)
	return f.insts[id].copy(), nil
}

func (f *fakeCloud) List(_ context.Context, match map[string]string) ([]machine.Instance, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, f.listErr
	}
	var out []machine.Instance
	for _, in := range f.insts {
		ok := true
		for k, v := range match {
			if got, has := in.Labels[k]; !has || got != v {
				ok = false
			}
		}
		if ok {
			out = append(out, in.copy())
		}
	}
	slices.SortFunc(out, func(a, b machine.Instance) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *fakeCloud) Assign(_ context.Context, id, script string, labels map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "assign "+id)
	if f.assignErr != nil {
		return f.assignErr
	}
	in, ok := f.insts[id]
	if !ok {
		return fmt.Errorf("fake: instance %q not found", id)
	}
	if in.State != machine.StateStopped {
		return fmt.Errorf("fake: instance %q is %s, not stopped", id, in.State)
	}
	in.Script, in.Labels, in.State = script, maps.Clone(labels), machine.StateRunning
	return nil
}

func (f *fakeCloud) Delete(_ context.Context, ids ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.calls = append(f.calls, "delete "+id)
		if in, ok := f.insts[id]; ok {
			in.State = machine.StateTerminated
		}
	}
	return nil
}

// add puts an instance in the cloud as it is (to stage unmanaged, old or warm instances).
func (f *fakeCloud) add(in machine.Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in.Labels = maps.Clone(in.Labels)
	f.insts[in.ID] = &fakeInstance{Instance: in}
}

func (f *fakeCloud) get(id string) fakeInstance {
	f.mu.Lock()
	defer f.mu.Unlock()
	in := *f.insts[id]
	in.Instance = in.copy()
	return in
}

func (f *fakeCloud) recorded() ([]string, []machine.Spec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls), slices.Clone(f.specs)
}

func (in *fakeInstance) copy() machine.Instance {
	c := in.Instance
	c.Labels = maps.Clone(in.Labels)
	return c
}
