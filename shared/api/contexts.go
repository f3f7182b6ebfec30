package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Contexts: named sets of variables owned by an org. Members list and read them; org admins create and
// delete them and set their variables, whose values are sealed and never returned.

type contextView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func contextOf(c domain.Context) contextView {
	return contextView{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt}
}

type contextVarView struct {
	Variable  string    `json:"variable"`
	ContextID string    `json:"context_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func contextVarOf(ctxID string, v domain.Variable) contextVarView {
	return contextVarView{Variable: v.Name, ContextID: ctxID, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
}

// owner finds the org a context request names, by id or by slug ("gh/acme"; "github/acme" works too).
// CircleCI's "account" owners are orgs here.
func (a *API) owner(ctx context.Context, id, slug, typ string) (repo.Rec[domain.Org], error) {
	var o repo.Rec[domain.Org]
	var err error
	switch {
	case typ != "" && typ != "organization" && typ != "account":
		return o, errorf(http.StatusBadRequest, "Owner type must be organization or account, not %q.", typ)
	case id != "" && slug != "":
		return o, errorf(http.StatusBadRequest, "Give the owner's id or its slug, not both.")
	case id != "":
		o, err = a.d.Repo.Org(ctx, id)
	case slug != "":
		if typ == "account" {
			return o, errorf(http.StatusBadRequest, "An account owner must be given by id, not slug.")
		}
		o, err = a.d.Repo.OrgBySlug(ctx, normalizeSlug(strings.Trim(slug, "/")))
	default:
		return o, errorf(http.StatusBadRequest, "The owner's id or slug is required.")
	}
	if repo.IsNotFound(err) {
		return o, errorf(http.StatusNotFound, "Organization not found.")
	}
	return o, err
}

// contextByID loads a context and checks the caller's role in its org. A deleted context's name may be
// reused by a new context at the same home key, so the id read is checked.
func (a *API) contextByID(ctx context.Context, c *Caller, id, need string) (repo.Rec[domain.Context], error) {
	rec, err := a.d.Repo.Context(ctx, id)
	if repo.IsNotFound(err) || err == nil && rec.V.ID != id {
		return rec, errorf(http.StatusNotFound, "Context not found.")
	}
	if err != nil {
		return rec, err
	}
	return rec, a.authorize(ctx, c, rec.V.OrgID, need, "Context")
}

func (a *API) contextRoutes() {
	a.handle("POST /api/v2/context", a.createContext)
	a.handle("GET /api/v2/context", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		qv := r.URL.Query()
		o, err := a.owner(r.Context(), qv.Get("owner-id"), qv.Get("owner-slug"), qv.Get("owner-type"))
		if err != nil {
			return err
		}
		if err := a.authorize(r.Context(), c, o.V.ID, domain.RoleMember, "Organization"); err != nil {
			return err
		}
		return listPage(w, r, a.d.Repo, repo.ContextsPK(o.V.ID), contextOf)
	})
	a.handle("GET /api/v2/context/{id}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		rec, err := a.contextByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, contextOf(rec.V))
		return nil
	})
	a.handle("DELETE /api/v2/context/{id}", a.deleteContext)
	a.handle("GET /api/v2/context/{id}/environment-variable", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		rec, err := a.contextByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
		if err != nil {
			return err
		}
		q, err := pageQuery(r, false)
		if err != nil {
			return err
		}
		vars, next, err := repo.List[domain.Variable](r.Context(), a.d.Repo, repo.ContextVarsPK(rec.V.ID), q)
		if err != nil {
			return err
		}
		items := make([]contextVarView, 0, len(vars))
		for _, v := range vars {
			items = append(items, contextVarOf(rec.V.ID, v.V))
		}
		writeJSON(w, http.StatusOK, newPage(items, next))
		return nil
	})
	a.handle("PUT /api/v2/context/{id}/environment-variable/{name}", a.putContextVar)
	a.handle("DELETE /api/v2/context/{id}/environment-variable/{name}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		rec, err := a.contextByID(r.Context(), c, r.PathValue("id"), domain.RoleAdmin)
		if err != nil {
			return err
		}
		return a.deleteVariable(w, r, repo.ContextVarKey(rec.V.ID, r.PathValue("name")))
	})
}

func (a *API) createContext(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var body struct {
		Name  string `json:"name"`
		Owner *struct {
			ID   string `json:"id"`
			Slug string `json:"slug"`
			Type string `json:"type"`
		} `json:"owner"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	body.Name = strings.TrimSpace(body.Name)
	if body.Name == "" || len(body.Name) > 200 {
		return errorf(http.StatusBadRequest, "A context name of 1 to 200 characters is required.")
	}
	if body.Owner == nil {
		return errorf(http.StatusBadRequest, "owner is required.")
	}
	o, err := a.owner(r.Context(), body.Owner.ID, body.Owner.Slug, body.Owner.Type)
	if err != nil {
		return err
	}
	if err := a.authorize(r.Context(), c, o.V.ID, domain.RoleAdmin, "Organization"); err != nil {
		return err
	}
	cx := domain.Context{ID: domain.NewID(), OrgID: o.V.ID, Name: body.Name, CreatedAt: a.d.Now()}
	home := repo.ContextKey(o.V.ID, cx.Name)
	err = a.d.Repo.Write(r.Context(), repo.Create(home, cx), repo.CreateRef(repo.KindContext, cx.ID, home))
	if repo.IsConflict(err) {
		return errorf(http.StatusConflict, "A context named %q already exists in %s.", cx.Name, o.V.Slug)
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, contextOf(cx))
	return nil
}

// deleteContext removes a context's variables, then the context: a failure part way leaves the context
// in place (with fewer variables) for the caller to retry, never orphaned variables.
func (a *API) deleteContext(w http.ResponseWriter, r *http.Request, c *Caller) error {
	ctx := r.Context()
	rec, err := a.contextByID(ctx, c, r.PathValue("id"), domain.RoleAdmin)
	if err != nil {
		return err
	}
	vars, err := repo.ListAll[domain.Variable](ctx, a.d.Repo, repo.ContextVarsPK(rec.V.ID), "")
	if err != nil {
		return err
	}
	ops := make([]store.Op, 0, len(vars)+2)
	for _, v := range vars {
		ops = append(ops, store.Op{Kind: store.Delete, Item: store.Item{Key: v.Key}})
	}
	for len(ops) > store.MaxOps-2 {
		if err := a.d.Repo.Write(ctx, ops[:store.MaxOps-2]...); err != nil {
			return err
		}
		ops = ops[store.MaxOps-2:]
	}
	ops = append(ops,
		store.Op{Kind: store.Delete, Item: store.Item{Key: rec.Key}, Cond: store.AtVersion, Version: rec.Version},
		store.Op{Kind: store.Delete, Item: store.Item{Key: repo.RefKey(repo.KindContext, rec.V.ID)}})
	if err := a.d.Repo.Write(ctx, ops...); err != nil {
		return err
	}
	writeMessage(w, "Context deleted.")
	return nil
}

func (a *API) putContextVar(w http.ResponseWriter, r *http.Request, c *Caller) error {
	rec, err := a.contextByID(r.Context(), c, r.PathValue("id"), domain.RoleAdmin)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := checkVarName(name); err != nil {
		return err
	}
	var body struct {
		Value *string `json:"value"`
	}
	if err := decode(w, r, a.d.MaxBody, &body); err != nil {
		return err
	}
	if body.Value == nil {
		return errorf(http.StatusBadRequest, "value is required.")
	}
	k := repo.ContextVarKey(rec.V.ID, name)
	v, op, err := a.sealVariable(r.Context(), k, name, *body.Value, repo.ContextVarAAD(rec.V.ID, name))
	if err != nil {
		return err
	}
	// The context must still exist when the variable is written (its ref goes when it is deleted).
	check := store.Op{Kind: store.Check, Item: store.Item{Key: repo.RefKey(repo.KindContext, rec.V.ID)}, Cond: store.Exists}
	if err := a.d.Repo.Write(r.Context(), op, check); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, contextVarOf(rec.V.ID, v))
	return nil
}
