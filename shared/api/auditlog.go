package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/caravan-ci/caravan/shared/audit"
)

// auditSlot carries a *Caller from the authenticating handler out to the audit middleware, which runs
// outside the mux and so cannot see the context the handler built.
type auditSlot struct{}

func withCallerSlot(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), auditSlot{}, &Caller{})))
	})
}

func auditActor(r *http.Request) audit.Actor {
	if c, ok := r.Context().Value(auditSlot{}).(*Caller); ok && c.User.ID != "" {
		return audit.Actor{ID: c.User.ID, Type: "user", Name: c.User.Login}
	}
	return audit.Actor{Type: "anonymous"}
}

// actions names audited routes the way CircleCI's audit log does; other mutating routes are recorded as
// "<method> <route>".
var actions = map[string]string{
	"POST /api/v2/context":                                                 "context.create",
	"DELETE /api/v2/context/{id}":                                          "context.delete",
	"PUT /api/v2/context/{id}/environment-variable/{name}":                 "context.env_var.store",
	"DELETE /api/v2/context/{id}/environment-variable/{name}":              "context.env_var.delete",
	"POST /api/v2/project/{vcs}/{org}/{repo}/envvar":                       "project.env_var.create",
	"DELETE /api/v2/project/{vcs}/{org}/{repo}/envvar/{name}":              "project.env_var.delete",
	"POST /api/v2/project/{vcs}/{org}/{repo}/checkout-key":                 "project.ssh_key.create",
	"DELETE /api/v2/project/{vcs}/{org}/{repo}/checkout-key/{fingerprint}": "project.ssh_key.delete",
	"PATCH /api/v2/project/{vcs}/{org}/{repo}/settings":                    "project.settings.update",
	"POST /api/v2/project/{vcs}/{org}/{repo}/schedule":                     "schedule-create",
	"PATCH /api/v2/schedule/{id}":                                          "schedule-update",
	"DELETE /api/v2/schedule/{id}":                                         "schedule-delete",
	"POST /api/v2/project/{vcs}/{org}/{repo}/pipeline":                     "trigger_event-create",
	"POST /api/v2/project/{vcs}/{org}/{repo}/pipeline/run":                 "trigger_event-create",
	"POST /api/v2/workflow/{id}/cancel":                                    "workflow-cancel",
	"POST /api/v2/workflow/{id}/rerun":                                     "workflow-retry",
	"POST /api/v2/workflow/{id}/approve/{approval_request_id}":             "workflow-job-approve",
	"POST /api/v2/project/{vcs}/{org}/{repo}/job/{number}/cancel":          "workflow-job-cancel",
	"POST /api/v2/jobs/{id}/cancel":                                        "workflow-job-cancel",
	"POST /hooks/{provider}":                                               "trigger_event-create",
}

func auditAction(r *http.Request) (string, audit.Target, bool) {
	if r.Pattern == "" {
		return "", audit.Target{}, false // no route matched: nothing happened
	}
	action, ok := actions[r.Pattern]
	if !ok {
		action = r.Pattern
	}
	t := audit.Target{Type: "api"}
	for _, k := range []string{"id", "name", "number", "fingerprint", "approval_request_id"} {
		if v := r.PathValue(k); v != "" {
			t.ID = v
			break
		}
	}
	if r.PathValue("repo") != "" {
		t.Type, t.Name = "project", strings.Join([]string{r.PathValue("vcs"), r.PathValue("org"), r.PathValue("repo")}, "/")
	}
	return action, t, true
}
