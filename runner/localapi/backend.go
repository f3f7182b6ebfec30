package localapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/caravan-ci/caravan/shared/taskapi"
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
	if err := s.collectResults(ctx, e); err != nil {
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

// collectResults parses the task's uploaded JUnit files into results/<job id>/<node>.json.
func (s *Server) collectResults(ctx context.Context, e *entry) error {
	prefix := fmt.Sprintf("tests/%s/%d/", e.task.JobID, e.task.NodeIndex)
	objs, err := s.blobs.List(ctx, prefix)
	if err != nil || len(objs) == 0 {
		return err
	}
	var cases []junit.Case
	var errs []error
	for _, o := range objs {
		r, err := s.blobs.Get(ctx, o.Key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cs, err := junit.Parse(r)
		r.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", strings.TrimPrefix(o.Key, prefix), err))
			continue
		}
		cases = append(cases, cs...)
	}
	dir := filepath.Join(s.dir, "results", e.task.JobID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, _ := json.Marshal(cases)
	if err := os.WriteFile(filepath.Join(dir, strconv.Itoa(e.task.NodeIndex)+".json"), b, 0o644); err != nil {
		return err
	}
	return errors.Join(errs...)
}

// Results returns the test cases recorded for a job (all its nodes).
func (s *Server) Results(jobID string) ([]junit.Case, error) {
	if jobID == "" || strings.ContainsAny(jobID, "/\\") || jobID == ".." {
		return nil, nil
	}
	files, _ := filepath.Glob(filepath.Join(s.dir, "results", jobID, "*.json"))
	sort.Strings(files)
	var all []junit.Case
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var cs []junit.Case
		if err := json.Unmarshal(b, &cs); err != nil {
			return nil, fmt.Errorf("read %s: %w", f, err)
		}
		all = append(all, cs...)
	}
	return all, nil
}

// Timings implements taskapi.Backend: the timings of the previous run of the same job.
func (s *Server) Timings(_ context.Context, id, by string) (*taskapi.Timings, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	by = orDefault(by, "file")
	cases, err := s.Results(e.opt.PreviousJob)
	if err != nil {
		return nil, err
	}
	return &taskapi.Timings{By: by, Timings: junit.Timings(cases, by)}, nil
}

// FailedTests implements taskapi.Backend.
func (s *Server) FailedTests(_ context.Context, id string) (*taskapi.FailedTests, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	if !e.opt.Rerun {
		return &taskapi.FailedTests{}, nil
	}
	cases, err := s.Results(e.opt.PreviousJob)
	if err != nil {
		return nil, err
	}
	res := &taskapi.FailedTests{Rerun: true}
	for _, c := range cases {
		if c.Result == "failure" || c.Result == "error" {
			res.Tests = append(res.Tests, c)
		}
	}
	return res, nil
}

// Blob implements taskapi.Backend.
func (s *Server) Blob(ctx context.Context, id string, req taskapi.BlobRequest) (*taskapi.BlobResponse, error) {
	e, err := s.active(id)
	if err != nil {
		return nil, err
	}
	t := e.task
	switch req.Kind + " " + req.Op {
	case "cache get":
		return s.cacheGet(ctx, req.Keys)
	case "cache put":
		if req.Key == "" {
			return nil, fmt.Errorf("cache put needs a key: %w", taskapi.ErrInvalid)
		}
		key := "caches/" + base64.RawURLEncoding.EncodeToString([]byte(req.Key))
		if objs, err := s.blobs.List(ctx, key); err == nil {
			for _, o := range objs {
				if o.Key == key {
					return &taskapi.BlobResponse{Exists: true}, nil
				}
			}
		}
		return s.presign(ctx, "PUT", key, req.Key)
	case "workspace put":
		key := fmt.Sprintf("workspaces/%s/%s/%04d", t.Pipeline.WorkflowWorkspaceID, t.JobID, req.Step)
		return s.presign(ctx, "PUT", key, "")
	case "workspace get":
		res := &taskapi.BlobResponse{}
		for _, up := range e.opt.Upstream {
			objs, err := s.blobs.List(ctx, fmt.Sprintf("workspaces/%s/%s/", t.Pipeline.WorkflowWorkspaceID, up))
			if err != nil {
				return nil, err
			}
			for _, o := range objs {
				u, err := s.blobs.Presign(ctx, "GET", o.Key, urlTTL)
				if err != nil {
					return nil, err
				}
				res.URLs = append(res.URLs, taskapi.BlobURL{Path: o.Key, URL: u})
			}
		}
		return res, nil
	case "artifact put", "test_results put":
		dir := "artifacts"
		if req.Kind == taskapi.BlobTestResults {
			dir = "tests"
		}
		res := &taskapi.BlobResponse{}
		for _, p := range req.Paths {
			key := fmt.Sprintf("%s/%s/%d/%s", dir, t.JobID, t.NodeIndex, p)
			if err := blob.ValidKey(key); err != nil || path.Clean(p) != p {
				return nil, fmt.Errorf("path %q: %w", p, taskapi.ErrInvalid)
			}
			u, err := s.blobs.Presign(ctx, "PUT", key, urlTTL)
			if err != nil {
				return nil, err
			}
			res.URLs = append(res.URLs, taskapi.BlobURL{Path: p, URL: u})
		}
		return res, nil
	}
	return nil, fmt.Errorf("unknown blob request %q %q: %w", req.Kind, req.Op, taskapi.ErrInvalid)
}

func (s *Server) presign(ctx context.Context, method, key, name string) (*taskapi.BlobResponse, error) {
	u, err := s.blobs.Presign(ctx, method, key, urlTTL)
	if err != nil {
		return nil, fmt.Errorf("presign %s: %w", key, err)
	}
	return &taskapi.BlobResponse{Key: name, URL: u}, nil
}

// cacheGet finds the first key with a prefix match; among its matches the most recent cache wins.
func (s *Server) cacheGet(ctx context.Context, keys []string) (*taskapi.BlobResponse, error) {
	objs, err := s.blobs.List(ctx, "caches/")
	if err != nil {
		return nil, err
	}
	type cache struct {
		name, key string
		mod       time.Time
	}
	var all []cache
	for _, o := range objs {
		name, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(o.Key, "caches/"))
		if err == nil {
			all = append(all, cache{string(name), o.Key, o.Modified})
		}
	}
	for _, k := range keys {
		var best *cache
		for i := range all {
			if strings.HasPrefix(all[i].name, k) && (best == nil || all[i].mod.After(best.mod)) {
				best = &all[i]
			}
		}
		if best != nil {
			return s.presign(ctx, "GET", best.key, best.name)
		}
	}
	return nil, fmt.Errorf("no cache matches %q: %w", keys, taskapi.ErrNotFound)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
