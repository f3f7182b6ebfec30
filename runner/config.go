package runner

import (
	"errors"
	"log/slog"
	"net/http"
	"time"
)

// Docker modes: how a job with a docker executor runs.
const (
	DockerAuto = "auto" // through the Docker Engine API when a daemon answers, else fail with a clear message
	DockerHost = "host" // on the host, as if it were a machine job (an operator's choice, for hosts without Docker)
)

// Config is what a runner is started with. Secrets are not part of it: they come with the task.
type Config struct {
	APIURL string
	TaskID string
	Token  string

	// WorkDir holds the task's directories: its home (HOME, so ~/project is per task), its data directory
	// and temporary files. Removed at the end unless KeepWorkDir is set.
	WorkDir     string
	KeepWorkDir bool
	// Home, when set, is the steps' HOME instead of a per-task one (inside a container, the image's own).
	Home string

	DockerMode string // DockerAuto (default) or DockerHost
	DockerHost string // Docker daemon address; default DOCKER_HOST or unix:///var/run/docker.sock

	// HostEnv is the environment steps start from on the host (default: the runner's own, without CARAVAN_*).
	HostEnv []string

	KillGrace         time.Duration // SIGTERM → SIGKILL, default 10s
	HeartbeatInterval time.Duration // default 10s
	Logger            *slog.Logger
	HTTPClient        *http.Client
	// Executable is the binary that answers as circleci and circleci-agent inside jobs (default os.Executable).
	Executable string
}

func (c *Config) validate() error {
	var errs []error
	if c.APIURL == "" {
		errs = append(errs, errors.New("the API URL is required"))
	}
	if c.TaskID == "" {
		errs = append(errs, errors.New("the task id is required"))
	}
	if c.Token == "" {
		errs = append(errs, errors.New("the task token is required"))
	}
	if c.WorkDir == "" {
		errs = append(errs, errors.New("a work directory is required"))
	}
	switch c.DockerMode {
	case "":
		c.DockerMode = DockerAuto
	case DockerAuto, DockerHost:
	default:
		errs = append(errs, errors.New("docker mode must be auto or host"))
	}
	if c.KillGrace <= 0 {
		c.KillGrace = 10 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return errors.Join(errs...)
}
