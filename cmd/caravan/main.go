package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/caravan-ci/caravan/runner/agentcli"
	"github.com/caravan-ci/caravan/runner/cli"
)

// Exit codes: 0 success, 1 an invalid config or a failed command, 2 usage.
const (
	exitOK      = 0
	exitInvalid = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if agentcli.IsAgentName(os.Args[0]) {
		// Inside a job, this binary is also `circleci` and `circleci-agent`.
		os.Exit(agentcli.Main(ctx, append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...), os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: caravan <command> [arguments]

commands:
  config validate FILE   check a .circleci/config.yml (FILE - reads stdin)
  config process FILE    print the compiled 2.0-style config
  config plan FILE       print the typed plan (JSON) for the given pipeline values
  config pack DIR        pack a .circleci/ source tree into one config
  orb pack DIR           pack an orb source tree (@orb.yml, commands/, jobs/, ...)
  local execute [CONFIG] run a workflow of a config on this machine (default .circleci/config.yml)
  runner [flags]         run one task for a server (the agent; see caravan runner -h)
  server [flags]         run the CI server on embedded defaults (see caravan server -h)

Run 'caravan config validate -h' for the flags of a config command.
`

// run is main without the process: testable.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "config":
		return configCmd(ctx, args[1:], stdin, stdout, stderr)
	case "orb":
		return orbCmd(args[1:], stdout, stderr)
	case "local":
		return localCmd(ctx, args[1:], stdout, stderr)
	case "runner":
		return cli.Main(ctx, args[1:], stdin, stderr)
	case "server":
		return serverCmd(ctx, args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "caravan: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}
