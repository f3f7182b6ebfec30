package webhook

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	push := readTestdata(t, "github-push.json")
	tests := []struct {
		name    string
		header  http.Header
		body    []byte
		is      error  // wrapped sentinel, if any
		wantErr string // substring of the message
	}{
		{"no event header", http.Header{"X-Github-Delivery": {"d"}}, push, ErrUnknownProvider, "X-GitHub-Event"},
		{"github no delivery", http.Header{"X-Github-Event": {"push"}}, push, ErrNoDeliveryID, "X-GitHub-Delivery"},
		{"gitlab no delivery", http.Header{"X-Gitlab-Event": {"Push Hook"}}, push, ErrNoDeliveryID, "Idempotency-Key"},
		{"github bad json", githubHeader("push", "d"), []byte(`{"ref":`), nil, "decode push payload"},
		{"github pr bad json", githubHeader("pull_request", "d"), []byte(`[]`), nil, "decode pull_request payload"},
		{"github push no ref", githubHeader("push", "d"), []byte(`{"after":"abc"}`), nil, "no ref"},
		{"github push no revision", githubHeader("push", "d"),
			[]byte(`{"ref":"refs/heads/main","head_commit":null}`), nil, "no after or head_commit id"},
		{"github pr no number", githubHeader("pull_request", "d"), []byte(`{"action":"opened"}`), nil, "no number"},
		{"gitlab bad json", gitlabHeader("Push Hook"), []byte(`nope`), nil, "decode Push Hook payload"},
		{"gitlab mr no iid", gitlabHeader("Merge Request Hook"), []byte(`{"object_attributes":{}}`), nil, "no iid"},
		{"gitlab push no sha", gitlabHeader("Push Hook"),
			[]byte(`{"ref":"refs/heads/x","checkout_sha":null}`), nil, "no checkout_sha"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.header, tt.body)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestHasSkipCI(t *testing.T) {
	long := strings.Repeat("x", 250)
	tests := []struct {
		name, subject, body string
		want                bool
	}{
		{"none", "Add feature", "Long explanation.", false},
		{"ci skip in subject", "[ci skip] docs", "", true},
		{"skip ci in subject", "docs [skip ci]", "", true},
		{"in body", "docs", "No build needed.\n[skip ci]", true},
		{"upper case", "docs [SKIP CI]", "", true},
		{"no brackets", "skip ci please", "", false},
		{"other tag", "[skip actions]", "", false},
		{"subject past 250", long + " [skip ci]", "", false},
		{"body past 250", "docs", long + "[ci skip]", false},
		{"ends at 250", strings.Repeat("x", 241) + "[ci skip]", "", true},
		{"multibyte counts characters", strings.Repeat("é", 241) + "[ci skip]", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasSkipCI(tt.subject, tt.body); got != tt.want {
				t.Errorf("HasSkipCI(%q, %q) = %v, want %v", tt.subject, tt.body, got, tt.want)
			}
		})
	}
}

func TestSplitMessage(t *testing.T) {
	tests := []struct{ msg, subject, body string }{
		{"", "", ""},
		{"one line", "one line", ""},
		{"one line\n", "one line", ""},
		{"subject\n\nbody line 1\nbody line 2\n", "subject", "body line 1\nbody line 2"},
		{"wrapped\nsubject\n\nbody", "wrapped subject", "body"},
		{"crlf\r\n\r\nbody\r\n", "crlf", "body"},
		{"\n\nleading blank\n\n\n\nbody", "leading blank", "body"},
	}
	for _, tt := range tests {
		s, b := splitMessage(tt.msg)
		if s != tt.subject || b != tt.body {
			t.Errorf("splitMessage(%q) = %q, %q; want %q, %q", tt.msg, s, b, tt.subject, tt.body)
		}
	}
}
