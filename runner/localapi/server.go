package localapi

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/blob/fileblob"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// TokenTTL is how long a task token is valid; every heartbeat answers with a fresh one.
const TokenTTL = 15 * time.Minute

// Hooks let the caller follow tasks live (progress display). They run synchronously: keep them quick.
type Hooks struct {
	Step   func(taskID string, ev taskapi.StepEvent)
	Output func(taskID string, step int, data []byte)
}

// TaskOptions place a task in its workflow.
type TaskOptions struct {
	// Upstream lists the job ids whose workspace layers this task attaches, oldest first.
	Upstream []string
	// PreviousJob is the id of the last run of the same job: its test results give timings, and its failures
	// are what `circleci tests run` reruns when Rerun is set.
	PreviousJob string
	Rerun       bool
}

// Server is a task server over a directory. Create it with New, then Start.
type Server struct {
	dir   string
	blobs *fileblob.Store
	key   []byte
	hooks Hooks
	log   *slog.Logger

	srv *http.Server
	url string

	mu    sync.Mutex
	tasks map[string]*entry
}

type entry struct {
	task      *taskapi.Task
	opt       TaskOptions
	runner    string
	canceled  bool
	steps     []taskapi.StepEvent
	completed *taskapi.Completion
	done      chan struct{}
}

// New opens (creating if needed) a task server directory.
func New(dir string, hooks Hooks, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	blobs, err := fileblob.New(filepath.Join(dir, "blobs"), "http://127.0.0.1", key)
	if err != nil {
		return nil, fmt.Errorf("open blob directory: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "output"), 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	return &Server{dir: dir, blobs: blobs, key: key, hooks: hooks, log: log, tasks: map[string]*entry{}}, nil
}

// Start listens on a free port of 127.0.0.1 and serves the protocol and the blob URLs.
func (s *Server) Start() error {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s.url = "http://" + l.Addr().String()
	if err := s.blobs.SetBaseURL(s.url); err != nil {
		l.Close()
		return fmt.Errorf("blob URLs: %w", err)
	}
	s.srv = &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("task server stopped", "err", err)
		}
	}()
	return nil
}

// URL is where runners reach the server.
func (s *Server) URL() string { return s.url }

// Handler serves the protocol and the blobs, for callers that run their own listener (httptest).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle(taskapi.PathPrefix+"/", taskapi.Handler(s, s.log))
	mux.Handle("/blobs/", s.blobs.Handler())
	return mux
}

// SetURL tells the server its address when the caller runs the listener.
func (s *Server) SetURL(u string) error {
	s.url = u
	return s.blobs.SetBaseURL(u)
}

// Close stops serving.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	return errors.Join(err, s.blobs.Close())
}

// Add registers a task and returns the token a runner needs for it.
func (s *Server) Add(t *taskapi.Task, opt TaskOptions) (string, error) {
	if t.ID == "" || strings.ContainsAny(t.ID, "/.\\") {
		return "", fmt.Errorf("task id %q: %w", t.ID, taskapi.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tasks[t.ID]; ok {
		return "", fmt.Errorf("task %s already added: %w", t.ID, taskapi.ErrConflict)
	}
	s.tasks[t.ID] = &entry{task: t, opt: opt, done: make(chan struct{})}
	return s.token(t.ID, time.Now().Add(TokenTTL)), nil
}

// Wait blocks until the task completes.
func (s *Server) Wait(ctx context.Context, id string) (taskapi.Completion, error) {
	e, err := s.entry(id)
	if err != nil {
		return taskapi.Completion{}, err
	}
	select {
	case <-e.done:
		s.mu.Lock()
		defer s.mu.Unlock()
		return *e.completed, nil
	case <-ctx.Done():
		return taskapi.Completion{}, ctx.Err()
	}
}

// Cancel asks the task's runner to stop (it learns it from its next heartbeat).
func (s *Server) Cancel(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tasks[id]
	if !ok {
		return fmt.Errorf("task %s: %w", id, taskapi.ErrNotFound)
	}
	e.canceled = true
	return nil
}

// Steps returns the step events received for a task, in arrival order.
func (s *Server) Steps(id string) []taskapi.StepEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.tasks[id]; ok {
		return append([]taskapi.StepEvent(nil), e.steps...)
	}
	return nil
}

// Output returns what a step of a task printed.
func (s *Server) Output(id string, step int) ([]byte, error) {
	return os.ReadFile(s.outputPath(id, step))
}

// OutputPath is the file that holds a step's output.
func (s *Server) OutputPath(id string, step int) string { return s.outputPath(id, step) }

func (s *Server) outputPath(id string, step int) string {
	return filepath.Join(s.dir, "output", id, strconv.Itoa(step)+".log")
}

func (s *Server) entry(id string) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.tasks[id]
	if !ok {
		return nil, fmt.Errorf("task %s: %w", id, taskapi.ErrNotFound)
	}
	return e, nil
}

// token is "<task id>.<expiry unix>.<hmac>".
func (s *Server) token(id string, exp time.Time) string {
	payload := id + "." + strconv.FormatInt(exp.Unix(), 10)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("task-token\x00" + payload))
	return payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Authenticate implements taskapi.Backend.
func (s *Server) Authenticate(_ context.Context, tok string) (string, error) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 {
		return "", fmt.Errorf("malformed task token: %w", taskapi.ErrUnauthorized)
	}
	payload := tok[:i]
	id, expS, ok := strings.Cut(payload, ".")
	exp, err := strconv.ParseInt(expS, 10, 64)
	if !ok || err != nil {
		return "", fmt.Errorf("malformed task token: %w", taskapi.ErrUnauthorized)
	}
	if !hmac.Equal([]byte(s.token(id, time.Unix(exp, 0))), []byte(tok)) {
		return "", fmt.Errorf("invalid task token: %w", taskapi.ErrUnauthorized)
	}
	if time.Now().Unix() > exp {
		return "", fmt.Errorf("task token expired: %w", taskapi.ErrUnauthorized)
	}
	return id, nil
}
