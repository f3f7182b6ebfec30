package taskserver

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskblobs"
)

// CachePrefix is where a project's caches live.
func CachePrefix(projectID string) string { return "caches/" + projectID + "/" }

// TimingsKey holds the id of the last job named jobName (in the project) that ended with test results.
func TimingsKey(projectID, jobName string) string {
	return "timings/" + projectID + "/" + base64.RawURLEncoding.EncodeToString([]byte(jobName))
}

// Blob implements taskapi.Backend over taskblobs: caches per project, workspaces per workflow (reruns share
// them), layers attached from the job's transitive upstream jobs in the order they ended.
func (s *Server) Blob(ctx context.Context, taskID string, req taskapi.BlobRequest) (*taskapi.BlobResponse, error) {
	tj, err := s.load(ctx, taskID, true)
	if err != nil {
		return nil, err
	}
	l := taskblobs.Layout{CachePrefix: CachePrefix(tj.job.ProjectID), JobID: tj.job.ID, Node: tj.task.Index}
	if req.Kind == taskapi.BlobWorkspace {
		wf, err := s.d.Repo.Workflow(ctx, tj.job.WorkflowID)
		if err != nil {
			return nil, protocolErr(fmt.Errorf("workflow of job %s: %w", tj.job.Name, err))
		}
		l.WorkspaceID = wf.V.WorkspaceID
		if req.Op == taskapi.OpGet {
			if l.Upstream, err = s.upstream(ctx, tj.job); err != nil {
				return nil, err
			}
		}
	}
	return taskblobs.Resolve(ctx, s.d.Blobs, l, req, s.d.URLTTL)
}

// upstream lists the ids whose workspace layers a job attaches: its transitive upstream jobs ordered by when
// they ended, a carried job standing for the original that holds its layers.
func (s *Server) upstream(ctx context.Context, job domain.Job) ([]string, error) {
	if len(job.Requires) == 0 {
		return nil, nil
	}
	jobs, err := s.d.Repo.Jobs(ctx, job.WorkflowID)
	if err != nil {
		return nil, protocolErr(fmt.Errorf("jobs of workflow %s: %w", job.WorkflowID, err))
	}
	byID := make(map[string]domain.Job, len(jobs))
	for _, j := range jobs {
		byID[j.V.ID] = j.V
	}
	seen := map[string]bool{}
	var found []domain.Job
	var walk func(j domain.Job)
	walk = func(j domain.Job) {
		for id := range j.Requires {
			up, ok := byID[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			found = append(found, up)
			walk(up)
		}
	}
	walk(job)
	sort.Slice(found, func(a, b int) bool {
		if !found[a].StoppedAt.Equal(found[b].StoppedAt) {
			return found[a].StoppedAt.Before(found[b].StoppedAt)
		}
		return found[a].Name < found[b].Name
	})
	ids := make([]string, 0, len(found))
	for _, j := range found {
		id := j.ID
		if j.CarriedFrom != "" {
			id = j.CarriedFrom
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// Timings implements taskapi.Backend: the test timings of the job's previous run, or of the last job of the same
// name that had test results.
func (s *Server) Timings(ctx context.Context, taskID, by string) (*taskapi.Timings, error) {
	tj, err := s.load(ctx, taskID, true)
	if err != nil {
		return nil, err
	}
	if by == "" {
		by = junit.KindFile
	}
	var cases []junit.Case
	if tj.job.PreviousJobID != "" {
		if cases, err = taskblobs.Results(ctx, s.d.Blobs, tj.job.PreviousJobID); err != nil {
			return nil, fmt.Errorf("timings of task %s: %w", taskID, err)
		}
	}
	if len(cases) == 0 {
		last, err := s.lastWithResults(ctx, tj.job)
		if err != nil {
			return nil, err
		}
		if last != "" && last != tj.job.ID {
			if cases, err = taskblobs.Results(ctx, s.d.Blobs, last); err != nil {
				return nil, fmt.Errorf("timings of task %s: %w", taskID, err)
			}
		}
	}
	return &taskapi.Timings{By: by, Timings: junit.Timings(cases, by)}, nil
}

// lastWithResults reads the timings pointer of the job's name ("" when there is none).
func (s *Server) lastWithResults(ctx context.Context, job domain.Job) (string, error) {
	data, err := readAll(ctx, s.d.Blobs, TimingsKey(job.ProjectID, job.Name))
	if errors.Is(err, blob.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("timings pointer of job %s: %w", job.Name, err)
	}
	return strings.TrimSpace(string(data)), nil
}

// FailedTests implements taskapi.Backend: for a rerun of failed tests, what failed in the job it reruns.
func (s *Server) FailedTests(ctx context.Context, taskID string) (*taskapi.FailedTests, error) {
	tj, err := s.load(ctx, taskID, true)
	if err != nil {
		return nil, err
	}
	if !tj.job.RerunFailedTests || tj.job.PreviousJobID == "" {
		return &taskapi.FailedTests{}, nil
	}
	cases, err := taskblobs.Results(ctx, s.d.Blobs, tj.job.PreviousJobID)
	if err != nil {
		return nil, fmt.Errorf("failed tests of task %s: %w", taskID, err)
	}
	return &taskapi.FailedTests{Rerun: true, Tests: taskblobs.Failed(cases)}, nil
}
