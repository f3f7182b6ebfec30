package webhook

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func githubHeader(event, delivery string) http.Header {
	h := http.Header{}
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", delivery)
	h.Set("X-GitHub-Hook-ID", "480176233")
	h.Set("Content-Type", "application/json")
	return h
}

var acmeAPI = Repo{
	FullName:      "acme/api",
	Name:          "api",
	Owner:         "acme",
	CloneURL:      "https://github.com/acme/api.git",
	SSHURL:        "git@github.com:acme/api.git",
	HTMLURL:       "https://github.com/acme/api",
	DefaultBranch: "main",
}

func TestParseGitHub(t *testing.T) {
	const delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	tests := []struct {
		file, event string
		want        Event
	}{
		{"github-push.json", "push", Event{
			Kind: KindPush, Repo: acmeAPI, Branch: "main",
			Revision:      "4c2b1f6e9d0a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
			BaseRevision:  "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			CommitSubject: "Wire the limiter into the router",
			CommitBody:    "Every route but /healthz now goes through it.\nFixes #42.",
			Actor:         "octocat",
		}},
		{"github-push-skip-ci.json", "push", Event{
			Kind: KindPush, Repo: acmeAPI, Branch: "docs/readme",
			Revision:      "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a291807",
			BaseRevision:  "4c2b1f6e9d0a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
			CommitSubject: "Fix typos in README [skip ci]",
			Actor:         "monalisa",
			SkipCI:        true,
		}},
		{"github-push-tag.json", "push", Event{
			// after is the annotated tag object; Revision is the commit it tags.
			Kind: KindTag, Repo: acmeAPI, Tag: "v1.4.0",
			Revision:      "4c2b1f6e9d0a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
			CommitSubject: "Wire the limiter into the router",
			CommitBody:    "Every route but /healthz now goes through it.\nFixes #42.",
			Actor:         "octocat",
		}},
		{"github-push-delete.json", "push", Event{
			Kind: KindPush, Repo: acmeAPI, Branch: "feature/limiter",
			BaseRevision: "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
			Actor:        "octocat",
			Deleted:      true,
		}},
		{"github-pull-request-opened.json", "pull_request", Event{
			Kind: KindPullRequest, Repo: acmeAPI, Branch: "feature/limiter",
			Revision:     "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
			BaseRevision: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			Actor:        "octocat",
			PRNumber:     57, PRURL: "https://github.com/acme/api/pull/57", PRAction: "opened",
			HeadRepo: acmeAPI,
		}},
		{"github-pull-request-fork.json", "pull_request", Event{
			Kind: KindPullRequest, Repo: acmeAPI, Branch: "pull/58",
			Revision:     "5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b",
			BaseRevision: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			Actor:        "stranger",
			PRNumber:     58, PRURL: "https://github.com/acme/api/pull/58", PRAction: "synchronize",
			Fork: true,
			HeadRepo: Repo{
				FullName: "stranger/api", Name: "api", Owner: "stranger",
				CloneURL: "https://github.com/stranger/api.git", SSHURL: "git@github.com:stranger/api.git",
				HTMLURL: "https://github.com/stranger/api", DefaultBranch: "main",
			},
		}},
		{"github-pull-request-closed.json", "pull_request", Event{
			Kind: KindIgnored, Repo: acmeAPI, Branch: "feature/limiter",
			Revision:     "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c",
			BaseRevision: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
			Actor:        "hubot",
			PRNumber:     57, PRURL: "https://github.com/acme/api/pull/57", PRAction: "closed",
			HeadRepo: acmeAPI,
		}},
		{"github-ping.json", "ping", Event{Kind: KindPing, Repo: acmeAPI, Actor: "octocat"}},
		{"github-push.json", "issues", Event{Kind: KindIgnored}},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+tt.file, func(t *testing.T) {
			got, err := Parse(githubHeader(tt.event, delivery), readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.want.Provider, tt.want.DeliveryID = ProviderGitHub, delivery
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseGitHubDeletedFork(t *testing.T) {
	// When the fork behind a pull request is deleted GitHub sends head.repo: null.
	body := []byte(`{"action":"reopened","number":9,"pull_request":{"html_url":"https://github.com/acme/api/pull/9",
		"head":{"ref":"patch-1","sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","repo":null},
		"base":{"ref":"main","sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","repo":{"full_name":"acme/api"}},
		"user":{"login":"ghost"}},"repository":{"full_name":"acme/api","name":"api","owner":{"login":"acme"}},
		"sender":{"login":"ghost"}}`)
	got, err := Parse(githubHeader("pull_request", "d1"), body)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Fork || got.Branch != "pull/9" || got.Kind != KindPullRequest {
		t.Errorf("got Fork=%v Branch=%q Kind=%q, want a fork pull request on pull/9", got.Fork, got.Branch, got.Kind)
	}
}
