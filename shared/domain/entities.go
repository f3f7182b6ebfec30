package domain

import (
	"time"

	"github.com/caravan-ci/caravan/shared/plan"
)

// Org is an organization: the owner of projects and contexts. Slug is "<vcs>/<name>" (gh/acme).
type Org struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	VCS       string    `json:"vcs"` // github, gitlab, local
	CreatedAt time.Time `json:"created_at"`
}

// Project is a repository Caravan builds. Slug is "<vcs>/<org>/<repo>" (gh/acme/api).
type Project struct {
	ID            string    `json:"id"`
	Slug          string    `json:"slug"`
	OrgID         string    `json:"org_id"`
	Name          string    `json:"name"`
	RepoURL       string    `json:"repo_url"` // remote URL or local repository path
	DefaultBranch string    `json:"default_branch"`
	ConfigPath    string    `json:"config_path,omitempty"` // default .circleci/config.yml
	Settings      Settings  `json:"settings"`
	CreatedAt     time.Time `json:"created_at"`
	// WebhookSecret is the sealed secret GitHub/GitLab sign deliveries with (never returned by the API).
	WebhookSecret []byte `json:"webhook_secret,omitempty"`
}

// Settings are a project's advanced settings.
type Settings struct {
	AutoCancelBuilds           bool `json:"autocancel_builds"`
	BuildForkPRs               bool `json:"build_fork_prs"`
	ForksReceiveSecrets        bool `json:"forks_receive_secret_env_vars"`
	OnlyBuildPRs               bool `json:"build_prs_only"`
	SetupWorkflows             bool `json:"setup_workflows"`
	DisableSSH                 bool `json:"disable_ssh"`
	WriteSettingsRequiresAdmin bool `json:"write_settings_requires_admin"`
}

// Trigger says how a pipeline was started.
type Trigger struct {
	Type       string    `json:"type"` // scheduled_pipeline, explicit, api, webhook
	ReceivedAt time.Time `json:"received_at"`
	Actor      string    `json:"actor"` // login
	ScheduleID string    `json:"schedule_id,omitempty"`
	// ScheduledWorkflow names the legacy triggers.schedule workflow this pipeline runs, if any.
	ScheduledWorkflow string `json:"scheduled_workflow,omitempty"`
}

// VCS is the revision a pipeline builds.
type VCS struct {
	Provider      string `json:"provider_name"` // GitHub, GitLab, Local
	RepoURL       string `json:"target_repository_url"`
	OriginRepoURL string `json:"origin_repository_url"`
	Branch        string `json:"branch,omitempty"`
	Tag           string `json:"tag,omitempty"`
	Revision      string `json:"revision"`
	CommitSubject string `json:"commit_subject,omitempty"`
	CommitBody    string `json:"commit_body,omitempty"`
	ReviewID      string `json:"review_id,omitempty"`
	ReviewURL     string `json:"review_url,omitempty"`
	PRNumber      string `json:"pr_number,omitempty"` // forked pull requests only
}

// PipelineError is one entry of a pipeline's errors.
type PipelineError struct {
	Type    string `json:"type"` // config, config-fetch, timeout, permission, other, plan
	Message string `json:"message"`
}

// Pipeline is one run of a project's config at a revision.
type Pipeline struct {
	ID          string          `json:"id"`
	ProjectID   string          `json:"project_id"`
	ProjectSlug string          `json:"project_slug"`
	Number      int64           `json:"number"`
	State       PipelineState   `json:"state"`
	Errors      []PipelineError `json:"errors"`
	Trigger     Trigger         `json:"trigger"`
	VCS         VCS             `json:"vcs"`
	Parameters  map[string]any  `json:"trigger_parameters,omitempty"`
	// Config holds the source and compiled configs (the setup ones too, for setup workflows).
	ConfigSource        string    `json:"config_source,omitempty"`
	ConfigCompiled      string    `json:"config_compiled,omitempty"`
	SetupConfigSource   string    `json:"setup_config_source,omitempty"`
	SetupConfigCompiled string    `json:"setup_config_compiled,omitempty"`
	ContinuationKeyHash string    `json:"continuation_key_hash,omitempty"`
	ContinuedAt         time.Time `json:"continued_at,omitzero"`
	CreatedAt           time.Time `json:"created_at"`
	UpdatedAt           time.Time `json:"updated_at"`
	DeliveryID          string    `json:"delivery_id,omitempty"` // the webhook delivery that made it
	AutoCanceledBy      string    `json:"auto_canceled_by,omitempty"`
}

// Workflow is one workflow of a pipeline (a rerun is a new Workflow with RerunOf set).
type Workflow struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	PipelineID     string         `json:"pipeline_id"`
	PipelineNumber int64          `json:"pipeline_number"`
	ProjectID      string         `json:"project_id"`
	ProjectSlug    string         `json:"project_slug"`
	Status         WorkflowStatus `json:"status"`
	StartedBy      string         `json:"started_by"`
	CanceledBy     string         `json:"canceled_by,omitempty"`
	ErroredBy      string         `json:"errored_by,omitempty"`
	Tag            string         `json:"tag,omitempty"` // "setup" for a setup workflow
	CreatedAt      time.Time      `json:"created_at"`
	StoppedAt      time.Time      `json:"stopped_at,omitzero"`
	RerunOf        string         `json:"rerun_of,omitempty"`
	// WorkspaceID is shared by reruns of a workflow: CIRCLE_WORKFLOW_WORKSPACE_ID.
	WorkspaceID string          `json:"workspace_id"`
	Errors      []PipelineError `json:"errors,omitempty"`
	// Notified is set once workflow-completed webhooks were enqueued.
	Notified bool `json:"notified,omitempty"`
}

// Job types.
const (
	JobTypeBuild    = "build"
	JobTypeApproval = "approval"
)

// Job is one job of a workflow. Number is the project-wide job number, given when it is first queued.
type Job struct {
	ID          string    `json:"id"`
	WorkflowID  string    `json:"workflow_id"`
	PipelineID  string    `json:"pipeline_id"`
	ProjectID   string    `json:"project_id"`
	ProjectSlug string    `json:"project_slug"`
	Name        string    `json:"name"`
	Type        string    `json:"type"` // build or approval
	Number      int64     `json:"job_number,omitempty"`
	Status      JobStatus `json:"status"`
	// Requires maps each upstream job id to the statuses that satisfy it (CircleCI's requires with statuses).
	Requires   map[string][]JobStatus `json:"requires,omitempty"`
	StartedAt  time.Time              `json:"started_at,omitzero"`
	QueuedAt   time.Time              `json:"queued_at,omitzero"`
	StoppedAt  time.Time              `json:"stopped_at,omitzero"`
	ApprovedBy string                 `json:"approved_by,omitempty"`
	// ApprovalRequestID is the id clients approve with (the job's id, as CircleCI does).
	ApprovalRequestID string   `json:"approval_request_id,omitempty"`
	CanceledBy        string   `json:"canceled_by,omitempty"`
	Parallelism       int      `json:"parallelism"`
	Contexts          []string `json:"contexts,omitempty"`
	SerialGroup       string   `json:"serial_group,omitempty"`
	Attempt           int      `json:"attempt"`            // 1, or more for a rerun of the same job
	PreviousJobID     string   `json:"previous_job_id"`    // the job this one reruns, for timings and failed tests
	RerunFailedTests  bool     `json:"rerun_failed_tests"` // only the failed tests of PreviousJobID
	Plan              plan.Job `json:"plan"`
	Message           string   `json:"message,omitempty"`
	// CarriedFrom is set on a job a rerun copied without running it: the original job's id (its workspace
	// layers and artifacts stay there).
	CarriedFrom string `json:"carried_from,omitempty"`
	// Notified is set once job-completed webhooks for the terminal status were enqueued.
	Notified bool `json:"notified,omitempty"`
}

// Task is one parallel node of a job: what one runner executes.
type Task struct {
	ID       string     `json:"id"`
	JobID    string     `json:"job_id"`
	Index    int        `json:"index"`
	Status   TaskStatus `json:"status"`
	Attempt  int        `json:"attempt"` // 1, 2 … when the executor retried after an infrastructure failure
	RunnerID string     `json:"runner_id,omitempty"`
	Executor string     `json:"executor,omitempty"` // who runs it: local, nomad, machine
	// DispatchedAt is when an executor took the run message; a second message for the task is then ignored.
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	Canceled     bool      `json:"canceled,omitempty"`
	Message      string    `json:"message,omitempty"`
	QueuedAt     time.Time `json:"queued_at,omitzero"`
	StartedAt    time.Time `json:"started_at,omitzero"`
	StoppedAt    time.Time `json:"stopped_at,omitzero"`
	Heartbeat    time.Time `json:"heartbeat,omitzero"`
}

// Step is one step of a task as the runner reported it.
type Step struct {
	TaskID     string    `json:"task_id"`
	Index      int       `json:"index"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Status     string    `json:"status"` // running, success, failed, canceled, timedout, skipped …
	Background bool      `json:"background,omitempty"`
	ExitCode   *int      `json:"exit_code,omitempty"`
	Message    string    `json:"message,omitempty"`
	StartedAt  time.Time `json:"start_time,omitzero"`
	StoppedAt  time.Time `json:"end_time,omitzero"`
	// OutputBytes is how much output is stored for the step.
	OutputBytes int64 `json:"output_bytes"`
}

// Context is a named set of variables an org's workflows can use.
type Context struct {
	ID        string    `json:"id"`
	OrgID     string    `json:"org_id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

// Variable is a context or project variable. Value is sealed (secrets.Envelope) and never leaves the server
// except in a task claim.
type Variable struct {
	Name      string    `json:"name"`
	Sealed    []byte    `json:"sealed"`
	Hint      string    `json:"hint"` // the last 4 characters, CircleCI's xxxx mask
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// CheckoutKey is an SSH key the checkout step uses.
type CheckoutKey struct {
	Fingerprint string    `json:"fingerprint"`
	Type        string    `json:"type"` // deploy-key, user-key
	PublicKey   string    `json:"public_key"`
	Sealed      []byte    `json:"sealed"` // the private key
	Preferred   bool      `json:"preferred"`
	CreatedAt   time.Time `json:"created_at"`
}

// Timetable is when a scheduled pipeline fires: PerHour evenly spaced times in each listed hour (UTC).
type Timetable struct {
	PerHour     int      `json:"per-hour"`
	HoursOfDay  []int    `json:"hours-of-day"`
	DaysOfWeek  []string `json:"days-of-week,omitempty"`  // MON … SUN
	DaysOfMonth []int    `json:"days-of-month,omitempty"` // 1 … 31
	Months      []string `json:"months,omitempty"`        // JAN … DEC
}

// Schedule is a scheduled pipeline trigger.
type Schedule struct {
	ID               string         `json:"id"`
	ProjectID        string         `json:"project_id"`
	ProjectSlug      string         `json:"project_slug"`
	Name             string         `json:"name"`
	Description      string         `json:"description"`
	Timetable        Timetable      `json:"timetable"`
	AttributionActor string         `json:"attribution_actor"` // current or system
	Actor            string         `json:"actor"`             // login of the creator
	Parameters       map[string]any `json:"parameters"`        // branch or tag, and pipeline parameters
	CreatedAt        time.Time      `json:"created_at"`
	UpdatedAt        time.Time      `json:"updated_at"`
	// Legacy is set for schedules from a config's triggers.schedule (the workflow's name), which the
	// config, not the API, owns.
	LegacyWorkflow string   `json:"legacy_workflow,omitempty"`
	Cron           string   `json:"cron,omitempty"`
	Branches       []string `json:"branches,omitempty"`
}

// User is someone (or something) holding API tokens.
type User struct {
	ID        string    `json:"id"`
	Login     string    `json:"login"`
	Name      string    `json:"name"`
	Admin     bool      `json:"admin"` // server administrator: every permission
	CreatedAt time.Time `json:"created_at"`
}

// Roles of a user in an org.
const (
	RoleAdmin  = "admin"  // manage contexts, settings, env vars, members
	RoleMember = "member" // trigger, rerun, cancel, approve, read
	RoleViewer = "viewer" // read only
)

// Membership is a user's role in an org.
type Membership struct {
	UserID string `json:"user_id"`
	OrgID  string `json:"org_id"`
	Role   string `json:"role"`
}

// Token is a personal API token; only its SHA-256 is stored.
type Token struct {
	Hash      string    `json:"hash"`
	UserID    string    `json:"user_id"`
	Label     string    `json:"label"`
	CreatedAt time.Time `json:"created_at"`
	LastUsed  time.Time `json:"last_used,omitzero"`
}

// Webhook is an outbound webhook of a project.
type Webhook struct {
	ID           string    `json:"id"`
	ProjectID    string    `json:"project_id"`
	Name         string    `json:"name"`
	URL          string    `json:"url"`
	Events       []string  `json:"events"` // workflow-completed, job-completed
	SealedSecret []byte    `json:"sealed_secret,omitempty"`
	VerifyTLS    bool      `json:"verify_tls"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}
