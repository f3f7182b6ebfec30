package taskblobs

import (
	"encoding/base64"
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

var b64 = base64.RawURLEncoding

// CacheKey is where the cache named key lives under prefix.
func CacheKey(prefix, key string) string { return prefix + b64.EncodeToString([]byte(key)) }

// WorkspacePrefix is where a job's workspace layers live.
func WorkspacePrefix(workspaceID, jobID string) string {
	return "workspaces/" + workspaceID + "/" + jobID + "/"
}

// WorkspaceKey is the layer a job's step persisted.
func WorkspaceKey(workspaceID, jobID string, step int) string {
	return WorkspacePrefix(workspaceID, jobID) + fmt.Sprintf("%04d", step)
}

// ArtifactPrefix is where a job node's artifacts live; the rest of the key is the artifact's path.
func ArtifactPrefix(jobID string, node int) string {
	return "artifacts/" + jobID + "/" + strconv.Itoa(node) + "/"
}

// TestsPrefix is where a job node's uploaded test result files live.
func TestsPrefix(jobID string, node int) string {
	return "tests/" + jobID + "/" + strconv.Itoa(node) + "/"
}

// ResultsPrefix is where the parsed results of a job's nodes live.
func ResultsPrefix(jobID string) string { return "results/" + jobID + "/" }

// ResultsKey holds the parsed test cases of one node of a job.
func ResultsKey(jobID string, node int) string {
	return ResultsPrefix(jobID) + strconv.Itoa(node) + ".json"
}

// validID rejects an id that would change the meaning of a key (empty, or holding a separator).
func validID(what, id string) error {
	if id == "" || id == "." || id == ".." || strings.ContainsAny(id, "/\\") {
		return fmt.Errorf("%s %q: %w", what, id, taskapi.ErrInvalid)
	}
	return nil
}

// CleanPath checks a path a runner names under a job's prefix: relative, clean, no "..", and a valid key part.
func CleanPath(p string) error {
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../") ||
		blob.ValidKey(p) != nil {
		return fmt.Errorf("path %q must be clean and relative: %w", p, taskapi.ErrInvalid)
	}
	return nil
}
