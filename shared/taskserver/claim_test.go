package taskserver_test

import (
	"errors"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/google/go-cmp/cmp"
)

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	if id, err := f.srv.Authenticate(f.ctx, f.tokens.Mint("j-0", time.Minute)); err != nil || id != "j-0" {
		t.Errorf("valid token: %q, %v", id, err)
	}
	for _, tok := range []string{"", "x.y.z", f.tokens.Mint("j-0", -time.Second)} {
		if _, err := f.srv.Authenticate(f.ctx, tok); !errors.Is(err, taskapi.ErrUnauthorized) {
			t.Errorf("token %q: %v", tok, err)
		}
	}
}

func TestClaimAssemblesTheTask(t *testing.T) {
	f := newFixture(t)
	f.envVar("B_PROJECT", "project-b")
	f.envVar("A_PROJECT", "project-a")
	f.context("deploy", "TOKEN", "deploy-token")
	f.context("aws", "KEY", "aws-key")
	f.checkoutKey("SHA256:first", "first-private", false)
	f.checkoutKey("SHA256:preferred", "preferred-private", true)
	j := build("build", run("true"))
	j.Parallelism, j.Contexts = 3, []string{"deploy", "aws"}
	vcs := domain.VCS{Provider: "GitHub", RepoURL: "https://github.com/acme/api", Branch: "main", Revision: "abc123",
		ReviewURL: "https://github.com/acme/api/pull/7"}
	wf := f.pipeline(vcs, j)
	job := f.job(wf, "build").V
	id := repo.TaskID(job.ID, 1)

	got, err := f.client(id).Claim(f.ctx, taskapi.ClaimRequest{RunnerID: "r1", Hostname: "h"})
	if err != nil {
		t.Fatal(err)
	}
	want := &taskapi.Task{
		ID: id, JobID: job.ID, BuildNum: job.Number, Attempt: 1, NodeIndex: 1, NodeTotal: 3, Job: job.Plan,
		BuildURL: "https://ci.example.com/pipelines/gh/acme/api/1/workflows/" + wf + "/jobs/1",
		Pipeline: taskapi.Pipeline{ID: "pipe-1", Number: 1, WorkflowID: wf, WorkflowName: "ci",
			WorkflowWorkspaceID: wf, OrgID: "org-1", ProjectID: "proj-1", ProjectSlug: "gh/acme/api",
			ProjectUsername: "acme", ProjectRepoName: "api", RepoURL: "git@github.com:acme/api.git",
			Branch: "main", Revision: "abc123", Username: "alice",
			PullRequests: []string{"https://github.com/acme/api/pull/7"}},
		Env: []taskapi.EnvVar{
			{Name: "A_PROJECT", Value: "project-a", Secret: true, Source: "project"},
			{Name: "B_PROJECT", Value: "project-b", Secret: true, Source: "project"},
			{Name: "TOKEN", Value: "deploy-token", Secret: true, Source: "context:deploy"},
			{Name: "KEY", Value: "aws-key", Secret: true, Source: "context:aws"},
		},
		Checkout: taskapi.Checkout{RepoURL: "git@github.com:acme/api.git", SSHKey: "preferred-private"},
		SSHKeys: []taskapi.SSHKey{{Fingerprint: "SHA256:preferred", PrivateKey: "preferred-private"},
			{Fingerprint: "SHA256:first", PrivateKey: "first-private"}},
		Timeout: taskapi.Duration(5 * time.Hour), NoOutputTimeout: taskapi.Duration(10 * time.Minute),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
	if tk := f.task(id); tk.Status != domain.TaskRunning || tk.RunnerID != "r1" {
		t.Errorf("stored task %+v", tk)
	}
	if st := f.job(wf, "build").V.Status; st != domain.JobRunning {
		t.Errorf("job %s, want running", st)
	}

	tests := []struct {
		name   string
		runner string
		want   error
	}{
		{"the same runner again", "r1", nil},
		{"another runner", "r2", taskapi.ErrConflict},
	}
	for _, tc := range tests {
		if _, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: tc.runner}); !errors.Is(err, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if err := f.srv.Complete(f.ctx, id, taskapi.Completion{Status: taskapi.StatusSuccess}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: "r1"}); !errors.Is(err, taskapi.ErrGone) {
		t.Errorf("claim after completion: %v", err)
	}
	if _, err := f.srv.Claim(f.ctx, repo.TaskID(job.ID, 9), taskapi.ClaimRequest{RunnerID: "r1"}); !errors.Is(err, taskapi.ErrNotFound) {
		t.Errorf("unknown task: %v", err)
	}
}

func TestClaimOfAForkedPullRequest(t *testing.T) {
	vcs := domain.VCS{Provider: "GitHub", Branch: "pull/9", Revision: "def", PRNumber: "9",
		ReviewURL: "https://github.com/acme/api/pull/9", OriginRepoURL: "https://github.com/mallory/api-fork.git"}
	tests := []struct {
		name       string
		forksGet   bool
		wantEnv    int
		wantSSHKey int
	}{
		{"secrets withheld", false, 0, 0},
		{"project lets forks have secrets", true, 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			p, _ := f.repo.ProjectBySlug(f.ctx, f.proj.Slug)
			p.V.Settings.ForksReceiveSecrets = tc.forksGet
			f.write(repo.Update(p))
			f.envVar("SECRET", "s3cret")
			f.context("deploy", "TOKEN", "deploy-token")
			f.checkoutKey("SHA256:k", "deploy-key", false)
			j := build("build", run("true"))
			j.Contexts = []string{"deploy"}
			wf := f.pipeline(vcs, j)
			id := repo.TaskID(f.job(wf, "build").V.ID, 0)
			tk, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: "r"})
			if err != nil {
				t.Fatal(err)
			}
			if len(tk.Env) != tc.wantEnv || len(tk.SSHKeys) != tc.wantSSHKey || tk.Checkout.SSHKey != "deploy-key" {
				t.Errorf("env %v, ssh keys %d, checkout key %q", tk.Env, len(tk.SSHKeys), tk.Checkout.SSHKey)
			}
			if tk.Pipeline.PRNumber != "9" || tk.Pipeline.PRUsername != "mallory" || tk.Pipeline.PRRepoName != "api-fork" {
				t.Errorf("pull request values %+v", tk.Pipeline)
			}
		})
	}
}

func TestClaimOfAnUnpreparableTaskEndsIt(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture)
	}{
		{"variable sealed for another record", func(f *fixture) {
			f.write(repo.Create(repo.EnvVarKey(f.proj.ID, "MOVED"),
				domain.Variable{Name: "MOVED", Sealed: f.seal("v", repo.EnvVarAAD(f.proj.ID, "ORIGINAL"))}))
		}},
		{"context deleted after queuing", func(f *fixture) {
			cx, _ := f.repo.ContextByName(f.ctx, f.org.ID, "deploy")
			f.write(store.Op{Kind: store.Delete, Item: store.Item{Key: cx.Key}})
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.context("deploy", "TOKEN", "t")
			j := build("build", run("true"))
			j.Contexts = []string{"deploy"}
			wf := f.pipeline(domain.VCS{Branch: "main", Revision: "a"}, j)
			tc.setup(f)
			id := repo.TaskID(f.job(wf, "build").V.ID, 0)
			if _, err := f.srv.Claim(f.ctx, id, taskapi.ClaimRequest{RunnerID: "r"}); !errors.Is(err, taskapi.ErrGone) {
				t.Fatalf("claim: %v", err)
			}
			if tk := f.task(id); tk.Status != domain.TaskInfrastructureFail || tk.Message == "" {
				t.Errorf("task %+v, want infrastructure_fail with a message", tk)
			}
		})
	}
}
