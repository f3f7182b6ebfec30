package api

import (
	"errors"
	"net/http"
	"strings"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

// settingsRoutes registers the configuration side of the API: contexts, project variables, checkout keys,
// schedules, outbound webhooks, the caller's identity, projects and their settings.
func (a *API) settingsRoutes() {
	a.contextRoutes()
	a.envVarRoutes()
	a.checkoutKeyRoutes()
	a.scheduleRoutes()
	a.webhookRoutes()
	a.handle("GET /api/v2/me", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		writeJSON(w, http.StatusOK, actorView{ID: c.User.ID, Login: c.User.Login, Name: c.User.Name})
		return nil
	})
	a.handle("GET /api/v2/me/collaborations", a.collaborations)
	const proj = "/api/v2/project/{vcs}/{org}/{repo}"
	a.handle("GET "+proj, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleViewer)
		if err != nil {
			return err
		}
		o, err := a.d.Repo.Org(r.Context(), p.V.OrgID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, projectOf(p.V, o.V))
		return nil
	})
	a.handle("GET "+proj+"/settings", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleViewer)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, settingsView{Advanced: p.V.Settings})
		return nil
	})
	a.handle("PATCH "+proj+"/settings", a.patchSettings)
}

// isStatus reports whether err is an API error with status code.
func isStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.Status == code
}

type collaborationView struct {
	ID        string `json:"id"`
	VCSType   string `json:"vcs-type"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
	Slug      string `json:"slug"`
}

// collaborations lists the caller's orgs (every org for a server admin).
func (a *API) collaborations(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var orgs []domain.Org
	if c.User.Admin {
		recs, err := repo.ListAll[domain.Org](r.Context(), a.d.Repo, repo.OrgKey("").PK, "")
		if err != nil {
			return err
		}
		for _, o := range recs {
			orgs = append(orgs, o.V)
		}
	} else {
		ms, err := repo.ListAll[domain.Membership](r.Context(), a.d.Repo, repo.UserOrgKey(c.User.ID, "").PK, "")
		if err != nil {
			return err
		}
		for _, m := range ms {
			o, err := a.d.Repo.Org(r.Context(), m.V.OrgID)
			if repo.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			orgs = append(orgs, o.V)
		}
	}
	out := make([]collaborationView, 0, len(orgs))
	for _, o := range orgs {
		out = append(out, collaborationView{ID: o.ID, VCSType: o.VCS, Name: o.Name, Slug: o.Slug})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type vcsInfo struct {
	VCSURL        string `json:"vcs_url"`
	Provider      string `json:"provider"`
	DefaultBranch string `json:"default_branch"`
}

type projectView struct {
	ID               string  `json:"id"`
	Slug             string  `json:"slug"`
	Name             string  `json:"name"`
	OrganizationName string  `json:"organization_name"`
	OrganizationSlug string  `json:"organization_slug"`
	OrganizationID   string  `json:"organization_id"`
	VCSInfo          vcsInfo `json:"vcs_info"`
}

// providerName is how CircleCI names a VCS in vcs_info.provider.
func providerName(vcs string) string {
	switch vcs {
	case "github":
		return "GitHub"
	case "gitlab":
		return "GitLab"
	case "bitbucket":
		return "Bitbucket"
	case "local":
		return "Local"
	}
	return vcs
}

func projectOf(p domain.Project, o domain.Org) projectView {
	return projectView{ID: p.ID, Slug: p.Slug, Name: p.Name, OrganizationName: o.Name, OrganizationSlug: o.Slug,
		OrganizationID: o.ID, VCSInfo: vcsInfo{VCSURL: p.RepoURL, Provider: providerName(o.VCS), DefaultBranch: p.DefaultBranch}}
}

// ignoredSettings are CircleCI settings Caravan accepts and ignores (it has no use for them).
var ignoredSettings = map[string]bool{"oss": true, "set_github_status": true, "pr_only_branch_overrides": true}

type settingsView struct {
	Advanced domain.Settings `json:"advanced"`
}

func (a *API) patchSettings(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p, err := a.project(r, c, domain.RoleAdmin)
	if err != nil {
		return err
	}
	var body struct {
		Advanced map[string]any `json:"advanced"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	fields := map[string]*bool{
		"autocancel_builds":             &p.V.Settings.AutoCancelBuilds,
		"build_fork_prs":                &p.V.Settings.BuildForkPRs,
		"forks_receive_secret_env_vars": &p.V.Settings.ForksReceiveSecrets,
		"build_prs_only":                &p.V.Settings.OnlyBuildPRs,
		"setup_workflows":               &p.V.Settings.SetupWorkflows,
		"disable_ssh":                   &p.V.Settings.DisableSSH,
		"write_settings_requires_admin": &p.V.Settings.WriteSettingsRequiresAdmin,
	}
	for k, v := range body.Advanced {
		dst, ok := fields[k]
		if !ok && ignoredSettings[k] {
			continue
		}
		if !ok {
			return errorf(http.StatusBadRequest, "Unknown or unsupported setting %q.", k)
		}
		b, ok := v.(bool)
		if !ok {
			return errorf(http.StatusBadRequest, "Setting %q must be true or false.", k)
		}
		*dst = b
	}
	if err := a.d.Repo.Write(r.Context(), repo.Update(p)); err != nil {
		if repo.IsConflict(err) {
			return errorf(http.StatusConflict, "The project changed while it was being updated; retry.")
		}
		return err
	}
	writeJSON(w, http.StatusOK, settingsView{Advanced: p.V.Settings})
	return nil
}

// orgVCS maps an org's VCS to its slug prefix: github → gh, gitlab → gl, local → local.
func orgVCS(vcs string) (string, bool) {
	switch strings.ToLower(vcs) {
	case "github", "gh":
		return "gh", true
	case "gitlab", "gl":
		return "gl", true
	case "local":
		return "local", true
	}
	return "", false
}
