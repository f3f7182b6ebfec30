package api

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/notifier"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Outbound webhooks: POST|GET /webhook, GET|PUT|DELETE /webhook/{id}. Scoped to a project; members read
// them, project admins manage them. The signing secret is sealed (notifier.SecretAAD) and never returned.

var webhookEvents = []string{"workflow-completed", "job-completed"}

type scopeView struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

type webhookView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	URL       string    `json:"url"`
	Events    []string  `json:"events"`
	VerifyTLS bool      `json:"verify-tls"`
	Scope     scopeView `json:"scope"`
	CreatedAt time.Time `json:"created-at"`
	UpdatedAt time.Time `json:"updated-at"`
}

func webhookOf(h domain.Webhook) webhookView {
	return webhookView{ID: h.ID, Name: h.Name, URL: h.URL, Events: h.Events, VerifyTLS: h.VerifyTLS,
		Scope: scopeView{ID: h.ProjectID, Type: "project"}, CreatedAt: h.CreatedAt, UpdatedAt: h.UpdatedAt}
}

// webhookInput is a create or update body; nil fields are left as they are on update.
type webhookInput struct {
	Name          *string    `json:"name"`
	Events        *[]string  `json:"events"`
	URL           *string    `json:"url"`
	VerifyTLS     *bool      `json:"verify-tls"`
	SigningSecret *string    `json:"signing-secret"`
	Scope         *scopeView `json:"scope"`
}

// apply merges in into h, sealing a new secret, and validates the result.
func (a *API) applyWebhook(ctx context.Context, in webhookInput, h *domain.Webhook) error {
	if in.Name != nil {
		h.Name = strings.TrimSpace(*in.Name)
	}
	if h.Name == "" || len(h.Name) > 200 {
		return errorf(http.StatusBadRequest, "A webhook name of 1 to 200 characters is required.")
	}
	if in.URL != nil {
		h.URL = strings.TrimSpace(*in.URL)
	}
	if u, err := url.Parse(h.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errorf(http.StatusBadRequest, "url must be an absolute http or https URL.")
	}
	if in.Events != nil {
		h.Events = nil
		for _, e := range *in.Events {
			if !slices.Contains(webhookEvents, e) {
				return errorf(http.StatusBadRequest, "Unknown event %q: use workflow-completed or job-completed.", e)
			}
			if !slices.Contains(h.Events, e) {
				h.Events = append(h.Events, e)
			}
		}
	}
	if len(h.Events) == 0 {
		return errorf(http.StatusBadRequest, "events must list workflow-completed, job-completed or both.")
	}
	if in.VerifyTLS != nil {
		h.VerifyTLS = *in.VerifyTLS
	}
	if in.SigningSecret != nil {
		sealed, err := a.d.Secrets.Seal(ctx, []byte(*in.SigningSecret), notifier.SecretAAD(h.ID))
		if err != nil {
			return err
		}
		h.SealedSecret = sealed
	}
	return nil
}

func (a *API) webhookRoutes() {
	a.handle("POST /api/v2/webhook", a.createWebhook)
	a.handle("GET /api/v2/webhook", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		qv := r.URL.Query()
		if t := qv.Get("scope-type"); t != "project" {
			return errorf(http.StatusBadRequest, "scope-type must be project.")
		}
		p, err := a.projectByID(r.Context(), c, qv.Get("scope-id"), domain.RoleMember)
		if err != nil {
			return err
		}
		q, err := pageQuery(r, false)
		if err != nil {
			return err
		}
		recs, next, err := repo.List[domain.Webhook](r.Context(), a.d.Repo, repo.WebhooksPK(p.V.ID), q)
		if err != nil {
			return err
		}
		items := make([]webhookView, 0, len(recs))
		for _, h := range recs {
			items = append(items, webhookOf(h.V))
		}
		writeJSON(w, http.StatusOK, newPage(items, next))
		return nil
	})
	a.handle("GET /api/v2/webhook/{id}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		h, err := a.webhookByID(r.Context(), c, r.PathValue("id"), domain.RoleMember)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, webhookOf(h.V))
		return nil
	})
	a.handle("PUT /api/v2/webhook/{id}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		rec, err := a.webhookByID(r.Context(), c, r.PathValue("id"), domain.RoleAdmin)
		if err != nil {
			return err
		}
		var in webhookInput
		if err := decode(w, r, a.d.MaxBody, &in); err != nil {
			return err
		}
		if err := a.applyWebhook(r.Context(), in, &rec.V); err != nil {
			return err
		}
		rec.V.UpdatedAt = a.d.Now()
		if err := a.d.Repo.Write(r.Context(), repo.Update(rec)); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, webhookOf(rec.V))
		return nil
	})
	a.handle("DELETE /api/v2/webhook/{id}", func(w http.ResponseWriter, r *http.Request, c *Caller) error {
		rec, err := a.webhookByID(r.Context(), c, r.PathValue("id"), domain.RoleAdmin)
		if err != nil {
			return err
		}
		err = a.d.Repo.Write(r.Context(),
			store.Op{Kind: store.Delete, Item: store.Item{Key: rec.Key}, Cond: store.AtVersion, Version: rec.Version},
			store.Op{Kind: store.Delete, Item: store.Item{Key: repo.RefKey(repo.KindWebhook, rec.V.ID)}})
		if err != nil {
			return err
		}
		writeMessage(w, "Webhook deleted.")
		return nil
	})
}

func (a *API) webhookByID(ctx context.Context, c *Caller, id, need string) (repo.Rec[domain.Webhook], error) {
	h, err := repo.ByID[domain.Webhook](ctx, a.d.Repo, repo.KindWebhook, id)
	if repo.IsNotFound(err) {
		return h, errorf(http.StatusNotFound, "Webhook not found.")
	}
	if err != nil {
		return h, err
	}
	if _, err := a.projectByID(ctx, c, h.V.ProjectID, need); err != nil {
		if isStatus(err, http.StatusNotFound) {
			return h, errorf(http.StatusNotFound, "Webhook not found.")
		}
		return h, err
	}
	return h, nil
}

func (a *API) createWebhook(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var in webhookInput
	if err := decode(w, r, a.d.MaxBody, &in); err != nil {
		return err
	}
	if in.Scope == nil || in.Scope.Type != "project" || in.Scope.ID == "" {
		return errorf(http.StatusBadRequest, "scope must be {id: <project id>, type: project}.")
	}
	if in.SigningSecret == nil || in.Events == nil || in.URL == nil {
		return errorf(http.StatusBadRequest, "name, events, url, verify-tls, signing-secret and scope are required.")
	}
	p, err := a.projectByID(r.Context(), c, in.Scope.ID, domain.RoleAdmin)
	if err != nil {
		return err
	}
	now := a.d.Now()
	h := domain.Webhook{ID: domain.NewID(), ProjectID: p.V.ID, VerifyTLS: true, CreatedAt: now, UpdatedAt: now}
	if err := a.applyWebhook(r.Context(), in, &h); err != nil {
		return err
	}
	home := repo.WebhookKey(p.V.ID, h.ID)
	if err := a.d.Repo.Write(r.Context(), repo.Create(home, h), repo.CreateRef(repo.KindWebhook, h.ID, home)); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, webhookOf(h))
	return nil
}
