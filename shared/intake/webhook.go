package intake

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake/webhook"
	"github.com/caravan-ci/caravan/shared/repo"
)

const (
	// DeliveryTTL is how long a webhook delivery id is remembered (a redelivery within it is a duplicate).
	DeliveryTTL = 7 * 24 * time.Hour
	// commitTTL is how long a (branch, commit) built by a webhook is remembered, so GitHub's push and
	// pull_request events for one commit make one pipeline.
	commitTTL = time.Hour
	// staleClaim is when a claim whose holder never made its pipeline may be taken over.
	staleClaim = 2 * time.Minute
)

// WebhookResult says what a delivery did: the pipeline it made (or made before, when Duplicate), or why it
// was ignored.
type WebhookResult struct {
	Provider   string `json:"provider"`
	DeliveryID string `json:"delivery_id"`
	ProjectID  string `json:"project_id,omitempty"`
	PipelineID string `json:"pipeline_id,omitempty"`
	Number     int64  `json:"number,omitempty"`
	Duplicate  bool   `json:"duplicate,omitempty"`
	Ignored    string `json:"ignored,omitempty"`
}

// Webhook handles one GitHub or GitLab delivery (provider "github" or "gitlab"; "" takes the headers' word).
// It finds the project by the repository's path (gh/<owner>/<repo>, gl/<path>) or clone URL, verifies the
// delivery with the project's webhook secret (no secret: every delivery is refused) and only then writes:
// pushes and tags trigger a pipeline on the branch or tag at the pushed commit; pull requests on their head
// branch with review data (fork pull requests only with the project's BuildForkPRs). A delivery id is handled
// once. Errors wrap ErrInvalid (not a delivery Caravan understands), ErrSignature (forged or unverifiable)
// or repo.ErrNotFound (no project for the repository).
func (in *Intake) Webhook(ctx context.Context, provider string, h http.Header, body []byte) (WebhookResult, error) {
	ev, err := webhook.Parse(h, body)
	if err != nil {
		return WebhookResult{Provider: provider}, fmt.Errorf("webhook: %w: %w", ErrInvalid, err)
	}
	res := WebhookResult{Provider: ev.Provider, DeliveryID: ev.DeliveryID}
	if provider != "" && provider != ev.Provider {
		return res, fmt.Errorf("webhook: %w: a %s delivery sent to the %s hook", ErrInvalid, ev.Provider, provider)
	}
	if ev.Repo.FullName == "" && ev.Repo.CloneURL == "" && (ev.Kind == webhook.KindIgnored || ev.Kind == webhook.KindPing) {
		res.Ignored = ignoreReason(ev, domain.Project{})
		return res, nil // names no repository: nothing to verify it with, and nothing to do
	}
	proj, err := in.findProject(ctx, ev)
	if err != nil {
		return res, fmt.Errorf("webhook %s %s: %w", ev.Provider, ev.DeliveryID, err)
	}
	res.ProjectID = proj.ID
	if err := in.verify(ctx, proj, ev, h, body); err != nil {
		in.log.Warn("webhook refused", "provider", ev.Provider, "delivery", ev.DeliveryID, "project", proj.Slug, "err", err)
		return res, fmt.Errorf("webhook %s %s for %s: %w", ev.Provider, ev.DeliveryID, proj.Slug, err)
	}
	if res.Ignored = ignoreReason(ev, proj); res.Ignored != "" {
		return res, nil
	}
	return in.deliver(ctx, ev, proj, res)
}

// deliver makes the pipeline of a verified push, tag or pull request delivery, once.
func (in *Intake) deliver(ctx context.Context, ev webhook.Event, proj domain.Project, res WebhookResult) (WebhookResult, error) {
	won, d, err := in.claim(ctx, repo.DeliveryKey(ev.Provider, ev.DeliveryID), DeliveryTTL, staleClaim)
	if err != nil {
		return res, fmt.Errorf("webhook %s %s: %w", ev.Provider, ev.DeliveryID, err)
	}
	if !won {
		res.PipelineID, res.Duplicate = d.V.PipelineID, true
		return res, nil
	}
	ref := "branch/" + ev.Branch
	if ev.Tag != "" {
		ref = "tag/" + ev.Tag
	}
	won, c, err := in.claim(ctx, repo.DeliveryKey("commit", proj.ID+"#"+ref+"#"+ev.Revision), commitTTL, staleClaim)
	if err != nil {
		in.release(ctx, d)
		return res, fmt.Errorf("webhook %s %s: %w", ev.Provider, ev.DeliveryID, err)
	}
	if !won { // the same commit on the same ref, from the other event kind (push vs pull request)
		res.PipelineID, res.Duplicate = c.V.PipelineID, true
		if c.V.PipelineID != "" {
			in.settle(ctx, d, DeliveryTTL, c.V.PipelineID)
			if ev.Kind == webhook.KindPullRequest {
				in.addReview(ctx, c.V.PipelineID, ev)
			}
		}
		return res, nil
	}
	req := triggerFor(ev, proj)
	p, err := in.Trigger(ctx, req)
	if err != nil && p.ID == "" {
		in.release(ctx, c)
		in.release(ctx, d)
		return res, fmt.Errorf("webhook %s %s: %w", ev.Provider, ev.DeliveryID, err)
	}
	in.settle(ctx, c, commitTTL, p.ID)
	in.settle(ctx, d, DeliveryTTL, p.ID)
	res.PipelineID, res.Number = p.ID, p.Number
	return res, err
}

// findProject finds the project of the delivery's repository: by slug, else by repository URL.
func (in *Intake) findProject(ctx context.Context, ev webhook.Event) (domain.Project, error) {
	prefix := "gh/"
	if ev.Provider == webhook.ProviderGitLab {
		prefix = "gl/"
	}
	slug := prefix + ev.Repo.FullName
	if ev.Repo.FullName != "" {
		rec, err := in.d.Repo.ProjectBySlug(ctx, slug)
		if err == nil {
			return rec.V, nil
		}
		if !repo.IsNotFound(err) {
			return domain.Project{}, err
		}
	}
	all, err := repo.ListAll[domain.Project](ctx, in.d.Repo, repo.ProjectKey("").PK, "")
	if err != nil {
		return domain.Project{}, fmt.Errorf("find project: %w", err)
	}
	urls := map[string]bool{}
	for _, u := range []string{ev.Repo.CloneURL, ev.Repo.SSHURL, ev.Repo.HTMLURL} {
		if u != "" {
			urls[normURL(u)] = true
		}
	}
	for _, p := range all {
		if strings.EqualFold(p.V.Slug, slug) || urls[normURL(p.V.RepoURL)] {
			return p.V, nil
		}
	}
	return domain.Project{}, fmt.Errorf("no project for repository %q (slug %s): %w", ev.Repo.FullName, slug, repo.ErrNotFound)
}

func normURL(u string) string {
	u = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(u), "/"), ".git")
	return strings.ToLower(u)
}

// verify checks the delivery's signature (GitHub) or token (GitLab) with the project's webhook secret.
func (in *Intake) verify(ctx context.Context, proj domain.Project, ev webhook.Event, h http.Header, body []byte) error {
	if len(proj.WebhookSecret) == 0 {
		return fmt.Errorf("%w: the project has no webhook secret", ErrSignature)
	}
	if in.d.Secrets == nil {
		return errors.New("no secrets service to open the webhook secret with")
	}
	secret, err := in.d.Secrets.Open(ctx, proj.WebhookSecret, []byte("project/"+proj.ID+"/webhook-secret"))
	if err != nil {
		return fmt.Errorf("open webhook secret: %w", err)
	}
	if ev.Provider == webhook.ProviderGitLab {
		return webhook.VerifyGitLab(secret, h)
	}
	return webhook.VerifyGitHub(secret, h, body)
}
