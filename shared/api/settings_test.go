package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/audit"
	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/secrets/localkey"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/store/memstore"
)

// settingsQueue records every message sent, to check none carries a secret.
type settingsQueue struct {
	*memqueue.Queue
	mu   sync.Mutex
	sent [][]byte
}

func (q *settingsQueue) Send(ctx context.Context, topic string, msgs ...queue.Message) error {
	q.mu.Lock()
	for _, m := range msgs {
		q.sent = append(q.sent, m.Body)
	}
	q.mu.Unlock()
	return q.Queue.Send(ctx, topic, msgs...)
}

// settingsFixture is an API over in-memory adapters with an org gh/acme, its project gh/acme/api, and users
// root (server admin), alice (org admin), bob (member), vic (viewer) and eve (no role); tokens are
// "tok-<login>".
type settingsFixture struct {
	t       *testing.T
	api     *API
	repo    *repo.Repo
	env     *secrets.Envelope
	org     domain.Org
	project domain.Project
	users   map[string]domain.User
	logs    *bytes.Buffer
	queue   *settingsQueue
	audit   *audit.Log
	mu      sync.Mutex
	bodies  []string
	secrets []string
}

func newSettingsFixture(t *testing.T, tweak ...func(*Deps)) *settingsFixture {
	t.Helper()
	ctx := context.Background()
	f := &settingsFixture{t: t, repo: repo.New(memstore.New()), env: secrets.NewEnvelope(testKeys()),
		users: map[string]domain.User{}, logs: &bytes.Buffer{}, queue: &settingsQueue{Queue: memqueue.New(0)}}
	log := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.audit = audit.New(memblob.New(), log)
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	d := Deps{Repo: f.repo, Secrets: f.env, Workflows: conductor.New(f.repo, f.queue, conductor.Options{}),
		Audit: f.audit, Log: log, Now: func() time.Time { return now }, MaxBody: 64 << 10,
		RatePerSecond: 1e6, RateBurst: 1e6}
	for _, fn := range tweak {
		fn(&d)
	}
	f.api = New(d)
	p, err := EnsureOrgProject(ctx, f.repo, f.env, "acme", "github", "api", "https://github.com/acme/api", "main")
	if err != nil {
		t.Fatal(err)
	}
	o, err := f.repo.OrgBySlug(ctx, "gh/acme")
	if err != nil {
		t.Fatal(err)
	}
	f.org, f.project = o.V, p
	for login, role := range map[string]string{"root": "", "alice": "admin", "bob": "member", "vic": "viewer", "eve": ""} {
		f.addUser(login, role, login == "root")
	}
	t.Cleanup(f.checkNoLeaks)
	return f
}

func (f *settingsFixture) addUser(login, role string, admin bool) domain.User {
	f.t.Helper()
	ctx := context.Background()
	u, ops, err := newUser(login, strings.ToUpper(login[:1])+login[1:], admin, time.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	t := domain.Token{Hash: HashToken("tok-" + login), UserID: u.ID, Label: "test"}
	ops = append(ops, repo.Create(repo.TokenKey(t.Hash), t))
	if role != "" {
		m := domain.Membership{UserID: u.ID, OrgID: f.org.ID, Role: role}
		ops = append(ops, repo.Create(repo.MemberKey(f.org.ID, u.ID), m), repo.Create(repo.UserOrgKey(u.ID, f.org.ID), m))
	}
	if err := f.repo.Write(ctx, ops...); err != nil {
		f.t.Fatal(err)
	}
	f.users[login] = u
	return u
}

// secret registers a value no response, log line, audit event or queue message may contain.
func (f *settingsFixture) secret(v string) string {
	f.secrets = append(f.secrets, v)
	return v
}

// do sends a request as login ("" for none) with body (a string is sent as is, anything else as JSON) and
// returns the status and the response body.
func (f *settingsFixture) do(method, path, login string, body any) (int, string) {
	f.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			f.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, path, rd)
	if login != "" {
		req.Header.Set("Circle-Token", "tok-"+login)
	}
	w := httptest.NewRecorder()
	f.api.ServeHTTP(w, req)
	f.mu.Lock()
	f.bodies = append(f.bodies, w.Body.String())
	f.mu.Unlock()
	return w.Code, w.Body.String()
}

// json sends a request, checks its status and decodes the response into a T.
func settingsCall[T any](f *settingsFixture, method, path, login string, body any, want int) T {
	f.t.Helper()
	code, resp := f.do(method, path, login, body)
	if code != want {
		f.t.Fatalf("%s %s as %q = %d %s, want %d", method, path, login, code, resp, want)
	}
	var v T
	if err := json.Unmarshal([]byte(resp), &v); err != nil {
		f.t.Fatalf("%s %s: decode %q: %v", method, path, resp, err)
	}
	return v
}

func (f *settingsFixture) checkNoLeaks() {
	events, err := f.audit.List(context.Background(), time.Unix(0, 0), time.Now().Add(time.Hour), 1000)
	if err != nil {
		f.t.Errorf("audit list: %v", err)
	}
	auditJSON, _ := json.Marshal(events)
	f.queue.mu.Lock()
	sent := string(bytes.Join(f.queue.sent, nil))
	f.queue.mu.Unlock()
	for _, s := range f.secrets {
		for _, b := range f.bodies {
			if strings.Contains(b, s) {
				f.t.Errorf("a response holds secret %q: %s", s, b)
			}
		}
		for where, text := range map[string]string{"log": f.logs.String(), "audit log": string(auditJSON), "queue": sent} {
			if strings.Contains(text, s) {
				f.t.Errorf("the %s holds secret %q", where, s)
			}
		}
	}
}

// stored returns the raw item at k, to check that a secret is sealed at rest.
func (f *settingsFixture) stored(k store.Key) []byte {
	f.t.Helper()
	it, err := f.repo.S.Get(context.Background(), k)
	if err != nil {
		f.t.Fatalf("get %v: %v", k, err)
	}
	return it.Data
}

type settingsCase struct {
	name, method, path, login string
	body                      any
	want                      int
}

func runSettingsCases(t *testing.T, f *settingsFixture, cases []settingsCase) {
	t.Helper()
	for _, c := range cases {
		if code, body := f.do(c.method, c.path, c.login, c.body); code != c.want {
			t.Errorf("%s: %s %s as %q = %d %s, want %d", c.name, c.method, c.path, c.login, code, body, c.want)
		}
	}
}

func TestSettingsIdentity(t *testing.T) {
	f := newSettingsFixture(t)
	me := settingsCall[actorView](f, "GET", "/api/v2/me", "bob", nil, 200)
	if me.Login != "bob" || me.Name != "Bob" || me.ID != f.users["bob"].ID {
		t.Errorf("me = %+v", me)
	}
	collabs := settingsCall[[]collaborationView](f, "GET", "/api/v2/me/collaborations", "vic", nil, 200)
	want := collaborationView{ID: f.org.ID, VCSType: "github", Name: "acme", Slug: "gh/acme"}
	if len(collabs) != 1 || collabs[0] != want {
		t.Errorf("collaborations = %+v, want [%+v]", collabs, want)
	}
	if c := settingsCall[[]collaborationView](f, "GET", "/api/v2/me/collaborations", "eve", nil, 200); len(c) != 0 {
		t.Errorf("eve's collaborations = %+v", c)
	}
	p := settingsCall[projectView](f, "GET", "/api/v2/project/github/acme/api", "vic", nil, 200)
	wantP := projectView{ID: f.project.ID, Slug: "gh/acme/api", Name: "api", OrganizationName: "acme",
		OrganizationSlug: "gh/acme", OrganizationID: f.org.ID,
		VCSInfo: vcsInfo{VCSURL: "https://github.com/acme/api", Provider: "GitHub", DefaultBranch: "main"}}
	if p != wantP {
		t.Errorf("project = %+v, want %+v", p, wantP)
	}
	runSettingsCases(t, f, []settingsCase{
		{"no token", "GET", "/api/v2/me", "", nil, 401},
		{"bad token", "GET", "/api/v2/me?circle-token=nope", "", nil, 401},
		{"non-member", "GET", "/api/v2/project/gh/acme/api", "eve", nil, 404},
		{"unknown project", "GET", "/api/v2/project/gh/acme/nope", "root", nil, 404},
	})
}

func TestSettingsProjectSettings(t *testing.T) {
	f := newSettingsFixture(t)
	const path = "/api/v2/project/gh/acme/api/settings"
	got := settingsCall[map[string]map[string]bool](f, "GET", path, "bob", nil, 200)
	if v, ok := got["advanced"]["autocancel_builds"]; !ok || v {
		t.Errorf("settings = %v", got)
	}
	patch := map[string]any{"advanced": map[string]any{"autocancel_builds": true, "build_fork_prs": true, "oss": true}}
	got = settingsCall[map[string]map[string]bool](f, "PATCH", path, "alice", patch, 200)
	if !got["advanced"]["autocancel_builds"] || !got["advanced"]["build_fork_prs"] || got["advanced"]["disable_ssh"] {
		t.Errorf("patched settings = %v", got)
	}
	p, err := f.repo.ProjectBySlug(context.Background(), "gh/acme/api")
	if err != nil || !p.V.Settings.AutoCancelBuilds || !p.V.Settings.BuildForkPRs {
		t.Errorf("stored settings = %+v, %v", p.V.Settings, err)
	}
	runSettingsCases(t, f, []settingsCase{
		{"member patches", "PATCH", path, "bob", patch, 403},
		{"viewer reads", "GET", path, "vic", nil, 200},
		{"non-member", "GET", path, "eve", nil, 404},
		{"unknown setting", "PATCH", path, "alice", `{"advanced":{"nope":true}}`, 400},
		{"not a bool", "PATCH", path, "alice", `{"advanced":{"disable_ssh":"yes"}}`, 400},
		{"malformed", "PATCH", path, "alice", `{"advanced":`, 400},
		{"too big", "PATCH", path, "alice", `{"x":"` + strings.Repeat("a", 70<<10) + `"}`, 413},
	})
}

// testKeys is the embedded key service over a fixed test key.
func testKeys() *localkey.KeyService {
	ks, err := localkey.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		panic(err)
	}
	return ks
}
