package taskapi

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/caravan-ci/caravan/shared/plan"
)

// Task is everything a runner needs to execute one task: a job, or one parallel node of it.
type Task struct {
	ID       string `json:"id"`
	JobID    string `json:"job_id"`    // the workflow job's id: CIRCLE_WORKFLOW_JOB_ID
	BuildNum int64  `json:"build_num"` // CIRCLE_BUILD_NUM
	BuildURL string `json:"build_url"` // CIRCLE_BUILD_URL
	Attempt  int    `json:"attempt"`   // 1 for the first run; reruns count up

	NodeIndex int `json:"node_index"` // CIRCLE_NODE_INDEX, 0…NodeTotal-1
	NodeTotal int `json:"node_total"` // CIRCLE_NODE_TOTAL, ≥ 1

	// Job is the compiled job: executor, shell, working directory, environment and steps.
	Job      plan.Job `json:"job"`
	Pipeline Pipeline `json:"pipeline"`

	// Env holds the project and context variables, lowest precedence first (project, then contexts in order).
	// Their values are secrets: the runner masks them in output.
	Env []EnvVar `json:"env,omitempty"`

	Checkout Checkout `json:"checkout"`
	SSHKeys  []SSHKey `json:"ssh_keys,omitempty"` // for add_ssh_keys; private keys are secrets

	// Timeout bounds the whole task; NoOutputTimeout is the default for run steps without their own.
	Timeout         Duration `json:"timeout"`
	NoOutputTimeout Duration `json:"no_output_timeout"`
}

// Pipeline carries the pipeline and workflow values behind the built-in CIRCLE_* variables and cache keys.
type Pipeline struct {
	ID                  string   `json:"id"`
	Number              int64    `json:"number"`
	WorkflowID          string   `json:"workflow_id"`
	WorkflowName        string   `json:"workflow_name"`
	WorkflowWorkspaceID string   `json:"workflow_workspace_id"`
	OrgID               string   `json:"organization_id"`
	ProjectID           string   `json:"project_id"`
	ProjectSlug         string   `json:"project_slug"`     // gh/org/repo
	ProjectUsername     string   `json:"project_username"` // CIRCLE_PROJECT_USERNAME
	ProjectRepoName     string   `json:"project_reponame"` // CIRCLE_PROJECT_REPONAME
	RepoURL             string   `json:"repository_url"`   // CIRCLE_REPOSITORY_URL
	Branch              string   `json:"branch,omitempty"`
	Tag                 string   `json:"tag,omitempty"`
	Revision            string   `json:"revision"`
	Username            string   `json:"username,omitempty"`      // who triggered it
	PullRequests        []string `json:"pull_requests,omitempty"` // URLs; the first is CIRCLE_PULL_REQUEST
	PRNumber            string   `json:"pr_number,omitempty"`     // forked pull requests only
	PRUsername          string   `json:"pr_username,omitempty"`
	PRRepoName          string   `json:"pr_reponame,omitempty"`
}

// EnvVar is one project or context variable. Values are secrets unless Secret is false.
type EnvVar struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Secret bool   `json:"secret"`
	Source string `json:"source,omitempty"` // "project" or "context:<name>"
}

// Checkout says where the checkout step gets the code and with which credentials.
type Checkout struct {
	RepoURL    string `json:"repo_url"` // https, ssh, file:// URL or a local repository path
	SSHKey     string `json:"ssh_key,omitempty"`
	KnownHosts string `json:"known_hosts,omitempty"`
	HTTPSToken string `json:"https_token,omitempty"`
	HTTPSUser  string `json:"https_user,omitempty"`
}

// SSHKey is a project SSH key for add_ssh_keys.
type SSHKey struct {
	Fingerprint string `json:"fingerprint"`
	Hostname    string `json:"hostname,omitempty"`
	PrivateKey  string `json:"private_key"`
}

// Secrets returns every secret value the task carries, for masking.
func (t *Task) Secrets() []string {
	var out []string
	for _, v := range t.Env {
		if v.Secret {
			out = append(out, v.Value)
		}
	}
	for _, s := range []string{t.Checkout.SSHKey, t.Checkout.HTTPSToken} {
		if s != "" {
			out = append(out, s)
		}
	}
	for _, k := range t.SSHKeys {
		out = append(out, k.PrivateKey)
	}
	return out
}

// Duration is a time.Duration that travels as a Go duration string ("1h30m").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string, or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(n)
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("duration %q: %w", s, err)
	}
	*d = Duration(v)
	return nil
}
