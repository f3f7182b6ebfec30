// Command nomadbridge runs Caravan tasks on a Nomad cluster as a long-running process of its own, beside a
// `caravan server` started with --no-executor on the same data directory (the embedded topology). Several
// may run at once. See package nomadbridge.
//
//	nomadbridge --data .caravan --api-url http://ci.internal:8080 --nomad-addr https://nomad:4646 \
//	    --nomad-ca-cert ca.pem --nomad-client-cert cli.pem --nomad-client-key cli-key.pem
//
// With --machine-provider ec2 or gce, machine jobs run on cloud VMs made for them (see machines.go and package
// nomadbridge/machine) instead of on the Nomad clients' host driver.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge"
	"github.com/caravan-ci/caravan/shared/server"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("nomadbridge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr("CARAVAN_DATA", ".caravan"), "data directory of the caravan server (env CARAVAN_DATA)")
	apiURL := fs.String("api-url", os.Getenv("CARAVAN_URL"), "URL of the caravan server, as Nomad clients reach it (env CARAVAN_URL)")
	runnerURL := fs.String("runner-url", "", "where clients download the runner (default: the server's "+server.RunnerDownloadPath+")")
	debug := fs.Bool("v", false, "log debug messages")
	var s nomadbridge.Settings
	s.Flags(fs)
	var mf machineFlags
	mf.register(fs)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *apiURL == "" || !s.Enabled() {
		fmt.Fprintln(stderr, "nomadbridge: --api-url and --nomad-addr are required")
		return 2
	}
	mc, err := mf.config(fs)
	if err != nil {
		fmt.Fprintf(stderr, "nomadbridge: %v\n", err)
		return 2
	}
	if mc.Provider != "" && *runnerURL == "" && s.RunnerPath != "" {
		fmt.Fprintln(stderr, "nomadbridge: --machine-provider needs the runner's URL for the VMs: give --runner-url")
		return 2
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	base := strings.TrimRight(*apiURL, "/")
	ex, err := server.OpenExecution(*data, base, log)
	if err != nil {
		fmt.Fprintf(stderr, "nomadbridge: %v\n", err)
		return 1
	}
	defer ex.Close()
	client, err := nomadbridge.NewClient(s.Client)
	if err != nil {
		fmt.Fprintf(stderr, "nomadbridge: %v\n", err)
		return 1
	}
	o := nomadbridge.Options{Client: client, Queue: ex.Queue, Tasks: ex.Tasks, Tokens: ex.Tokens, APIURL: base,
		RunnerURL: *runnerURL, Log: log}
	if o.RunnerURL == "" && s.RunnerPath == "" {
		o.RunnerURL = base + server.RunnerDownloadPath
		if o.RunnerSHA256, err = checksum(ctx, o.RunnerURL+".sha256"); err != nil {
			fmt.Fprintf(stderr, "nomadbridge: %v (start the server with --nomad-addr to serve the runner, or give --nomad-runner-path)\n", err)
			return 1
		}
	}
	s.Apply(&o)
	machines, closeMachines, err := newMachines(ctx, mc, base, log)
	if err != nil {
		fmt.Fprintf(stderr, "nomadbridge: %v\n", err)
		return 1
	}
	defer closeMachines()
	o.Machines = machines
	b, err := nomadbridge.New(o)
	if err != nil {
		fmt.Fprintf(stderr, "nomadbridge: %v\n", err)
		return 2
	}
	log.Info("nomadbridge running", "nomad", s.Client.Address, "api", base, "machines", mc.Provider)
	if err := b.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "nomadbridge: %v\n", err)
		return 1
	}
	return 0
}

// checksum reads the runner's published SHA-256.
func checksum(ctx context.Context, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("runner checksum: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("runner checksum from %s: %s", url, resp.Status)
	}
	return strings.TrimSpace(string(b)), nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
