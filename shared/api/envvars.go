package api

import (
	"context"
	"net/http"
	"regexp"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Project environment variables: GET|POST /project/{slug}/envvar, GET|DELETE /project/{slug}/envvar/{name}.
// Values are sealed at rest and never returned: responses carry CircleCI's mask, "xxxx" and the hint (the
// last four characters of values of at least eight).

var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkVarName validates an environment variable name. Unlike CircleCI, names starting with CIRCLE_ are
// allowed: a project may override a built-in variable on purpose.
func checkVarName(name string) error {
	if len(name) > 256 || !varName.MatchString(name) {
		return errorf(http.StatusBadRequest,
			"Invalid environment variable name %q: use letters, digits and underscores, not starting with a digit.", name)
	}
	return nil
}

// hint is what a masked value shows: its last four characters, only when it has at least eight.
func hint(value string) string {
	r := []rune(value)
	if len(r) < 8 {
		return ""
	}
	return string(r[len(r)-4:])
}

func masked(v domain.Variable) string { return "xxxx" + v.Hint }

type message struct {
	Message string `json:"message"`
}

func writeMessage(w http.ResponseWriter, msg string) {
	writeJSON(w, http.StatusOK, message{msg})
}

// sealVariable returns the variable to store at k: value sealed with aad, CreatedAt kept from the variable
// already there, and the op writing it (a create, or an update at the version read).
func (a *API) sealVariable(ctx context.Context, k store.Key, name, value string, aad []byte) (domain.Variable, store.Op, error) {
	now := a.d.Now()
	sealed, err := a.d.Secrets.Seal(ctx, []byte(value), aad)
	if err != nil {
		return domain.Variable{}, store.Op{}, err
	}
	v := domain.Variable{Name: name, Sealed: sealed, Hint: hint(value), CreatedAt: now, UpdatedAt: now}
	old, err := repo.Get[domain.Variable](ctx, a.d.Repo, k)
	switch {
	case repo.IsNotFound(err):
		return v, repo.Create(k, v), nil
	case err != nil:
		return v, store.Op{}, err
	}
	v.CreatedAt = old.V.CreatedAt
	return v, repo.Put(k, v, store.AtVersion, old.Version), nil
}

type envVarView struct {
	Name      string    `json:"name"`
	Value     string    `json:"value"`
	CreatedAt time.Time `json:"created_at"`
}

func envVarOf(v domain.Variable) envVarView {
	return envVarView{Name: v.Name, Value: masked(v), CreatedAt: v.CreatedAt}
}

func (a *API) envVarRoutes() {
	const base = "/api/v2/project/{vcs}/{org}/{repo}/envvar"
	a.handle("GET "+base, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleMember)
		if err != nil {
			return err
		}
		return listPage(w, r, a.d.Repo, repo.EnvVarsPK(p.V.ID), envVarOf)
	})
	a.handle("POST "+base, func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleAdmin)
		if err != nil {
			return err
		}
		var body struct {
			Name  string  `json:"name"`
			Value *string `json:"value"`
		}
		if err := decode(w, r, a.d.MaxBody, &body); err != nil {
			return err
		}
		if err := checkVarName(body.Name); err != nil {
			return err
		}
		if body.Value == nil {
			return errorf(http.StatusBadRequest, "value is required.")
		}
		k := repo.EnvVarKey(p.V.ID, body.Name)
		v, op, err := a.sealVariable(r.Context(), k, body.Name, *body.Value, repo.EnvVarAAD(p.V.ID, body.Name))
		if err != nil {
			return err
		}
		if err := a.d.Repo.Write(r.Context(), op); err != nil {
			return err
		}
		writeJSON(w, http.StatusCreated, envVarOf(v))
		return nil
	})
	a.handle("GET "+base+"/{name}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleMember)
		if err != nil {
			return err
		}
		v, err := repo.Get[domain.Variable](r.Context(), a.d.Repo, repo.EnvVarKey(p.V.ID, r.PathValue("name")))
		if repo.IsNotFound(err) {
			return errorf(http.StatusNotFound, "Environment variable not found.")
		}
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, envVarOf(v.V))
		return nil
	})
	a.handle("DELETE "+base+"/{name}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		p, err := a.project(r, c, domain.RoleAdmin)
		if err != nil {
			return err
		}
		return a.deleteVariable(w, r, repo.EnvVarKey(p.V.ID, r.PathValue("name")))
	})
}

// deleteVariable removes a project or context variable: 404 when there is none.
func (a *API) deleteVariable(w http.ResponseWriter, r *http.Request, k store.Key) error {
	err := a.d.Repo.Write(r.Context(), store.Op{Kind: store.Delete, Item: store.Item{Key: k}, Cond: store.Exists})
	if repo.IsConflict(err) {
		return errorf(http.StatusNotFound, "Environment variable not found.")
	}
	if err != nil {
		return err
	}
	writeMessage(w, "Environment variable deleted.")
	return nil
}
