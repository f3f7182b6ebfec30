package taskserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/tasktoken"
)

// Jobs is what the server needs of the conductor (*conductor.Conductor).
type Jobs interface {
	Claim(ctx context.Context, taskID, runnerID string) (domain.Task, error)
	Heartbeat(ctx context.Context, taskID string) (canceled bool, err error)
	Finish(ctx context.Context, taskID string, st domain.TaskStatus, msg string) error
}

// Opener opens sealed values (secrets.Envelope).
type Opener interface {
	Open(ctx context.Context, sealed, aad []byte) ([]byte, error)
}

// Deps are the server's collaborators and settings.
type Deps struct {
	Repo    *repo.Repo
	Jobs    Jobs
	Blobs   blob.Store
	Secrets Opener
	Tokens  *tasktoken.Issuer
	// WebURL is the base of links to the UI, for CIRCLE_BUILD_URL.
	WebURL string
	// TokenTTL is the life of the token each heartbeat hands out (default 15 minutes).
	TokenTTL time.Duration
	// Timeout bounds a task (default 5 hours); NoOutputTimeout is the default for run steps (default 10 minutes).
	Timeout         time.Duration
	NoOutputTimeout time.Duration
	// URLTTL is the life of presigned blob URLs (default 1 hour).
	URLTTL time.Duration
	Log    *slog.Logger
}

// Server implements taskapi.Backend.
type Server struct {
	d   Deps
	log *slog.Logger

	mu      sync.Mutex
	lengths map[outputKey]int64 // output stored per task step, as far as this instance knows
}

var _ taskapi.Backend = (*Server)(nil)

// New returns a Server.
func New(d Deps) *Server {
	if d.TokenTTL <= 0 {
		d.TokenTTL = 15 * time.Minute
	}
	if d.Timeout <= 0 {
		d.Timeout = 5 * time.Hour
	}
	if d.NoOutputTimeout <= 0 {
		d.NoOutputTimeout = 10 * time.Minute
	}
	if d.URLTTL <= 0 {
		d.URLTTL = time.Hour
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Server{d: d, log: d.Log.With("component", "taskserver"), lengths: map[outputKey]int64{}}
}

// Authenticate implements taskapi.Backend.
func (s *Server) Authenticate(_ context.Context, token string) (string, error) {
	id, err := s.d.Tokens.Verify(token)
	if err != nil {
		return "", fmt.Errorf("%w: %w", taskapi.ErrUnauthorized, err)
	}
	return id, nil
}

// protocolErr maps the store's and the conductor's sentinels to the protocol's.
func protocolErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, repo.ErrNotFound) && !errors.Is(err, taskapi.ErrNotFound):
		return fmt.Errorf("%w: %w", taskapi.ErrNotFound, err)
	case errors.Is(err, conductor.ErrInvalid) && !errors.Is(err, taskapi.ErrInvalid):
		return fmt.Errorf("%w: %w", taskapi.ErrInvalid, err)
	}
	return err
}

// taskJob is a task with its job, as most calls need them.
type taskJob struct {
	task domain.Task
	job  domain.Job
}

// load reads a task and its job. With active set, a task that ended is taskapi.ErrGone.
func (s *Server) load(ctx context.Context, taskID string, active bool) (taskJob, error) {
	t, err := s.d.Repo.Task(ctx, taskID)
	if err != nil {
		return taskJob{}, protocolErr(fmt.Errorf("task %s: %w", taskID, err))
	}
	if active && t.V.Status.Terminal() {
		return taskJob{}, fmt.Errorf("task %s ended %s: %w", taskID, t.V.Status, taskapi.ErrGone)
	}
	j, err := s.d.Repo.Job(ctx, t.V.JobID)
	if err != nil {
		return taskJob{}, protocolErr(fmt.Errorf("job of task %s: %w", taskID, err))
	}
	return taskJob{task: t.V, job: j.V}, nil
}
