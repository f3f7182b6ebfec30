package agentcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/runner/envsubst"
	"github.com/caravan-ci/caravan/runner/testsplit"
	"github.com/caravan-ci/caravan/shared/junit"
)

// SocketEnv is the variable that holds the runner's agent socket (runner.AgentSocketEnv).
const SocketEnv = "CARAVAN_AGENT_SOCKET"

// IsAgentName reports whether a binary invoked as argv0 should behave as the in-job CLI.
func IsAgentName(argv0 string) bool {
	switch filepath.Base(argv0) {
	case "circleci", "circleci-agent":
		return true
	}
	return false
}

const usage = `usage (inside a job):
  circleci tests glob PATTERN...
  circleci tests split [--split-by=name|filesize|timings] [--timings-type=file|classname|name] [--index N] [--total N] [FILE...]
  circleci tests run --command CMD [--split-by=...] [--timings-type=...] [--index N] [--total N] [--verbose]
  circleci env subst [TEXT]
  circleci-agent step halt
`

// Main runs one in-job command and returns its exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) >= 1 && (args[0] == "circleci-agent" || args[0] == "circleci") {
		args = args[1:]
	}
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	src := socketSource{path: os.Getenv(SocketEnv)}
	cwd, _ := os.Getwd()
	switch args[0] + " " + args[1] {
	case "tests glob":
		return testsplit.RunGlob(ctx, args[2:], stdout, stderr, cwd)
	case "tests split":
		return testsplit.RunSplit(ctx, args[2:], stdin, stdout, stderr, os.Getenv, src)
	case "tests run":
		return testsplit.RunTests(ctx, args[2:], stdin, stdout, stderr, os.Getenv, src)
	case "env subst":
		return envsubst.Run(args[2:], stdin, stdout, stderr, os.LookupEnv)
	case "step halt":
		if err := src.do(ctx, "POST", "/halt", nil); err != nil {
			fmt.Fprintf(stderr, "step halt: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, "The job will end successfully after this step.")
		return 0
	}
	fmt.Fprintf(stderr, "unknown command %q\n%s", strings.Join(args[:2], " "), usage)
	return 2
}

// socketSource asks the runner for timings and failed tests.
type socketSource struct{ path string }

func (s socketSource) client() (*http.Client, error) {
	if s.path == "" {
		return nil, fmt.Errorf("not inside a job: $%s is not set", SocketEnv)
	}
	return &http.Client{Timeout: 11 * time.Minute, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", s.path)
		}}}, nil
}

// do makes one call to the runner; the answer, if v is set, is decoded into it.
func (s socketSource) do(ctx context.Context, method, path string, v any) error {
	c, err := s.client()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://runner"+path, nil)
	if err != nil {
		return err
	}
	res, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("reach the runner: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode >= 300 {
		var m struct{ Message string }
		_ = json.NewDecoder(res.Body).Decode(&m)
		return fmt.Errorf("the runner answered %s: %s", res.Status, m.Message)
	}
	if v == nil {
		return nil
	}
	return json.NewDecoder(res.Body).Decode(v)
}

// Timings implements testsplit.Source.
func (s socketSource) Timings(ctx context.Context, by string) (map[string]float64, error) {
	var t struct {
		Timings map[string]float64 `json:"timings"`
	}
	err := s.do(ctx, "GET", "/timings?by="+url.QueryEscape(by), &t)
	return t.Timings, err
}

// FailedTests implements testsplit.Source.
func (s socketSource) FailedTests(ctx context.Context) ([]junit.Case, bool, error) {
	var f struct {
		Rerun bool         `json:"rerun"`
		Tests []junit.Case `json:"tests"`
	}
	err := s.do(ctx, "GET", "/failed-tests", &f)
	return f.Tests, f.Rerun, err
}
