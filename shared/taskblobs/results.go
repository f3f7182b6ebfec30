package taskblobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/junit"
)

// CollectResults parses the JUnit files one task uploaded (tests/<job>/<node>/) into results/<job>/<node>.json
// and returns the cases. A file that does not parse is left out and reported in the joined error, alongside the
// cases of the others, which are stored all the same. A task that uploaded nothing gets no results object. It
// may be repeated: the same files give the same results.
func CollectResults(ctx context.Context, b blob.Store, jobID string, node int) ([]junit.Case, error) {
	if err := validID("job id", jobID); err != nil {
		return nil, err
	}
	prefix := TestsPrefix(jobID, node)
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list test results of job %s node %d: %w", jobID, node, err)
	}
	if len(objs) == 0 {
		return nil, nil
	}
	cases := []junit.Case{}
	var errs []error
	for _, o := range objs {
		cs, err := parse(ctx, b, o.Key)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", strings.TrimPrefix(o.Key, prefix), err))
			continue
		}
		cases = append(cases, cs...)
	}
	data, err := json.Marshal(cases)
	if err != nil {
		return nil, fmt.Errorf("encode test results of job %s: %w", jobID, err)
	}
	if err := b.Put(ctx, ResultsKey(jobID, node), bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("store test results of job %s node %d: %w", jobID, node, err)
	}
	return cases, errors.Join(errs...)
}

func parse(ctx context.Context, b blob.Store, key string) ([]junit.Case, error) {
	r, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return junit.Parse(r)
}

// Results returns the test cases recorded for a job, node by node. A job without results (or an empty id) has
// none; that is not an error.
func Results(ctx context.Context, b blob.Store, jobID string) ([]junit.Case, error) {
	if jobID == "" {
		return nil, nil
	}
	if err := validID("job id", jobID); err != nil {
		return nil, err
	}
	prefix := ResultsPrefix(jobID)
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list results of job %s: %w", jobID, err)
	}
	type node struct {
		n   int
		key string
	}
	nodes := make([]node, 0, len(objs))
	for _, o := range objs {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(o.Key, prefix), ".json"))
		if err == nil && strings.HasSuffix(o.Key, ".json") {
			nodes = append(nodes, node{n, o.Key})
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].n < nodes[j].n })
	var all []junit.Case
	for _, nd := range nodes {
		cs, err := readCases(ctx, b, nd.key)
		if err != nil {
			return nil, fmt.Errorf("read results of job %s: %w", jobID, err)
		}
		all = append(all, cs...)
	}
	return all, nil
}

func readCases(ctx context.Context, b blob.Store, key string) ([]junit.Case, error) {
	r, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	var cs []junit.Case
	if err := json.Unmarshal(data, &cs); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return cs, nil
}

// Failed returns the cases that failed or errored.
func Failed(cases []junit.Case) []junit.Case {
	var out []junit.Case
	for _, c := range cases {
		if c.Failed() {
			out = append(out, c)
		}
	}
	return out
}
