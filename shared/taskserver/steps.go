package taskserver

import (
	"context"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// StepRunning is the status of a step that started and has not ended.
const StepRunning = "running"

// StepEvent implements taskapi.Backend. A start creates the step's record, an end completes it (and records
// how much output the step stored); a repeated event changes nothing. Events of an ended task are ErrGone.
func (s *Server) StepEvent(ctx context.Context, taskID string, ev taskapi.StepEvent) error {
	if ev.Time.IsZero() {
		ev.Time = time.Now().UTC()
	}
	for range 20 {
		t, err := s.d.Repo.Task(ctx, taskID)
		if err != nil {
			return protocolErr(fmt.Errorf("task %s: %w", taskID, err))
		}
		if t.V.Status.Terminal() {
			return fmt.Errorf("step event of task %s, which ended %s: %w", taskID, t.V.Status, taskapi.ErrGone)
		}
		k := repo.StepKey(taskID, ev.Index)
		rec, err := repo.Get[domain.Step](ctx, s.d.Repo, k)
		var op store.Op
		switch {
		case repo.IsNotFound(err):
			st := domain.Step{TaskID: taskID, Index: ev.Index, Name: ev.Name, Type: ev.Type, Status: StepRunning,
				Background: ev.Background, StartedAt: ev.Time}
			if ev.Phase == taskapi.PhaseEnd {
				if err := s.ended(ctx, &st, ev); err != nil {
					return err
				}
			}
			op = repo.Create(k, st)
		case err != nil:
			return fmt.Errorf("step %d of task %s: %w", ev.Index, taskID, err)
		case ev.Phase == taskapi.PhaseStart || !rec.V.StoppedAt.IsZero():
			return nil // a repeat, or a start arriving after its end
		default:
			if err := s.ended(ctx, &rec.V, ev); err != nil {
				return err
			}
			op = repo.Update(rec)
		}
		err = s.d.Repo.Write(ctx, op)
		if err == nil {
			return nil
		}
		if !repo.IsConflict(err) {
			return fmt.Errorf("record step %d of task %s: %w", ev.Index, taskID, err)
		}
	}
	return fmt.Errorf("record step %d of task %s: %w", ev.Index, taskID, store.ErrConflict)
}

// ended applies an end event to a step.
func (s *Server) ended(ctx context.Context, st *domain.Step, ev taskapi.StepEvent) error {
	st.Status, st.ExitCode, st.Message, st.StoppedAt = ev.Status, ev.ExitCode, ev.Message, ev.Time
	if st.Status == "" {
		st.Status = taskapi.StatusSuccess
	}
	n, err := storedLength(ctx, s.d.Blobs, st.TaskID, st.Index)
	if err != nil {
		return fmt.Errorf("output length of step %d: %w", st.Index, err)
	}
	st.OutputBytes = n
	s.mu.Lock()
	delete(s.lengths, outputKey{st.TaskID, st.Index})
	s.mu.Unlock()
	return nil
}
