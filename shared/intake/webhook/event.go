package webhook

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Providers.
const (
	ProviderGitHub = "github"
	ProviderGitLab = "gitlab"
)

// Kinds of Event.
const (
	KindPush        = "push"         // commits pushed to a branch (or the branch deleted)
	KindTag         = "tag"          // a tag pushed (or deleted)
	KindPullRequest = "pull_request" // a pull or merge request opened, updated or reopened
	KindPing        = "ping"         // GitHub's hook-created ping
	KindIgnored     = "ignored"      // a delivery Caravan does not build
)

// Repo describes a repository as a webhook names it.
type Repo struct {
	FullName      string // owner/name (GitLab: group/subgroup/project)
	Name          string // the last path element
	Owner         string // the login, group path or namespace that owns it
	CloneURL      string // HTTPS clone URL
	SSHURL        string
	HTMLURL       string
	DefaultBranch string
}

// Event is one parsed webhook delivery.
type Event struct {
	Provider   string // ProviderGitHub or ProviderGitLab
	DeliveryID string
	Kind       string // one of the Kind constants
	Repo       Repo   // the repository the hook belongs to (a pull request's base)

	Branch       string // the pushed branch, or a pull request's head branch ("pull/N" for forks)
	Tag          string
	Revision     string // the commit to build; empty when the ref was deleted
	BaseRevision string // what the ref pointed at before, or a pull request's base commit

	CommitSubject string
	CommitBody    string
	Actor         string // login of whoever caused the event

	PRNumber int
	PRURL    string
	PRAction string // the provider's action: opened, synchronize, open, update …
	Fork     bool   // the pull request comes from another repository
	HeadRepo Repo   // the repository a pull request comes from

	Deleted bool // the push deleted its branch or tag
	SkipCI  bool // [ci skip] or [skip ci] in the head commit's message
}

// Header names read by Parse and the verifiers.
const (
	headerGitHubEvent    = "X-GitHub-Event"
	headerGitHubDelivery = "X-GitHub-Delivery"
	headerGitHubSig256   = "X-Hub-Signature-256"
	headerGitLabEvent    = "X-Gitlab-Event"
	headerGitLabToken    = "X-Gitlab-Token"
)

// gitlabDeliveryHeaders are tried in order for a GitLab delivery id.
var gitlabDeliveryHeaders = []string{"X-Gitlab-Event-UUID", "Idempotency-Key", "X-Gitlab-Webhook-UUID"}

// ErrUnknownProvider is returned by Parse when neither X-GitHub-Event nor X-Gitlab-Event is set.
var ErrUnknownProvider = errors.New("webhook: no X-GitHub-Event or X-Gitlab-Event header")

// ErrNoDeliveryID is returned by Parse when the delivery carries no id header.
var ErrNoDeliveryID = errors.New("webhook: no delivery id header")

// Parse reads one webhook delivery. Event types it does not build parse to
// Kind "ignored"; a malformed body or a missing delivery id is an error.
func Parse(h http.Header, body []byte) (Event, error) {
	if kind := h.Get(headerGitHubEvent); kind != "" {
		id := strings.TrimSpace(h.Get(headerGitHubDelivery))
		if id == "" {
			return Event{}, fmt.Errorf("github %q delivery: %w (%s)", kind, ErrNoDeliveryID, headerGitHubDelivery)
		}
		ev, err := parseGitHub(kind, body)
		if err != nil {
			return Event{}, fmt.Errorf("github %q delivery %s: %w", kind, id, err)
		}
		ev.Provider, ev.DeliveryID = ProviderGitHub, id
		return ev, nil
	}
	if kind := h.Get(headerGitLabEvent); kind != "" {
		var id string
		for _, name := range gitlabDeliveryHeaders {
			if id = strings.TrimSpace(h.Get(name)); id != "" {
				break
			}
		}
		if id == "" {
			return Event{}, fmt.Errorf("gitlab %q delivery: %w (%s)", kind, ErrNoDeliveryID,
				strings.Join(gitlabDeliveryHeaders, ", "))
		}
		ev, err := parseGitLab(kind, body)
		if err != nil {
			return Event{}, fmt.Errorf("gitlab %q delivery %s: %w", kind, id, err)
		}
		ev.Provider, ev.DeliveryID = ProviderGitLab, id
		return ev, nil
	}
	return Event{}, ErrUnknownProvider
}

// skipWindow is how much of a commit title or body CircleCI searches for a skip tag.
const skipWindow = 250

// HasSkipCI reports whether a commit's subject or body asks CircleCI not to
// build it: "[ci skip]" or "[skip ci]" within the first 250 characters of
// either, in any letter case.
func HasSkipCI(subject, body string) bool {
	return hasSkipTag(subject) || hasSkipTag(body)
}

func hasSkipTag(s string) bool {
	if r := []rune(s); len(r) > skipWindow {
		s = string(r[:skipWindow])
	}
	s = strings.ToLower(s)
	return strings.Contains(s, "[ci skip]") || strings.Contains(s, "[skip ci]")
}

// splitMessage splits a commit message as git's %s and %b do: the subject is
// the first paragraph with its lines joined by spaces, the body the rest.
func splitMessage(msg string) (subject, body string) {
	msg = strings.ReplaceAll(msg, "\r\n", "\n")
	msg = strings.TrimLeft(msg, "\n")
	para, rest, _ := strings.Cut(msg, "\n\n")
	lines := strings.Split(strings.TrimSpace(para), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	return strings.Join(lines, " "), strings.TrimSpace(rest)
}

// zeroSHA reports whether s is the all-zeros object id providers use for "no commit".
func zeroSHA(s string) bool {
	return s != "" && strings.Trim(s, "0") == ""
}

// nonZero returns s, or "" when it is the all-zeros object id.
func nonZero(s string) string {
	if zeroSHA(s) {
		return ""
	}
	return s
}
