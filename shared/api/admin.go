package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/caravan-ci/caravan/shared/audit"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/orbstore"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Caravan's own admin endpoints, for the caravan CLI, under /api/v2/admin/ (server admins only): orgs,
// projects, users, memberships, tokens, orb imports and the audit log. Any user may also make and revoke
// their own tokens with POST and DELETE /api/v2/me/tokens.

// OrbImporter stores an orb so configs can use it (orbstore.Store). Import's errors wrap
// orbstore.ErrInvalid for a bad ref or orb.
type OrbImporter interface {
	Import(ctx context.Context, ref string, yaml []byte) error
}

// AuditReader reads the audit log (audit.Log).
type AuditReader interface {
	List(ctx context.Context, from, to time.Time, limit int) ([]audit.Event, error)
}

func requireAdmin(c *Caller) error {
	if !c.User.Admin {
		return errorf(http.StatusForbidden, "Permission denied: this needs a server administrator.")
	}
	return nil
}

// admin registers a server-admin endpoint.
func (a *API) admin(pattern string, h HandlerFunc) {
	a.handle(pattern, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		if err := requireAdmin(c); err != nil {
			return err
		}
		return h(w, r, c)
	})
}

// created writes the ops of a new entity: 409 with msg when it exists already.
func (a *API) created(ctx context.Context, ops []store.Op, msg string) error {
	err := a.d.Repo.Write(ctx, ops...)
	if repo.IsConflict(err) {
		return errorf(http.StatusConflict, "%s", msg)
	}
	return err
}

type adminProjectView struct {
	domain.Project
	HasWebhookSecret bool `json:"has_webhook_secret"`
}

func adminProjectOf(p domain.Project) adminProjectView {
	v := adminProjectView{Project: p, HasWebhookSecret: len(p.WebhookSecret) > 0}
	v.WebhookSecret = nil
	return v
}

func (a *API) adminRoutes() {
	const base = "/api/v2/admin"
	a.admin("POST "+base+"/orgs", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		var body struct{ Name, VCS string }
		if err := decode(w, r, a.d.MaxBody, &body); err != nil {
			return err
		}
		o, ops, err := newOrg(body.Name, body.VCS, a.d.Now())
		if err != nil {
			return err
		}
		if err := a.created(r.Context(), ops, "Organization "+o.Slug+" exists already."); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, o)
		return nil
	})
	a.admin("GET "+base+"/orgs", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		return listAll[domain.Org](a, w, r, repo.OrgKey("").PK, func(o domain.Org) any { return o })
	})
	a.admin("POST "+base+"/projects", a.adminCreateProject)
	a.admin("GET "+base+"/projects", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		return listAll[domain.Project](a, w, r, repo.ProjectKey("").PK, func(p domain.Project) any { return adminProjectOf(p) })
	})
	a.admin("POST "+base+"/users", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		var body struct {
			Login, Name string
			Admin       bool
		}
		if err := decode(w, r, a.d.MaxBody, &body); err != nil {
			return err
		}
		u, ops, err := newUser(body.Login, body.Name, body.Admin, a.d.Now())
		if err != nil {
			return err
		}
		if err := a.created(r.Context(), ops, "User "+u.Login+" exists already."); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, u)
		return nil
	})
	a.admin("POST "+base+"/orgs/{org}/members", a.addMember)
	a.admin("POST "+base+"/orgs/{vcs}/{name}/members", a.addMember)
	a.admin("POST "+base+"/tokens", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		return a.createToken(w, r, c, true)
	})
	a.admin("DELETE "+base+"/tokens", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		return a.deleteToken(w, r, c, true)
	})
	a.handle("POST /api/v2/me/tokens", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		return a.createToken(w, r, c, false)
	})
	a.handle("DELETE /api/v2/me/tokens", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		return a.deleteToken(w, r, c, false)
	})
	a.admin("POST "+base+"/orbs", a.importOrb)
	a.admin("GET "+base+"/audit", a.listAudit)
}

// listAll answers one page of a partition, each item shown through view.
func listAll[T any](a *API, w http.ResponseWriter, r *http.Request, pk string, view func(T) any) error {
	q, err := pageQuery(r, false)
	if err != nil {
		return err
	}
	recs, next, err := repo.List[T](r.Context(), a.d.Repo, pk, q)
	if err != nil {
		return err
	}
	items := make([]any, 0, len(recs))
	for _, rec := range recs {
		items = append(items, view(rec.V))
	}
	writeJSON(w, http.StatusOK, newPage(items, next))
	return nil
}

func (a *API) adminCreateProject(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var body struct {
		OrgSlug       string  `json:"org_slug"`
		Name          string  `json:"name"`
		RepoURL       string  `json:"repo_url"`
		DefaultBranch string  `json:"default_branch"`
		ConfigPath    string  `json:"config_path"`
		WebhookSecret *string `json:"webhook_secret"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	o, err := a.d.Repo.OrgBySlug(r.Context(), normalizeSlug(body.OrgSlug))
	if repo.IsNotFound(err) {
		return errorf(http.StatusNotFound, "Organization %q not found.", body.OrgSlug)
	}
	if err != nil {
		return err
	}
	p, ops, err := newProject(r.Context(), a.d.Secrets, o.V, projectSpec{Name: body.Name, RepoURL: body.RepoURL,
		DefaultBranch: body.DefaultBranch, ConfigPath: body.ConfigPath, WebhookSecret: body.WebhookSecret}, a.d.Now())
	if err != nil {
		return err
	}
	if err := a.created(r.Context(), ops, "Project "+p.Slug+" exists already."); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, adminProjectOf(p))
	return nil
}

func (a *API) addMember(w http.ResponseWriter, r *http.Request, c *Caller) error {
	ctx := r.Context()
	ref := r.PathValue("org")
	if ref == "" {
		ref = r.PathValue("vcs") + "/" + r.PathValue("name")
	}
	o, err := a.d.Repo.OrgBySlug(ctx, normalizeSlug(ref))
	if repo.IsNotFound(err) {
		o, err = a.d.Repo.Org(ctx, ref)
	}
	if repo.IsNotFound(err) {
		return errorf(http.StatusNotFound, "Organization %q not found.", ref)
	}
	if err != nil {
		return err
	}
	var body struct{ Login, Role string }
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	if roleRank[body.Role] == 0 {
		return errorf(http.StatusBadRequest, "role must be admin, member or viewer.")
	}
	u, err := a.userByLogin(ctx, body.Login)
	if err != nil {
		return err
	}
	m := domain.Membership{UserID: u.ID, OrgID: o.V.ID, Role: body.Role}
	err = a.d.Repo.Write(ctx, repo.Put(repo.MemberKey(o.V.ID, u.ID), m, store.Any, 0),
		repo.Put(repo.UserOrgKey(u.ID, o.V.ID), m, store.Any, 0))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *API) userByLogin(ctx context.Context, login string) (domain.User, error) {
	u, err := repo.Get[domain.User](ctx, a.d.Repo, repo.UserKey(login))
	if repo.IsNotFound(err) || login == "" {
		return u.V, errorf(http.StatusNotFound, "User %q not found.", login)
	}
	return u.V, err
}

func (a *API) importOrb(w http.ResponseWriter, r *http.Request, c *Caller) error {
	if a.d.Orbs == nil {
		return errorf(http.StatusNotFound, "Orb import is not enabled on this server.")
	}
	var body struct{ Ref, YAML string }
	if err := decode(w, r, max(a.d.MaxBody, 2*orbstore.MaxOrbBytes+4096), &body); err != nil {
		return err
	}
	err := a.d.Orbs.Import(r.Context(), body.Ref, []byte(body.YAML))
	if errors.Is(err, orbstore.ErrInvalid) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"ref": body.Ref})
	return nil
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var reader AuditReader = a.d.AuditLog
	if reader == nil && a.d.Audit != nil {
		reader = a.d.Audit
	}
	if reader == nil {
		return errorf(http.StatusNotFound, "The audit log is not enabled on this server.")
	}
	qv := r.URL.Query()
	to, from := a.d.Now(), a.d.Now().Add(-24*time.Hour)
	for _, p := range []struct {
		name string
		t    *time.Time
	}{{"from", &from}, {"to", &to}} {
		if s := qv.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return errorf(http.StatusBadRequest, "%s must be an RFC 3339 time.", p.name)
			}
			*p.t = t
		}
	}
	limit, _ := strconv.Atoi(qv.Get("limit"))
	events, err := reader.List(r.Context(), from, to, limit)
	if errors.Is(err, audit.ErrInvalid) {
		return errorf(http.StatusBadRequest, "%v", err)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(events, ""))
	return nil
}
