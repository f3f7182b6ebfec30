package api

import (
	"context"
	"net/http"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

var roleRank = map[string]int{domain.RoleViewer: 1, domain.RoleMember: 2, domain.RoleAdmin: 3}

// authorize checks that the caller has at least role need in org. Non-members get 404 (the org or project
// is not visible to them), members with too small a role 403.
func (a *API) authorize(ctx context.Context, c *Caller, orgID, need, what string) error {
	if c.User.Admin {
		return nil
	}
	role, err := a.d.Repo.Role(ctx, c.User.ID, orgID)
	if err != nil {
		return err
	}
	if role == "" {
		return errorf(http.StatusNotFound, "%s not found.", what)
	}
	if roleRank[role] < roleRank[need] {
		return errorf(http.StatusForbidden, "Permission denied: this needs the %s role; you are %s.", need, role)
	}
	return nil
}

// project loads a project by slug parts and checks the caller's role in its org.
func (a *API) project(r *http.Request, c *Caller, need string) (repo.Rec[domain.Project], error) {
	slug := r.PathValue("vcs") + "/" + r.PathValue("org") + "/" + r.PathValue("repo")
	p, err := a.d.Repo.ProjectBySlug(r.Context(), normalizeSlug(slug))
	if repo.IsNotFound(err) {
		return p, errorf(http.StatusNotFound, "Project not found.")
	}
	if err != nil {
		return p, err
	}
	return p, a.authorize(r.Context(), c, p.V.OrgID, need, "Project")
}

// projectByID loads a project by id and checks the caller's role.
func (a *API) projectByID(ctx context.Context, c *Caller, id, need string) (repo.Rec[domain.Project], error) {
	p, err := a.d.Repo.Project(ctx, id)
	if repo.IsNotFound(err) {
		return p, errorf(http.StatusNotFound, "Project not found.")
	}
	if err != nil {
		return p, err
	}
	return p, a.authorize(ctx, c, p.V.OrgID, need, "Project")
}

// normalizeSlug accepts CircleCI's long VCS names.
func normalizeSlug(s string) string {
	for long, short := range map[string]string{"github/": "gh/", "gitlab/": "gl/", "bitbucket/": "bb/"} {
		if len(s) > len(long) && s[:len(long)] == long {
			return short + s[len(long):]
		}
	}
	return s
}
