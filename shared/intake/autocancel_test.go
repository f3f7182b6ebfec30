package intake

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/domain"
)

func TestAutoCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		autoCancel bool
		branch     string
		wantOld    string // status of the older pipeline's workflow
	}{
		{"feature branch", true, "feature", "canceled"},
		{"default branch", true, "main", "running"},
		{"setting off", false, "feature", "running"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(p *domain.Project) { p.Settings.AutoCancelBuilds = tc.autoCancel })
			e.commit("main", "base", map[string]string{".circleci/config.yml": simpleConfig})
			e.commit(tc.branch, "more", nil)
			other := e.trigger(TriggerRequest{Branch: "main", Actor: "x"}) // another branch: never canceled
			if tc.branch == "main" {
				other = e.trigger(TriggerRequest{Branch: "other-does-not-exist"})
			}
			old := e.trigger(TriggerRequest{Branch: tc.branch})
			e.drain()
			newer := e.trigger(TriggerRequest{Branch: tc.branch})
			e.drain()
			if d := cmp.Diff([]string{"main:" + tc.wantOld + ":build,test"}, e.workflows(old.ID)); d != "" {
				t.Errorf("older pipeline's workflows (-want +got):\n%s", d)
			}
			if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(newer.ID)); d != "" {
				t.Errorf("newer pipeline's workflows (-want +got):\n%s", d)
			}
			if tc.branch != "main" {
				if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(other.ID)); d != "" {
					t.Errorf("other branch's workflows (-want +got):\n%s", d)
				}
			}
			if got := e.pipeline(old.ID).AutoCanceledBy; (tc.wantOld == "canceled") != (got == newer.ID) {
				t.Errorf("AutoCanceledBy = %q (newer %s)", got, newer.ID)
			}
			if tc.wantOld == "canceled" {
				wfs, _ := e.repo.Workflows(e.ctx, old.ID)
				if wfs[0].V.CanceledBy != AutoCancelActor {
					t.Errorf("canceled by %q, want %q", wfs[0].V.CanceledBy, AutoCancelActor)
				}
			}
		})
	}
}

// TestAutoCancelUnprocessed: an older pipeline not yet processed when a newer one cancels it never creates
// its workflows.
func TestAutoCancelUnprocessed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(p *domain.Project) { p.Settings.AutoCancelBuilds = true })
	e.commit("main", "base", map[string]string{".circleci/config.yml": simpleConfig})
	e.commit("feature", "more", nil)
	old := e.trigger(TriggerRequest{Branch: "feature"})
	newer := e.trigger(TriggerRequest{Branch: "feature"})
	// Handle the newer first.
	if err := e.in.process(e.ctx, newer.ID, 1); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if wfs := e.workflows(old.ID); len(wfs) != 0 {
		t.Errorf("older pipeline's workflows = %v, want none", wfs)
	}
	if got := e.pipeline(old.ID); got.AutoCanceledBy != newer.ID || got.ConfigSource == "" {
		t.Errorf("older pipeline = %+v", got)
	}
	if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(newer.ID)); d != "" {
		t.Errorf("newer pipeline's workflows (-want +got):\n%s", d)
	}
}

func TestWebhookGitLab(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(p *domain.Project) { p.Slug, p.DefaultBranch = "gl/mike/diaspora", "master" })
	e.gitRun("checkout", "-q", "-b", "master")
	sha := e.commit("master", "Update Catalan translation", map[string]string{".circleci/config.yml": simpleConfig})
	body := payload(t, "gitlab-push.json", map[string]any{"after": sha, "checkout_sha": sha})
	h := http.Header{}
	h.Set("X-Gitlab-Event", "Push Hook")
	h.Set("X-Gitlab-Event-UUID", "gl-1")
	h.Set("X-Gitlab-Token", "wrong")
	if _, err := e.in.Webhook(e.ctx, "gitlab", h, body); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Fatalf("wrong token = %v, want a signature error", err)
	}
	h.Set("X-Gitlab-Token", testSecret)
	if _, err := e.in.Webhook(e.ctx, "github", h, body); err == nil {
		t.Fatal("a GitLab delivery on the GitHub hook was accepted")
	}
	res, err := e.in.Webhook(e.ctx, "gitlab", h, body)
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	p := e.pipeline(res.PipelineID)
	if p.VCS.Provider != "GitLab" || p.VCS.Branch != "master" || p.VCS.Revision != sha {
		t.Errorf("VCS = %+v", p.VCS)
	}
	if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(p.ID)); d != "" {
		t.Errorf("workflows (-want +got):\n%s", d)
	}
}
