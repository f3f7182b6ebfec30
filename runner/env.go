package runner

import (
	"os"
	"sort"
	"strconv"
	"strings"
)

// environ is an ordered set of variables: later Set calls win, as the layers of CircleCI's precedence are applied
// from lowest to highest.
type environ struct {
	order []string
	vals  map[string]string
	src   map[string]string
}

func newEnviron() *environ {
	return &environ{vals: map[string]string{}, src: map[string]string{}}
}

func (e *environ) set(k, v, source string) {
	if _, ok := e.vals[k]; !ok {
		e.order = append(e.order, k)
	}
	e.vals[k] = v
	e.src[k] = source
}

func (e *environ) get(k string) (string, bool) {
	v, ok := e.vals[k]
	return v, ok
}

// clone copies the set, so a step can add its own layer.
func (e *environ) clone() *environ {
	c := &environ{order: append([]string(nil), e.order...), vals: make(map[string]string, len(e.vals)),
		src: make(map[string]string, len(e.src))}
	for k, v := range e.vals {
		c.vals[k] = v
	}
	for k, v := range e.src {
		c.src[k] = v
	}
	return c
}

// list returns KEY=value pairs for a process.
func (e *environ) list() []string {
	out := make([]string, 0, len(e.order))
	for _, k := range e.order {
		out = append(out, k+"="+e.vals[k])
	}
	return out
}

// buildEnv layers the job's environment, lowest precedence first: the host, project variables, context variables,
// the built-in CIRCLE_* variables, then the job's environment. A step adds its own environment on top.
func (j *job) buildEnv() *environ {
	e := newEnviron()
	host := j.cfg.HostEnv
	if host == nil {
		host = os.Environ()
	}
	for _, kv := range host {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || strings.HasPrefix(k, "CARAVAN_") {
			continue // the runner's own settings (its token among them) never reach a step
		}
		e.set(k, v, "host")
	}
	for _, v := range j.task.Env {
		e.set(v.Name, v.Value, orDefault(v.Source, "project"))
	}
	hostPath, _ := e.get("PATH")
	for k, v := range j.builtins() {
		e.set(k, v, "built-in")
	}
	e.set("PATH", j.bin+string(os.PathListSeparator)+hostPath, "built-in")
	keys := make([]string, 0, len(j.task.Job.Environment))
	for k := range j.task.Job.Environment {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.set(k, j.task.Job.Environment[k], "job")
	}
	return e
}

// builtins returns CircleCI's built-in job variables.
func (j *job) builtins() map[string]string {
	t, p := j.task, j.task.Pipeline
	b := map[string]string{
		"CI":                           "true",
		"CIRCLECI":                     "true",
		"HOME":                         j.home,
		"BASH_ENV":                     j.bashEnv,
		"CIRCLE_SHELL_ENV":             j.bashEnv,
		"CIRCLE_INTERNAL_TASK_DATA":    j.data,
		AgentSocketEnv:                 j.agentSock,
		"CIRCLE_BRANCH":                p.Branch,
		"CIRCLE_SHA1":                  p.Revision,
		"CIRCLE_REPOSITORY_URL":        p.RepoURL,
		"CIRCLE_BUILD_NUM":             strconv.FormatInt(t.BuildNum, 10),
		"CIRCLE_BUILD_URL":             t.BuildURL,
		"CIRCLE_JOB":                   t.Job.Name,
		"CIRCLE_NODE_INDEX":            strconv.Itoa(t.NodeIndex),
		"CIRCLE_NODE_TOTAL":            strconv.Itoa(t.NodeTotal),
		"CIRCLE_ORGANIZATION_ID":       p.OrgID,
		"CIRCLE_PIPELINE_ID":           p.ID,
		"CIRCLE_PROJECT_ID":            p.ProjectID,
		"CIRCLE_PROJECT_REPONAME":      p.ProjectRepoName,
		"CIRCLE_PROJECT_USERNAME":      p.ProjectUsername,
		"CIRCLE_USERNAME":              p.Username,
		"CIRCLE_WORKFLOW_ID":           p.WorkflowID,
		"CIRCLE_WORKFLOW_JOB_ID":       t.JobID,
		"CIRCLE_WORKFLOW_WORKSPACE_ID": p.WorkflowWorkspaceID,
		// CircleCI exports the working directory as written in the config (often "~/project").
		"CIRCLE_WORKING_DIRECTORY": orDefault(t.Job.WorkingDir, "~/project"),
	}
	if p.Tag != "" {
		b["CIRCLE_TAG"] = p.Tag
	}
	if len(p.PullRequests) > 0 {
		b["CIRCLE_PULL_REQUEST"] = p.PullRequests[0]
		b["CIRCLE_PULL_REQUESTS"] = strings.Join(p.PullRequests, ",")
	}
	for k, v := range map[string]string{"CIRCLE_PR_NUMBER": p.PRNumber, "CIRCLE_PR_USERNAME": p.PRUsername,
		"CIRCLE_PR_REPONAME": p.PRRepoName} {
		if v != "" {
			b[k] = v
		}
	}
	return b
}

// secretNames lists the variables that came from the project or contexts, for the spin-up summary.
func (j *job) envSummary() []string {
	var out []string
	for _, v := range j.task.Env {
		out = append(out, v.Name+" ("+orDefault(v.Source, "project")+")")
	}
	return out
}
