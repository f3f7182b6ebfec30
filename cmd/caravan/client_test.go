package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/runner/agentcli"
	"github.com/caravan-ci/caravan/shared/server"
)

// TestMain lets the test binary stand in for the caravan binary: the server under test starts it as its
// runner ("runner ..."), and jobs call it as circleci and circleci-agent.
func TestMain(m *testing.M) {
	if agentcli.IsAgentName(os.Args[0]) {
		os.Exit(agentcli.Main(context.Background(), append([]string{filepath.Base(os.Args[0])}, os.Args[1:]...),
			os.Stdin, os.Stdout, os.Stderr))
	}
	if len(os.Args) > 1 && os.Args[1] == "runner" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// testServer is a caravan server running in this process, with its admin token.
type testServer struct {
	t     *testing.T
	url   string
	token string
}

func startTestServer(t *testing.T) *testServer {
	t.Helper()
	for _, k := range []string{"CARAVAN_HOST", "CIRCLECI_CLI_HOST", "CARAVAN_TOKEN", "CIRCLECI_CLI_TOKEN"} {
		t.Setenv(k, "")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.Open(ctx, server.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", DockerMode: "host",
		RunnerCommand: []string{exe, "runner"}, Concurrency: 2, RatePerSecond: 1000, KillRunnersOnShutdown: true,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		s.Close()
	})
	if s.AdminToken() == "" {
		t.Fatal("no admin token")
	}
	return &testServer{t: t, url: s.URL(), token: s.AdminToken()}
}

// as runs a command against the server with a token (flags after the arguments, as users may type them).
func (s *testServer) as(token, stdin string, args ...string) (int, string, string) {
	s.t.Helper()
	return runClient(s.t, stdin, append(args, "--host", s.url, "--token", token)...)
}

func (s *testServer) admin(stdin string, args ...string) (int, string, string) {
	s.t.Helper()
	return s.as(s.token, stdin, args...)
}

func runClient(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// expect checks an exit code and that stdout and stderr contain the given strings.
func expect(t *testing.T, what string, code int, out, errOut string, want int, outHas, errHas []string) {
	t.Helper()
	if code != want {
		t.Errorf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", what, code, want, out, errOut)
	}
	for _, s := range outHas {
		if !strings.Contains(out, s) {
			t.Errorf("%s: stdout lacks %q:\n%s", what, s, out)
		}
	}
	for _, s := range errHas {
		if !strings.Contains(errOut, s) {
			t.Errorf("%s: stderr lacks %q:\n%s", what, s, errOut)
		}
	}
}

func has(s ...string) []string { return s }

func TestClientAdmin(t *testing.T) {
	s := startTestServer(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "hook.secret")
	orbFile := filepath.Join(dir, "orb.yml")
	os.WriteFile(secret, []byte("hook-secret\n"), 0o600)
	os.WriteFile(orbFile, []byte("version: 2.1\ncommands:\n  hi:\n    steps: [{run: echo hi}]\n"), 0o644)

	code, out, errOut := s.admin("", "org", "create", "acme")
	expect(t, "org create", code, out, errOut, exitOK, has("Created organization gh/acme"), nil)
	code, out, errOut = s.admin("", "org", "create", "acme")
	expect(t, "org create again", code, out, errOut, exitInvalid, nil, has("exists already", "409 Conflict"))
	code, out, errOut = s.admin("", "org", "list", "--json")
	var orgs []struct{ Slug, VCS string }
	if err := json.Unmarshal([]byte(out), &orgs); err != nil || len(orgs) != 1 || orgs[0].Slug != "gh/acme" {
		t.Errorf("org list --json: %v %+v (exit %d, %s)", err, orgs, code, errOut)
	}

	code, out, errOut = s.admin("", "project", "create", "gh/acme", "api", "--repo", "https://example.com/acme/api.git",
		"--webhook-secret-file", secret)
	expect(t, "project create", code, out, errOut, exitOK, has("Created project gh/acme/api", "webhook secret: set"), nil)
	code, out, errOut = s.admin("", "project", "create", "gh/acme", "web")
	expect(t, "project create without --repo", code, out, errOut, exitUsage, nil, has("--repo is required"))
	code, out, errOut = s.admin("", "project", "list")
	expect(t, "project list", code, out, errOut, exitOK, has("gh/acme/api", "https://example.com/acme/api.git"), nil)

	code, out, errOut = s.admin("", "user", "create", "--admin=false", "bob", "--name", "Bob")
	expect(t, "user create", code, out, errOut, exitOK, has("Created user bob"), nil)
	code, out, errOut = s.admin("", "member", "add", "gh/acme", "bob", "--role", "owner")
	expect(t, "member add bad role", code, out, errOut, exitUsage, nil, has("--role must be"))
	code, out, errOut = s.admin("", "member", "add", "gh/acme", "bob", "--role", "viewer")
	expect(t, "member add", code, out, errOut, exitOK, has("bob is viewer of gh/acme"), nil)
	code, out, errOut = s.admin("", "member", "add", "gh/nope", "bob", "--role", "viewer")
	expect(t, "member add unknown org", code, out, errOut, exitInvalid, nil, has(`Organization "gh/nope" not found.`, "404"))

	code, bobTok, errOut := s.admin("", "token", "create", "--label", "ci", "--login", "bob")
	expect(t, "token create", code, bobTok, errOut, exitOK, has("CCIPAT_"), nil)
	bobTok = strings.TrimSpace(bobTok)
	if strings.ContainsAny(bobTok, " \n") {
		t.Errorf("token create printed more than the token: %q", bobTok)
	}
	code, out, errOut = s.as(bobTok, "", "org", "list")
	expect(t, "org list as a non-admin", code, out, errOut, exitInvalid, nil,
		has("caravan org list: Permission denied: this needs a server administrator. (403 Forbidden)"))
	code, out, errOut = s.as(bobTok, "", "context", "create", "gh/acme", "deploy")
	expect(t, "context create as a viewer", code, out, errOut, exitInvalid, nil, has("needs the admin role", "403"))

	code, out, errOut = s.admin("", "context", "create", "gh/acme", "deploy", "--json")
	var cx struct{ ID, Name string }
	if err := json.Unmarshal([]byte(out), &cx); err != nil || cx.ID == "" || cx.Name != "deploy" {
		t.Fatalf("context create --json: %v %+v (exit %d, %s)", err, cx, code, errOut)
	}
	code, out, errOut = s.admin("", "context", "list", "github/acme")
	expect(t, "context list", code, out, errOut, exitOK, has(cx.ID, "deploy"), nil)
	code, out, errOut = s.admin("s3cret\n", "context", "set", cx.ID, "DEPLOY_KEY")
	expect(t, "context set", code, out, errOut, exitOK, has("Set DEPLOY_KEY in context "+cx.ID), nil)
	if strings.Contains(out+errOut, "s3cret") {
		t.Errorf("context set echoed the value: %s %s", out, errOut)
	}
	code, out, errOut = s.admin("", "context", "set", cx.ID, "EMPTY")
	expect(t, "context set without a value", code, out, errOut, exitInvalid, nil, has("no value on standard input"))
	code, out, errOut = s.admin("", "context", "unset", cx.ID, "DEPLOY_KEY")
	expect(t, "context unset", code, out, errOut, exitOK, has("Removed DEPLOY_KEY"), nil)
	code, out, errOut = s.admin("", "context", "unset", cx.ID, "DEPLOY_KEY")
	expect(t, "context unset again", code, out, errOut, exitInvalid, nil, has("Environment variable not found. (404 Not Found)"))

	code, out, errOut = s.admin("abcdefgh1234\n", "envvar", "set", "gh/acme/api", "API_KEY")
	expect(t, "envvar set", code, out, errOut, exitOK, has("Set API_KEY on gh/acme/api (xxxx1234)"), nil)
	code, out, errOut = s.admin("", "envvar", "list", "gh/acme/api")
	expect(t, "envvar list", code, out, errOut, exitOK, has("API_KEY", "xxxx1234"), nil)
	code, out, errOut = s.admin("", "envvar", "list", "gh/acme/nope")
	expect(t, "envvar list unknown project", code, out, errOut, exitInvalid, nil, has("Project not found. (404 Not Found)"))

	code, out, errOut = s.admin("", "orb", "import", "acme/tools@1.0.0", orbFile)
	expect(t, "orb import", code, out, errOut, exitOK, has("Imported orb acme/tools@1.0.0"), nil)
	code, out, errOut = s.admin("", "orb", "import", "acme/tools@volatile", orbFile)
	expect(t, "orb import bad ref", code, out, errOut, exitInvalid, nil, has("400 Bad Request"))

	code, out, errOut = s.admin("", "token", "revoke", "--label", "ci", "--login", "bob")
	expect(t, "token revoke", code, out, errOut, exitOK, has(`Revoked token "ci"`), nil)
	code, out, errOut = s.as(bobTok, "", "context", "list", "gh/acme")
	expect(t, "revoked token", code, out, errOut, exitInvalid, nil, has("Invalid token provided. (401 Unauthorized)"))
	code, mine, errOut := s.admin("", "token", "create", "--label", "mine")
	expect(t, "own token create", code, mine, errOut, exitOK, has("CCIPAT_"), nil)
	code, out, errOut = s.as(strings.TrimSpace(mine), "", "token", "revoke", "--label", "mine")
	expect(t, "own token revoke", code, out, errOut, exitOK, nil, nil)
}

func TestClientConnection(t *testing.T) {
	s := startTestServer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	code, out, errOut := runClient(t, "", "org", "list", "--host", closed, "--token", "x")
	expect(t, "connection refused", code, out, errOut, exitInvalid, nil,
		has("caravan org list: the Caravan server is not running at "+closed+" (connection refused)"))

	// No token anywhere, then the token file `make run` leaves in .caravan/.
	t.Chdir(t.TempDir())
	code, out, errOut = runClient(t, "", "org", "list", "--host", s.url)
	expect(t, "no token", code, out, errOut, exitUsage, nil, has("no API token"))
	os.Mkdir(".caravan", 0o700)
	os.WriteFile(adminTokenFile, []byte(s.token+"\n"), 0o600)
	t.Setenv("CARAVAN_HOST", strings.TrimPrefix(s.url, "http://"))
	code, out, errOut = runClient(t, "", "org", "list")
	expect(t, "token file and CARAVAN_HOST", code, out, errOut, exitOK, has("No organizations."), nil)
	t.Setenv("CIRCLECI_CLI_TOKEN", "CCIPAT_bogus")
	code, out, errOut = runClient(t, "", "org", "list")
	expect(t, "CIRCLECI_CLI_TOKEN before the file", code, out, errOut, exitInvalid, nil, has("Invalid token provided."))

	for _, tc := range []struct {
		args   []string
		errHas string
	}{
		{[]string{"org"}, "org create NAME"},
		{[]string{"org", "delete"}, `unknown command "delete"`},
		{[]string{"org", "create"}, "usage: caravan org create NAME"},
		{[]string{"context", "set", "id"}, "usage: caravan context set"},
		{[]string{"trigger", "gh/a/b", "--branch", "x", "--tag", "y"}, "not both"},
		{[]string{"trigger", "gh/a/b", "--param", "novalue"}, "want KEY=VALUE"},
		{[]string{"token", "create"}, "--label is required"},
	} {
		code, out, errOut := runClient(t, "", tc.args...)
		expect(t, strings.Join(tc.args, " "), code, out, errOut, exitUsage, nil, has(tc.errHas))
	}
}
