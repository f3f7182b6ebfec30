package webhook

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func gitlabHeader(event string) http.Header {
	h := http.Header{}
	h.Set("X-Gitlab-Event", event)
	h.Set("X-Gitlab-Event-UUID", "13792a34-cac6-4fda-95a8-c58e00a3954e")
	h.Set("X-Gitlab-Instance", "https://gitlab.example.com")
	h.Set("X-Gitlab-Token", "s3cret")
	return h
}

var (
	diaspora = Repo{
		FullName: "mike/diaspora", Name: "diaspora", Owner: "mike",
		CloneURL:      "https://gitlab.example.com/mike/diaspora.git",
		SSHURL:        "git@gitlab.example.com:mike/diaspora.git",
		HTMLURL:       "https://gitlab.example.com/mike/diaspora",
		DefaultBranch: "master",
	}
	gitlabTest = Repo{
		FullName: "gitlabhq/gitlab-test", Name: "gitlab-test", Owner: "gitlabhq",
		CloneURL:      "https://gitlab.example.com/gitlabhq/gitlab-test.git",
		SSHURL:        "git@gitlab.example.com:gitlabhq/gitlab-test.git",
		HTMLURL:       "https://gitlab.example.com/gitlabhq/gitlab-test",
		DefaultBranch: "master",
	}
)

func TestParseGitLab(t *testing.T) {
	tests := []struct {
		file, event string
		want        Event
	}{
		{"gitlab-push.json", "Push Hook", Event{
			Kind: KindPush, Repo: diaspora, Branch: "master",
			Revision:      "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			BaseRevision:  "95790bf891e76fee5e1747ab589903a6a1f80f22",
			CommitSubject: "fixed readme",
			Actor:         "jsmith",
		}},
		{"gitlab-push-skip-ci.json", "Push Hook", Event{
			Kind: KindPush, Repo: diaspora, Branch: "master",
			Revision:      "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			BaseRevision:  "95790bf891e76fee5e1747ab589903a6a1f80f22",
			CommitSubject: "fixed readme",
			CommitBody:    "Only docs changed. [ci skip]",
			Actor:         "jsmith",
			SkipCI:        true,
		}},
		{"gitlab-tag-push.json", "Tag Push Hook", Event{
			Kind: KindTag, Repo: diaspora, Tag: "v1.0.0",
			Revision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Actor:    "jsmith",
		}},
		{"gitlab-push-delete.json", "Push Hook", Event{
			Kind: KindPush, Repo: diaspora, Branch: "old-feature",
			BaseRevision: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			Actor:        "jsmith",
			Deleted:      true,
		}},
		{"gitlab-merge-request-open.json", "Merge Request Hook", Event{
			Kind: KindPullRequest, Repo: gitlabTest, Branch: "ms-viewport",
			Revision:      "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			CommitSubject: "fixed readme",
			Actor:         "root",
			PRNumber:      1, PRURL: "https://gitlab.example.com/gitlabhq/gitlab-test/-/merge_requests/1",
			PRAction: "open",
			HeadRepo: gitlabTest,
		}},
		{"gitlab-merge-request-fork.json", "Merge Request Hook", Event{
			// [skip ci] is not honoured for forks, as on CircleCI.
			Kind: KindPullRequest, Repo: gitlabTest, Branch: "pull/7",
			Revision:      "c0ffee0123456789abcdef0123456789abcdef01",
			CommitSubject: "Handle empty input",
			CommitBody:    "[skip ci] while drafting",
			Actor:         "outsider",
			PRNumber:      7, PRURL: "https://gitlab.example.com/gitlabhq/gitlab-test/-/merge_requests/7",
			PRAction: "update",
			Fork:     true,
			HeadRepo: Repo{
				FullName: "outsider/gitlab-test", Name: "gitlab-test", Owner: "outsider",
				CloneURL:      "https://gitlab.example.com/outsider/gitlab-test.git",
				SSHURL:        "git@gitlab.example.com:outsider/gitlab-test.git",
				HTMLURL:       "https://gitlab.example.com/outsider/gitlab-test",
				DefaultBranch: "master",
			},
		}},
		{"gitlab-merge-request-merge.json", "Merge Request Hook", Event{
			Kind: KindIgnored, Repo: gitlabTest, Branch: "ms-viewport",
			Revision:      "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
			CommitSubject: "fixed readme",
			Actor:         "root",
			PRNumber:      1, PRURL: "https://gitlab.example.com/gitlabhq/gitlab-test/-/merge_requests/1",
			PRAction: "merge",
			HeadRepo: gitlabTest,
		}},
		{"gitlab-push.json", "Pipeline Hook", Event{Kind: KindIgnored}},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/"+tt.file, func(t *testing.T) {
			got, err := Parse(gitlabHeader(tt.event), readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.want.Provider, tt.want.DeliveryID = ProviderGitLab, "13792a34-cac6-4fda-95a8-c58e00a3954e"
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestGitLabDeliveryIDFallback(t *testing.T) {
	body := readTestdata(t, "gitlab-push.json")
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"event uuid first", map[string]string{
			"X-Gitlab-Event-UUID": "ev", "Idempotency-Key": "idem", "X-Gitlab-Webhook-UUID": "hook"}, "ev"},
		{"idempotency key", map[string]string{"Idempotency-Key": "idem", "X-Gitlab-Webhook-UUID": "hook"}, "idem"},
		{"webhook uuid", map[string]string{"X-Gitlab-Webhook-UUID": "hook"}, "hook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("X-Gitlab-Event", "Push Hook")
			for k, v := range tt.headers {
				h.Set(k, v)
			}
			ev, err := Parse(h, body)
			if err != nil {
				t.Fatal(err)
			}
			if ev.DeliveryID != tt.want {
				t.Errorf("DeliveryID = %q, want %q", ev.DeliveryID, tt.want)
			}
		})
	}
}
