package server

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/store"
)

// Config configures the embedded server. Zero values pick defaults.
type Config struct {
	DataDir string // default .caravan
	Addr    string // listen address, default 127.0.0.1:8080 (":0" picks a free port)
	// URL is the base URL runners and clients use; default http://<listen address>.
	URL string
	// RunnerCommand starts a runner (default: this executable with "runner").
	RunnerCommand []string
	// DockerMode is passed to runners: auto (docker jobs need a daemon) or host (run them on this host).
	DockerMode string
	// Concurrency bounds runners at once (default: the number of CPUs).
	Concurrency int
	// AdminLogin is the user created at first start (default admin).
	AdminLogin string
	// RatePerSecond bounds API requests per token (default 50/s).
	RatePerSecond float64
	// SweepInterval, ClaimTimeout and HeartbeatTimeout tune crash recovery (defaults 30 s, 2 min, 3 min);
	// ScheduleInterval how often schedules are checked (default 15 s).
	SweepInterval, ClaimTimeout, HeartbeatTimeout, ScheduleInterval time.Duration
	// KillRunnersOnShutdown stops running tasks when the server stops; by default they go on and report to
	// the next server that answers on the same URL.
	KillRunnersOnShutdown bool
	// Nomad, with an address, runs tasks on a Nomad cluster through the nomadbridge instead of as child
	// processes; ClaimTimeout then defaults to 10 minutes (a job may wait for placement and image pulls), as
	// it does with NoExecutor.
	Nomad *NomadConfig
	// NoExecutor leaves run messages to executor processes beside the server (standalone nomadbridges on
	// the same data directory).
	NoExecutor bool
	Log        *slog.Logger

	// Extension points for other executors (the nomadbridge), benchmarks and tests.
	//
	// Executor, when set, handles run messages instead of the local process executor.
	Executor queue.Handler
	// ConfigSource, when set, replaces git for reading configs (intake's Git dependency).
	ConfigSource intake.GitSource
	// WrapStore and WrapQueue wrap the adapters (for counting calls).
	WrapStore func(store.Store) store.Store
	WrapQueue func(queue.Queue) queue.Queue
}

func (c *Config) defaults() error {
	if c.DataDir == "" {
		c.DataDir = ".caravan"
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = abs
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.DockerMode == "" {
		c.DockerMode = "auto"
	}
	if c.DockerMode != "auto" && c.DockerMode != "host" {
		return fmt.Errorf("docker mode %q: want auto or host", c.DockerMode)
	}
	if c.AdminLogin == "" {
		c.AdminLogin = "admin"
	}
	if len(c.RunnerCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the runner: %w", err)
		}
		c.RunnerCommand = []string{exe, "runner"}
	}
	if c.ClaimTimeout <= 0 && (c.nomadEnabled() || c.NoExecutor) {
		c.ClaimTimeout = 10 * time.Minute
	}
	if c.SweepInterval <= 0 {
		c.SweepInterval = 30 * time.Second
	}
	if c.ScheduleInterval <= 0 {
		c.ScheduleInterval = 15 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	return os.MkdirAll(c.DataDir, 0o700)
}
