package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

// Pipeline listings. A filtered listing walks the project's partition newest first and pages by the sort key
// of the last pipeline it returned (store.Query.After marks a place in sort-key order), so a filter never
// skips or repeats a pipeline across pages.

// maxScan bounds how many pipelines one request examines for a filtered listing; a listing that reaches it
// answers what it found with a next_page_token to go on from.
const maxScan = 2000

// scanPipelines lists a project's pipelines newest first from q, keeping those keep accepts.
func (a *API) scanPipelines(ctx context.Context, projectID string, q store.Query,
	keep func(domain.Pipeline) bool) ([]domain.Pipeline, string, error) {
	want := q.Limit
	q.Desc, q.Limit = true, max(want, 50)
	var out []domain.Pipeline
	for scanned := 0; ; {
		recs, next, err := repo.List[domain.Pipeline](ctx, a.d.Repo, repo.PipelinesPK(projectID), q)
		if err != nil {
			return nil, "", err
		}
		for i, p := range recs {
			scanned++
			if keep == nil || keep(p.V) {
				out = append(out, p.V)
			}
			more := i < len(recs)-1 || next != ""
			if len(out) == want || scanned >= maxScan {
				if more {
					return out, p.Key.SK, nil
				}
				return out, "", nil
			}
		}
		if next == "" {
			return out, "", nil
		}
		q.After = next
	}
}

func (a *API) listProjectPipelines(w http.ResponseWriter, r *http.Request, c *Caller) error {
	branch := r.URL.Query().Get("branch")
	var keep func(domain.Pipeline) bool
	if branch != "" {
		keep = func(p domain.Pipeline) bool { return p.VCS.Branch == branch }
	}
	return a.listPipelines(w, r, c, keep)
}

func (a *API) listMyPipelines(w http.ResponseWriter, r *http.Request, c *Caller) error {
	return a.listPipelines(w, r, c, func(p domain.Pipeline) bool { return p.Trigger.Actor == c.User.Login })
}

func (a *API) listPipelines(w http.ResponseWriter, r *http.Request, c *Caller, keep func(domain.Pipeline) bool) error {
	q, err := pageQuery(r, true)
	if err != nil {
		return err
	}
	pr, err := a.project(r, c, domain.RoleViewer)
	if err != nil {
		return err
	}
	ps, next, err := a.scanPipelines(r.Context(), pr.V.ID, q, keep)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(pipelinesJSON(ps), next))
	return nil
}

func pipelinesJSON(ps []domain.Pipeline) []pipelineJSON {
	out := make([]pipelineJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, toPipelineJSON(p))
	}
	return out
}

// Org-wide listing (GET /pipeline): the recent pipelines of every project of the org (or of every org the
// caller belongs to), newest first. The page token is the created_at and id of the last pipeline returned.

const maxOrgProjects = 250 // CircleCI lists the pipelines of at most 250 projects

func (a *API) listOrgPipelines(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q, err := pageQuery(r, true)
	if err != nil {
		return err
	}
	cur, err := parseCursor(q.After)
	if err != nil {
		return err
	}
	orgs, err := a.callerOrgs(r, c)
	if err != nil {
		return err
	}
	mine := r.URL.Query().Get("mine") == "true"
	var all []domain.Pipeline
	for _, orgID := range orgs {
		projects, _, err := repo.List[json.RawMessage](r.Context(), a.d.Repo, repo.OrgProjectKey(orgID, "-").PK,
			store.Query{Limit: maxOrgProjects})
		if err != nil {
			return err
		}
		for _, pk := range projects {
			pr, err := a.d.Repo.ProjectBySlug(r.Context(), pk.Key.SK)
			if repo.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			// One more than a page tells whether another page exists.
			ps, _, err := a.scanPipelines(r.Context(), pr.V.ID, store.Query{Limit: q.Limit + 1},
				func(p domain.Pipeline) bool { return cur.after(p) && (!mine || p.Trigger.Actor == c.User.Login) })
			if err != nil {
				return err
			}
			all = append(all, ps...)
		}
	}
	slices.SortFunc(all, func(x, y domain.Pipeline) int { return newerFirst(x, y) })
	next := ""
	if len(all) > q.Limit {
		all = all[:q.Limit]
		last := all[len(all)-1]
		next = last.CreatedAt.Format(time.RFC3339Nano) + "|" + last.ID
	}
	writeJSON(w, http.StatusOK, newPage(pipelinesJSON(all), next))
	return nil
}

func newerFirst(x, y domain.Pipeline) int {
	if c := y.CreatedAt.Compare(x.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(y.ID, x.ID)
}

// cursor is where an org-wide listing goes on from: pipelines strictly older than it.
type cursor struct {
	at time.Time
	id string
}

func parseCursor(s string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	at, id, ok := strings.Cut(s, "|")
	t, err := time.Parse(time.RFC3339Nano, at)
	if !ok || err != nil {
		return cursor{}, errorf(http.StatusBadRequest, "Invalid page-token.")
	}
	return cursor{t, id}, nil
}

func (c cursor) after(p domain.Pipeline) bool {
	return c.at.IsZero() || newerFirst(domain.Pipeline{CreatedAt: c.at, ID: c.id}, p) < 0
}

// callerOrgs is the org named by ?org-slug= (which the caller must see), or every org the caller belongs to.
func (a *API) callerOrgs(r *http.Request, c *Caller) ([]string, error) {
	if slug := r.URL.Query().Get("org-slug"); slug != "" {
		o, err := a.d.Repo.OrgBySlug(r.Context(), normalizeSlug(slug))
		if repo.IsNotFound(err) {
			return nil, errorf(http.StatusNotFound, "Organization not found.")
		}
		if err != nil {
			return nil, err
		}
		return []string{o.V.ID}, a.authorize(r.Context(), c, o.V.ID, domain.RoleViewer, "Organization")
	}
	ms, err := repo.ListAll[json.RawMessage](r.Context(), a.d.Repo, repo.UserOrgKey(c.User.ID, "-").PK, "")
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(ms))
	for _, m := range ms {
		ids = append(ids, m.Key.SK)
	}
	return ids, nil
}

func (a *API) listPipelineWorkflows(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q, err := pageQuery(r, false)
	if err != nil {
		return err
	}
	p, err := a.pipelineFor(r.Context(), c, r.PathValue("id"), domain.RoleViewer)
	if err != nil {
		return err
	}
	wfs, err := a.d.Repo.Workflows(r.Context(), p.ID)
	if err != nil {
		return err
	}
	slices.SortFunc(wfs, func(x, y repo.Rec[domain.Workflow]) int { // newest first: reruns before their origin
		if c := y.V.CreatedAt.Compare(x.V.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(x.V.ID, y.V.ID)
	})
	out := make([]workflowJSON, 0, len(wfs))
	for _, wf := range wfs {
		out = append(out, toWorkflowJSON(wf.V))
	}
	pg, err := pageSlice(out, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pg)
	return nil
}

// pageSlice pages a list held in memory; the page token is an offset.
func pageSlice[T any](items []T, q store.Query) (page[T], error) {
	off := 0
	if q.After != "" {
		n, err := strconv.Atoi(q.After)
		if err != nil || n < 0 {
			return page[T]{}, errorf(http.StatusBadRequest, "Invalid page-token.")
		}
		off = min(n, len(items))
	}
	end := min(off+q.Limit, len(items))
	next := ""
	if end < len(items) {
		next = strconv.Itoa(end)
	}
	return newPage(items[off:end], next), nil
}
