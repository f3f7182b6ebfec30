package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
)

// caravan trigger: start a pipeline and, with --wait, follow it until its workflows end.

// waitInterval is how often --wait polls; quietAfter how long a processed pipeline may show no workflow
// before --wait decides that none runs (every workflow filtered out).
var (
	waitInterval = time.Second
	quietAfter   = 15 * time.Second
)

// paramFlags collects --param KEY=VALUE: true and false are booleans, canonical integers numbers, the
// rest strings.
type paramFlags map[string]any

func (p paramFlags) String() string { return "" }

func (p paramFlags) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	switch i, err := strconv.ParseInt(v, 10, 64); {
	case v == "true" || v == "false":
		p[k] = v == "true"
	case err == nil && strconv.FormatInt(i, 10) == v:
		p[k] = i
	default:
		p[k] = v
	}
	return nil
}

type waitJob struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	JobNumber int64            `json:"job_number,omitempty"`
	Status    domain.JobStatus `json:"status"`
}

type waitWorkflow struct {
	ID     string                `json:"id"`
	Name   string                `json:"name"`
	Status domain.WorkflowStatus `json:"status"`
	Jobs   []waitJob             `json:"jobs"`
}

// waitResult is what --wait --json prints.
type waitResult struct {
	ID        string                 `json:"id"`
	Number    int64                  `json:"number"`
	State     domain.PipelineState   `json:"state"`
	Errors    []domain.PipelineError `json:"errors"`
	Workflows []waitWorkflow         `json:"workflows"`
	Success   bool                   `json:"success"`
}

func triggerCmd(ctx context.Context, args []string, std stdio) int {
	s := newSession(ctx, "trigger", "PROJECT_SLUG [--branch B | --tag T] [--param KEY=VALUE ...] [--wait]", std)
	branch := s.fs.String("branch", "", "the branch to build (default the project's default branch)")
	tag := s.fs.String("tag", "", "the tag to build")
	params := paramFlags{}
	s.fs.Var(params, "param", "pipeline parameter KEY=VALUE (repeatable; true/false and integers are typed)")
	wait := s.fs.Bool("wait", false, "follow the workflows until they end; exit 1 unless all succeed")
	pos, ok := s.parse(args, 1)
	if !ok {
		return s.code
	}
	if *branch != "" && *tag != "" {
		return s.usageError("give --branch or --tag, not both")
	}
	body := map[string]any{}
	if *branch != "" {
		body["branch"] = *branch
	}
	if *tag != "" {
		body["tag"] = *tag
	}
	if len(params) > 0 {
		body["parameters"] = map[string]any(params)
	}
	var pl struct {
		ID     string `json:"id"`
		Number int64  `json:"number"`
	}
	raw, err := s.call("POST", "/api/v2/project/"+slugPath(pos[0])+"/pipeline", body, &pl)
	if err != nil {
		return s.fail(err)
	}
	if !*wait {
		return s.emit(raw, func(w io.Writer) { fmt.Fprintf(w, "Pipeline #%d (id %s)\n", pl.Number, pl.ID) })
	}
	progress := std.out
	if s.asJSON {
		progress = std.err
	}
	fmt.Fprintf(progress, "Pipeline #%d (id %s)\n", pl.Number, pl.ID)
	res, err := s.follow(pl.ID, progress)
	if err != nil {
		return s.fail(err)
	}
	if s.asJSON {
		s.emit(res, nil)
	}
	if !res.Success {
		return s.fail(failure(res))
	}
	if !s.asJSON {
		fmt.Fprintf(std.out, "Pipeline #%d succeeded\n", res.Number)
	}
	return exitOK
}

// failure says why a followed pipeline did not succeed.
func failure(res waitResult) error {
	if res.State == domain.PipelineErrored {
		msgs := make([]string, 0, len(res.Errors))
		for _, e := range res.Errors {
			msgs = append(msgs, e.Type+": "+e.Message)
		}
		return fmt.Errorf("pipeline #%d errored: %s", res.Number, strings.Join(msgs, "; "))
	}
	var bad []string
	for _, wf := range res.Workflows {
		if wf.Status != domain.WorkflowSuccess {
			bad = append(bad, fmt.Sprintf("%s %s", wf.Name, wf.Status))
		}
	}
	return fmt.Errorf("pipeline #%d did not succeed: workflow %s", res.Number, strings.Join(bad, ", workflow "))
}

// follower remembers what follow has printed.
type follower struct {
	s          *session
	id         string
	progress   io.Writer
	seen       map[string]string // job and workflow ids: their last status printed
	quietSince time.Time         // since when the processed pipeline has shown no workflow
}

// follow polls a pipeline's workflows and their jobs until they all end, printing every status change. It
// rides out a server that is briefly unreachable or busy.
func (s *session) follow(id string, progress io.Writer) (waitResult, error) {
	f := &follower{s: s, id: id, progress: progress, seen: map[string]string{}}
	failures := 0
	for {
		res, done, err := f.poll()
		switch {
		case err != nil && retryable(err) && failures < maxPollFailures:
			failures++
		case err != nil:
			return res, err
		case done:
			return res, nil
		default:
			failures = 0
		}
		select {
		case <-s.ctx.Done():
			return res, fmt.Errorf("stopped waiting for pipeline %s: %w", id, context.Cause(s.ctx))
		case <-time.After(waitInterval):
		}
	}
}

const maxPollFailures = 30

// retryable reports whether a poll may succeed if tried again.
func retryable(err error) bool {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae.Status == http.StatusTooManyRequests || ae.Status >= http.StatusBadGateway
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// poll reads the pipeline, its workflows and their jobs once, and prints what changed.
func (f *follower) poll() (res waitResult, done bool, err error) {
	var p struct {
		Number int64                  `json:"number"`
		State  domain.PipelineState   `json:"state"`
		Errors []domain.PipelineError `json:"errors"`
		VCS    struct {
			Revision string `json:"revision"`
		} `json:"vcs"`
	}
	if _, err := f.s.call("GET", "/api/v2/pipeline/"+url.PathEscape(f.id), nil, &p); err != nil {
		return res, false, err
	}
	res = waitResult{ID: f.id, Number: p.Number, State: p.State, Errors: p.Errors, Workflows: []waitWorkflow{}}
	if p.State == domain.PipelineErrored {
		return res, true, nil
	}
	if _, err := f.s.list("/api/v2/pipeline/"+url.PathEscape(f.id)+"/workflow", nil, &res.Workflows); err != nil {
		return res, false, err
	}
	slices.Reverse(res.Workflows) // oldest first
	done, success := len(res.Workflows) > 0, true
	for i := range res.Workflows {
		wf := &res.Workflows[i]
		if _, err := f.s.list("/api/v2/workflow/"+url.PathEscape(wf.ID)+"/job", nil, &wf.Jobs); err != nil {
			return res, false, err
		}
		for _, j := range wf.Jobs {
			f.changed(j.ID, string(j.Status), wf.Name+"/"+j.Name)
		}
		f.changed(wf.ID, string(wf.Status), "workflow "+wf.Name)
		done = done && wf.Status.Terminal()
		success = success && wf.Status == domain.WorkflowSuccess
	}
	// A successful setup workflow continues the pipeline with more workflows.
	if done && (p.State != domain.PipelineSetupPending || !success) {
		res.Success = success
		return res, true, nil
	}
	switch {
	case len(res.Workflows) > 0 || p.VCS.Revision == "":
		f.quietSince = time.Time{}
	case f.quietSince.IsZero():
		f.quietSince = time.Now()
	case time.Since(f.quietSince) >= quietAfter:
		fmt.Fprintf(f.progress, "Pipeline #%d runs no workflow\n", p.Number)
		res.Success = true
		return res, true, nil
	}
	return res, false, nil
}

// changed prints the status of a job or workflow when it differs from the last one printed.
func (f *follower) changed(id, status, what string) {
	if f.seen[id] != status {
		f.seen[id] = status
		fmt.Fprintf(f.progress, "%s: %s\n", what, status)
	}
}
