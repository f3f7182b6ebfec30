package intake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

// payload reads a GitHub payload from the webhook package's testdata and sets fields in it
// ("head_commit.id" → value).
func payload(t *testing.T, file string, set map[string]any) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("webhook", "testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for path, v := range set {
		parts := strings.Split(path, ".")
		m := doc
		for _, p := range parts[:len(parts)-1] {
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
	}
	out, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func githubHeaders(event, delivery, secret string, body []byte) http.Header {
	h := http.Header{}
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", delivery)
	h.Set("Content-Type", "application/json")
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

func pushBody(t *testing.T, branch, sha, msg string) []byte {
	return payload(t, "github-push.json", map[string]any{"ref": "refs/heads/" + branch, "after": sha,
		"head_commit.id": sha, "head_commit.message": msg})
}

func TestWebhookPush(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("main", "Wire the limiter", map[string]string{".circleci/config.yml": simpleConfig})
	body := pushBody(t, "main", sha, "Wire the limiter\n\nFixes #42.")
	h := githubHeaders("push", "d-1", testSecret, body)

	res, err := e.in.Webhook(e.ctx, "github", h, body)
	if err != nil {
		t.Fatal(err)
	}
	if res.PipelineID == "" || res.Duplicate || res.Ignored != "" || res.ProjectID != e.proj.ID || res.Number != 1 {
		t.Errorf("first delivery = %+v", res)
	}
	again, err := e.in.Webhook(e.ctx, "github", h, body)
	if err != nil || !again.Duplicate || again.PipelineID != res.PipelineID {
		t.Errorf("redelivery = %+v, %v; want a duplicate of %s", again, err, res.PipelineID)
	}
	e.drain()
	if n := len(e.pipelines()); n != 1 {
		t.Fatalf("%d pipelines, want 1", n)
	}
	p := e.pipeline(res.PipelineID)
	want := domain.VCS{Provider: "GitHub", RepoURL: "https://github.com/acme/api",
		OriginRepoURL: "https://github.com/acme/api", Branch: "main", Revision: sha,
		CommitSubject: "Wire the limiter", CommitBody: "Fixes #42."}
	if d := cmp.Diff(want, p.VCS); d != "" {
		t.Errorf("VCS (-want +got):\n%s", d)
	}
	if p.Trigger.Type != TypeWebhook || p.Trigger.Actor != "octocat" || p.DeliveryID != "d-1" {
		t.Errorf("trigger = %+v, delivery %q", p.Trigger, p.DeliveryID)
	}
	if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(p.ID)); d != "" {
		t.Errorf("workflows (-want +got):\n%s", d)
	}
}

func TestWebhookConcurrentRedelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("main", "x", map[string]string{".circleci/config.yml": simpleConfig})
	body := pushBody(t, "main", sha, "x")
	h := githubHeaders("push", "d-2", testSecret, body)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := e.in.Webhook(e.ctx, "github", h, body); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(e.pipelines()); n != 1 {
		t.Errorf("%d pipelines from one delivery sent 8 times at once, want 1", n)
	}
}

func TestWebhookRefused(t *testing.T) {
	t.Parallel()
	sha := strings.Repeat("ab", 20)
	body := pushBody(t, "main", sha, "x")
	tests := []struct {
		name    string
		project func(*domain.Project)
		headers http.Header
		want    error
	}{
		{"forged", nil, githubHeaders("push", "d-3", "wrong secret", body), ErrSignature},
		{"unsigned", nil, func() http.Header {
			h := githubHeaders("push", "d-4", testSecret, body)
			h.Del("X-Hub-Signature-256")
			return h
		}(), ErrSignature},
		{"no secret", func(p *domain.Project) { p.Slug = "-" }, githubHeaders("push", "d-5", testSecret, body), ErrSignature},
		{"unknown repository", func(p *domain.Project) { p.Slug = "gh/other/repo" }, githubHeaders("push", "d-6", testSecret, body), repo.ErrNotFound},
		{"no event header", nil, http.Header{"X-Hub-Signature-256": {"sha256=00"}}, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var muts []func(*domain.Project)
			if tc.project != nil {
				muts = append(muts, tc.project)
			}
			e := newEnv(t, muts...)
			if tc.name == "no secret" { // the project's repository is acme/api by URL
				e.proj.RepoURL = "https://github.com/acme/api.git"
				if err := e.repo.Write(e.ctx, repo.Put(repo.ProjectKey(e.proj.Slug), e.proj, 0, 0)); err != nil {
					t.Fatal(err)
				}
			}
			_, err := e.in.Webhook(e.ctx, "github", tc.headers, body)
			if !errors.Is(err, tc.want) {
				t.Errorf("Webhook = %v, want %v", err, tc.want)
			}
			if n := len(e.pipelines()); n != 0 {
				t.Errorf("%d pipelines written", n)
			}
			if _, err := e.repo.S.Get(e.ctx, repo.DeliveryKey("github", tc.headers.Get("X-GitHub-Delivery"))); !repo.IsNotFound(err) {
				t.Errorf("delivery recorded: %v", err)
			}
		})
	}
}

func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, event, file string
		set               map[string]any
		project           func(*domain.Project)
		ignored           string
		wantBranch        string
		wantWFs           []string
	}{
		{name: "ping", event: "ping", file: "github-ping.json", ignored: "ping"},
		{name: "branch deleted", event: "push", file: "github-push-delete.json", ignored: "branch deleted"},
		{name: "issues", event: "issues", file: "github-push.json", ignored: "event not built"},
		{name: "pull request closed", event: "pull_request", file: "github-pull-request-closed.json", ignored: "pull request closed: nothing to build"},
		{name: "fork pull request", event: "pull_request", file: "github-pull-request-fork.json", ignored: "pull requests from forks are not built (project setting build_fork_prs)"},
		{name: "fork pull request built", event: "pull_request", file: "github-pull-request-fork.json",
			project: func(p *domain.Project) { p.Settings.BuildForkPRs = true }, wantBranch: "pull/58"},
		{name: "pull request", event: "pull_request", file: "github-pull-request-opened.json", wantBranch: "feature/limiter"},
		{name: "only PRs", event: "push", file: "github-push.json", set: map[string]any{"ref": "refs/heads/topic"},
			project: func(p *domain.Project) { p.Settings.OnlyBuildPRs = true }, ignored: "only pull requests and the default branch are built (project setting build_prs_only)"},
		{name: "skip ci", event: "push", file: "github-push-skip-ci.json", wantBranch: "docs/readme", wantWFs: nil},
		{name: "tag", event: "push", file: "github-push-tag.json", wantBranch: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var muts []func(*domain.Project)
			if tc.project != nil {
				muts = append(muts, tc.project)
			}
			e := newEnv(t, muts...)
			body := payload(t, tc.file, tc.set)
			res, err := e.in.Webhook(e.ctx, "github", githubHeaders(tc.event, "d-"+tc.name, testSecret, body), body)
			if err != nil {
				t.Fatal(err)
			}
			if res.Ignored != tc.ignored {
				t.Errorf("Ignored = %q, want %q", res.Ignored, tc.ignored)
			}
			if tc.ignored != "" {
				if res.PipelineID != "" || len(e.pipelines()) != 0 {
					t.Errorf("ignored delivery made a pipeline: %+v", res)
				}
				return
			}
			p := e.pipeline(res.PipelineID)
			if p.VCS.Branch != tc.wantBranch {
				t.Errorf("branch = %q, want %q", p.VCS.Branch, tc.wantBranch)
			}
			if tc.event == "pull_request" && (p.VCS.ReviewID == "" || !strings.HasPrefix(p.VCS.ReviewURL, "https://github.com/acme/api/pull/")) {
				t.Errorf("review data missing: %+v", p.VCS)
			}
			if tc.name == "fork pull request built" && (p.VCS.PRNumber != "58" || p.VCS.OriginRepoURL != "https://github.com/stranger/api") {
				t.Errorf("fork VCS = %+v", p.VCS)
			}
		})
	}
}

// TestWebhookSkipCI: a [skip ci] commit makes a pipeline with no workflows and reads no config.
func TestWebhookSkipCI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("main", "docs [skip ci]", map[string]string{"README": "no config here"})
	body := pushBody(t, "main", sha, "Fix typos in README [skip ci]")
	res, err := e.in.Webhook(e.ctx, "github", githubHeaders("push", "d-skip", testSecret, body), body)
	if err != nil {
		t.Fatal(err)
	}
	e.drain()
	p := e.pipeline(res.PipelineID)
	if p.State != domain.PipelineCreated || len(p.Errors) != 0 || p.ConfigSource != "" {
		t.Errorf("skipped pipeline = %+v", p)
	}
	if wfs := e.workflows(p.ID); len(wfs) != 0 {
		t.Errorf("workflows = %v, want none", wfs)
	}
}

// TestWebhookPushAndPullRequest: GitHub sends a push and a pull_request event for the same commit; they
// make one pipeline, which gets the review data.
func TestWebhookPushAndPullRequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("main", "base", map[string]string{".circleci/config.yml": simpleConfig})
	sha := e.commit("feature/limiter", "limit", nil)
	push := pushBody(t, "feature/limiter", sha, "limit")
	pr := payload(t, "github-pull-request-opened.json", map[string]any{"pull_request.head.sha": sha})
	r1, err := e.in.Webhook(e.ctx, "github", githubHeaders("push", "d-push", testSecret, push), push)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := e.in.Webhook(e.ctx, "github", githubHeaders("pull_request", "d-pr", testSecret, pr), pr)
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Duplicate || r2.PipelineID != r1.PipelineID {
		t.Errorf("pull_request after push = %+v, want a duplicate of %s", r2, r1.PipelineID)
	}
	e.drain()
	if n := len(e.pipelines()); n != 1 {
		t.Fatalf("%d pipelines, want 1", n)
	}
	p := e.pipeline(r1.PipelineID)
	if p.VCS.ReviewID != "57" || p.VCS.ReviewURL != "https://github.com/acme/api/pull/57" {
		t.Errorf("review data = %q %q", p.VCS.ReviewID, p.VCS.ReviewURL)
	}
	if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(p.ID)); d != "" {
		t.Errorf("workflows (-want +got):\n%s", d)
	}
}
