package nomadbridge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
)

// ExecutorName is what the bridge records as a task's executor in Tasks.Dispatch.
const ExecutorName = "nomad"

// TokenEnv is the environment variable that carries the task token to the runner.
const TokenEnv = "CARAVAN_TASK_TOKEN"

// ErrTaskNotFound is wrapped by Tasks.Task when a task does not exist (its Nomad job is then purged).
var ErrTaskNotFound = errors.New("task not found")

// Tasks is what the bridge needs of the task state (the conductor's transitions and the store's reads).
type Tasks interface {
	// Dispatch records that this executor took the task; false means someone else did, or it ended.
	Dispatch(ctx context.Context, taskID, executor string) (bool, error)
	// Finish ends the task (the first end wins).
	Finish(ctx context.Context, taskID string, st domain.TaskStatus, msg string) error
	// RetryTask handles an infrastructure failure of one attempt: queued again at the next attempt, or ended.
	RetryTask(ctx context.Context, taskID string, attempt int, reason string) (bool, error)
	// Task reads a task; an error wrapping ErrTaskNotFound says it does not exist.
	Task(ctx context.Context, taskID string) (domain.Task, error)
	// Executor reads the executor of the task's job, as compiled.
	Executor(ctx context.Context, taskID string) (plan.Executor, error)
	// ImageAuth resolves the registry credentials of the job's images (nil entries for images without), with
	// environment references replaced by the project's and contexts' values.
	ImageAuth(ctx context.Context, taskID string) ([]*plan.Auth, error)
}

// Tokens mints task tokens; *tasktoken.Issuer is one.
type Tokens interface {
	Mint(taskID string, ttl time.Duration) string
}

// Machines runs machine jobs on VMs (a *machine.Provisioner through an adapter); optional.
type Machines interface {
	// Launch starts the task's VM; it is idempotent for one task and attempt.
	Launch(ctx context.Context, l MachineLaunch) error
	// Stop deletes the task's VMs.
	Stop(ctx context.Context, taskID string) error
}

// MachineLaunch is one machine task for Machines.
type MachineLaunch struct {
	TaskID, Image, ResourceClass, APIURL, Token, RunnerURL string
	Attempt                                                int
}

// Resources are what one Nomad task asks for.
type Resources struct {
	CPU      int // MHz
	MemoryMB int
}

// Options configure a Bridge. Client, Queue, Tasks, Tokens and APIURL are required, and one of RunnerURL
// and RunnerPath.
type Options struct {
	Client Client
	Queue  queue.Queue
	Tasks  Tasks
	Tokens Tokens
	// APIURL is the URL runners report to (as seen from Nomad clients).
	APIURL string
	// RunnerURL is where clients download the runner (a .tar.gz holding the executable "caravan");
	// RunnerSHA256 its checksum (hex), checked by Nomad when set.
	RunnerURL, RunnerSHA256 string
	// RunnerPath is the runner executable on every client host (raw_exec only); it wins over RunnerURL for
	// host jobs.
	RunnerPath string
	// HostDriver runs host (machine) jobs: raw_exec (default) or exec.
	HostDriver string
	// DockerJobs says where docker-executor jobs run: "docker" (default: the docker driver) or "host" (the
	// host driver, with the runner's --docker-mode host).
	DockerJobs string
	// Datacenters the jobs may run in (default "*"); Priority of the jobs (default 50).
	Datacenters []string
	Priority    int
	// Classes maps resource classes to resources, over DefaultClasses.
	Classes map[string]Resources
	// ServiceResources are what each service container asks for (default 250 MHz, 256 MB).
	ServiceResources Resources
	// Machines runs machine jobs on VMs; nil runs them on the host driver.
	Machines Machines
	// Concurrency is how many messages are handled at once (default 16).
	Concurrency int
	// MaxPending bounds the registered jobs whose allocation is not running yet (default 64).
	MaxPending int
	// TokenTTL is the lifetime of a minted task token (default 1 hour; the runner renews it).
	TokenTTL time.Duration
	// PollInterval is the reconcile period (default 5 s).
	PollInterval time.Duration
	// KillGrace is how long a canceled task's runner has to stop by itself before its job is deregistered
	// (default 10 s).
	KillGrace time.Duration
	// Retention is how long a finished job stays in Nomad before it is purged (default 1 hour).
	Retention time.Duration
	// Visibility is the lease on a received message while it is handled (default 2 minutes).
	Visibility time.Duration
	Log        *slog.Logger
	Now        func() time.Time
}

func (o *Options) defaults() error {
	var errs []error
	if o.Client == nil {
		errs = append(errs, errors.New("no Nomad client"))
	}
	if o.Queue == nil || o.Tasks == nil || o.Tokens == nil {
		errs = append(errs, errors.New("queue, tasks and tokens are required"))
	}
	if o.APIURL == "" {
		errs = append(errs, errors.New("no API URL for runners"))
	}
	if o.RunnerURL == "" && o.RunnerPath == "" {
		errs = append(errs, errors.New("neither a runner URL nor a runner path"))
	}
	switch o.HostDriver {
	case "":
		o.HostDriver = "raw_exec"
	case "raw_exec", "exec":
	default:
		errs = append(errs, fmt.Errorf("host driver %q: want raw_exec or exec", o.HostDriver))
	}
	if o.HostDriver == "exec" && o.RunnerURL == "" {
		errs = append(errs, errors.New("the exec driver needs a runner URL (a host path is outside its chroot)"))
	}
	switch o.DockerJobs {
	case "":
		o.DockerJobs = "docker"
	case "docker", "host":
	default:
		errs = append(errs, fmt.Errorf("docker jobs %q: want docker or host", o.DockerJobs))
	}
	if len(errs) > 0 {
		return fmt.Errorf("nomadbridge options: %w", errors.Join(errs...))
	}
	if len(o.Datacenters) == 0 {
		o.Datacenters = []string{"*"}
	}
	if o.Priority <= 0 {
		o.Priority = 50
	}
	if o.ServiceResources.CPU <= 0 {
		o.ServiceResources.CPU = 250
	}
	if o.ServiceResources.MemoryMB <= 0 {
		o.ServiceResources.MemoryMB = 256
	}
	setDefault(&o.Concurrency, 16)
	setDefault(&o.MaxPending, 64)
	setDefault(&o.TokenTTL, time.Hour)
	setDefault(&o.PollInterval, 5*time.Second)
	setDefault(&o.KillGrace, 10*time.Second)
	setDefault(&o.Retention, time.Hour)
	setDefault(&o.Visibility, 2*time.Minute)
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

func setDefault[T int | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}
