package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake/gitsource"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store/memstore"
)

// fakeSecrets "seals" by prefixing the aad, so a value opened with another aad fails, as with the real
// envelope.
type fakeSecrets struct{}

func seal(plaintext, aad string) []byte { return []byte(aad + "|" + plaintext) }

func (fakeSecrets) Open(_ context.Context, sealed, aad []byte) ([]byte, error) {
	rest, ok := bytes.CutPrefix(sealed, append(aad, '|'))
	if !ok {
		return nil, errors.New("cannot decrypt")
	}
	return rest, nil
}

type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// env is an intake over a memstore, a memqueue, a real conductor and a git repository on disk.
type env struct {
	t    *testing.T
	ctx  context.Context
	in   *Intake
	repo *repo.Repo
	q    *memqueue.Queue
	cond *conductor.Conductor
	git  string // the repository
	proj domain.Project
}

const (
	testSecret   = "It's a Secret to Everybody"
	contSecret   = "continuation secret for tests, 32 bytes+"
	simpleConfig = `version: 2.1
parameters:
  greeting: {type: string, default: hello}
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps:
      - checkout
      - run: echo << pipeline.parameters.greeting >> on << pipeline.git.branch >>
  test:
    docker: [{image: cimg/base:current}]
    steps: [checkout]
workflows:
  main:
    jobs: [build, {test: {requires: [build]}}]
`
)

func newEnv(t *testing.T, mutate ...func(*domain.Project)) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(testLogWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	r := repo.New(memstore.New())
	q := memqueue.New(0)
	cond := conductor.New(r, q, conductor.Options{Log: log})
	e := &env{t: t, ctx: context.Background(), repo: r, q: q, cond: cond, git: t.TempDir()}
	e.in = New(Deps{Repo: r, Queue: q, Workflows: cond, Git: &gitsource.Source{}, Secrets: fakeSecrets{},
		ContinuationSecret: []byte(contSecret), Log: log})
	e.gitRun("init", "-q", "-b", "main")
	e.proj = domain.Project{ID: domain.NewID(), Slug: "gh/acme/api", Name: "api", RepoURL: e.git,
		DefaultBranch: "main", CreatedAt: time.Now().UTC()}
	for _, m := range mutate {
		m(&e.proj)
	}
	e.proj.WebhookSecret = seal(testSecret, "project/"+e.proj.ID+"/webhook-secret")
	if e.proj.Slug == "-" {
		e.proj.Slug, e.proj.WebhookSecret = "gh/acme/nosecret", nil
	}
	home := repo.ProjectKey(e.proj.Slug)
	if err := r.Write(e.ctx, repo.Create(home, e.proj), repo.CreateRef(repo.KindProject, e.proj.ID, home)); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) gitRun(args ...string) string {
	e.t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=Test", "-c", "user.email=t@example.com",
		"-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = e.git
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// commit writes files (path → content; "" deletes) on branch (created from the current HEAD if new) and
// returns the commit id.
func (e *env) commit(branch, msg string, files map[string]string) string {
	e.t.Helper()
	if cur := e.gitRun("symbolic-ref", "--short", "HEAD"); cur != branch {
		if exec.Command("git", "-C", e.git, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch).Run() == nil {
			e.gitRun("checkout", "-q", branch)
		} else {
			e.gitRun("checkout", "-q", "-b", branch)
		}
	}
	for p, c := range files {
		full := filepath.Join(e.git, p)
		if c == "" {
			_ = os.Remove(full)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			e.t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			e.t.Fatal(err)
		}
	}
	e.gitRun("add", "-A")
	e.gitRun("commit", "-q", "--allow-empty", "-m", msg)
	return e.gitRun("rev-parse", "HEAD")
}

// drain handles every pipeline message queued so far (and those handling queues).
func (e *env) drain() {
	e.t.Helper()
	for range 100 {
		ds, err := e.q.Receive(e.ctx, domain.TopicPipelines, queue.ReceiveOptions{Max: 10})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(ds) == 0 {
			return
		}
		for _, d := range ds {
			if err := e.in.Handle(e.ctx, d); err != nil {
				e.t.Fatalf("Handle(%s): %v", d.Body, err)
			}
			if err := e.q.Ack(e.ctx, d); err != nil {
				e.t.Fatal(err)
			}
		}
	}
	e.t.Fatal("pipeline queue does not drain")
}

func (e *env) pipeline(id string) domain.Pipeline {
	e.t.Helper()
	rec, err := e.repo.Pipeline(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return rec.V
}

func (e *env) pipelines() []domain.Pipeline {
	e.t.Helper()
	recs, err := repo.ListAll[domain.Pipeline](e.ctx, e.repo, repo.PipelinesPK(e.proj.ID), "")
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]domain.Pipeline, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.V)
	}
	return out
}

// workflows describes a pipeline's workflows as "name[tag]:status:job,job".
func (e *env) workflows(pipelineID string) []string {
	e.t.Helper()
	wfs, err := e.repo.Workflows(e.ctx, pipelineID)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, w := range wfs {
		jobs, err := e.repo.Jobs(e.ctx, w.V.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		var names []string
		for _, j := range jobs {
			names = append(names, j.V.Name)
		}
		tag := ""
		if w.V.Tag != "" {
			tag = "[" + w.V.Tag + "]"
		}
		out = append(out, fmt.Sprintf("%s%s:%s:%s", w.V.Name, tag, w.V.Status, strings.Join(names, ",")))
	}
	return out
}

func (e *env) trigger(req TriggerRequest) domain.Pipeline {
	e.t.Helper()
	if req.ProjectID == "" {
		req.ProjectID = e.proj.ID
	}
	p, err := e.in.Trigger(e.ctx, req)
	if err != nil {
		e.t.Fatalf("Trigger: %v", err)
	}
	return p
}

// failingCreate is a conductor whose Create fails.
type failingCreate struct{ Workflows }

func (failingCreate) Create(context.Context, domain.Pipeline, plan.Workflow, string) (string, error) {
	return "", errors.New("conductor unavailable")
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}
