package taskapi

import (
	"context"
	"time"
)

// Backend is the server side of the protocol. Implementations must be safe for concurrent use and idempotent:
// every call may be repeated by a runner that did not see the answer.
//
// Errors: wrap the sentinels of this package (ErrNotFound, ErrConflict, ErrGone, ErrInvalid, ErrTooLarge) so
// [Handler] answers with the right status; any other error is a 500 and the runner retries.
type Backend interface {
	// Authenticate checks a token and returns the task id it was issued for.
	Authenticate(ctx context.Context, token string) (taskID string, err error)
	// Claim hands the task to a runner. The same runner id may claim again; another runner gets ErrConflict.
	Claim(ctx context.Context, taskID string, req ClaimRequest) (*Task, error)
	StepEvent(ctx context.Context, taskID string, ev StepEvent) error
	// AppendOutput stores output of a step at an offset. Bytes before the stored length are already there and
	// are ignored; a gap (offset beyond the stored length) is ErrConflict.
	AppendOutput(ctx context.Context, taskID string, step int, offset int64, at time.Time, data []byte) error
	Blob(ctx context.Context, taskID string, req BlobRequest) (*BlobResponse, error)
	Timings(ctx context.Context, taskID, by string) (*Timings, error)
	FailedTests(ctx context.Context, taskID string) (*FailedTests, error)
	Heartbeat(ctx context.Context, taskID string) (*HeartbeatResponse, error)
	Complete(ctx context.Context, taskID string, c Completion) error
}
