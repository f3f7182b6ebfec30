package api

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/notifier"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestWebhooks(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	secret := f.secret("webhook-signing-secret-5555")
	body := map[string]any{"name": "ci-events", "events": []string{"workflow-completed", "job-completed", "job-completed"},
		"url": "https://hooks.example.com/ci", "verify-tls": false, "signing-secret": secret,
		"scope": map[string]string{"id": f.project.ID, "type": "project"}}
	h := settingsCall[webhookView](f, "POST", "/api/v2/webhook", "alice", body, 201)
	if h.ID == "" || h.Name != "ci-events" || h.URL != "https://hooks.example.com/ci" || h.VerifyTLS ||
		len(h.Events) != 2 || h.Scope != (scopeView{ID: f.project.ID, Type: "project"}) || h.CreatedAt.IsZero() {
		t.Errorf("created = %+v", h)
	}
	rec, err := repo.ByID[domain.Webhook](ctx, f.repo, repo.KindWebhook, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f.stored(rec.Key), []byte(secret)) {
		t.Errorf("the stored webhook holds its secret in clear")
	}
	if pt, err := f.env.Open(ctx, rec.V.SealedSecret, notifier.SecretAAD(h.ID)); err != nil || string(pt) != secret {
		t.Errorf("open secret = %q, %v", pt, err)
	}

	list := settingsCall[page[webhookView]](f, "GET", "/api/v2/webhook?scope-type=project&scope-id="+f.project.ID, "bob", nil, 200)
	if len(list.Items) != 1 || list.Items[0].ID != h.ID {
		t.Errorf("list = %+v", list)
	}
	path := "/api/v2/webhook/" + h.ID
	if got := settingsCall[webhookView](f, "GET", path, "bob", nil, 200); got.ID != h.ID || got.Name != h.Name {
		t.Errorf("get = %+v", got)
	}
	newSecret := f.secret("rotated-secret-6666")
	up := settingsCall[webhookView](f, "PUT", path, "alice",
		map[string]any{"name": "renamed", "events": []string{"job-completed"}, "signing-secret": newSecret}, 200)
	if up.Name != "renamed" || len(up.Events) != 1 || up.URL != h.URL || up.VerifyTLS {
		t.Errorf("updated = %+v", up)
	}
	rec, _ = repo.ByID[domain.Webhook](ctx, f.repo, repo.KindWebhook, h.ID)
	if pt, err := f.env.Open(ctx, rec.V.SealedSecret, notifier.SecretAAD(h.ID)); err != nil || string(pt) != newSecret {
		t.Errorf("open rotated secret = %q, %v", pt, err)
	}

	with := func(k string, v any) map[string]any {
		b := map[string]any{}
		for k, v := range body {
			b[k] = v
		}
		b[k] = v
		return b
	}
	runSettingsCases(t, f, []settingsCase{
		{"member creates", "POST", "/api/v2/webhook", "bob", body, 403},
		{"non-member creates", "POST", "/api/v2/webhook", "eve", body, 404},
		{"no token", "POST", "/api/v2/webhook", "", body, 401},
		{"ftp url", "POST", "/api/v2/webhook", "alice", with("url", "ftp://x/y"), 400},
		{"relative url", "POST", "/api/v2/webhook", "alice", with("url", "/hook"), 400},
		{"unknown event", "POST", "/api/v2/webhook", "alice", with("events", []string{"push"}), 400},
		{"no events", "POST", "/api/v2/webhook", "alice", with("events", []string{}), 400},
		{"no name", "POST", "/api/v2/webhook", "alice", with("name", ""), 400},
		{"org scope", "POST", "/api/v2/webhook", "alice", with("scope", map[string]string{"id": f.org.ID, "type": "organization"}), 400},
		{"unknown project", "POST", "/api/v2/webhook", "alice", with("scope", map[string]string{"id": domain.NewID(), "type": "project"}), 404},
		{"too big", "POST", "/api/v2/webhook", "alice", with("signing-secret", strings.Repeat("s", 70<<10)), 413},
		{"list without scope type", "GET", "/api/v2/webhook?scope-id=" + f.project.ID, "bob", nil, 400},
		{"viewer lists", "GET", "/api/v2/webhook?scope-type=project&scope-id=" + f.project.ID, "vic", nil, 403},
		{"non-member lists", "GET", "/api/v2/webhook?scope-type=project&scope-id=" + f.project.ID, "eve", nil, 404},
		{"non-member gets", "GET", path, "eve", nil, 404},
		{"member updates", "PUT", path, "bob", map[string]any{"name": "x"}, 403},
		{"bad update", "PUT", path, "alice", map[string]any{"url": "nope"}, 400},
		{"unknown", "GET", "/api/v2/webhook/" + domain.NewID(), "root", nil, 404},
		{"member deletes", "DELETE", path, "bob", nil, 403},
		{"delete", "DELETE", path, "alice", nil, 200},
		{"deleted", "GET", path, "alice", nil, 404},
		{"delete again", "DELETE", path, "alice", nil, 404},
	})
}
