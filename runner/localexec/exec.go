package localexec

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/runner/localapi"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// Options configure a local run.
type Options struct {
	Dir        string           // state directory (caches, workspaces, artifacts, results, history)
	Job        string           // run only this job (its requires are not run)
	DockerMode string           // runner.DockerAuto or runner.DockerHost
	Env        []taskapi.EnvVar // project variables given on the command line (secrets: masked)
	Rerun      bool             // rerun only the tests that failed in each job's previous run
	Parallel   int              // tasks at once, default 2
	Out        io.Writer        // progress
	Executable string           // binary that answers as circleci inside jobs (default os.Executable)
	Timeout    time.Duration    // per task, default 1h
	Logger     *slog.Logger
}

// JobResult is how one job ended.
type JobResult struct {
	Name     string
	Status   string // success, failed, canceled, timedout, infrastructure_fail, not_run, blocked
	Message  string
	Duration time.Duration
	JobID    string
}

// Execute runs the workflow's jobs in dependency order and returns one result per job, in plan order.
func Execute(ctx context.Context, wf plan.Workflow, pipe taskapi.Pipeline, opt Options) ([]JobResult, error) {
	if opt.Parallel <= 0 {
		opt.Parallel = 2
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.Timeout <= 0 {
		opt.Timeout = time.Hour
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	jobs := wf.Jobs
	if opt.Job != "" {
		i := slices.IndexFunc(jobs, func(j plan.Job) bool { return j.Name == opt.Job })
		if i < 0 {
			return nil, fmt.Errorf("workflow %q has no job %q (jobs: %s)", wf.Name, opt.Job, jobNames(jobs))
		}
		j := jobs[i]
		j.Requires = nil
		jobs = []plan.Job{j}
	}
	p := newProgress(opt.Out)
	srv, err := localapi.New(opt.Dir, localapi.Hooks{Step: p.step, Output: p.output}, opt.Logger)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer srv.Close()
	hist, err := loadHistory(opt.Dir)
	if err != nil {
		return nil, err
	}
	pipe.WorkflowID, pipe.WorkflowName = newID(), wf.Name
	if pipe.WorkflowWorkspaceID == "" {
		pipe.WorkflowWorkspaceID = pipe.WorkflowID
	}
	r := &run{opt: opt, srv: srv, pipe: pipe, hist: hist, progress: p, sem: make(chan struct{}, opt.Parallel),
		results: map[string]*JobResult{}, done: map[string]chan struct{}{}}
	for _, j := range jobs {
		r.done[j.Name] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.job(ctx, j, jobs)
		}()
	}
	wg.Wait()
	if err := hist.save(); err != nil {
		return nil, err
	}
	out := make([]JobResult, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, *r.results[j.Name])
	}
	return out, nil
}

type run struct {
	opt      Options
	srv      *localapi.Server
	pipe     taskapi.Pipeline
	hist     *history
	progress *progress
	sem      chan struct{}

	mu      sync.Mutex
	results map[string]*JobResult
	done    map[string]chan struct{}
	order   []string // job names in the order jobs finished: workspace layers apply in this order
}

// job waits for its requires, then runs (or skips) the job.
func (r *run) job(ctx context.Context, j plan.Job, all []plan.Job) {
	res := &JobResult{Name: j.Name, JobID: newID()}
	defer func() {
		r.mu.Lock()
		r.results[j.Name] = res
		if res.Status != "not_run" && res.Status != "blocked" {
			r.order = append(r.order, j.Name)
		}
		r.mu.Unlock()
		close(r.done[j.Name])
	}()
	for _, req := range j.Requires {
		ch, ok := r.done[req.Job]
		if !ok {
			continue // a requirement outside this run (--job)
		}
		<-ch
		r.mu.Lock()
		got := r.results[req.Job].Status
		r.mu.Unlock()
		statuses := req.Statuses
		if len(statuses) == 0 {
			statuses = []string{"success"}
		}
		if !slices.Contains(statuses, got) {
			res.Status, res.Message = "not_run", fmt.Sprintf("requires %s to be %v, it was %s", req.Job, statuses, got)
			r.progress.jobSkipped(j.Name, res.Message)
			return
		}
	}
	switch j.Type {
	case plan.JobApproval:
		res.Status, res.Message = "success", "approved automatically (local run)"
		r.progress.jobSkipped(j.Name, "approval job: approved automatically in a local run")
		return
	case plan.JobNoOp:
		res.Status = "success"
		return
	}
	start := time.Now()
	res.Status, res.Message = r.runJob(ctx, j, all, res.JobID)
	res.Duration = time.Since(start)
	r.hist.set(j.Name, res.JobID)
	r.progress.jobDone(j.Name, res.Status, res.Duration, res.Message)
}

// runJob runs every parallel node of a job and combines their statuses.
func (r *run) runJob(ctx context.Context, j plan.Job, all []plan.Job, jobID string) (string, string) {
	n := max(j.Parallelism, 1)
	anc := ancestors(j.Name, all)
	var upstream []string
	r.mu.Lock()
	for _, name := range r.order {
		if anc[name] {
			upstream = append(upstream, r.results[name].JobID)
		}
	}
	r.mu.Unlock()
	prev := r.hist.get(j.Name)
	statuses := make([]taskapi.Completion, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.sem <- struct{}{}
			defer func() { <-r.sem }()
			statuses[i] = r.task(ctx, j, jobID, i, n, upstream, prev)
		}()
	}
	wg.Wait()
	worst := taskapi.Completion{Status: taskapi.StatusSuccess}
	for _, c := range statuses {
		if c.Status != taskapi.StatusSuccess && worst.Status == taskapi.StatusSuccess {
			worst = c
		}
	}
	return worst.Status, worst.Message
}

func (r *run) task(ctx context.Context, j plan.Job, jobID string, node, total int, upstream []string,
	prev string) taskapi.Completion {
	id := fmt.Sprintf("%s-%d", jobID, node)
	label := j.Name
	if total > 1 {
		label = fmt.Sprintf("%s.%d", j.Name, node)
	}
	r.progress.register(id, label)
	t := &taskapi.Task{
		ID: id, JobID: jobID, BuildNum: r.hist.nextBuild(), Attempt: 1, NodeIndex: node, NodeTotal: total,
		Job: j, Pipeline: r.pipe, Env: r.opt.Env, Checkout: taskapi.Checkout{RepoURL: r.pipe.RepoURL},
		Timeout: taskapi.Duration(r.opt.Timeout),
	}
	if r.opt.Rerun {
		t.Attempt = 2
	}
	tok, err := r.srv.Add(t, localapi.TaskOptions{Upstream: upstream, PreviousJob: prev, Rerun: r.opt.Rerun && prev != ""})
	if err != nil {
		return taskapi.Completion{Status: taskapi.StatusInfrastructureFail, Message: err.Error()}
	}
	work, err := os.MkdirTemp("", "caravan-local-")
	if err != nil {
		return taskapi.Completion{Status: taskapi.StatusInfrastructureFail, Message: err.Error()}
	}
	_, err = runner.Run(ctx, runner.Config{
		APIURL: r.srv.URL(), TaskID: id, Token: tok, WorkDir: work, DockerMode: r.opt.DockerMode,
		Executable: r.opt.Executable, Logger: r.opt.Logger, HeartbeatInterval: time.Second,
		KillGrace: 5 * time.Second,
	})
	if err != nil {
		return taskapi.Completion{Status: taskapi.StatusInfrastructureFail, Message: err.Error()}
	}
	c, err := r.srv.Wait(ctx, id)
	if err != nil {
		return taskapi.Completion{Status: taskapi.StatusCanceled, Message: err.Error()}
	}
	return c
}

// ancestors returns the names of every job name transitively requires.
func ancestors(name string, all []plan.Job) map[string]bool {
	byName := map[string]plan.Job{}
	for _, j := range all {
		byName[j.Name] = j
	}
	seen := map[string]bool{}
	var walk func(string)
	walk = func(n string) {
		for _, req := range byName[n].Requires {
			if !seen[req.Job] {
				seen[req.Job] = true
				walk(req.Job)
			}
		}
	}
	walk(name)
	return seen
}

func jobNames(jobs []plan.Job) string {
	names := make([]string, len(jobs))
	for i, j := range jobs {
		names[i] = j.Name
	}
	return strings.Join(names, ", ")
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// history remembers, per job name, the id of its last run and the last build number.
type history struct {
	path string
	mu   sync.Mutex
	Jobs map[string]string `json:"jobs"`
	Num  int64             `json:"build_num"`
}

func loadHistory(dir string) (*history, error) {
	h := &history{path: filepath.Join(dir, "history.json"), Jobs: map[string]string{}}
	b, err := os.ReadFile(h.path)
	if os.IsNotExist(err) {
		return h, nil
	}
	if err == nil {
		err = json.Unmarshal(b, h)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", h.path, err)
	}
	if h.Jobs == nil {
		h.Jobs = map[string]string{}
	}
	return h, nil
}

func (h *history) get(job string) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.Jobs[job]
}

func (h *history) set(job, id string) {
	h.mu.Lock()
	h.Jobs[job] = id
	h.mu.Unlock()
}

func (h *history) nextBuild() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.Num++
	return h.Num
}

func (h *history) save() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	b, _ := json.MarshalIndent(h, "", "  ")
	if err := os.WriteFile(h.path+".tmp", b, 0o644); err != nil {
		return fmt.Errorf("save history: %w", err)
	}
	return os.Rename(h.path+".tmp", h.path)
}
