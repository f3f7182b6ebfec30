package nomadbridge

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/nomad/api"
)

// fakeNomad is an in-memory Client: jobs, allocations, nodes, blocked evaluations and variables, with a
// log of the calls and errors a test queues per method.
type fakeNomad struct {
	mu      sync.Mutex
	jobs    map[string]*fakeJob
	allocs  map[string][]*api.AllocationListStub
	nodes   []*api.NodeListStub
	blocked int
	vars    map[string]map[string]string
	calls   []string
	errs    map[string][]error // method → errors its next calls return, in order
	// events feeds every stream Events opens; a test pushes into it.
	events chan *api.Events
}

type fakeJob struct {
	job    *api.Job
	status string // pending, running, dead
}

var _ Client = (*fakeNomad)(nil)

func newFakeNomad(nodes ...*api.NodeListStub) *fakeNomad {
	return &fakeNomad{jobs: map[string]*fakeJob{}, allocs: map[string][]*api.AllocationListStub{}, nodes: nodes,
		vars: map[string]map[string]string{}, errs: map[string][]error{}, events: make(chan *api.Events)}
}

// node is a ready, eligible client with drivers detected.
func node(name string, drivers ...string) *api.NodeListStub {
	n := &api.NodeListStub{ID: name, Name: name, Status: "ready", SchedulingEligibility: "eligible",
		Drivers: map[string]*api.DriverInfo{}}
	for _, d := range drivers {
		n.Drivers[d] = &api.DriverInfo{Detected: true, Healthy: true}
	}
	return n
}

// rejected is an error as the adapter returns it for a 4xx answer.
func rejected(what string) error {
	return fmt.Errorf("%s: %w: %w", what, ErrRejected, errors.New("Unexpected response code: 400 (bad job)"))
}

// fail queues errors for the next calls of method.
func (f *fakeNomad) fail(method string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[method] = append(f.errs[method], errs...)
}

// call records a call and returns the error queued for it. f.mu must be held.
func (f *fakeNomad) call(method, args string) error {
	f.calls = append(f.calls, strings.TrimSpace(method+" "+args))
	if q := f.errs[method]; len(q) > 0 {
		f.errs[method] = q[1:]
		return q[0]
	}
	return nil
}

// count is how many calls start with prefix ("Register", "Register caravan-t1-a1" …).
func (f *fakeNomad) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == prefix || strings.HasPrefix(c, prefix+" ") {
			n++
		}
	}
	return n
}

func (f *fakeNomad) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// job returns a registered job, or nil.
func (f *fakeNomad) job(id string) *api.Job {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[id]; ok {
		return j.job
	}
	return nil
}

func (f *fakeNomad) jobIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Sorted(maps.Keys(f.jobs))
}

func (f *fakeNomad) jobStatus(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if j, ok := f.jobs[id]; ok {
		return j.status
	}
	return ""
}

// setJob adds or changes a job (its spec is a bare batch job when it is new).
func (f *fakeNomad) setJob(id, status string, allocs ...*api.AllocationListStub) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		j = &fakeJob{job: api.NewBatchJob(id, id, "", 50)}
		// Registered by this installation (the tests' bridges all use one API URL).
		j.job.Meta = map[string]string{metaInstall: installID(testAPIURL)}
		f.jobs[id] = j
	}
	j.status = status
	if len(allocs) > 0 {
		f.allocs[id] = allocs
	}
}

func (f *fakeNomad) setBlocked(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.blocked = n
}

func (f *fakeNomad) variable(path string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vars[path]
}

func (f *fakeNomad) Register(_ context.Context, job *api.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Register", *job.ID); err != nil {
		return err
	}
	if _, ok := f.jobs[*job.ID]; ok {
		return fmt.Errorf("register job %s: %w", *job.ID, ErrExists)
	}
	f.jobs[*job.ID] = &fakeJob{job: job, status: "pending"}
	return nil
}

func (f *fakeNomad) Deregister(_ context.Context, jobID string, purge bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Deregister", fmt.Sprintf("%s purge=%t", jobID, purge)); err != nil {
		return err
	}
	j, ok := f.jobs[jobID]
	switch {
	case !ok:
	case purge:
		delete(f.jobs, jobID)
		delete(f.allocs, jobID)
	default:
		j.status = "dead"
	}
	return nil
}

func (f *fakeNomad) Jobs(_ context.Context, prefix string) ([]*api.JobListStub, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Jobs", prefix); err != nil {
		return nil, err
	}
	var out []*api.JobListStub
	for _, id := range slices.Sorted(maps.Keys(f.jobs)) {
		if strings.HasPrefix(id, prefix) {
			out = append(out, &api.JobListStub{ID: id, Name: id, Type: api.JobTypeBatch, Status: f.jobs[id].status,
				Meta: f.jobs[id].job.Meta})
		}
	}
	return out, nil
}

func (f *fakeNomad) Allocations(_ context.Context, jobID string) ([]*api.AllocationListStub, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Allocations", jobID); err != nil {
		return nil, err
	}
	return slices.Clone(f.allocs[jobID]), nil
}

func (f *fakeNomad) Nodes(context.Context) ([]*api.NodeListStub, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("Nodes", ""); err != nil {
		return nil, err
	}
	return slices.Clone(f.nodes), nil
}

func (f *fakeNomad) BlockedEvals(_ context.Context, prefix string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("BlockedEvals", prefix); err != nil {
		return 0, err
	}
	return f.blocked, nil
}

// Events streams what the test pushes into f.events until ctx ends.
func (f *fakeNomad) Events(ctx context.Context, index uint64) (<-chan *api.Events, error) {
	f.mu.Lock()
	err := f.call("Events", fmt.Sprint(index))
	f.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out := make(chan *api.Events)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case evs := <-f.events:
				select {
				case out <- evs:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func (f *fakeNomad) PutVariable(_ context.Context, path string, items map[string]string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("PutVariable", path); err != nil {
		return err
	}
	f.vars[path] = maps.Clone(items)
	return nil
}

func (f *fakeNomad) DeleteVariable(_ context.Context, path string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("DeleteVariable", path); err != nil {
		return err
	}
	delete(f.vars, path)
	return nil
}
