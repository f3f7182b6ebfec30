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
  orb import REF FILE    store an orb on the server (REF namespace/name@x.y.z; server admins)
  local execute [CONFIG] run a workflow of a config on this machine (default .circleci/config.yml)
  runner [flags]         run one task for a server (the agent; see caravan runner -h)
  server [flags]         run the CI server on embedded defaults (see caravan server -h)

client commands: they call the server at --host (env CARAVAN_HOST or CIRCLECI_CLI_HOST, default
http://127.0.0.1:8080) with --token (env CARAVAN_TOKEN or CIRCLECI_CLI_TOKEN, else the file
.caravan/admin.token); --json prints the server's JSON. Exit status: 0 done, 1 failed, 2 usage.
  org create NAME [--vcs github|gitlab|local]
  org list
  project create ORG_SLUG NAME --repo URL_OR_PATH [--default-branch main] [--webhook-secret-file F]
  project list
  user create LOGIN [--name N] [--admin]
  member add ORG_SLUG LOGIN --role admin|member|viewer
  token create --label L [--login LOGIN]   print a new API token
  token revoke --label L [--login LOGIN]
  context create ORG_SLUG NAME
  context list ORG_SLUG
  context set CONTEXT_ID NAME    the value is read from standard input
  context unset CONTEXT_ID NAME
  envvar set PROJECT_SLUG NAME   the value is read from standard input
  envvar list PROJECT_SLUG
  trigger PROJECT_SLUG [--branch B | --tag T] [--param KEY=VALUE ...] [--wait]

Run 'caravan config validate -h' for the flags of a config command, 'caravan org create -h' for those of a
client command.
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
		return orbCmd(ctx, args[1:], stdin, stdout, stderr)
	case "local":
		return localCmd(ctx, args[1:], stdout, stderr)
	case "runner":
		return cli.Main(ctx, args[1:], stdin, stderr)
	case "server":
		return serverCmd(ctx, args[1:], stdout, stderr)
	case "org", "project", "user", "member", "token", "context", "envvar", "trigger":
		return clientCmd(ctx, args, stdio{stdin, stdout, stderr})
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "caravan: unknown command %q\n\n%s", args[0], usage)
	return exitUsage
}
