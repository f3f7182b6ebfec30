package intake

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake/gitsource"
	"github.com/caravan-ci/caravan/shared/intake/webhook"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
)

// Errors for the API to map: ErrInvalid is a malformed request (400), ErrState an action the pipeline's state
// does not allow (409), ErrSignature a webhook delivery that failed verification (401; it is
// webhook.ErrSignature, so errors of either package match).
var (
	ErrInvalid   = errors.New("invalid request")
	ErrState     = errors.New("not possible in the current state")
	ErrSignature = webhook.ErrSignature
)

// Sender is the part of the queue port intake uses.
type Sender interface {
	Send(ctx context.Context, topic string, msgs ...queue.Message) error
}

// Workflows creates and cancels workflows (*conductor.Conductor). Create must be idempotent: the same
// pipeline, workflow and tag always make the same workflow.
type Workflows interface {
	Create(ctx context.Context, p domain.Pipeline, pw plan.Workflow, tag string) (string, error)
	CancelWorkflow(ctx context.Context, workflowID, actor string) error
}

// GitSource reads repositories (*gitsource.Source). Errors wrap gitsource.ErrUnknownRef for a ref or commit
// that does not exist and gitsource.ErrNotFound for a missing file.
type GitSource interface {
	Resolve(ctx context.Context, repo, ref string) (gitsource.Commit, error)
	ReadFile(ctx context.Context, repo, sha, path string) ([]byte, error)
}

// Opener decrypts sealed values (secrets.Envelope).
type Opener interface {
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Deps are intake's collaborators. Orbs may be nil (configs then cannot use registry orbs); Now and Log
// default to the UTC clock and a discarding logger. ContinuationSecret keys continuation keys: every instance
// (and the task server) must use the same one; without it setup configs error.
type Deps struct {
	Repo               *repo.Repo
	Queue              Sender
	Workflows          Workflows
	Git                GitSource
	Orbs               orb.Registry
	Secrets            Opener
	ContinuationSecret []byte
	Now                func() time.Time
	Log                *slog.Logger
}

// Intake creates and processes pipelines. Safe for concurrent use; it keeps no state between calls, so any
// number of instances may run.
type Intake struct {
	d   Deps
	log *slog.Logger
}

// New returns an Intake.
func New(d Deps) *Intake {
	if d.Now == nil {
		d.Now = func() time.Time { return time.Now().UTC() }
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Intake{d: d, log: d.Log.With("component", "intake")}
}

func (in *Intake) now() time.Time { return in.d.Now().UTC() }

// ContinuationKey returns the continuation key of a setup pipeline: "<pipeline id>.<hex HMAC-SHA256>" keyed
// with secret (Deps.ContinuationSecret). The task server gives it to setup jobs as CIRCLE_CONTINUATION_KEY.
func ContinuationKey(secret []byte, pipelineID string) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("caravan continuation key\x00" + pipelineID))
	return pipelineID + "." + hex.EncodeToString(mac.Sum(nil))
}

// checkContinuationKey returns the pipeline id a key belongs to, if its MAC is right.
func checkContinuationKey(secret []byte, key string) (string, bool) {
	id, _, ok := strings.Cut(key, ".")
	if !ok || id == "" || len(secret) == 0 {
		return "", false
	}
	want := ContinuationKey(secret, id)
	return id, hmac.Equal([]byte(want), []byte(key))
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}
