// Package cli is the runner's command line, shared by the caravan-runner binary and `caravan runner`.
//
// A runner is started with the server URL, the task id and a task token (from $CARAVAN_TASK_TOKEN, a file, or
// stdin; never a flag, so it does not show in process lists), claims the task, runs it and reports the result.
// `inner --credentials FILE` is the runner inside a docker job's primary container.
package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/caravan-ci/caravan/runner"
	"github.com/caravan-ci/caravan/runner/agentcli"
)

// Main runs the runner command line with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "circleci" || args[0] == "circleci-agent") {
		return agentcli.Main(ctx, args, stdin, os.Stdout, stderr)
	}
	if len(args) > 0 && args[0] == "inner" {
		return inner(ctx, args[1:], stderr)
	}
	fs := flag.NewFlagSet("caravan-runner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg runner.Config
	var tokenFile string
	var tokenStdin bool
	fs.StringVar(&cfg.APIURL, "api-url", os.Getenv("CARAVAN_API_URL"), "server URL (env CARAVAN_API_URL)")
	fs.StringVar(&cfg.TaskID, "task-id", os.Getenv("CARAVAN_TASK_ID"), "task to run (env CARAVAN_TASK_ID)")
	fs.StringVar(&tokenFile, "token-file", "", "read the task token from this file (default: $CARAVAN_TASK_TOKEN)")
	fs.BoolVar(&tokenStdin, "token-stdin", false, "read the task token from the first line of stdin")
	fs.StringVar(&cfg.WorkDir, "work-dir", "", "directory for the task's home and data (default: a new temporary one)")
	fs.BoolVar(&cfg.KeepWorkDir, "keep-work-dir", false, "keep the work directory after the task")
	fs.StringVar(&cfg.DockerMode, "docker-mode", envOr("CARAVAN_DOCKER_MODE", runner.DockerAuto),
		"docker jobs: auto (a Docker daemon must answer) or host (run their steps on this host)")
	fs.StringVar(&cfg.DockerHost, "docker-host", "", "Docker daemon address (default $DOCKER_HOST or the local socket)")
	verbose := fs.Bool("v", false, "log debug messages")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg.Token = os.Getenv("CARAVAN_TASK_TOKEN")
	os.Unsetenv("CARAVAN_TASK_TOKEN")
	switch {
	case tokenFile != "":
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			fmt.Fprintf(stderr, "caravan-runner: %v\n", err)
			return 2
		}
		cfg.Token = strings.TrimSpace(string(b))
	case tokenStdin:
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		cfg.Token = strings.TrimSpace(line)
	}
	if cfg.WorkDir == "" {
		d, err := os.MkdirTemp("", "caravan-task-")
		if err != nil {
			fmt.Fprintf(stderr, "caravan-runner: %v\n", err)
			return 1
		}
		cfg.WorkDir = d
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level})).With("component", "runner")
	res, err := runner.Run(ctx, cfg)
	if err != nil {
		cfg.Logger.Error("task not run", "err", err)
		return 1
	}
	cfg.Logger.Info("task finished", "status", res.Status)
	return 0
}

// inner is the runner inside a docker job's primary container.
func inner(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("caravan-runner inner", flag.ContinueOnError)
	fs.SetOutput(stderr)
	creds := fs.String("credentials", "", "file with the task's credentials, written by the outer runner")
	if err := fs.Parse(args); err != nil || *creds == "" {
		return 2
	}
	work, err := os.MkdirTemp("", "caravan-task-")
	if err != nil {
		fmt.Fprintf(stderr, "caravan-runner: %v\n", err)
		return 1
	}
	home := os.Getenv("HOME")
	if home == "" {
		home = "/root"
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil)).With("component", "runner", "mode", "inner")
	if err := runner.RunInner(ctx, *creds, runner.Config{WorkDir: work, Home: home, Logger: log}); err != nil {
		log.Error("task not run", "err", err)
		return 1
	}
	return 0
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
