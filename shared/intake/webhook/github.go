package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The parts of GitHub's webhook payloads Parse reads
// (https://docs.github.com/en/webhooks/webhook-events-and-payloads).

type ghUser struct {
	Login string `json:"login"`
	Name  string `json:"name"`
}

type ghRepo struct {
	FullName      string `json:"full_name"`
	Name          string `json:"name"`
	Owner         ghUser `json:"owner"`
	CloneURL      string `json:"clone_url"`
	SSHURL        string `json:"ssh_url"`
	HTMLURL       string `json:"html_url"`
	DefaultBranch string `json:"default_branch"`
}

type ghCommit struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Author  struct {
		Name     string `json:"name"`
		Email    string `json:"email"`
		Username string `json:"username"`
	} `json:"author"`
}

type ghPush struct {
	Ref        string     `json:"ref"`
	Before     string     `json:"before"`
	After      string     `json:"after"`
	Created    bool       `json:"created"`
	Deleted    bool       `json:"deleted"`
	Forced     bool       `json:"forced"`
	HeadCommit *ghCommit  `json:"head_commit"`
	Commits    []ghCommit `json:"commits"`
	Repository ghRepo     `json:"repository"`
	Pusher     ghUser     `json:"pusher"`
	Sender     ghUser     `json:"sender"`
}

type ghBranch struct {
	Ref  string  `json:"ref"`
	SHA  string  `json:"sha"`
	Repo *ghRepo `json:"repo"` // null when the fork was deleted
}

type ghPullRequest struct {
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest struct {
		HTMLURL string   `json:"html_url"`
		Title   string   `json:"title"`
		Head    ghBranch `json:"head"`
		Base    ghBranch `json:"base"`
		User    ghUser   `json:"user"`
	} `json:"pull_request"`
	Repository ghRepo `json:"repository"`
	Sender     ghUser `json:"sender"`
}

type ghPing struct {
	Zen        string  `json:"zen"`
	HookID     int64   `json:"hook_id"`
	Repository *ghRepo `json:"repository"` // absent for organization hooks
	Sender     ghUser  `json:"sender"`
}

func parseGitHub(kind string, body []byte) (Event, error) {
	switch kind {
	case "push":
		var p ghPush
		if err := json.Unmarshal(body, &p); err != nil {
			return Event{}, fmt.Errorf("decode push payload: %w", err)
		}
		return githubPush(p)
	case "pull_request":
		var p ghPullRequest
		if err := json.Unmarshal(body, &p); err != nil {
			return Event{}, fmt.Errorf("decode pull_request payload: %w", err)
		}
		return githubPullRequest(p)
	case "ping":
		var p ghPing
		if err := json.Unmarshal(body, &p); err != nil {
			return Event{}, fmt.Errorf("decode ping payload: %w", err)
		}
		ev := Event{Kind: KindPing, Actor: p.Sender.Login}
		if p.Repository != nil {
			ev.Repo = githubRepo(*p.Repository)
		}
		return ev, nil
	default:
		return Event{Kind: KindIgnored}, nil
	}
}

func githubPush(p ghPush) (Event, error) {
	if p.Ref == "" {
		return Event{}, fmt.Errorf("push payload has no ref")
	}
	ev := Event{
		Repo:         githubRepo(p.Repository),
		Revision:     nonZero(p.After),
		BaseRevision: nonZero(p.Before),
		Actor:        firstNonEmpty(p.Sender.Login, p.Pusher.Name),
		Deleted:      p.Deleted || zeroSHA(p.After),
	}
	switch {
	case strings.HasPrefix(p.Ref, "refs/heads/"):
		ev.Kind, ev.Branch = KindPush, strings.TrimPrefix(p.Ref, "refs/heads/")
	case strings.HasPrefix(p.Ref, "refs/tags/"):
		ev.Kind, ev.Tag = KindTag, strings.TrimPrefix(p.Ref, "refs/tags/")
	default:
		ev.Kind = KindIgnored
	}
	if ev.Deleted {
		ev.Revision = ""
		return ev, nil
	}
	if c := p.HeadCommit; c != nil {
		// For an annotated tag, after is the tag object; head_commit is the commit it tags.
		if c.ID != "" {
			ev.Revision = c.ID
		}
		ev.CommitSubject, ev.CommitBody = splitMessage(c.Message)
	}
	if ev.Revision == "" {
		return Event{}, fmt.Errorf("push to %s has no after or head_commit id", p.Ref)
	}
	ev.SkipCI = HasSkipCI(ev.CommitSubject, ev.CommitBody)
	return ev, nil
}

func githubPullRequest(p ghPullRequest) (Event, error) {
	pr := p.PullRequest
	if p.Number <= 0 || pr.Head.SHA == "" {
		return Event{}, fmt.Errorf("pull_request payload has no number or head sha")
	}
	ev := Event{
		Kind:         KindIgnored,
		Repo:         githubRepo(p.Repository),
		Branch:       pr.Head.Ref,
		Revision:     pr.Head.SHA,
		BaseRevision: pr.Base.SHA,
		Actor:        firstNonEmpty(p.Sender.Login, pr.User.Login),
		PRNumber:     p.Number,
		PRURL:        pr.HTMLURL,
		PRAction:     p.Action,
	}
	switch p.Action {
	case "opened", "synchronize", "reopened":
		ev.Kind = KindPullRequest
	}
	base := p.Repository.FullName
	if pr.Base.Repo != nil && pr.Base.Repo.FullName != "" {
		base = pr.Base.Repo.FullName
	}
	if pr.Head.Repo == nil {
		ev.Fork = true // the head repository is gone: only a fork can be deleted under an open PR
	} else {
		ev.HeadRepo = githubRepo(*pr.Head.Repo)
		ev.Fork = !strings.EqualFold(pr.Head.Repo.FullName, base)
	}
	if ev.Fork {
		ev.Branch = fmt.Sprintf("pull/%d", p.Number)
	}
	return ev, nil
}

func githubRepo(r ghRepo) Repo {
	return Repo{
		FullName:      r.FullName,
		Name:          r.Name,
		Owner:         firstNonEmpty(r.Owner.Login, r.Owner.Name),
		CloneURL:      r.CloneURL,
		SSHURL:        r.SSHURL,
		HTMLURL:       r.HTMLURL,
		DefaultBranch: r.DefaultBranch,
	}
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
