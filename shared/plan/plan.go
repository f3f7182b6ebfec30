package plan

// Plan is what a config runs for one pipeline.
type Plan struct {
	// Setup is true when this is a setup config: its one workflow runs
	// first and the pipeline continues with another config.
	Setup bool `json:"setup,omitempty"`
	// Workflows that run, in config order.
	Workflows []Workflow `json:"workflows"`
	// Skipped lists the workflows that do not run, and why.
	Skipped []Skip `json:"skipped,omitempty"`
}

// Skip names a workflow or job that does not run and why.
type Skip struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Workflow is one workflow that runs.
type Workflow struct {
	Name string `json:"name"`
	// Jobs in an order where requirements come before the jobs that need
	// them.
	Jobs []Job `json:"jobs"`
	// Skipped lists jobs the filters leave out (with the jobs that then
	// lose all their requirements).
	Skipped []Skip `json:"skipped,omitempty"`
	// Schedules are the workflow's legacy `triggers.schedule` entries: such
	// a workflow runs only on its schedule.
	Schedules     []Schedule `json:"schedules,omitempty"`
	MaxAutoReruns int        `json:"max_auto_reruns,omitempty"`
}

// Schedule is a legacy cron trigger.
type Schedule struct {
	Cron     string   `json:"cron"`
	Branches []string `json:"branches,omitempty"` // only
	Ignore   []string `json:"ignore,omitempty"`
}

// Job types.
const (
	JobBuild    = "build"
	JobApproval = "approval"
	JobNoOp     = "no-op"
)

// Job is one job of a workflow.
type Job struct {
	// Name is unique within the workflow.
	Name string `json:"name"`
	// Definition is the job it runs ("build", "node/test"); empty for
	// approval jobs.
	Definition string `json:"definition,omitempty"`
	Type       string `json:"type"`
	// Requires lists the jobs that must end, each with the statuses that
	// satisfy it.
	Requires      []Requirement     `json:"requires,omitempty"`
	Contexts      []string          `json:"contexts,omitempty"`
	SerialGroup   string            `json:"serial_group,omitempty"`
	Group         string            `json:"group,omitempty"` // job-group invocation
	Matrix        map[string]string `json:"matrix,omitempty"`
	Executor      Executor          `json:"executor"`
	Environment   map[string]string `json:"environment,omitempty"`
	Parallelism   int               `json:"parallelism"`
	Shell         string            `json:"shell,omitempty"`
	WorkingDir    string            `json:"working_directory"`
	Steps         []Step            `json:"steps,omitempty"`
	MaxAutoReruns int               `json:"max_auto_reruns,omitempty"`
}

// Requirement is one `requires` entry: the job ends with one of Statuses.
type Requirement struct {
	Job      string   `json:"job"`
	Statuses []string `json:"statuses"`
}

// Executor kinds.
const (
	ExecDocker  = "docker"
	ExecMachine = "machine"
	ExecMacOS   = "macos"
	ExecNone    = "none"
)

// Executor is where a job runs.
type Executor struct {
	Kind          string   `json:"kind"`
	ResourceClass string   `json:"resource_class,omitempty"`
	Images        []Image  `json:"images,omitempty"`  // docker: primary first
	Machine       *Machine `json:"machine,omitempty"` // machine
	Xcode         string   `json:"xcode,omitempty"`   // macos
}

// Image is one container of a docker executor.
type Image struct {
	Image       string            `json:"image"`
	Name        string            `json:"name,omitempty"`
	Entrypoint  []string          `json:"entrypoint,omitempty"`
	Command     []string          `json:"command,omitempty"`
	User        string            `json:"user,omitempty"`
	Environment map[string]string `json:"environment,omitempty"`
	// Auth holds registry credentials as written in the config; they are
	// usually environment variable references resolved at run time.
	Auth    *Auth    `json:"auth,omitempty"`
	AWSAuth *AWSAuth `json:"aws_auth,omitempty"`
}

// Auth is a registry user name and password.
type Auth struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// AWSAuth is ECR access, by keys or an OIDC role.
type AWSAuth struct {
	AccessKeyID     string `json:"aws_access_key_id,omitempty"`
	SecretAccessKey string `json:"aws_secret_access_key,omitempty"`
	OIDCRoleARN     string `json:"oidc_role_arn,omitempty"`
}

// Machine is a VM executor.
type Machine struct {
	Image              string `json:"image,omitempty"`
	DockerLayerCaching bool   `json:"docker_layer_caching,omitempty"`
}
