package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/audit"
	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/repo"
)

// Intake is what the API needs of the intake service.
type Intake interface {
	Trigger(ctx context.Context, req intake.TriggerRequest) (domain.Pipeline, error)
	Continue(ctx context.Context, key, config string, params map[string]any) error
	Webhook(ctx context.Context, provider string, h http.Header, body []byte) (intake.WebhookResult, error)
}

// Workflows is what the API needs of the conductor.
type Workflows interface {
	CancelWorkflow(ctx context.Context, workflowID, actor string) error
	CancelJob(ctx context.Context, jobID, actor string) error
	Approve(ctx context.Context, workflowID, approvalID, actor string) error
	Rerun(ctx context.Context, workflowID string, req conductor.RerunRequest) (string, error)
}

// Sealer encrypts and decrypts values at rest (secrets.Envelope).
type Sealer interface {
	Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error)
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Deps are the API's collaborators. Compile and Audit are optional.
type Deps struct {
	Repo      *repo.Repo
	Intake    Intake
	Workflows Workflows
	Blobs     blob.Store
	Secrets   Sealer
	// Compile compiles a config for compile-config-with-defaults (see compile.go).
	Compile CompileFunc
	// Orbs imports orbs (admin endpoint); nil disables it.
	Orbs OrbImporter
	// Audit records every mutating call; nil records nothing.
	Audit *audit.Log
	// AuditLog answers GET /api/v2/admin/audit; nil falls back to Audit (nil for both disables it).
	AuditLog AuditReader
	// WebURL is the base of links to the UI (job web_url, artifact links); APIURL the base of this API.
	WebURL, APIURL string
	// URLKey signs v1.1 output URLs (≥ 32 bytes).
	URLKey []byte
	// RatePerSecond and RateBurst bound each token's requests (per instance); 0 means 50/s, burst 100.
	RatePerSecond, RateBurst float64
	// MaxBody bounds JSON request bodies (default 1 MiB) and webhook deliveries (default 25 MiB, GitHub's cap).
	MaxBody int64
	Now     func() time.Time
	Log     *slog.Logger
}

// API is the HTTP handler.
type API struct {
	d       Deps
	mux     *http.ServeMux
	limiter *limiter
	log     *slog.Logger
	handler http.Handler
}

// New builds the API.
func New(d Deps) *API {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.MaxBody <= 0 {
		d.MaxBody = 1 << 20
	}
	if d.RatePerSecond <= 0 {
		d.RatePerSecond, d.RateBurst = 50, 100
	}
	a := &API{d: d, mux: http.NewServeMux(), limiter: newLimiter(d.RatePerSecond, d.RateBurst),
		log: d.Log.With("component", "api")}
	a.routes()
	a.handler = a.mux
	if d.Audit != nil {
		a.handler = withCallerSlot(audit.Middleware(d.Audit, auditAction, auditActor)(a.mux))
	}
	return a
}

// ServeHTTP implements http.Handler.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.handler.ServeHTTP(w, r) }

// routes registers every endpoint; each group lives in its own file.
func (a *API) routes() {
	a.pipelineRoutes()
	a.workflowRoutes()
	a.jobRoutes()
	a.v1Routes()
	a.settingsRoutes()
	a.adminRoutes()
	a.hookRoutes()
}

// Caller is the authenticated user of a request.
type Caller struct {
	User      domain.User
	TokenHash string
}

type callerKey struct{}

// HandlerFunc is an authenticated handler; a returned error is written as JSON.
type HandlerFunc func(w http.ResponseWriter, r *http.Request, c *Caller) error

// handle registers an authenticated endpoint.
func (a *API) handle(pattern string, h HandlerFunc) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		c, err := a.authenticate(r)
		if err != nil {
			writeError(w, a.log, err)
			return
		}
		if !a.limiter.allow(c.TokenHash, a.d.Now()) {
			w.Header().Set("Retry-After", "1")
			writeError(w, a.log, errorf(http.StatusTooManyRequests, "Rate limit exceeded: slow down and retry."))
			return
		}
		if slot, ok := r.Context().Value(auditSlot{}).(*Caller); ok { // let the audit middleware see the caller
			*slot = *c
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
		if err := h(w, r, c); err != nil {
			writeError(w, a.log, err)
		}
	})
}

// handlePublic registers an endpoint without authentication (webhooks, signed output URLs).
func (a *API) handlePublic(pattern string, h func(w http.ResponseWriter, r *http.Request) error) {
	a.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			writeError(w, a.log, err)
		}
	})
}

// tokenOf extracts a personal token from a request.
func tokenOf(r *http.Request) string {
	if t := r.Header.Get("Circle-Token"); t != "" {
		return t
	}
	if t := r.URL.Query().Get("circle-token"); t != "" {
		return t
	}
	if u, _, ok := r.BasicAuth(); ok {
		return u
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	}
	return ""
}

// HashToken is how tokens are stored.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

func (a *API) authenticate(r *http.Request) (*Caller, error) {
	tok := tokenOf(r)
	if tok == "" {
		return nil, errorf(http.StatusUnauthorized, "You must log in first: send a personal API token in the Circle-Token header.")
	}
	h := HashToken(tok)
	t, err := repo.Get[domain.Token](r.Context(), a.d.Repo, repo.TokenKey(h))
	if repo.IsNotFound(err) {
		return nil, errorf(http.StatusUnauthorized, "Invalid token provided.")
	}
	if err != nil {
		return nil, err
	}
	u, err := a.d.Repo.User(r.Context(), t.V.UserID)
	if repo.IsNotFound(err) {
		return nil, errorf(http.StatusUnauthorized, "Invalid token provided.")
	}
	if err != nil {
		return nil, err
	}
	return &Caller{User: u.V, TokenHash: h}, nil
}
