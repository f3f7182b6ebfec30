package localapi

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskblobs"
)

const urlTTL = time.Hour

// Claim implements taskapi.Backend.
func (s *Server) Claim(_ context.Context, id string, req taskapi.ClaimRequest) (*taskapi.Task, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, err := s.activeLocked(id)
	if err != nil {
		return nil, err
	}
	if e.runner != "" && e.runner != req.RunnerID {
		return nil, fmt.Errorf("task %s is claimed by another runner: %w", id, taskapi.ErrConflict)
	}
	e.runner = req.RunnerID
	return e.task, nil
}

// active returns an unfinished task.
func (s *Server) active(id string) (*entry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeLocked(id)
}

func (s *Server) activeLocked(id string) (*entry, error) {
	e, ok := s.tasks[id]
	switch {
	case !ok:
		return nil, fmt.Errorf("task %s: %w", id, taskapi.ErrNotFound)
	case e.completed != nil:
		return nil, fmt.Errorf("task %s already finished: %w", id, taskapi.ErrGone)
	}
	return e, nil
}

// StepEvent implements taskapi.Backend. A repeated event (same index and phase) is recorded once.
func (s *Server) StepEvent(_ context.Context, id string, ev taskapi.StepEvent) error {
	s.mu.Lock()
	e, ok := s.tasks[id]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("task %s: %w", id, taskapi.ErrNotFound)
	}
	for _, old := range e.steps {
		if old.Index == ev.Index && old.Phase == ev.Phase {
			s.mu.Unlock()
			return nil
		}
	}
	e.steps = append(e.steps, ev)
	s.mu.Unlock()
	if s.hooks.Step != nil {
		s.hooks.Step(id, ev)
	}
	return nil
}

// AppendOutput implements taskapi.Backend: bytes already stored are skipped, a gap is a conflict.
func (s *Server) AppendOutput(_ context.Context, id string, step int, off int64, _ time.Time, data []byte) error {
	if _, err := s.entry(id); err != nil {
		return err
	}
	p := s.outputPath(id, step)
	s.mu.Lock() // one writer at a time keeps the length check and the append together
	defer s.mu.Unlock()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("store output: %w", err)
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("store output: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store output: %w", err)
	}
	have := st.Size()
	if off > have {
		return fmt.Errorf("output of step %d at offset %d leaves a gap after %d bytes: %w", step, off, have,
			taskapi.ErrConflict)
	}
	fresh := data[min(int64(len(data)), have-off):]
	if len(fresh) == 0 {
		return nil
	}
	if _, err := f.Write(fresh); err != nil {
		return fmt.Errorf("store output: %w", err)
	}
	if s.hooks.Output != nil {
		s.hooks.Output(id, step, fresh)
	}
	return nil
}

// Heartbeat implements taskapi.Backend.
func (s *Server) Heartbeat(_ context.Context, id string) (*taskapi.HeartbeatResponse, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return &taskapi.HeartbeatResponse{Canceled: e.canceled, Token: s.token(id, time.Now().Add(TokenTTL))}, nil
}

// Complete implements taskapi.Backend. The first completion wins; a repeat is harmless.
func (s *Server) Complete(ctx context.Context, id string, c taskapi.Completion) error {
	e, err := s.entry(id)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if e.completed != nil {
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if _, err := taskblobs.CollectResults(ctx, s.blobs, e.task.JobID, e.task.NodeIndex); err != nil {
		s.log.Error("test results not parsed", "task", id, "err", err)
		if c.Status == taskapi.StatusSuccess {
			c.Message = "test results could not be read: " + err.Error()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.completed == nil {
		e.completed = &c
		close(e.done)
	}
	return nil
}

// Results returns the test cases recorded for a job (all its nodes).
func (s *Server) Results(jobID string) ([]junit.Case, error) {
	return s.results(context.Background(), jobID)
}

func (s *Server) results(ctx context.Context, jobID string) ([]junit.Case, error) {
	if jobID == "" || strings.ContainsAny(jobID, "/\\") || jobID == ".." {
		return nil, nil
	}
	return taskblobs.Results(ctx, s.blobs, jobID)
}

// Timings implements taskapi.Backend: the timings of the previous run of the same job.
func (s *Server) Timings(ctx context.Context, id, by string) (*taskapi.Timings, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	by = orDefault(by, "file")
	cases, err := s.results(ctx, e.opt.PreviousJob)
	if err != nil {
		return nil, err
	}
	return &taskapi.Timings{By: by, Timings: junit.Timings(cases, by)}, nil
}

// FailedTests implements taskapi.Backend.
func (s *Server) FailedTests(ctx context.Context, id string) (*taskapi.FailedTests, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	if !e.opt.Rerun {
		return &taskapi.FailedTests{}, nil
	}
	cases, err := s.results(ctx, e.opt.PreviousJob)
	if err != nil {
		return nil, err
	}
	return &taskapi.FailedTests{Rerun: true, Tests: taskblobs.Failed(cases)}, nil
}

// Blob implements taskapi.Backend.
func (s *Server) Blob(ctx context.Context, id string, req taskapi.BlobRequest) (*taskapi.BlobResponse, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	t := e.task
	l := taskblobs.Layout{CachePrefix: "caches/", WorkspaceID: t.Pipeline.WorkflowWorkspaceID, JobID: t.JobID,
		Node: t.NodeIndex, Upstream: e.opt.Upstream}
	return taskblobs.Resolve(ctx, s.blobs, l, req, urlTTL)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
