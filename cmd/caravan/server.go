package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/caravan-ci/caravan/nomadbridge"
	"github.com/caravan-ci/caravan/shared/server"
)

// serverCmd runs `caravan server`: the whole engine in this process on embedded adapters.
func serverCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("caravan server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg server.Config
	fs.StringVar(&cfg.DataDir, "data", envOr("CARAVAN_DATA", ".caravan"), "directory of all server data (env CARAVAN_DATA)")
	fs.StringVar(&cfg.Addr, "addr", envOr("CARAVAN_ADDR", "127.0.0.1:8080"), "listen address (env CARAVAN_ADDR)")
	fs.StringVar(&cfg.URL, "url", os.Getenv("CARAVAN_URL"), "public base URL (default http://<addr>; env CARAVAN_URL)")
	fs.StringVar(&cfg.DockerMode, "docker-mode", envOr("CARAVAN_DOCKER_MODE", "auto"),
		"docker jobs: auto (a Docker daemon must answer) or host (run their steps on this host)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 0, "runners at once (default: number of CPUs)")
	fs.StringVar(&cfg.AdminLogin, "admin", "admin", "login of the administrator created at first start")
	fs.Float64Var(&cfg.RatePerSecond, "rate", 50, "API requests per second per token")
	demo := fs.Bool("demo", false, "create a demo project on a local git repository and run its pipeline")
	debug := fs.Bool("v", false, "log debug messages")
	fs.BoolVar(&cfg.NoExecutor, "no-executor", false,
		"run no tasks here: leave run messages to nomadbridge processes on the same data directory")
	var nomad nomadbridge.Settings
	nomad.Flags(fs)
	runnerBinary := fs.String("runner-binary", "",
		"caravan executable Nomad clients download (default: this one; must be a static Linux build)")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if nomad.Enabled() {
		cfg.Nomad = &server.NomadConfig{Settings: nomad, RunnerBinary: *runnerBinary}
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	cfg.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	s, err := server.Open(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "caravan server: %v\n", err)
		return exitInvalid
	}
	defer s.Close()
	fmt.Fprintf(stdout, "Caravan is listening on %s\n", s.URL())
	if s.Bridge != nil {
		fmt.Fprintf(stdout, "Tasks run on Nomad at %s\n", nomad.Client.Address)
	}
	if tok := s.AdminToken(); tok != "" {
		fmt.Fprintf(stdout, "Admin API token: %s\n", tok)
		fmt.Fprintf(stdout, "  try: curl -s -H 'Circle-Token: %s' %s/api/v2/me\n", tok, s.URL())
	}
	if *demo {
		go func() {
			if err := server.Demo(ctx, s, filepath.Join(s.DataDir(), "demo-repo"), stdout); err != nil &&
				ctx.Err() == nil {
				fmt.Fprintf(stderr, "caravan server: demo: %v\n", err)
			}
		}()
	}
	if err := s.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "caravan server: %v\n", err)
		return exitInvalid
	}
	return exitOK
}
