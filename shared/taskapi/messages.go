package taskapi

import (
	"errors"
	"time"

	"github.com/caravan-ci/caravan/shared/junit"
)

// PathPrefix is where [Handler] expects to be mounted.
const PathPrefix = "/api/runner/v1"

// Step phases and statuses.
const (
	PhaseStart = "start"
	PhaseEnd   = "end"

	StatusSuccess            = "success"
	StatusFailed             = "failed"
	StatusCanceled           = "canceled"
	StatusTimedOut           = "timedout"
	StatusInfrastructureFail = "infrastructure_fail"
	StatusSkipped            = "skipped" // a step not run because of its when: condition
)

// ClaimRequest asks for a task. The same runner id may claim again (a retried request); another gets ErrConflict.
type ClaimRequest struct {
	RunnerID string `json:"runner_id"`
	Hostname string `json:"hostname,omitempty"`
}

// StepEvent reports that a step started or ended. Index 0 is the runner's own "Spin up environment" step; the
// job's steps follow from 1 in order. Repeating an event is harmless.
type StepEvent struct {
	Index      int       `json:"index"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Phase      string    `json:"phase"` // PhaseStart or PhaseEnd
	Background bool      `json:"background,omitempty"`
	Time       time.Time `json:"time"`
	Status     string    `json:"status,omitempty"`    // on end
	ExitCode   *int      `json:"exit_code,omitempty"` // on end of a run step
	Message    string    `json:"message,omitempty"`   // on end, why it failed
}

// Blob kinds and operations.
const (
	BlobCache       = "cache"
	BlobWorkspace   = "workspace"
	BlobArtifact    = "artifact"
	BlobTestResults = "test_results"

	OpGet = "get"
	OpPut = "put"
)

// BlobRequest asks for presigned URLs.
//
//	cache get:         Keys in order; the first key with a prefix match wins, and within it the most recent cache.
//	cache put:         Key; Exists is set instead of a URL when the key is taken (caches are immutable).
//	workspace put:     Step (the step index); one URL for this step's layer of the job's workspace.
//	workspace get:     every upstream layer of the workflow, oldest first (later layers win on unpack).
//	artifact put:      Paths (destinations); one URL per path.
//	test_results put:  Paths (names under the job's test results); one URL per path.
type BlobRequest struct {
	Kind  string   `json:"kind"`
	Op    string   `json:"op"`
	Key   string   `json:"key,omitempty"`
	Keys  []string `json:"keys,omitempty"`
	Step  int      `json:"step,omitempty"`
	Paths []string `json:"paths,omitempty"`
}

// BlobResponse carries presigned URLs.
type BlobResponse struct {
	Key    string    `json:"key,omitempty"` // cache get: the key that matched
	URL    string    `json:"url,omitempty"`
	URLs   []BlobURL `json:"urls,omitempty"`
	Exists bool      `json:"exists,omitempty"`
}

// BlobURL is one presigned URL and what it is for.
type BlobURL struct {
	Path string `json:"path"`
	URL  string `json:"url"`
}

// Timings maps a file, class name or test name to seconds.
type Timings struct {
	By      string             `json:"by"`
	Timings map[string]float64 `json:"timings"`
}

// FailedTests lists what failed in the attempt this task reruns. Rerun is false for a first run.
type FailedTests struct {
	Rerun bool         `json:"rerun"`
	Tests []junit.Case `json:"tests,omitempty"`
}

// HeartbeatResponse tells a runner whether to stop, and may renew its token.
type HeartbeatResponse struct {
	Canceled bool   `json:"canceled"`
	Token    string `json:"token,omitempty"`
}

// Completion is a task's final report.
type Completion struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// Sentinel errors. A Backend returns them (wrapped); Handler maps them to status codes; Client maps the codes back.
var (
	ErrInvalid      = errors.New("invalid request")          // 400
	ErrUnauthorized = errors.New("unauthorized")             // 401
	ErrNotFound     = errors.New("not found")                // 404
	ErrConflict     = errors.New("conflict")                 // 409
	ErrGone         = errors.New("task is no longer active") // 410
	ErrTooLarge     = errors.New("request too large")        // 413
)

// Rejected reports whether err means the server will never accept this call again for the task (bad token,
// unknown or finished task), so retrying is pointless.
func Rejected(err error) bool {
	return errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrGone)
}
