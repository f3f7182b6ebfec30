// Command caravan-runner executes one Caravan task: the agent that nomadbridge, the machine provisioner and the
// local executor start. Invoked as `circleci` or `circleci-agent` (a symlink the runner puts on a job's PATH), it
// is the in-job command line instead. See package runner/cli for its flags.
package main

import (
	"context"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/caravan-ci/caravan/runner/agentcli"
	"github.com/caravan-ci/caravan/runner/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if agentcli.IsAgentName(os.Args[0]) {
		os.Exit(agentcli.Main(ctx, append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(cli.Main(ctx, os.Args[1:], os.Stdin, os.Stderr))
}
