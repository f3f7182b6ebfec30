package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/taskserver"
)

// Step output for v1.1: output_url is a URL of this API signed with Deps.URLKey (HMAC-SHA256 over the task
// id, the step index and the expiry), so clients fetch it without credentials as they do CircleCI's
// presigned URLs.

// outputURLTTL is how long an output URL works.
const outputURLTTL = time.Hour

// minURLKey is the shortest URL signing key accepted; with a shorter one no output URL is given.
const minURLKey = 32

func (a *API) outputSig(taskID string, step int, expires int64) string {
	m := hmac.New(sha256.New, a.d.URLKey)
	fmt.Fprintf(m, "v1.1-output\x00%s\x00%d\x00%d", taskID, step, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// outputURL is the signed URL of a step's output, or "" when no signing key is configured.
func (a *API) outputURL(taskID string, step int, expires time.Time) string {
	if len(a.d.URLKey) < minURLKey {
		return ""
	}
	exp := expires.Unix()
	q := url.Values{"expires": {strconv.FormatInt(exp, 10)}, "sig": {a.outputSig(taskID, step, exp)}}
	return fmt.Sprintf("%s/api/v1.1/output/%s/%d?%s", strings.TrimSuffix(a.d.APIURL, "/"),
		url.PathEscape(taskID), step, q.Encode())
}

// outputChunkJSON is an element of v1.1's output array.
type outputChunkJSON struct {
	Message   string    `json:"message"`
	Time      time.Time `json:"time"`
	Type      string    `json:"type"`
	Truncated bool      `json:"truncated"`
}

func (a *API) getV1Output(w http.ResponseWriter, r *http.Request) error {
	taskID := r.PathValue("task")
	step, err := strconv.Atoi(r.PathValue("step"))
	exp, expErr := strconv.ParseInt(r.URL.Query().Get("expires"), 10, 64)
	sig, sigErr := hex.DecodeString(r.URL.Query().Get("sig"))
	if err != nil || expErr != nil || sigErr != nil || len(a.d.URLKey) < minURLKey {
		return errorf(http.StatusForbidden, "Invalid or expired output URL.")
	}
	want, _ := hex.DecodeString(a.outputSig(taskID, step, exp))
	if !hmac.Equal(sig, want) || a.d.Now().Unix() > exp {
		return errorf(http.StatusForbidden, "Invalid or expired output URL.")
	}
	chunks, err := taskserver.ReadOutput(r.Context(), a.d.Blobs, taskID, step)
	if err != nil {
		return fmt.Errorf("read output of task %s step %d: %w", taskID, step, err)
	}
	out := make([]outputChunkJSON, 0, len(chunks))
	for _, ch := range chunks {
		out = append(out, outputChunkJSON{Message: string(ch.Data), Time: ch.Time, Type: "out"})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// maxLatestScan bounds how many jobs latest/artifacts examines.
const maxLatestScan = 500

// latestJob is the project's newest job matching ?branch= and ?filter= (completed, successful, failed,
// running; none by default), for GET …/latest/artifacts.
func (a *API) latestJob(r *http.Request, c *Caller) (jobRef, error) {
	pr, err := a.project(r, c, domain.RoleViewer)
	if err != nil {
		return jobRef{}, err
	}
	branch, filter := r.URL.Query().Get("branch"), r.URL.Query().Get("filter")
	match := map[string]func(domain.JobStatus) bool{
		"":           func(domain.JobStatus) bool { return true },
		"completed":  domain.JobStatus.Terminal,
		"successful": func(s domain.JobStatus) bool { return s == domain.JobSuccess },
		"failed":     domain.JobStatus.Failed,
		"running":    func(s domain.JobStatus) bool { return s == domain.JobRunning },
	}[filter]
	if match == nil {
		return jobRef{}, errorf(http.StatusBadRequest, "filter must be completed, successful, failed or running.")
	}
	ctx := r.Context()
	branches := map[string]string{} // pipeline id → branch
	q := store.Query{Desc: true, Limit: 100}
	for scanned := 0; scanned < maxLatestScan; {
		nums, next, err := repo.List[json.RawMessage](ctx, a.d.Repo, repo.JobNumberKey(pr.V.ID, 0).PK, q)
		if err != nil {
			return jobRef{}, err
		}
		for _, nk := range nums {
			scanned++
			n, _ := strconv.ParseInt(nk.Key.SK, 10, 64)
			j, err := a.d.Repo.JobByNumber(ctx, pr.V.ID, n)
			if repo.IsNotFound(err) {
				continue
			}
			if err != nil {
				return jobRef{}, err
			}
			if !match(j.V.Status) {
				continue
			}
			if branch != "" {
				b, ok := branches[j.V.PipelineID]
				if !ok {
					pl, err := a.d.Repo.Pipeline(ctx, j.V.PipelineID)
					if err != nil {
						return jobRef{}, fmt.Errorf("pipeline of job %s: %w", j.V.ID, err)
					}
					b, branches[j.V.PipelineID] = pl.V.VCS.Branch, pl.V.VCS.Branch
				}
				if b != branch {
					continue
				}
			}
			return jobRef{j.V, pr.V}, nil
		}
		if next == "" {
			break
		}
		q.After = next
	}
	return jobRef{}, errorf(http.StatusNotFound, "No matching job found.")
}
