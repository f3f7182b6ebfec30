package docker

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestStartPrimaryAndServices(t *testing.T) {
	f := newFakeEngine(t)
	f.locked(func() {
		f.remote["cimg/go:1.22"] = fakeRemote{}
		f.remote["registry.example.com:5000/team/redis:7"] = fakeRemote{}
		f.images["postgres:16"] = true // present: not pulled
	})
	c := f.client()
	var out bytes.Buffer
	spec := EnvSpec{
		TaskID: "wf/job-42",
		Images: []Image{
			{Image: "cimg/go:1.22", User: "circleci", Environment: map[string]string{"GOFLAGS": "-mod=mod", "A": "1"},
				Auth: &Auth{Username: "alice", Password: "pw1"}},
			{Image: "postgres:16", Name: "db", Environment: map[string]string{"POSTGRES_PASSWORD": "pw"}},
			{Image: "registry.example.com:5000/team/redis:7", Name: "cache", Entrypoint: []string{"redis-server"},
				Command: []string{"--port", "6380"}, Auth: &Auth{Username: "bob", Password: "s3cret"}},
		},
		Binds: []string{"/opt/caravan/bin:/.circleci-runner:ro"},
		Out:   &out,
	}
	env, err := c.Start(context.Background(), spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}

	wantOut := "Pulling cimg/go:1.22 ... done\nUsing postgres:16 (present locally)\n" +
		"Pulling registry.example.com:5000/team/redis:7 ... done\n"
	if out.String() != wantOut {
		t.Errorf("progress output:\n%s\nwant:\n%s", out.String(), wantOut)
	}
	wantAuth := []fakeAuth{
		{Image: "cimg/go:1.22", Username: "alice", Password: "pw1", ServerAddress: "docker.io"},
		{Image: "registry.example.com:5000/team/redis:7", Username: "bob", Password: "s3cret", ServerAddress: "registry.example.com:5000"},
	}
	var creates []fakeCreate
	f.locked(func() {
		if diff := cmp.Diff(wantAuth, f.pullAuth); diff != "" {
			t.Errorf("X-Registry-Auth (-want +got):\n%s", diff)
		}
		for id, ctr := range f.containers {
			if !ctr.running {
				t.Errorf("container %s (%s) not running", id, ctr.image)
			}
		}
		creates = append(creates, f.creates...)
	})
	if len(creates) != 3 {
		t.Fatalf("created %d containers, want 3", len(creates))
	}
	primary := creates[0].ID
	if env.PrimaryID() != primary {
		t.Errorf("PrimaryID() = %s, want the first container %s", env.PrimaryID(), primary)
	}
	labels := map[string]string{"caravan.task": "wf/job-42"}
	want := []createBody{
		{Image: "cimg/go:1.22", Entrypoint: keepAlive.entrypoint, Cmd: keepAlive.cmd,
			Env: []string{"A=1", "GOFLAGS=-mod=mod"}, User: "circleci", Labels: labels},
		{Image: "postgres:16", Env: []string{"POSTGRES_PASSWORD=pw"}, Labels: labels},
		{Image: "registry.example.com:5000/team/redis:7", Entrypoint: []string{"redis-server"},
			Cmd: []string{"--port", "6380"}, Labels: labels},
	}
	want[0].HostConfig.Binds = spec.Binds
	want[0].HostConfig.ExtraHosts = []string{"db:127.0.0.1", "cache:127.0.0.1"}
	want[1].HostConfig.NetworkMode = "container:" + primary
	want[2].HostConfig.NetworkMode = "container:" + primary
	var got []createBody
	for _, cr := range creates {
		got = append(got, cr.Body)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("create bodies (-want +got):\n%s", diff)
	}
	nameRE := regexp.MustCompile(`^caravan-wf-job-42-[0-9a-f]{12}(-svc1-db|-svc2-cache)?$`)
	for _, cr := range creates {
		if !nameRE.MatchString(cr.Name) {
			t.Errorf("container name %q does not match %s", cr.Name, nameRE)
		}
	}
	for _, r := range f.requestLog() {
		if path := strings.Fields(r)[1]; path != "/_ping" && !strings.HasPrefix(path, "/v1.45/") {
			t.Errorf("request %q not on the negotiated version /v1.45/", r)
		}
	}
	if !contains(f.requestLog(), "POST /v1.45/images/create?fromImage=cimg%2Fgo&tag=1.22") {
		t.Errorf("no pull request for cimg/go in %q", f.requestLog())
	}

	// Close removes services, then the primary, once.
	if err := env.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if n := f.containerCount(); n != 0 {
		t.Errorf("%d containers left after Close", n)
	}
	var deletes []string
	for _, r := range f.requestLog() {
		if strings.HasPrefix(r, "DELETE ") {
			deletes = append(deletes, r)
		}
	}
	wantDeletes := []string{
		"DELETE /v1.45/containers/" + creates[2].ID + "?force=1&v=1",
		"DELETE /v1.45/containers/" + creates[1].ID + "?force=1&v=1",
		"DELETE /v1.45/containers/" + primary + "?force=1&v=1",
	}
	if diff := cmp.Diff(wantDeletes, deletes); diff != "" {
		t.Errorf("DELETE requests (-want +got):\n%s", diff)
	}
	n := len(f.requestLog())
	if err := env.Close(context.Background()); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if len(f.requestLog()) != n {
		t.Errorf("second Close sent requests: %q", f.requestLog()[n:])
	}
	if _, err := env.Exec(context.Background(), []string{"true"}, nil, "", "", nil, nil); err == nil ||
		!strings.Contains(err.Error(), "environment is closed") {
		t.Errorf("Exec after Close: error = %v", err)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestStartPullPolicy(t *testing.T) {
	for _, tt := range []struct {
		policy   PullPolicy
		wantPull bool
	}{{"", false}, {PullMissing, false}, {PullAlways, true}} {
		t.Run(string(tt.policy), func(t *testing.T) {
			f := newFakeEngine(t)
			f.locked(func() {
				f.images["cimg/base:current"] = true
				f.remote["cimg/base:current"] = fakeRemote{}
			})
			env, err := f.client().Start(context.Background(), EnvSpec{TaskID: "t", Pull: tt.policy,
				Images: []Image{{Image: "cimg/base:current"}}})
			if err != nil {
				t.Fatalf("Start: %v", err)
			}
			defer env.Close(context.Background())
			pulled := contains(f.requestLog(), "POST /v1.45/images/create?fromImage=cimg%2Fbase&tag=current")
			inspected := contains(f.requestLog(), "GET /v1.45/images/cimg/base:current/json")
			if pulled != tt.wantPull || inspected == tt.wantPull {
				t.Errorf("pulled %v, inspected %v; want pull %v", pulled, inspected, tt.wantPull)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name    string
		images  []Image
		setup   func(f *fakeEngine)
		wantErr string
		wantOut string
	}{
		{
			name:    "image not found",
			images:  []Image{{Image: "nosuch/img:1"}},
			wantErr: `pull image "nosuch/img:1": pull access denied for nosuch/img, repository does not exist or may require 'docker login': denied: requested access to the resource is denied (HTTP 404)`,
			wantOut: "Pulling nosuch/img:1 ... failed\n",
		},
		{
			name:   "error in pull stream",
			images: []Image{{Image: "cimg/go:1.22"}, {Image: "private/db:1", Auth: &Auth{Username: "u", Password: "wrong"}}},
			setup: func(f *fakeEngine) {
				f.remote["private/db:1"] = fakeRemote{streamError: "unauthorized: incorrect username or password"}
			},
			wantErr: `pull image "private/db:1": unauthorized: incorrect username or password`,
			wantOut: "Pulling cimg/go:1.22 ... done\nPulling private/db:1 ... failed\n",
		},
		{
			name:    "service create fails",
			images:  []Image{{Image: "cimg/go:1.22"}, {Image: "redis:7"}},
			setup:   func(f *fakeEngine) { f.images["redis:7"] = true; f.failCreate["redis:7"] = "boom" },
			wantErr: `create container for image "redis:7": boom (HTTP 500)`,
		},
		{
			name:    "primary exits",
			images:  []Image{{Image: "cimg/go:1.22", Command: []string{"false"}}},
			setup:   func(f *fakeEngine) { f.exitOnStart["cimg/go:1.22"] = true },
			wantErr: `primary container for image "cimg/go:1.22" is not running (status exited, exit code 127)`,
		},
		{name: "no images", wantErr: "start docker environment: no images"},
		{name: "bad reference", images: []Image{{Image: "cimg/go:"}}, wantErr: `invalid image reference "cimg/go:"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeEngine(t)
			f.locked(func() {
				f.remote["cimg/go:1.22"] = fakeRemote{}
				if tt.setup != nil {
					tt.setup(f)
				}
			})
			var out bytes.Buffer
			env, err := f.client().Start(context.Background(), EnvSpec{TaskID: "t", Images: tt.images, Out: &out})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Start() = %v, %v; want error containing %q", env, err, tt.wantErr)
			}
			if tt.wantOut != "" && out.String() != tt.wantOut {
				t.Errorf("output %q, want %q", out.String(), tt.wantOut)
			}
			if n := f.containerCount(); n != 0 {
				t.Errorf("%d containers left after a failed Start", n)
			}
		})
	}
}

func TestCloseRetriesFailedRemovals(t *testing.T) {
	f := newFakeEngine(t)
	f.locked(func() { f.remote["cimg/go:1.22"] = fakeRemote{}; f.images["redis:7"] = true })
	env, err := f.client().Start(context.Background(), EnvSpec{TaskID: "t",
		Images: []Image{{Image: "cimg/go:1.22"}, {Image: "redis:7"}}})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	id := env.PrimaryID()
	f.locked(func() { f.failRemove[id] = "driver busy" })
	err = env.Close(context.Background())
	want := "remove container " + id[:12] + ": driver busy (HTTP 500)"
	if err == nil || err.Error() != want {
		t.Fatalf("Close error = %v, want %q", err, want)
	}
	if n := f.containerCount(); n != 1 {
		t.Fatalf("%d containers left, want the primary only", n)
	}
	if err := env.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n := f.containerCount(); n != 0 {
		t.Errorf("%d containers left after the second Close", n)
	}
}
