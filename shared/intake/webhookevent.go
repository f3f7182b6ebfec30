package intake

import (
	"context"
	"strconv"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake/webhook"
	"github.com/caravan-ci/caravan/shared/repo"
)

// ignoreReason says why a verified delivery builds nothing ("" when it builds).
func ignoreReason(ev webhook.Event, proj domain.Project) string {
	switch {
	case ev.Kind == webhook.KindPing:
		return "ping"
	case ev.Kind == webhook.KindIgnored && ev.PRAction != "":
		return "pull request " + ev.PRAction + ": nothing to build"
	case ev.Kind == webhook.KindIgnored:
		return "event not built"
	case ev.Deleted && ev.Kind == webhook.KindTag:
		return "tag deleted"
	case ev.Deleted:
		return "branch deleted"
	case ev.Revision == "":
		return "no commit to build"
	case ev.Kind == webhook.KindPullRequest && ev.Fork && !proj.Settings.BuildForkPRs:
		return "pull requests from forks are not built (project setting build_fork_prs)"
	case ev.Kind == webhook.KindPush && proj.Settings.OnlyBuildPRs && ev.Branch != proj.DefaultBranch:
		return "only pull requests and the default branch are built (project setting build_prs_only)"
	}
	return ""
}

// triggerFor is the pipeline request of a push, tag or pull request event.
func triggerFor(ev webhook.Event, proj domain.Project) TriggerRequest {
	repoURL := firstOf(ev.Repo.HTMLURL, ev.Repo.CloneURL, proj.RepoURL)
	vcs := &domain.VCS{
		Provider: "GitHub", RepoURL: repoURL, OriginRepoURL: repoURL,
		CommitSubject: ev.CommitSubject, CommitBody: ev.CommitBody,
	}
	if ev.Provider == webhook.ProviderGitLab {
		vcs.Provider = "GitLab"
	}
	req := TriggerRequest{
		ProjectID: proj.ID, Revision: ev.Revision, Actor: ev.Actor, Type: TypeWebhook, VCS: vcs,
		DeliveryID: ev.DeliveryID,
	}
	if ev.Kind == webhook.KindTag {
		req.Tag = ev.Tag
	} else {
		req.Branch = ev.Branch
	}
	if ev.Kind == webhook.KindPullRequest {
		vcs.ReviewID, vcs.ReviewURL = strconv.Itoa(ev.PRNumber), ev.PRURL
		if u := firstOf(ev.HeadRepo.HTMLURL, ev.HeadRepo.CloneURL); u != "" {
			vcs.OriginRepoURL = u
		}
		if ev.Fork {
			vcs.PRNumber = strconv.Itoa(ev.PRNumber)
		}
	}
	return req
}

// addReview records a pull request's review data on the pipeline its commit's push already made.
func (in *Intake) addReview(ctx context.Context, pipelineID string, ev webhook.Event) {
	for range 5 {
		rec, err := in.d.Repo.Pipeline(ctx, pipelineID)
		if err != nil || rec.V.VCS.ReviewID != "" {
			return
		}
		rec.V.VCS.ReviewID, rec.V.VCS.ReviewURL = strconv.Itoa(ev.PRNumber), ev.PRURL
		rec.V.UpdatedAt = in.now()
		if err := in.d.Repo.Write(ctx, repo.Update(rec)); !repo.IsConflict(err) {
			return
		}
	}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}
