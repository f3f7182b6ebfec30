package api

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/taskblobs"
)

// A job's artifacts and test results, read from the blob layout of package taskblobs.

// artifactTTL is how long an artifact URL works.
const artifactTTL = time.Hour

func (a *API) jobData(w http.ResponseWriter, r *http.Request, c *Caller) error {
	what := r.PathValue("what")
	if what != "artifacts" && what != "tests" {
		return errorf(http.StatusNotFound, "Not found.")
	}
	q, err := pageQuery(r, false)
	if err != nil {
		return err
	}
	ref, err := a.jobByNumber(r, c, domain.RoleViewer)
	if err != nil {
		return err
	}
	if what == "artifacts" {
		arts, err := a.artifacts(r.Context(), ref.job)
		if err != nil {
			return err
		}
		out := make([]artifactJSON, 0, len(arts))
		for _, art := range arts {
			out = append(out, artifactJSON{Path: art.Path, NodeIndex: art.NodeIndex, URL: art.URL})
		}
		return writePage(w, out, q)
	}
	cases, err := taskblobs.Results(r.Context(), a.d.Blobs, dataJobID(ref.job))
	if err != nil {
		return fmt.Errorf("test results of job %s: %w", ref.job.ID, err)
	}
	out := make([]testJSON, 0, len(cases))
	for _, tc := range cases {
		out = append(out, testJSON{Message: tc.Message, Source: "unknown", RunTime: tc.Time, File: tc.File,
			Result: tc.Result, Name: tc.Name, Classname: tc.Classname})
	}
	return writePage(w, out, q)
}

// writePage answers one page of a list held in memory.
func writePage[T any](w http.ResponseWriter, items []T, q store.Query) error {
	pg, err := pageSlice(items, q)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pg)
	return nil
}

type artifactJSON struct {
	Path      string `json:"path"`
	NodeIndex int    `json:"node_index"`
	URL       string `json:"url"`
}

// testJSON is an item of GET …/{number}/tests.
type testJSON struct {
	Message   string  `json:"message"`
	Source    string  `json:"source"`
	RunTime   float64 `json:"run_time"`
	File      string  `json:"file"`
	Result    string  `json:"result"`
	Name      string  `json:"name"`
	Classname string  `json:"classname"`
}

// artifact is one stored artifact with a URL to download it.
type artifact struct {
	Path      string
	NodeIndex int
	URL       string
}

// artifacts lists a job's artifacts, node by node, with presigned download URLs.
func (a *API) artifacts(ctx context.Context, j domain.Job) ([]artifact, error) {
	prefix := "artifacts/" + dataJobID(j) + "/"
	objs, err := a.d.Blobs.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list artifacts of job %s: %w", j.ID, err)
	}
	out := make([]artifact, 0, len(objs))
	for _, o := range objs {
		node, path, ok := strings.Cut(strings.TrimPrefix(o.Key, prefix), "/")
		n, err := strconv.Atoi(node)
		if !ok || err != nil || o.Key != taskblobs.ArtifactPrefix(dataJobID(j), n)+path {
			continue
		}
		u, err := a.d.Blobs.Presign(ctx, http.MethodGet, o.Key, artifactTTL)
		if err != nil {
			return nil, fmt.Errorf("presign artifact %s: %w", o.Key, err)
		}
		out = append(out, artifact{Path: path, NodeIndex: n, URL: u})
	}
	slices.SortStableFunc(out, func(x, y artifact) int { return cmp.Compare(x.NodeIndex, y.NodeIndex) })
	return out, nil
}
