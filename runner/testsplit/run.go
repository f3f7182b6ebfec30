package testsplit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// RunTests is `circleci tests run --command CMD [flags]`: it reads items
// from stdin, keeps this node's share as `tests split` would, and runs CMD
// with a shell, feeding it the selected items on stdin, one per line. It
// returns the command's exit code.
//
// When src says this job reruns the failed tests of a previous attempt, the
// items are first narrowed to those matching a failed case (by file,
// classname or name, per --timings-type) and only those are split across
// the nodes. If the previous attempt recorded no failure, everything runs;
// if failures were recorded but none matches an item, nothing runs. A node
// that ends up with no items does not run the command and exits 0.
func RunTests(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	env func(string) string, src Source) int {
	o := &options{name: "tests run"}
	fs := o.flags("circleci tests run", "--command CMD [flags] < items", autodetect, stderr)
	fs.StringVar(&o.command, "command", "", "shell `command` to run; it reads the selected items on stdin")
	fs.BoolVar(&o.verbose, "verbose", false, "explain the selection on stderr")
	fs.BoolVar(&o.verbose, "v", false, "short for --verbose")
	positional, code := o.parse(fs, args, env)
	if code >= 0 {
		return code
	}
	if len(positional) > 0 {
		fmt.Fprintf(stderr, "%s: unexpected argument %q (items are read from stdin)\n", o.name, positional[0])
		return exitUsage
	}
	if strings.TrimSpace(o.command) == "" {
		fmt.Fprintf(stderr, "%s: --command is required\n", o.name)
		return exitUsage
	}
	items, err := readItems(nil, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.name, err)
		return exitRuntime
	}
	items, ok := o.rerunItems(ctx, items, src, stderr)
	if !ok {
		return exitOK
	}
	mine, err := o.split(ctx, items, src, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.name, err)
		return exitRuntime
	}
	if len(mine) == 0 {
		fmt.Fprintf(stderr, "%s: no tests selected for node %d of %d; not running the command\n",
			o.name, o.index, o.total)
		return exitOK
	}
	if o.verbose {
		fmt.Fprintf(stderr, "%s: running %d of %d items on node %d: %s\n", o.name, len(mine), len(items), o.index, o.command)
	}
	return o.exec(ctx, mine, stdout, stderr)
}

// rerunItems narrows items to the failed tests when this job is a rerun of
// failed tests. ok is false when there is nothing to run.
func (o *options) rerunItems(ctx context.Context, items []string, src Source, stderr io.Writer) (kept []string, ok bool) {
	if src == nil {
		return items, true
	}
	cases, rerun, err := src.FailedTests(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "%s: could not load the failed tests of the previous attempt: %v; running the full split\n",
			o.name, err)
		return items, true
	}
	if !rerun {
		return items, true
	}
	failed := onlyFailed(cases)
	if len(failed) == 0 {
		fmt.Fprintf(stderr, "%s: the previous attempt recorded no failed tests; running the full split\n", o.name)
		return items, true
	}
	kept, kind := failedItems(items, failed, candidateKinds(o.timingsType, items))
	if len(kept) == 0 {
		fmt.Fprintf(stderr, "%s: none of the %d items matches one of the %d failed tests of the previous attempt; nothing to rerun\n",
			o.name, len(items), len(failed))
		return nil, false
	}
	if o.verbose {
		fmt.Fprintf(stderr, "%s: rerunning %d of %d items that failed (matched by %s)\n", o.name, len(kept), len(items), kind)
	}
	return kept, true
}

// exec runs the command with bash when it is installed, else /bin/sh.
func (o *options) exec(ctx context.Context, items []string, stdout, stderr io.Writer) int {
	shell := "/bin/sh"
	if p, err := exec.LookPath("bash"); err == nil {
		shell = p
	}
	cmd := exec.CommandContext(ctx, shell, "-c", o.command)
	cmd.Stdin = strings.NewReader(strings.Join(items, "\n") + "\n")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return exitErr.ExitCode()
	default:
		fmt.Fprintf(stderr, "%s: running %s -c %q: %v\n", o.name, shell, o.command, err)
		return exitRuntime
	}
}
