package nomadbridge

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/nomad/api"
)

var update = flag.Bool("update", false, "rewrite the golden job specs in testdata/")

func TestBuildJobGolden(t *testing.T) {
	t.Parallel()
	services := []plan.Image{
		// The primary image tries to set the token variable: the real token must win.
		{Image: "cimg/node:22.1", User: "circleci", Environment: map[string]string{"NODE_ENV": "test", TokenEnv: "forged"}},
		{Image: "cimg/postgres:16.2", Name: "db", Environment: map[string]string{"POSTGRES_USER": "ci"}},
		{Image: "redis:7", Entrypoint: []string{"redis-server"}, Command: []string{"--port", "6380"}, User: "redis"},
	}
	authed := []plan.Image{
		{Image: "registry.example.com/team/build:1", Auth: &plan.Auth{Username: "$REG_USER", Password: "$REG_PASS"}},
		{Image: "mysql:8"},
		{Image: "registry.example.com/team/fixture:2", Auth: &plan.Auth{Username: "bot", Password: "$FIXTURE_PASS"}},
	}
	tests := []struct {
		name string
		opts func(*Options)
		spec jobSpec
	}{
		{name: "machine_runner_path", opts: func(o *Options) { o.RunnerURL, o.RunnerPath = "", "/opt/caravan/bin/caravan" },
			spec: jobSpec{TaskID: "j1-0", Attempt: 1, Executor: plan.Executor{Kind: plan.ExecMachine, ResourceClass: "large",
				Machine: &plan.Machine{Image: "ubuntu-2204:current"}}}},
		{name: "machine_runner_url",
			spec: jobSpec{TaskID: "j2-0", Attempt: 2, Executor: plan.Executor{Kind: plan.ExecMachine}}},
		{name: "docker_services",
			spec: jobSpec{TaskID: "j3-1", Attempt: 1, Executor: plan.Executor{Kind: plan.ExecDocker,
				ResourceClass: "small", Images: services}}},
		{name: "docker_auth",
			spec: jobSpec{TaskID: "j4-0", Attempt: 1, Auth: []bool{true, false, true},
				Executor: plan.Executor{Kind: plan.ExecDocker, Images: authed}}},
		{name: "arm_machine", opts: func(o *Options) { o.Datacenters, o.Priority = []string{"dc1", "dc2"}, 70 },
			spec: jobSpec{TaskID: "j5-0", Attempt: 1, Executor: plan.Executor{Kind: plan.ExecMachine,
				ResourceClass: "arm.large", Machine: &plan.Machine{Image: "ubuntu-2204:current"}}}},
		{name: "unknown_class",
			spec: jobSpec{TaskID: "j6-0", Attempt: 1, Executor: plan.Executor{Kind: plan.ExecDocker,
				ResourceClass: "gigantic", Images: []plan.Image{{Image: "cimg/base:2026.01"}}}}},
		{name: "docker_jobs_host", opts: func(o *Options) { o.DockerJobs = "host" },
			spec: jobSpec{TaskID: "j7-0", Attempt: 1, Executor: plan.Executor{Kind: plan.ExecDocker,
				Images: []plan.Image{{Image: "cimg/go:1.26"}}}}},
		{name: "host_driver_exec", opts: func(o *Options) { o.HostDriver, o.RunnerPath = "exec", "/opt/caravan/bin/caravan" },
			spec: jobSpec{TaskID: "j8-0", Attempt: 1, Executor: plan.Executor{Kind: plan.ExecMachine}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := []func(*Options){}
			if tt.opts != nil {
				opts = append(opts, tt.opts)
			}
			e := newEnv(t, opts...)
			tt.spec.Token = "token-" + tt.spec.TaskID
			job := e.b.buildJob(tt.spec)
			checkJob(t, job, tt.spec)
			got, err := json.MarshalIndent(job, "", "  ")
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tt.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("job of %s differs from %s (-want +got):\n%s", tt.name, path, diff)
			}
		})
	}
}

// checkJob asserts what every job must hold, whatever its golden says.
func checkJob(t *testing.T, job *api.Job, s jobSpec) {
	t.Helper()
	if want := JobID(s.TaskID, s.Attempt); *job.ID != want || *job.Name != want {
		t.Errorf("job id %q, name %q; want %q", *job.ID, *job.Name, want)
	}
	if *job.Type != api.JobTypeBatch {
		t.Errorf("job type %q, want batch", *job.Type)
	}
	tg := job.TaskGroups[0]
	if *tg.RestartPolicy.Attempts != 0 || *tg.ReschedulePolicy.Attempts != 0 || *tg.ReschedulePolicy.Unlimited {
		t.Errorf("Nomad may rerun the runner: restart %+v, reschedule %+v", tg.RestartPolicy, tg.ReschedulePolicy)
	}
	for _, task := range tg.Tasks {
		want := ""
		if task.Name == "runner" {
			want = s.Token
		}
		if got := task.Env[TokenEnv]; got != want {
			t.Errorf("task %s: %s = %q, want %q", task.Name, TokenEnv, got, want)
		}
	}
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), s.Token); n != 1 {
		t.Errorf("the task token appears %d times in the job, want once (the runner's environment)", n)
	}
}

// TestRegisterKeepsSecretsOutOfTheJob registers a docker job whose images have registry credentials: the
// resolved values go to the job's variable only.
func TestRegisterKeepsSecretsOutOfTheJob(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ex := plan.Executor{Kind: plan.ExecDocker, Images: []plan.Image{
		{Image: "registry.example.com/build:1", Auth: &plan.Auth{Username: "$REG_USER", Password: "$REG_PASS"}},
		{Image: "postgres:16"},
		{Image: "registry.example.com/fixture:2", Auth: &plan.Auth{Username: "fixture-bot", Password: "$FIX_PASS"}},
	}}
	e.tasks.add(domain.Task{ID: "sec-0"}, ex)
	e.tasks.auths["sec-0"] = []*plan.Auth{{Username: "robot$team", Password: "pa55-from-context"}, nil,
		{Username: "fixture-bot", Password: "fixture-secret-9"}}
	if err := e.b.Handle(context.Background(), delivery("sec-0", 1)); err != nil {
		t.Fatalf("Handle: %v", err)
	}
	id := JobID("sec-0", 1)
	job := e.nomad.job(id)
	if job == nil {
		t.Fatalf("no job %s registered; calls %v", id, e.nomad.callLog())
	}
	b, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pa55-from-context", "fixture-secret-9", "robot$team"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("the job spec holds the secret %q", secret)
		}
	}
	for _, ref := range []string{"${CARAVAN_REGISTRY_PASSWORD_0}", "${CARAVAN_REGISTRY_PASSWORD_2}",
		`nomadVar \"` + VariablePath(id) + `\"`} {
		if !strings.Contains(string(b), ref) {
			t.Errorf("the job spec lacks %s", ref)
		}
	}
	if strings.Contains(string(b), "CARAVAN_REGISTRY_PASSWORD_1") {
		t.Error("the job spec has credentials for the service without auth")
	}
	want := map[string]string{"user_0": "robot$team", "password_0": "pa55-from-context",
		"user_2": "fixture-bot", "password_2": "fixture-secret-9"}
	if diff := cmp.Diff(want, e.nomad.variable(VariablePath(id))); diff != "" {
		t.Errorf("variable %s (-want +got):\n%s", VariablePath(id), diff)
	}
	log := e.nomad.callLog()
	if i, j := indexOf(log, "PutVariable "+VariablePath(id)), indexOf(log, "Register "+id); i < 0 || j < i {
		t.Errorf("the variable must be written before the job is registered; calls %v", log)
	}
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestRegisterAuthErrors(t *testing.T) {
	t.Parallel()
	ex := plan.Executor{Kind: plan.ExecDocker, Images: []plan.Image{
		{Image: "registry.example.com/build:1", Auth: &plan.Auth{Username: "bot", Password: "$REG_PASS"}}}}
	id, path := JobID("t-0", 1), VariablePath(JobID("t-0", 1))
	tests := []struct {
		name       string
		fail       string // Client method that refuses
		wantStatus domain.TaskStatus
		wantMsg    string
		wantWrites []string
	}{
		{name: "job rejected", fail: "Register", wantStatus: domain.TaskInfrastructureFail,
			wantMsg:    "Nomad rejected the job",
			wantWrites: []string{"PutVariable " + path, "Register " + id, "DeleteVariable " + path}},
		{name: "credentials rejected", fail: "PutVariable", wantStatus: domain.TaskInfrastructureFail,
			wantMsg: "Nomad rejected the registry credentials", wantWrites: []string{"PutVariable " + path}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			e.tasks.add(domain.Task{ID: "t-0"}, ex)
			e.tasks.auths["t-0"] = []*plan.Auth{{Username: "bot", Password: "hunter2"}}
			e.nomad.fail(tt.fail, rejected(tt.fail))
			if err := e.b.Handle(context.Background(), delivery("t-0", 1)); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if got := e.tasks.get("t-0"); got.Status != tt.wantStatus || !strings.Contains(got.Message, tt.wantMsg) {
				t.Errorf("task %s %q, want %s with %q", got.Status, got.Message, tt.wantStatus, tt.wantMsg)
			}
			if diff := cmp.Diff(tt.wantWrites, writes(e.nomad.callLog())); diff != "" {
				t.Errorf("writes to Nomad (-want +got):\n%s", diff)
			}
			if v := e.nomad.variable(path); v != nil {
				t.Errorf("credentials left in Nomad: %v", v)
			}
		})
	}
}
