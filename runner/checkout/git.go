package checkout

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// ErrAuthentication marks a fetch the remote refused for lack of valid
// credentials (a wrong or expired HTTPS token, a rejected ssh key).
var ErrAuthentication = errors.New("authentication failed")

// git runs git commands in one repository with one environment.
type git struct {
	prog    string
	dir     string
	env     []string
	stdout  io.Writer
	stderr  io.Writer
	secrets []string // redacted from error messages
	// authHint explains an authentication failure ("the server rejected
	// the HTTPS token").
	authHint string
}

// run runs git with args, streaming its output to the step's writers. what
// names the operation in the error ("fetch origin").
func (g *git) run(ctx context.Context, what string, args ...string) error {
	return g.exec(ctx, what, g.stdout, false, args...)
}

// output runs git with args and returns its trimmed standard output.
func (g *git) output(ctx context.Context, what string, args ...string) (string, error) {
	var out bytes.Buffer
	err := g.exec(ctx, what, &out, false, args...)
	return strings.TrimSpace(out.String()), err
}

// ok runs git quietly and reports whether it exited 0; other failures (git
// missing, context cancelled) are returned.
func (g *git) ok(ctx context.Context, args ...string) (bool, error) {
	err := g.exec(ctx, "git "+args[0], io.Discard, true, args...)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exitErr) && ctx.Err() == nil:
		return false, nil
	}
	return false, err
}

// exec runs git; its standard error goes to the step's writer unless quiet,
// and its tail ends up in the returned error.
func (g *git) exec(ctx context.Context, what string, stdout io.Writer, quiet bool, args ...string) error {
	cmd := exec.CommandContext(ctx, g.prog, args...)
	cmd.Dir = g.dir
	cmd.Env = g.env
	// A killed git can leave children (ssh, remote helpers) holding the
	// output pipes; do not wait for them forever.
	cmd.WaitDelay = 10 * time.Second
	cmd.Stdout = stdout
	tail := &tailBuffer{max: 4096}
	cmd.Stderr = tail
	if !quiet {
		cmd.Stderr = io.MultiWriter(g.stderr, tail)
	}
	err := cmd.Run()
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", what, ctx.Err())
	}
	msg := g.redact(lastLines(tail.String(), 3))
	if isAuthFailure(tail.String()) {
		if g.authHint != "" {
			err = fmt.Errorf("%w (%s): %w", ErrAuthentication, g.authHint, err)
		} else {
			err = fmt.Errorf("%w: %w", ErrAuthentication, err)
		}
	}
	if msg == "" {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%s: %w: %s", what, err, msg)
}

func (g *git) redact(s string) string {
	for _, sec := range g.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "***")
		}
	}
	return s
}

// isAuthFailure recognises git's and ssh's messages for refused credentials.
func isAuthFailure(stderr string) bool {
	for _, m := range []string{
		"Authentication failed", "terminal prompts disabled", "could not read Username",
		"could not read Password", "Permission denied (publickey", "Host key verification failed",
		"The requested URL returned error: 401", "The requested URL returned error: 403",
	} {
		if strings.Contains(stderr, m) {
			return true
		}
	}
	return false
}

// lastLines returns the last n non-empty lines of s (split at \n and \r, so
// progress updates count as lines), joined with "; ". Git's boilerplate
// after a failed connection is skipped so that the cause (ssh's message)
// stays in view.
func lastLines(s string, n int) string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' })
	var lines []string
	for i := len(fields) - 1; i >= 0 && len(lines) < n; i-- {
		l := strings.TrimSpace(fields[i])
		if l != "" && l != "Please make sure you have the correct access rights" && l != "and the repository exists." {
			lines = append([]string{l}, lines...)
		}
	}
	return strings.Join(lines, "; ")
}

// lockedWriter serialises writes to w: git's standard output and error are
// copied by separate goroutines and callers often pass one writer for both.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }
