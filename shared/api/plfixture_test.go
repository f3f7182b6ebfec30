package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/memstore"
)

// The pipeline, workflow, job and v1.1 tests share this fixture: the real API over memstore, memblob, a
// real conductor and intake over memqueue, and an org "gh/acme" with project "gh/acme/api" whose users
// hold one token each: plAdmin, plMember, plViewer, plOutsider (no role) and plRoot (server admin).

const (
	plAdmin    = "admin"
	plMember   = "member"
	plViewer   = "viewer"
	plOutsider = "outsider"
	plRoot     = "root"
)

type plFixture struct {
	t      *testing.T
	api    *API
	repo   *repo.Repo
	blobs  *memblob.Store
	cond   *conductor.Conductor
	intake *intake.Intake
	secret []byte // continuation secret
	org    domain.Org
	proj   domain.Project
	users  map[string]domain.User
	tokens map[string]string
}

// newPipelineFixture builds the fixture; edit changes the API's deps before it is built.
func newPipelineFixture(t *testing.T, edit ...func(*Deps)) *plFixture {
	t.Helper()
	r := repo.New(memstore.New())
	q := memqueue.New(0)
	blobs := memblob.New()
	if err := blobs.SetBaseURL("http://blobs.test"); err != nil {
		t.Fatal(err)
	}
	cond := conductor.New(r, q, conductor.Options{})
	env := secrets.NewEnvelope(testKeys())
	f := &plFixture{t: t, repo: r, blobs: blobs, cond: cond, secret: bytes.Repeat([]byte{9}, 32),
		users: map[string]domain.User{}, tokens: map[string]string{}}
	f.intake = intake.New(intake.Deps{Repo: r, Queue: q, Workflows: cond, Secrets: env, ContinuationSecret: f.secret})
	d := Deps{Repo: r, Intake: f.intake, Workflows: cond, Blobs: blobs, Secrets: env,
		WebURL: "https://ci.test", APIURL: "https://ci.test/", URLKey: bytes.Repeat([]byte{5}, 32)}
	for _, e := range edit {
		e(&d)
	}
	f.api = New(d)
	now := time.Now().UTC()
	f.org = domain.Org{ID: domain.NewID(), Slug: "gh/acme", Name: "acme", VCS: "github", CreatedAt: now}
	f.proj = domain.Project{ID: domain.NewID(), Slug: "gh/acme/api", OrgID: f.org.ID, Name: "api",
		RepoURL: "git@github.com:acme/api.git", DefaultBranch: "main", CreatedAt: now}
	f.write(repo.Create(repo.OrgKey(f.org.Slug), f.org), repo.CreateRef(repo.KindOrg, f.org.ID, repo.OrgKey(f.org.Slug)),
		repo.Create(repo.ProjectKey(f.proj.Slug), f.proj),
		repo.CreateRef(repo.KindProject, f.proj.ID, repo.ProjectKey(f.proj.Slug)),
		repo.Create(repo.OrgProjectKey(f.org.ID, f.proj.Slug), map[string]string{"id": f.proj.ID}))
	for _, role := range []string{plAdmin, plMember, plViewer, plOutsider, plRoot} {
		f.addUser(role, role)
	}
	return f
}

// addUser creates a user with a token and, unless it is plOutsider or plRoot, a role in the org.
func (f *plFixture) addUser(login, role string) {
	u := domain.User{ID: domain.NewID(), Login: login, Admin: role == plRoot, CreatedAt: time.Now()}
	tok := "tok-" + login
	ops := []store.Op{repo.Create(repo.UserKey(login), u), repo.CreateRef(repo.KindUser, u.ID, repo.UserKey(login)),
		repo.Create(repo.TokenKey(HashToken(tok)), domain.Token{Hash: HashToken(tok), UserID: u.ID})}
	if role != plOutsider && role != plRoot {
		m := domain.Membership{UserID: u.ID, OrgID: f.org.ID, Role: role}
		ops = append(ops, repo.Create(repo.MemberKey(f.org.ID, u.ID), m), repo.Create(repo.UserOrgKey(u.ID, f.org.ID), m))
	}
	f.write(ops...)
	f.users[login], f.tokens[login] = u, tok
}

func (f *plFixture) write(ops ...store.Op) {
	f.t.Helper()
	if err := f.repo.Write(context.Background(), ops...); err != nil {
		f.t.Fatalf("seed: %v", err)
	}
}

// do sends a request as the user named as (no token when ""), with body marshalled to JSON unless it is a
// string, and returns the status and body.
func (f *plFixture) do(as, method, path string, body any) (int, string) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, rd)
	if as != "" {
		req.Header.Set("Circle-Token", f.tokens[as])
	}
	rec := httptest.NewRecorder()
	f.api.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

// getJSON sends a request and decodes a JSON answer with the wanted status into v.
func (f *plFixture) getJSON(as, method, path string, body any, want int, v any) {
	f.t.Helper()
	code, out := f.do(as, method, path, body)
	if code != want {
		f.t.Fatalf("%s %s as %s: status %d, want %d: %s", method, path, as, code, want, out)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			f.t.Fatalf("%s %s: decode %q: %v", method, path, out, err)
		}
	}
}

// pipeline seeds a pipeline of the fixture's project.
func (f *plFixture) pipeline(n int64, branch, actor string, at time.Time) domain.Pipeline {
	p := domain.Pipeline{ID: domain.NewID(), ProjectID: f.proj.ID, ProjectSlug: f.proj.Slug, Number: n,
		State: domain.PipelineCreated, Trigger: domain.Trigger{Type: "api", ReceivedAt: at, Actor: actor},
		VCS: domain.VCS{Provider: "GitHub", RepoURL: "https://github.com/acme/api", Branch: branch,
			Revision: fmt.Sprintf("%040d", n), CommitSubject: "subject", CommitBody: "body"},
		ConfigSource: "version: 2.1", ConfigCompiled: "version: 2", CreatedAt: at, UpdatedAt: at}
	home := repo.PipelineKey(p.ProjectID, n)
	f.write(repo.Create(home, p), repo.CreateRef(repo.KindPipeline, p.ID, home))
	return p
}

// workflow seeds a workflow of p.
func (f *plFixture) workflow(p domain.Pipeline, name string, st domain.WorkflowStatus) domain.Workflow {
	w := domain.Workflow{ID: domain.NewID(), Name: name, PipelineID: p.ID, PipelineNumber: p.Number,
		ProjectID: p.ProjectID, ProjectSlug: p.ProjectSlug, Status: st, StartedBy: p.Trigger.Actor,
		CreatedAt: p.CreatedAt}
	w.WorkspaceID = w.ID
	home := repo.WorkflowKey(p.ID, w.ID)
	f.write(repo.Create(home, w), repo.CreateRef(repo.KindWorkflow, w.ID, home))
	return w
}

// job seeds a job of w; a number > 0 is recorded as its project number. Requires names upstream job ids.
func (f *plFixture) job(w domain.Workflow, name string, n int64, st domain.JobStatus, requires ...string) domain.Job {
	j := domain.Job{ID: domain.NewID(), WorkflowID: w.ID, PipelineID: w.PipelineID, ProjectID: w.ProjectID,
		ProjectSlug: w.ProjectSlug, Name: name, Type: domain.JobTypeBuild, Number: n, Status: st, Parallelism: 1,
		Attempt: 1}
	if n == 0 {
		j.Type, j.ApprovalRequestID = domain.JobTypeApproval, j.ID
	}
	if len(requires) > 0 {
		j.Requires = map[string][]domain.JobStatus{}
		for _, up := range requires {
			j.Requires[up] = []domain.JobStatus{domain.JobSuccess}
		}
	}
	f.putJob(j)
	return j
}

func (f *plFixture) putJob(j domain.Job) {
	home := repo.JobKey(j.WorkflowID, j.Name)
	ops := []store.Op{repo.Create(home, j), repo.CreateRef(repo.KindJob, j.ID, home)}
	if j.Number > 0 {
		ops = append(ops, repo.NumberJob(j.ProjectID, j.Number, home))
	}
	f.write(ops...)
}

// task seeds a task of a job with its steps.
func (f *plFixture) task(j domain.Job, index int, st domain.TaskStatus, steps ...domain.Step) domain.Task {
	t := domain.Task{ID: repo.TaskID(j.ID, index), JobID: j.ID, Index: index, Status: st, Attempt: 1}
	ops := []store.Op{repo.Create(repo.TaskKey(j.ID, index), t)}
	for _, s := range steps {
		s.TaskID = t.ID
		ops = append(ops, repo.Create(repo.StepKey(t.ID, s.Index), s))
	}
	f.write(ops...)
	return t
}

func (f *plFixture) putBlob(key, data string) {
	f.t.Helper()
	if err := f.blobs.Put(context.Background(), key, strings.NewReader(data)); err != nil {
		f.t.Fatal(err)
	}
}

// errorCase is a request expected to fail with a status.
type errorCase struct {
	name, as, method, path string
	body                   any
	want                   int
}

func (f *plFixture) runErrors(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := f.do(tc.as, tc.method, tc.path, tc.body)
			if code != tc.want {
				t.Fatalf("%s %s as %q: status %d, want %d: %s", tc.method, tc.path, tc.as, code, tc.want, out)
			}
			var e struct{ Message string }
			if err := json.Unmarshal([]byte(out), &e); err != nil || e.Message == "" {
				t.Errorf("error body %q is not {\"message\": …}", out)
			}
		})
	}
}
