package testsplit

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/junit"
	"github.com/google/go-cmp/cmp"
)

func TestRunTests(t *testing.T) {
	failedMath := []junit.Case{
		{Classname: "tests.test_math", Name: "test_wrong", File: "tests/test_math.py", Result: "failure"},
		{Classname: "tests.test_io", Name: "test_ok", File: "tests/test_io.py", Result: "success"},
	}
	const items = "tests/test_math.py tests/test_io.py tests/test_str.py tests/test_net.py"
	tests := []struct {
		name    string
		args    []string
		src     Source
		code    int
		ran     string // what the command read on stdin; "" when it must not run
		stdout  string
		errOut  string
		command string
	}{
		// by name: io, math, net, str go to nodes 0, 1, 0, 1.
		{"runs the node's share", []string{"--index=1", "--total=2"}, nil, 0,
			"tests/test_math.py\ntests/test_str.py\n", "", "", ""},
		{"whole list on one node", nil, &fakeSource{}, 0,
			"tests/test_math.py\ntests/test_io.py\ntests/test_str.py\ntests/test_net.py\n", "", "", ""},
		{"rerun keeps failed files", []string{"--timings-type=filename", "-v"}, &fakeSource{rerun: true, failed: failedMath}, 0,
			"tests/test_math.py\n", "", "rerunning 1 of 4 items that failed (matched by file)", ""},
		{"rerun autodetect", nil, &fakeSource{rerun: true, failed: failedMath}, 0, "tests/test_math.py\n", "", "", ""},
		{"rerun of failures assigned to another node", []string{"--index=1", "--total=2"}, &fakeSource{rerun: true, failed: failedMath}, 0,
			"", "", "no tests selected for node 1 of 2; not running the command", ""},
		{"rerun without recorded failures runs all", []string{"--index=1", "--total=2"},
			&fakeSource{rerun: true, failed: failedMath[1:]}, 0,
			"tests/test_math.py\ntests/test_str.py\n", "", "the previous attempt recorded no failed tests; running the full split", ""},
		{"rerun with unmatched failures runs nothing", []string{"--timings-type=classname"},
			&fakeSource{rerun: true, failed: []junit.Case{{Classname: "other.Class", Result: "error"}}}, 0,
			"", "", "none of the 4 items matches one of the 1 failed tests of the previous attempt; nothing to rerun", ""},
		{"failed tests not loaded", nil, &fakeSource{failedErr: errors.New("timeout")}, 0,
			"tests/test_math.py\ntests/test_io.py\ntests/test_str.py\ntests/test_net.py\n", "",
			"could not load the failed tests of the previous attempt: timeout; running the full split", ""},
		{"not a rerun ignores failures", []string{"--total=4", "--index=3"}, &fakeSource{failed: failedMath}, 0,
			"tests/test_str.py\n", "", "", ""},
		// math 30, net and str 15.5 (the average), io 1: {math, io} and {net, str}.
		{"split by timings", []string{"--split-by=timings", "--total=2"},
			&fakeSource{timings: map[string]map[string]float64{"file": {"tests/test_math.py": 30, "tests/test_io.py": 1}}}, 0,
			"tests/test_math.py\ntests/test_io.py\n", "", "", ""},
		{"passes output and exit code through", nil, nil, 3, "", "hello\n", "oops",
			"echo hello; echo oops >&2; exit 3"},
		{"missing command", nil, nil, 2, "", "", "--command is required", "-"},
		{"stray argument", []string{"extra"}, nil, 2, "", "", `unexpected argument "extra"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"--command", "cat > '" + out + "'"}, tt.args...)
			switch tt.command {
			case "":
			case "-":
				args = tt.args
			default:
				args = append([]string{"--command", tt.command}, tt.args...)
			}
			var stdout, stderr bytes.Buffer
			code := RunTests(context.Background(), args, strings.NewReader(items), &stdout, &stderr, envOf(nil), tt.src)
			if code != tt.code {
				t.Errorf("code = %d, want %d (stderr %q)", code, tt.code, stderr.String())
			}
			ran, err := os.ReadFile(out)
			if tt.ran == "" && err == nil {
				t.Errorf("command ran with %q, want it not to run", ran)
			}
			if tt.ran != "" {
				if diff := cmp.Diff(tt.ran, string(ran)); diff != "" || err != nil {
					t.Errorf("command input mismatch (err %v) (-want +got):\n%s", err, diff)
				}
			}
			if diff := cmp.Diff(tt.stdout, stdout.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(stderr.String(), tt.errOut) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.errOut)
			}
		})
	}
}

func TestRunTestsCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	code := RunTests(ctx, []string{"--command", "cat"}, strings.NewReader("a"), &stdout, &stderr, envOf(nil), nil)
	if code != 1 {
		t.Errorf("code = %d, want 1 (stderr %q)", code, stderr.String())
	}
}
