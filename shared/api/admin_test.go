package api

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/orbstore"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestAdminOrgsProjectsUsers(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	o := settingsCall[domain.Org](f, "POST", "/api/v2/admin/orgs", "root", map[string]string{"name": "widgets", "vcs": "gitlab"}, 201)
	if o.Slug != "gl/widgets" || o.VCS != "gitlab" || o.ID == "" {
		t.Errorf("org = %+v", o)
	}
	if l := settingsCall[domain.Org](f, "POST", "/api/v2/admin/orgs", "root", map[string]string{"name": "me", "vcs": "local"}, 201); l.Slug != "local/me" {
		t.Errorf("local org = %+v", l)
	}
	orgs := settingsCall[page[domain.Org]](f, "GET", "/api/v2/admin/orgs", "root", nil, 200)
	if len(orgs.Items) != 3 {
		t.Errorf("orgs = %+v", orgs)
	}
	hookSecret := f.secret("project-webhook-secret-7777")
	p := settingsCall[adminProjectView](f, "POST", "/api/v2/admin/projects", "root", map[string]any{"org_slug": "gl/widgets",
		"name": "app", "repo_url": "https://gitlab.com/widgets/app.git", "webhook_secret": hookSecret}, 201)
	if p.Slug != "gl/widgets/app" || p.OrgID != o.ID || p.DefaultBranch != "main" || !p.HasWebhookSecret || len(p.ID) != 36 {
		t.Errorf("project = %+v", p)
	}
	stored, err := f.repo.ProjectBySlug(ctx, "gl/widgets/app")
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := f.env.Open(ctx, stored.V.WebhookSecret, repo.ProjectWebhookSecretAAD(p.ID)); err != nil || string(pt) != hookSecret {
		t.Errorf("open webhook secret = %q, %v", pt, err)
	}
	if bytes.Contains(f.stored(stored.Key), []byte(hookSecret)) {
		t.Errorf("the stored project holds its webhook secret in clear")
	}
	projects := settingsCall[page[adminProjectView]](f, "GET", "/api/v2/admin/projects?limit=1", "root", nil, 200)
	if len(projects.Items) != 1 || projects.NextPageToken == nil {
		t.Errorf("projects page = %+v", projects)
	}
	u := settingsCall[domain.User](f, "POST", "/api/v2/admin/users", "root", map[string]any{"login": "carol", "name": "Carol C"}, 201)
	if u.Login != "carol" || u.Admin || u.ID == "" {
		t.Errorf("user = %+v", u)
	}
	m := settingsCall[domain.Membership](f, "POST", "/api/v2/admin/orgs/gl/widgets/members", "root", map[string]string{"login": "carol", "role": "admin"}, 200)
	if m.UserID != u.ID || m.OrgID != o.ID || m.Role != "admin" {
		t.Errorf("membership = %+v", m)
	}
	settingsCall[domain.Membership](f, "POST", "/api/v2/admin/orgs/"+o.ID+"/members", "root", map[string]string{"login": "carol", "role": "viewer"}, 200)
	if role, _ := f.repo.Role(ctx, u.ID, o.ID); role != "viewer" {
		t.Errorf("role = %q, want viewer", role)
	}

	runSettingsCases(t, f, []settingsCase{
		{"not admin", "POST", "/api/v2/admin/orgs", "alice", map[string]string{"name": "x", "vcs": "github"}, 403},
		{"no token", "GET", "/api/v2/admin/orgs", "", nil, 401},
		{"duplicate org", "POST", "/api/v2/admin/orgs", "root", map[string]string{"name": "widgets", "vcs": "gitlab"}, 409},
		{"bad vcs", "POST", "/api/v2/admin/orgs", "root", map[string]string{"name": "x", "vcs": "svn"}, 400},
		{"bad org name", "POST", "/api/v2/admin/orgs", "root", map[string]string{"name": "a/b", "vcs": "github"}, 400},
		{"duplicate project", "POST", "/api/v2/admin/projects", "root", map[string]any{"org_slug": "gl/widgets", "name": "app", "repo_url": "x"}, 409},
		{"project of unknown org", "POST", "/api/v2/admin/projects", "root", map[string]any{"org_slug": "gh/nope", "name": "app", "repo_url": "x"}, 404},
		{"project without repo", "POST", "/api/v2/admin/projects", "root", map[string]any{"org_slug": "gl/widgets", "name": "b"}, 400},
		{"member lists projects", "GET", "/api/v2/admin/projects", "bob", nil, 403},
		{"duplicate user", "POST", "/api/v2/admin/users", "root", map[string]any{"login": "carol"}, 409},
		{"bad login", "POST", "/api/v2/admin/users", "root", map[string]any{"login": ""}, 400},
		{"too big", "POST", "/api/v2/admin/users", "root", `{"login":"` + strings.Repeat("x", 70<<10) + `"}`, 413},
		{"bad role", "POST", "/api/v2/admin/orgs/gl/widgets/members", "root", map[string]string{"login": "carol", "role": "owner"}, 400},
		{"unknown member", "POST", "/api/v2/admin/orgs/gl/widgets/members", "root", map[string]string{"login": "zed", "role": "admin"}, 404},
		{"unknown org", "POST", "/api/v2/admin/orgs/gl/nope/members", "root", map[string]string{"login": "carol", "role": "admin"}, 404},
	})
	for _, b := range f.bodies {
		if strings.Contains(b, `"webhook_secret"`) {
			t.Errorf("a response shows the webhook secret field: %s", b)
		}
	}
}

func TestAdminTokens(t *testing.T) {
	f := newSettingsFixture(t)
	tok := settingsCall[map[string]string](f, "POST", "/api/v2/me/tokens", "bob", map[string]string{"label": "laptop"}, 201)
	if !strings.HasPrefix(tok["token"], "CCIPAT_") || len(tok["token"]) != 7+43 || tok["login"] != "bob" {
		t.Fatalf("token = %v", tok)
	}
	req := func(token string) int {
		code, _ := f.do("GET", "/api/v2/me?circle-token="+token, "", nil)
		return code
	}
	if code := req(tok["token"]); code != 200 {
		t.Errorf("new token = %d", code)
	}
	forCarol := settingsCall[map[string]string](f, "POST", "/api/v2/admin/tokens", "root", map[string]string{"login": "bob", "label": "ci"}, 201)
	if forCarol["login"] != "bob" || req(forCarol["token"]) != 200 {
		t.Errorf("admin-made token = %v", forCarol)
	}
	runSettingsCases(t, f, []settingsCase{
		{"duplicate label", "POST", "/api/v2/me/tokens", "bob", map[string]string{"label": "laptop"}, 409},
		{"no label", "POST", "/api/v2/me/tokens", "bob", map[string]string{}, 400},
		{"non-admin via admin", "POST", "/api/v2/admin/tokens", "bob", map[string]string{"label": "x"}, 403},
		{"for unknown user", "POST", "/api/v2/admin/tokens", "root", map[string]string{"login": "zed", "label": "x"}, 404},
		{"delete unknown", "DELETE", "/api/v2/me/tokens?label=nope", "bob", nil, 404},
		{"delete", "DELETE", "/api/v2/me/tokens?label=laptop", "bob", nil, 200},
		{"admin deletes for bob", "DELETE", "/api/v2/admin/tokens?label=ci&login=bob", "root", nil, 200},
	})
	if req(tok["token"]) != 401 || req(forCarol["token"]) != 401 {
		t.Errorf("deleted tokens still work")
	}
	// Tokens are stored hashed only.
	if _, err := f.repo.S.Get(context.Background(), repo.TokenKey(HashToken(tok["token"]))); !repo.IsNotFound(err) {
		t.Errorf("deleted token's hash: %v", err)
	}
}

func TestAdminOrbsAndAudit(t *testing.T) {
	f := newSettingsFixture(t, func(d *Deps) { d.Orbs = orbstore.New(memblob.New()) })
	orb := "version: 2.1\ncommands:\n  hello:\n    steps:\n      - run: echo hi\n"
	settingsCall[map[string]string](f, "POST", "/api/v2/admin/orbs", "root", map[string]string{"ref": "acme/tools@1.2.3", "yaml": orb}, 201)
	runSettingsCases(t, f, []settingsCase{
		{"volatile", "POST", "/api/v2/admin/orbs", "root", map[string]string{"ref": "acme/tools@volatile", "yaml": orb}, 400},
		{"not a mapping", "POST", "/api/v2/admin/orbs", "root", map[string]string{"ref": "acme/tools@1.0.0", "yaml": "- a"}, 400},
		{"non-admin", "POST", "/api/v2/admin/orbs", "alice", map[string]string{"ref": "acme/tools@1.0.0", "yaml": orb}, 403},
		{"bad from", "GET", "/api/v2/admin/audit?from=yesterday", "root", nil, 400},
		{"empty range", "GET", "/api/v2/admin/audit?from=2025-06-02T00:00:00Z&to=2025-06-01T00:00:00Z", "root", nil, 400},
		{"non-admin audit", "GET", "/api/v2/admin/audit", "alice", nil, 403},
	})
	from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	events := settingsCall[page[map[string]any]](f, "GET", "/api/v2/admin/audit?from="+from+"&to="+to, "root", nil, 200)
	if len(events.Items) < 4 {
		t.Errorf("audit events = %d, want the orb imports and refusals", len(events.Items))
	}
	g := newSettingsFixture(t, func(d *Deps) { d.Audit = nil })
	runSettingsCases(t, g, []settingsCase{
		{"orbs disabled", "POST", "/api/v2/admin/orbs", "root", map[string]string{"ref": "acme/tools@1.2.3", "yaml": orb}, 404},
		{"audit disabled", "GET", "/api/v2/admin/audit", "root", nil, 404},
	})
}

func TestBootstrap(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	tok, created, err := Bootstrap(ctx, f.repo, "admin")
	if err != nil || !created || !strings.HasPrefix(tok, "CCIPAT_") {
		t.Fatalf("Bootstrap = %q, %v, %v", tok, created, err)
	}
	code, body := f.do("GET", "/api/v2/admin/orgs?circle-token="+tok, "", nil)
	if code != 200 {
		t.Errorf("bootstrap token on an admin endpoint = %d %s", code, body)
	}
	if tok2, created, err := Bootstrap(ctx, f.repo, "admin"); err != nil || created || tok2 != "" {
		t.Errorf("second Bootstrap = %q, %v, %v", tok2, created, err)
	}
	p1, err := EnsureOrgProject(ctx, f.repo, f.env, "demo", "local", "hello", "/tmp/hello", "")
	if err != nil {
		t.Fatal(err)
	}
	p2, err := EnsureOrgProject(ctx, f.repo, f.env, "demo", "local", "hello", "/tmp/hello", "")
	if err != nil || p2.ID != p1.ID || p1.Slug != "local/demo/hello" || p1.DefaultBranch != "main" || len(p1.WebhookSecret) == 0 {
		t.Errorf("EnsureOrgProject = %+v then %+v, %v", p1, p2, err)
	}
	if _, err := EnsureOrgProject(ctx, f.repo, nil, "demo", "svn", "x", "/x", ""); err == nil {
		t.Errorf("EnsureOrgProject with vcs svn succeeded")
	}
}
