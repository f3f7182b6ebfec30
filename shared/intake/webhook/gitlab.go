package webhook

import (
	"encoding/json"
	"fmt"
	"strings"
)

// The parts of GitLab's webhook payloads Parse reads
// (https://docs.gitlab.com/user/project/integrations/webhook_events/).

type glProject struct {
	ID                int64  `json:"id"`
	Name              string `json:"name"`
	PathWithNamespace string `json:"path_with_namespace"`
	Namespace         string `json:"namespace"`
	GitHTTPURL        string `json:"git_http_url"`
	GitSSHURL         string `json:"git_ssh_url"`
	WebURL            string `json:"web_url"`
	DefaultBranch     string `json:"default_branch"`
}

type glCommit struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	Title   string `json:"title"`
}

type glPush struct {
	ObjectKind   string     `json:"object_kind"`
	Ref          string     `json:"ref"`
	Before       string     `json:"before"`
	After        string     `json:"after"`
	CheckoutSHA  *string    `json:"checkout_sha"` // null when the ref was deleted
	UserUsername string     `json:"user_username"`
	Project      glProject  `json:"project"`
	Commits      []glCommit `json:"commits"`
}

type glMergeRequest struct {
	ObjectKind string `json:"object_kind"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	Project          glProject `json:"project"`
	ObjectAttributes struct {
		IID             int       `json:"iid"`
		URL             string    `json:"url"`
		Action          string    `json:"action"`
		SourceBranch    string    `json:"source_branch"`
		TargetBranch    string    `json:"target_branch"`
		SourceProjectID int64     `json:"source_project_id"`
		TargetProjectID int64     `json:"target_project_id"`
		LastCommit      glCommit  `json:"last_commit"`
		Source          glProject `json:"source"`
		Target          glProject `json:"target"`
	} `json:"object_attributes"`
}

func parseGitLab(kind string, body []byte) (Event, error) {
	switch kind {
	case "Push Hook", "Tag Push Hook":
		var p glPush
		if err := json.Unmarshal(body, &p); err != nil {
			return Event{}, fmt.Errorf("decode %s payload: %w", kind, err)
		}
		return gitlabPush(p)
	case "Merge Request Hook":
		var p glMergeRequest
		if err := json.Unmarshal(body, &p); err != nil {
			return Event{}, fmt.Errorf("decode %s payload: %w", kind, err)
		}
		return gitlabMergeRequest(p)
	default:
		return Event{Kind: KindIgnored}, nil
	}
}

func gitlabPush(p glPush) (Event, error) {
	if p.Ref == "" {
		return Event{}, fmt.Errorf("%s payload has no ref", p.ObjectKind)
	}
	checkout := ""
	if p.CheckoutSHA != nil {
		checkout = nonZero(*p.CheckoutSHA)
	}
	ev := Event{
		Repo:         gitlabRepo(p.Project),
		Revision:     firstNonEmpty(checkout, nonZero(p.After)),
		BaseRevision: nonZero(p.Before),
		Actor:        p.UserUsername,
		Deleted:      zeroSHA(p.After),
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
	if ev.Revision == "" {
		return Event{}, fmt.Errorf("push to %s has no checkout_sha or after", p.Ref)
	}
	// commits runs oldest to newest; the built one is the one checked out.
	for i := len(p.Commits) - 1; i >= 0; i-- {
		if c := p.Commits[i]; c.ID == ev.Revision {
			ev.CommitSubject, ev.CommitBody = splitMessage(c.Message)
			break
		}
	}
	ev.SkipCI = HasSkipCI(ev.CommitSubject, ev.CommitBody)
	return ev, nil
}

func gitlabMergeRequest(p glMergeRequest) (Event, error) {
	a := p.ObjectAttributes
	if a.IID <= 0 || a.LastCommit.ID == "" {
		return Event{}, fmt.Errorf("merge_request payload has no iid or last_commit id")
	}
	ev := Event{
		Kind:     KindIgnored,
		Repo:     gitlabRepo(p.Project),
		Branch:   a.SourceBranch,
		Revision: a.LastCommit.ID,
		Actor:    p.User.Username,
		PRNumber: a.IID,
		PRURL:    a.URL,
		PRAction: a.Action,
		HeadRepo: gitlabRepo(a.Source),
	}
	switch a.Action {
	case "open", "update", "reopen":
		ev.Kind = KindPullRequest
	}
	ev.CommitSubject, ev.CommitBody = splitMessage(a.LastCommit.Message)
	if a.SourceProjectID != 0 && a.TargetProjectID != 0 {
		ev.Fork = a.SourceProjectID != a.TargetProjectID
	} else {
		ev.Fork = !strings.EqualFold(a.Source.PathWithNamespace, a.Target.PathWithNamespace)
	}
	if ev.Fork {
		ev.Branch = fmt.Sprintf("pull/%d", a.IID)
	} else {
		ev.SkipCI = HasSkipCI(ev.CommitSubject, ev.CommitBody)
	}
	return ev, nil
}

// gitlabRepo maps a GitLab project. GitLab's name is a display name, so Name
// and Owner come from path_with_namespace (the owner may be a nested group).
func gitlabRepo(p glProject) Repo {
	owner, name := "", p.PathWithNamespace
	if i := strings.LastIndexByte(p.PathWithNamespace, '/'); i >= 0 {
		owner, name = p.PathWithNamespace[:i], p.PathWithNamespace[i+1:]
	}
	if name == "" {
		name = p.Name
	}
	return Repo{
		FullName:      p.PathWithNamespace,
		Name:          name,
		Owner:         owner,
		CloneURL:      p.GitHTTPURL,
		SSHURL:        p.GitSSHURL,
		HTMLURL:       p.WebURL,
		DefaultBranch: p.DefaultBranch,
	}
}
