// Package agentcli is the command line that jobs see as `circleci` and `circleci-agent`: test globbing and
// splitting, `tests run` with rerun of failed tests only, `env subst` and `step halt`. The runner installs both
// names on the steps' PATH, pointing at its own binary, which hands argv to [Main].
//
// The commands reach the runner through the unix socket named by $CARAVAN_AGENT_SOCKET; the runner asks the
// server, with a token the job never sees.
package agentcli
