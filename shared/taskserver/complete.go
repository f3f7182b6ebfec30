package taskserver

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskblobs"
)

// taskStatuses maps completion statuses to task statuses.
var taskStatuses = map[string]domain.TaskStatus{
	taskapi.StatusSuccess:            domain.TaskSuccess,
	taskapi.StatusFailed:             domain.TaskFailed,
	taskapi.StatusCanceled:           domain.TaskCanceled,
	taskapi.StatusTimedOut:           domain.TaskTimedOut,
	taskapi.StatusInfrastructureFail: domain.TaskInfrastructureFail,
}

// Heartbeat implements taskapi.Backend: it tells the runner whether to stop and renews its token.
func (s *Server) Heartbeat(ctx context.Context, taskID string) (*taskapi.HeartbeatResponse, error) {
	canceled, err := s.d.Jobs.Heartbeat(ctx, taskID)
	if errors.Is(err, conductor.ErrState) {
		return nil, fmt.Errorf("%w: %w", taskapi.ErrGone, err)
	}
	if err != nil {
		return nil, protocolErr(fmt.Errorf("heartbeat of task %s: %w", taskID, err))
	}
	return &taskapi.HeartbeatResponse{Canceled: canceled, Token: s.d.Tokens.Mint(taskID, s.d.TokenTTL)}, nil
}

// Complete implements taskapi.Backend: the task's uploaded test files become its results, then the task ends
// (the first end wins; a repeat changes nothing). Once the job has ended with results, it becomes the one whose
// timings later runs of the same name split by; the pointer moves only when the whole job ended, so parallel
// nodes of one run never see each other's partial results.
func (s *Server) Complete(ctx context.Context, taskID string, c taskapi.Completion) error {
	st, ok := taskStatuses[c.Status]
	if !ok {
		return fmt.Errorf("completion status %q: %w", c.Status, taskapi.ErrInvalid)
	}
	tj, err := s.load(ctx, taskID, false)
	if err != nil {
		return err
	}
	if !tj.task.Status.Terminal() {
		msg := c.Message
		if _, err := taskblobs.CollectResults(ctx, s.d.Blobs, tj.job.ID, tj.task.Index); err != nil {
			s.log.ErrorContext(ctx, "test results not parsed", "task", taskID, "err", err)
			if st == domain.TaskSuccess {
				msg = "test results could not be read: " + err.Error()
			}
		}
		if err := s.d.Jobs.Finish(ctx, taskID, st, msg); err != nil {
			return protocolErr(fmt.Errorf("finish task %s: %w", taskID, err))
		}
		s.log.InfoContext(ctx, "task completed", "task", taskID, "status", st)
	}
	return s.pointTimings(ctx, tj.job.ID)
}

// pointTimings makes a job that ran to its end with test results the source of its name's timings.
func (s *Server) pointTimings(ctx context.Context, jobID string) error {
	j, err := s.d.Repo.Job(ctx, jobID)
	if err != nil {
		return protocolErr(fmt.Errorf("job %s: %w", jobID, err))
	}
	if j.V.Status != domain.JobSuccess && j.V.Status != domain.JobFailed {
		return nil // running, or ended early (canceled, timed out …) with results that may be partial
	}
	key := TimingsKey(j.V.ProjectID, j.V.Name)
	if cur, err := s.lastWithResults(ctx, j.V); err != nil || cur == jobID {
		return err
	}
	cases, err := taskblobs.Results(ctx, s.d.Blobs, jobID)
	if err != nil || len(cases) == 0 {
		return err
	}
	if err := s.d.Blobs.Put(ctx, key, strings.NewReader(jobID)); err != nil {
		return fmt.Errorf("timings pointer of job %s: %w", j.V.Name, err)
	}
	return nil
}
