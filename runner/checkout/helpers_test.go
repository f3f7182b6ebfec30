package checkout

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// testEnv is a hermetic environment for git: its own HOME, no system
// config, fixed identities.
type testEnv struct {
	t    *testing.T
	home string
	env  []string
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	home := t.TempDir()
	return &testEnv{t: t, home: home, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"LC_ALL=C",
	}}
}

// with returns a copy of e whose environment has extra variables.
func (e *testEnv) with(kv ...string) *testEnv {
	c := *e
	c.env = append(append([]string(nil), e.env...), kv...)
	return &c
}

// git runs git in dir and returns its trimmed output, failing the test on error.
func (e *testEnv) git(dir string, args ...string) string {
	e.t.Helper()
	out, err := e.tryGit(dir, args...)
	if err != nil {
		e.t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (e *testEnv) tryGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = e.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stderr.String(), err
	}
	return strings.TrimSpace(stdout.String()), nil
}

// newSource creates a repository on branch main that serves filtered and
// by-SHA fetches, with one commit.
func (e *testEnv) newSource() string {
	e.t.Helper()
	dir := filepath.Join(e.t.TempDir(), "repo.git")
	e.git("", "init", "--quiet", "--initial-branch=main", dir)
	e.git(dir, "config", "uploadpack.allowFilter", "true")
	e.commit(dir, "README", "first")
	return dir
}

// commit writes file in repo and commits it, returning the commit's SHA.
func (e *testEnv) commit(repo, file, content string) string {
	e.t.Helper()
	if err := os.WriteFile(filepath.Join(repo, file), []byte(content+"\n"), 0o644); err != nil {
		e.t.Fatal(err)
	}
	e.git(repo, "add", file)
	e.git(repo, "commit", "--quiet", "-m", "write "+file+": "+content)
	return e.git(repo, "rev-parse", "HEAD")
}

// run runs Run with e's environment and returns the captured output.
func (e *testEnv) run(spec Spec, dir string, opts Options) (string, error) {
	e.t.Helper()
	var out bytes.Buffer
	opts.Stdout, opts.Stderr = &out, &out
	if opts.Env == nil {
		opts.Env = e.env
	}
	if opts.TempDir == "" {
		opts.TempDir = e.t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Run(ctx, spec, dir, opts)
	return out.String(), err
}

// mustRun is run that fails the test on error.
func (e *testEnv) mustRun(spec Spec, dir string) string {
	e.t.Helper()
	out, err := e.run(spec, dir, Options{})
	if err != nil {
		e.t.Fatalf("Run(%+v): %v\noutput:\n%s", spec, err, out)
	}
	return out
}

// head reports the checked-out commit and branch ("" when detached).
func (e *testEnv) head(dir string) (sha, branch string) {
	e.t.Helper()
	sha = e.git(dir, "rev-parse", "HEAD")
	branch, _ = e.tryGit(dir, "symbolic-ref", "--quiet", "--short", "HEAD")
	if _, err := e.tryGit(dir, "symbolic-ref", "--quiet", "HEAD"); err != nil {
		branch = ""
	}
	return sha, branch
}

// config returns a repository config value, "" when unset.
func (e *testEnv) config(dir, key string) string {
	out, err := e.tryGit(dir, "config", "--get", key)
	if err != nil {
		return ""
	}
	return out
}

// writeScript writes an executable shell script.
func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}
