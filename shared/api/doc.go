// Package api is Caravan's HTTP API: CircleCI's API v2 (pipelines, workflows, jobs, artifacts, tests,
// contexts, project variables, checkout keys, schedules, webhooks), POST /api/v2/compile-config-with-defaults,
// the v1.1 job endpoint with step output, the inbound VCS webhooks, and the admin endpoints the caravan CLI
// uses. It is one http.Handler over the services and the ports; it holds no state between requests except
// the per-instance rate limiter.
//
// Auth: personal API tokens (Circle-Token header, circle-token query parameter, or HTTP basic auth with the
// token as user name), stored as SHA-256 hashes. Permissions come from the caller's role in the project's
// organization (viewer < member < admin); server admins may do everything. Errors are JSON {"message": …}
// with 400, 401, 403, 404, 409, 413 or 429 where they belong.
package api
