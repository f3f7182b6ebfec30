package api

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestContexts(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	owner := map[string]any{"slug": "gh/acme", "type": "organization"}
	created := settingsCall[contextView](f, "POST", "/api/v2/context", "alice", map[string]any{"name": "deploy", "owner": owner}, 200)
	if created.ID == "" || created.Name != "deploy" || created.CreatedAt.IsZero() {
		t.Fatalf("created = %+v", created)
	}
	byID := map[string]any{"name": "other", "owner": map[string]any{"id": f.org.ID}}
	settingsCall[contextView](f, "POST", "/api/v2/context", "root", byID, 200)

	base := "/api/v2/context/" + created.ID
	secret := f.secret("s3cr3t-context-value-9876")
	v := settingsCall[contextVarView](f, "PUT", base+"/environment-variable/AWS_KEY", "alice", map[string]string{"value": secret}, 200)
	if v.Variable != "AWS_KEY" || v.ContextID != created.ID || v.CreatedAt.IsZero() || v.UpdatedAt.IsZero() {
		t.Errorf("put = %+v", v)
	}
	settingsCall[contextVarView](f, "PUT", base+"/environment-variable/CIRCLE_OVERRIDE", "alice", map[string]string{"value": ""}, 200)
	settingsCall[contextVarView](f, "PUT", base+"/environment-variable/AWS_KEY", "alice", map[string]string{"value": secret + "2"}, 200)

	raw := f.stored(repo.ContextVarKey(created.ID, "AWS_KEY"))
	if bytes.Contains(raw, []byte(secret)) {
		t.Errorf("the stored variable holds its value in clear")
	}
	stored, _ := repo.Get[domain.Variable](ctx, f.repo, repo.ContextVarKey(created.ID, "AWS_KEY"))
	if pt, err := f.env.Open(ctx, stored.V.Sealed, repo.ContextVarAAD(created.ID, "AWS_KEY")); err != nil || string(pt) != secret+"2" {
		t.Errorf("open stored value = %q, %v", pt, err)
	}
	if stored.V.Hint != "8762" {
		t.Errorf("hint = %q, want the last 4 characters", stored.V.Hint)
	}

	vars := settingsCall[page[contextVarView]](f, "GET", base+"/environment-variable", "bob", nil, 200)
	if len(vars.Items) != 2 || vars.Items[0].Variable != "AWS_KEY" || vars.Items[1].Variable != "CIRCLE_OVERRIDE" {
		t.Errorf("variables = %+v", vars)
	}
	list := settingsCall[page[contextView]](f, "GET", "/api/v2/context?owner-slug=gh/acme", "bob", nil, 200)
	if len(list.Items) != 2 || list.NextPageToken != nil {
		t.Errorf("contexts = %+v", list)
	}
	paged := settingsCall[page[contextView]](f, "GET", "/api/v2/context?owner-id="+f.org.ID+"&limit=1", "bob", nil, 200)
	if len(paged.Items) != 1 || paged.NextPageToken == nil {
		t.Fatalf("first page = %+v", paged)
	}
	rest := settingsCall[page[contextView]](f, "GET", "/api/v2/context?owner-id="+f.org.ID+"&limit=1&page-token="+*paged.NextPageToken, "bob", nil, 200)
	if len(rest.Items) != 1 || rest.Items[0].ID == paged.Items[0].ID {
		t.Errorf("second page = %+v", rest)
	}
	got := settingsCall[contextView](f, "GET", base, "bob", nil, 200)
	if got != created {
		t.Errorf("get = %+v, want %+v", got, created)
	}

	runSettingsCases(t, f, []settingsCase{
		{"duplicate", "POST", "/api/v2/context", "alice", map[string]any{"name": "deploy", "owner": owner}, 409},
		{"member creates", "POST", "/api/v2/context", "bob", map[string]any{"name": "x", "owner": owner}, 403},
		{"non-member creates", "POST", "/api/v2/context", "eve", map[string]any{"name": "x", "owner": owner}, 404},
		{"no owner", "POST", "/api/v2/context", "alice", map[string]any{"name": "x"}, 400},
		{"no name", "POST", "/api/v2/context", "alice", map[string]any{"owner": owner}, 400},
		{"bad owner type", "POST", "/api/v2/context", "alice", map[string]any{"name": "x", "owner": map[string]any{"slug": "gh/acme", "type": "team"}}, 400},
		{"unknown org", "POST", "/api/v2/context", "alice", map[string]any{"name": "x", "owner": map[string]any{"slug": "gh/nope"}}, 404},
		{"no token", "POST", "/api/v2/context", "", map[string]any{"name": "x", "owner": owner}, 401},
		{"malformed", "POST", "/api/v2/context", "alice", `{"name":`, 400},
		{"too big", "POST", "/api/v2/context", "alice", `{"name":"` + strings.Repeat("n", 70<<10) + `"}`, 413},
		{"viewer lists", "GET", "/api/v2/context?owner-slug=gh/acme", "vic", nil, 403},
		{"non-member lists", "GET", "/api/v2/context?owner-slug=gh/acme", "eve", nil, 404},
		{"list without owner", "GET", "/api/v2/context", "bob", nil, 400},
		{"bad page token", "GET", "/api/v2/context?owner-slug=gh/acme&page-token=!!", "bob", nil, 400},
		{"non-member gets", "GET", base, "eve", nil, 404},
		{"viewer gets", "GET", base, "vic", nil, 403},
		{"unknown context", "GET", "/api/v2/context/" + domain.NewID(), "root", nil, 404},
		{"member sets", "PUT", base + "/environment-variable/X", "bob", map[string]string{"value": "v"}, 403},
		{"bad name", "PUT", base + "/environment-variable/1X", "alice", map[string]string{"value": "v"}, 400},
		{"bad name chars", "PUT", base + "/environment-variable/A-B", "alice", map[string]string{"value": "v"}, 400},
		{"no value", "PUT", base + "/environment-variable/X", "alice", map[string]string{}, 400},
		{"value too big", "PUT", base + "/environment-variable/X", "alice", map[string]string{"value": strings.Repeat("v", 70<<10)}, 413},
		{"member deletes var", "DELETE", base + "/environment-variable/AWS_KEY", "bob", nil, 403},
		{"delete missing var", "DELETE", base + "/environment-variable/NOPE", "alice", nil, 404},
		{"delete var", "DELETE", base + "/environment-variable/CIRCLE_OVERRIDE", "alice", nil, 200},
		{"member deletes", "DELETE", base, "bob", nil, 403},
		{"delete", "DELETE", base, "alice", nil, 200},
		{"gone", "GET", base, "alice", nil, 404},
		{"gone vars", "GET", base + "/environment-variable", "alice", nil, 404},
		{"delete again", "DELETE", base, "alice", nil, 404},
	})
	if vars, _ := repo.ListAll[domain.Variable](ctx, f.repo, repo.ContextVarsPK(created.ID), ""); len(vars) != 0 {
		t.Errorf("variables left after delete: %d", len(vars))
	}
	// The name is free again, and the old id does not reach the new context.
	again := settingsCall[contextView](f, "POST", "/api/v2/context", "alice", map[string]any{"name": "deploy", "owner": owner}, 200)
	if again.ID == created.ID {
		t.Errorf("new context reuses the old id")
	}
	if code, _ := f.do("GET", base, "alice", nil); code != 404 {
		t.Errorf("old id after re-create = %d, want 404", code)
	}
}

func TestContextDeleteManyVariables(t *testing.T) {
	f := newSettingsFixture(t)
	c := settingsCall[contextView](f, "POST", "/api/v2/context", "alice",
		map[string]any{"name": "big", "owner": map[string]any{"slug": "github/acme"}}, 200)
	for i := range 120 {
		name := "V" + strings.Repeat("X", i%5) + string(rune('A'+i%26)) + string(rune('A'+i/26))
		settingsCall[contextVarView](f, "PUT", "/api/v2/context/"+c.ID+"/environment-variable/"+name, "alice",
			map[string]string{"value": "v"}, 200)
	}
	settingsCall[message](f, "DELETE", "/api/v2/context/"+c.ID, "alice", nil, 200)
	if vars, _ := repo.ListAll[domain.Variable](context.Background(), f.repo, repo.ContextVarsPK(c.ID), ""); len(vars) != 0 {
		t.Errorf("variables left after delete: %d", len(vars))
	}
}
