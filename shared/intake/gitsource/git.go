package gitsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// strippedEnv are variables of the caller's environment that would point git
// at another repository or inject configuration; they never reach git. Other
// variables (proxies, GIT_SSL_CAINFO, GIT_SSH_COMMAND) pass through, and the
// ones gitEnv sets afterwards win over the caller's.
var strippedEnv = []string{
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES",
	"GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_CEILING_DIRECTORIES", "GIT_DISCOVERY_ACROSS_FILESYSTEM",
	"GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_PREFIX", "GIT_QUARANTINE_PATH",
}

// gitEnv builds git's environment: the caller's minus strippedEnv (and any
// GIT_CONFIG_KEY_n/VALUE_n), then fixed settings, then extra.
func gitEnv(extra []string) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+3)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if containsString(strippedEnv, name) ||
			strings.HasPrefix(name, "GIT_CONFIG_KEY_") || strings.HasPrefix(name, "GIT_CONFIG_VALUE_") {
			continue
		}
		if name == "LC_ALL" || name == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "GIT_TERMINAL_PROMPT=0", "LC_ALL=C", "LANGUAGE=C")
	return append(env, extra...)
}

// baseArgs come first on every git command line: hooks and fsmonitor could
// run programs from a repository's configuration, which reading never needs.
var baseArgs = []string{"-c", "core.hooksPath=" + os.DevNull, "-c", "core.fsmonitor=false"}

// gitError is a failed git command with what it wrote to stderr.
type gitError struct {
	args   []string // the subcommand and its arguments (never credentials)
	stderr string
	err    error
}

func (e *gitError) Error() string {
	msg := strings.TrimSpace(e.stderr)
	if len(msg) > 1000 {
		msg = msg[:1000] + " …"
	}
	if msg == "" {
		return fmt.Sprintf("git %s: %v", strings.Join(e.args, " "), e.err)
	}
	return fmt.Sprintf("git %s: %v: %s", strings.Join(e.args, " "), e.err, msg)
}

func (e *gitError) Unwrap() error { return e.err }

// exitCode returns git's exit status, or -1 if it did not exit normally.
func exitCode(err error) int {
	if ee, ok := errors.AsType[*exec.ExitError](err); ok {
		return ee.ExitCode()
	}
	return -1
}

// stderrHas reports whether err is a gitError whose stderr contains any of subs.
func stderrHas(err error, subs ...string) bool {
	ge, ok := errors.AsType[*gitError](err)
	if !ok {
		return false
	}
	for _, s := range subs {
		if strings.Contains(ge.stderr, s) {
			return true
		}
	}
	return false
}

// repoCtx says which repository a git command works on and how.
type repoCtx struct {
	where []string // "-C", dir or "--git-dir", dir
	env   []string // extra environment: ceiling directories, credentials
}

// run runs git with args and returns its standard output.
func (s *Source) run(ctx context.Context, rc repoCtx, args ...string) ([]byte, error) {
	argv := make([]string, 0, len(baseArgs)+len(rc.where)+len(args))
	argv = append(append(append(argv, baseArgs...), rc.where...), args...)
	cmd := exec.CommandContext(ctx, "git", argv...)
	cmd.Env = gitEnv(rc.env)
	cmd.WaitDelay = 5 * time.Second // ssh children may hold the pipes after git is killed
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	s.log().Debug("git", "args", args, "where", rc.where, "duration", time.Since(start), "err", err)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
		return stdout.Bytes(), &gitError{args: args, stderr: stderr.String(), err: err}
	}
	return stdout.Bytes(), nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
