package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// The writes behind the admin endpoints, shared with the server's first start (Bootstrap, EnsureOrgProject).
//
// Org slugs are "<vcs prefix>/<name>" with gh for github, gl for gitlab and local for local repositories;
// project slugs are "<org slug>/<name>". Ids are random UUIDs. Tokens: see tokens.go.

var slugName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

func checkSlugName(what, name string) error {
	if !slugName.MatchString(name) {
		return errorf(http.StatusBadRequest,
			"Invalid %s %q: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.", what, name)
	}
	return nil
}

// orgProject is the entry listing a project in its org (org#<id>#projects / <slug>).
type orgProject struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
}

func newOrg(name, vcs string, now time.Time) (domain.Org, []store.Op, error) {
	if err := checkSlugName("organization name", name); err != nil {
		return domain.Org{}, nil, err
	}
	prefix, ok := orgVCS(vcs)
	if !ok {
		return domain.Org{}, nil, errorf(http.StatusBadRequest, "vcs must be github, gitlab or local, not %q.", vcs)
	}
	long := map[string]string{"gh": "github", "gl": "gitlab", "local": "local"}[prefix]
	o := domain.Org{ID: domain.NewID(), Slug: prefix + "/" + name, Name: name, VCS: long, CreatedAt: now}
	home := repo.OrgKey(o.Slug)
	return o, []store.Op{repo.Create(home, o), repo.CreateRef(repo.KindOrg, o.ID, home)}, nil
}

// projectSpec is what a new project is made of.
type projectSpec struct {
	Name, RepoURL, DefaultBranch, ConfigPath string
	WebhookSecret                            *string
}

func newProject(ctx context.Context, sealer Sealer, o domain.Org, s projectSpec, now time.Time) (domain.Project, []store.Op, error) {
	if err := checkSlugName("project name", s.Name); err != nil {
		return domain.Project{}, nil, err
	}
	if s.RepoURL == "" {
		return domain.Project{}, nil, errorf(http.StatusBadRequest, "repo_url is required.")
	}
	if s.DefaultBranch == "" {
		s.DefaultBranch = "main"
	}
	p := domain.Project{ID: domain.NewID(), Slug: o.Slug + "/" + s.Name, OrgID: o.ID, Name: s.Name, RepoURL: s.RepoURL,
		DefaultBranch: s.DefaultBranch, ConfigPath: s.ConfigPath, CreatedAt: now}
	if s.WebhookSecret != nil {
		if sealer == nil {
			return p, nil, fmt.Errorf("seal webhook secret of %s: no sealer", p.Slug)
		}
		sealed, err := sealer.Seal(ctx, []byte(*s.WebhookSecret), repo.ProjectWebhookSecretAAD(p.ID))
		if err != nil {
			return p, nil, fmt.Errorf("seal webhook secret of %s: %w", p.Slug, err)
		}
		p.WebhookSecret = sealed
	}
	home := repo.ProjectKey(p.Slug)
	return p, []store.Op{repo.Create(home, p), repo.CreateRef(repo.KindProject, p.ID, home),
		repo.Create(repo.OrgProjectKey(o.ID, p.Slug), orgProject{ID: p.ID, Slug: p.Slug})}, nil
}

func newUser(login, name string, admin bool, now time.Time) (domain.User, []store.Op, error) {
	if err := checkSlugName("login", login); err != nil {
		return domain.User{}, nil, err
	}
	if name == "" {
		name = login
	}
	u := domain.User{ID: domain.NewID(), Login: login, Name: name, Admin: admin, CreatedAt: now}
	home := repo.UserKey(login)
	return u, []store.Op{repo.Create(home, u), repo.CreateRef(repo.KindUser, u.ID, home)}, nil
}

// Bootstrap creates the server admin login with a fresh token on a server's first start. If a user with
// that login exists already, it does nothing and returns created false.
func Bootstrap(ctx context.Context, r *repo.Repo, login string) (token string, created bool, err error) {
	_, err = repo.Get[domain.User](ctx, r, repo.UserKey(login))
	if err == nil {
		return "", false, nil
	}
	if !repo.IsNotFound(err) {
		return "", false, fmt.Errorf("bootstrap %s: %w", login, err)
	}
	now := time.Now().UTC()
	u, ops, err := newUser(login, login, true, now)
	if err != nil {
		return "", false, fmt.Errorf("bootstrap: %w", err)
	}
	token, tops, err := newToken(u.ID, "bootstrap", now)
	if err != nil {
		return "", false, fmt.Errorf("bootstrap %s: %w", login, err)
	}
	err = r.Write(ctx, append(ops, tops...)...)
	if repo.IsConflict(err) { // another instance bootstrapped first
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("bootstrap %s: %w", login, err)
	}
	return token, true, nil
}

// EnsureOrgProject makes sure the org (vcs github, gitlab or local) and its project exist, creating what is
// missing, and returns the project. It is idempotent and safe to race. A new project gets a random webhook
// secret (sealed with sealer, when not nil), so that unsigned deliveries are refused.
func EnsureOrgProject(ctx context.Context, r *repo.Repo, sealer Sealer, orgName, vcs, projectName, repoURL,
	defaultBranch string) (domain.Project, error) {
	now := time.Now().UTC()
	o, ops, err := newOrg(orgName, vcs, now)
	if err != nil {
		return domain.Project{}, fmt.Errorf("ensure org %s: %w", orgName, err)
	}
	if err := r.Write(ctx, ops...); err != nil && !repo.IsConflict(err) {
		return domain.Project{}, fmt.Errorf("ensure org %s: %w", o.Slug, err)
	}
	orec, err := r.OrgBySlug(ctx, o.Slug)
	if err != nil {
		return domain.Project{}, fmt.Errorf("ensure org %s: %w", o.Slug, err)
	}
	if p, err := r.ProjectBySlug(ctx, orec.V.Slug+"/"+projectName); err == nil {
		return p.V, nil
	}
	spec := projectSpec{Name: projectName, RepoURL: repoURL, DefaultBranch: defaultBranch}
	if sealer != nil {
		var b [32]byte
		if _, err := rand.Read(b[:]); err != nil {
			return domain.Project{}, fmt.Errorf("ensure project %s: %w", projectName, err)
		}
		secret := base64.RawURLEncoding.EncodeToString(b[:])
		spec.WebhookSecret = &secret
	}
	p, ops, err := newProject(ctx, sealer, orec.V, spec, now)
	if err != nil {
		return domain.Project{}, fmt.Errorf("ensure project %s: %w", projectName, err)
	}
	if err := r.Write(ctx, ops...); err != nil && !repo.IsConflict(err) {
		return domain.Project{}, fmt.Errorf("ensure project %s: %w", p.Slug, err)
	}
	rec, err := r.ProjectBySlug(ctx, p.Slug)
	if err != nil {
		return domain.Project{}, fmt.Errorf("ensure project %s: %w", p.Slug, err)
	}
	return rec.V, nil
}
