package taskserver_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/secrets/localkey"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/memstore"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskserver"
	"github.com/caravan-ci/caravan/shared/tasktoken"
)

// newTestKS is the embedded key service over a random master key.
func newTestKS() *localkey.KeyService {
	k := make([]byte, 32)
	rand.Read(k)
	ks, err := localkey.New(k)
	if err != nil {
		panic(err)
	}
	return ks
}

// fixture is a task server over real in-memory adapters, served over HTTP with its blobs.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	repo   *repo.Repo
	cond   *conductor.Conductor
	blobs  *memblob.Store
	env    *secrets.Envelope
	tokens *tasktoken.Issuer
	srv    *taskserver.Server
	url    string
	org    domain.Org
	proj   domain.Project
	seq    int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	key := make([]byte, 32)
	rand.Read(key)
	tokens, err := tasktoken.New(key)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, ctx: context.Background(), repo: repo.New(memstore.New()), blobs: memblob.New(),
		env: secrets.NewEnvelope(newTestKS()), tokens: tokens}
	f.cond = conductor.New(f.repo, memqueue.New(0), conductor.Options{})
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	f.srv = taskserver.New(taskserver.Deps{Repo: f.repo, Jobs: f.cond, Blobs: f.blobs, Secrets: f.env,
		Tokens: tokens, WebURL: "https://ci.example.com/", Log: log})
	mux := http.NewServeMux()
	mux.Handle(taskapi.PathPrefix+"/", taskapi.Handler(f.srv, log))
	mux.Handle("/blobs/", f.blobs.Handler())
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	f.url = hs.URL
	if err := f.blobs.SetBaseURL(hs.URL); err != nil {
		t.Fatal(err)
	}
	f.org = domain.Org{ID: "org-1", Slug: "gh/acme", Name: "acme", VCS: "github"}
	f.proj = domain.Project{ID: "proj-1", Slug: "gh/acme/api", OrgID: f.org.ID, Name: "api",
		RepoURL: "git@github.com:acme/api.git", DefaultBranch: "main"}
	f.write(repo.Create(repo.OrgKey(f.org.Slug), f.org), repo.CreateRef(repo.KindOrg, f.org.ID, repo.OrgKey(f.org.Slug)),
		repo.Create(repo.ProjectKey(f.proj.Slug), f.proj),
		repo.CreateRef(repo.KindProject, f.proj.ID, repo.ProjectKey(f.proj.Slug)))
	return f
}

func (f *fixture) write(ops ...store.Op) {
	f.t.Helper()
	if err := f.repo.Write(f.ctx, ops...); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) seal(value string, aad []byte) []byte {
	f.t.Helper()
	b, err := f.env.Seal(f.ctx, []byte(value), aad)
	if err != nil {
		f.t.Fatal(err)
	}
	return b
}

// envVar stores a project variable.
func (f *fixture) envVar(name, value string) {
	f.write(repo.Create(repo.EnvVarKey(f.proj.ID, name),
		domain.Variable{Name: name, Sealed: f.seal(value, repo.EnvVarAAD(f.proj.ID, name))}))
}

// context stores a context of the org with variables (name, value pairs).
func (f *fixture) context(name string, kv ...string) {
	cx := domain.Context{ID: "ctx-" + name, OrgID: f.org.ID, Name: name}
	home := repo.ContextKey(f.org.ID, name)
	ops := []store.Op{repo.Create(home, cx), repo.CreateRef(repo.KindContext, cx.ID, home)}
	for i := 0; i < len(kv); i += 2 {
		ops = append(ops, repo.Create(repo.ContextVarKey(cx.ID, kv[i]),
			domain.Variable{Name: kv[i], Sealed: f.seal(kv[i+1], repo.ContextVarAAD(cx.ID, kv[i]))}))
	}
	f.write(ops...)
}

func (f *fixture) checkoutKey(fp, private string, preferred bool) {
	f.write(repo.Create(repo.CheckoutKeyKey(f.proj.ID, fp), domain.CheckoutKey{Fingerprint: fp, Type: "deploy-key",
		Sealed: f.seal(private, repo.CheckoutKeyAAD(f.proj.ID, fp)), Preferred: preferred}))
}

// pipeline stores a pipeline of the project and starts a workflow of jobs; it returns the workflow id.
func (f *fixture) pipeline(vcs domain.VCS, jobs ...plan.Job) string {
	f.t.Helper()
	f.seq++
	p := domain.Pipeline{ID: fmt.Sprintf("pipe-%d", f.seq), ProjectID: f.proj.ID, ProjectSlug: f.proj.Slug,
		Number: f.seq, State: domain.PipelineCreated, VCS: vcs, CreatedAt: time.Now(),
		Trigger: domain.Trigger{Type: "webhook", Actor: "alice"}}
	home := repo.PipelineKey(f.proj.ID, p.Number)
	f.write(repo.Create(home, p), repo.CreateRef(repo.KindPipeline, p.ID, home))
	wf, err := f.cond.Create(f.ctx, p, plan.Workflow{Name: "ci", Jobs: jobs}, "")
	if err != nil {
		f.t.Fatal(err)
	}
	f.evaluate(wf)
	return wf
}

func (f *fixture) evaluate(wf string) {
	f.t.Helper()
	if err := f.cond.Evaluate(f.ctx, wf); err != nil {
		f.t.Fatal(err)
	}
}

// job finds a workflow's job by name.
func (f *fixture) job(wf, name string) repo.Rec[domain.Job] {
	f.t.Helper()
	j, err := repo.Get[domain.Job](f.ctx, f.repo, repo.JobKey(wf, name))
	if err != nil {
		f.t.Fatalf("job %s: %v", name, err)
	}
	return j
}

func (f *fixture) task(id string) domain.Task {
	f.t.Helper()
	t, err := f.repo.Task(f.ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	return t.V
}

// client returns a protocol client for a task.
func (f *fixture) client(taskID string) *taskapi.Client {
	c := taskapi.NewClient(f.url, taskID, f.tokens.Mint(taskID, time.Minute), nil)
	c.RetryFor = 0
	return c
}

func build(name string, steps ...plan.Step) plan.Job {
	return plan.Job{Name: name, Type: plan.JobBuild, Parallelism: 1, WorkingDir: "~/project",
		Executor: plan.Executor{Kind: plan.ExecMachine}, Steps: steps}
}

func requires(j plan.Job, ups ...string) plan.Job {
	for _, u := range ups {
		j.Requires = append(j.Requires, plan.Requirement{Job: u})
	}
	return j
}

func run(cmd string) plan.Step { return plan.Step{Type: plan.StepRun, Command: cmd} }

var conductorFromFailed = conductor.RerunRequest{FromFailed: true, Actor: "alice"}
