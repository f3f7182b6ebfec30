package machine_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/google/go-cmp/cmp"
)

// hostile holds values that break a script which does not quote them. Executed variants use only `touch`, so a
// quoting bug leaves a file behind instead of doing harm.
func hostile() machine.Launch {
	return machine.Launch{
		TaskID:    "t'; touch pwned-task; echo '$(touch pwned-sub)`touch pwned-bt`\n\"$HOME\" * ;",
		Attempt:   1,
		APIURL:    "https://x/$(touch pwned-api)?a=1&b=2;touch pwned-semi",
		Token:     `s3cr3t' "$(touch pwned-token)" \` + "`touch pwned-tok-bt` $PATH !! '\n'",
		RunnerURL: `https://r/runner.tar.gz?x=$(touch pwned-url)'"` + "\\",
	}
}

func TestBootScriptSyntax(t *testing.T) {
	t.Parallel()
	tests := map[string]machine.Launch{
		"plain":   launch("job-0", 1),
		"hostile": hostile(),
		"rm":      {TaskID: "$(rm -rf /)", APIURL: "`rm -rf /`", Token: "'; rm -rf / #", RunnerURL: `"; rm -rf / #`},
	}
	for name, l := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "boot.sh")
			if err := os.WriteFile(path, []byte(machine.BootScript(l)), 0o600); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("/bin/bash", "-n", path).CombinedOutput(); err != nil {
				t.Fatalf("bash -n: %v\n%s", err, out)
			}
		})
	}
}

// fakeCommands replaces what the script must not really do here with shell functions recording their
// arguments (NUL-separated) and whether CARAVAN_TASK_TOKEN reached them. tar, mktemp and chmod stay real.
const fakeCommands = `
rec() { local name=$1; shift; printf '%s\0' "$@" > "$REC/$name.args"; printf x >> "$REC/$name.count"
	if [ -n "${CARAVAN_TASK_TOKEN+set}" ]; then printf '%s' "$CARAVAN_TASK_TOKEN" > "$REC/$name.token"; fi; }
curl() { rec curl "$@"; if [ -n "${FAKE_CURL_FAIL:-}" ]; then return 22; fi
	local out=; while [ $# -gt 0 ]; do if [ "$1" = --output ]; then out=$2; fi; shift; done; cp "$FAKE_RUNNER" "$out"; }
caravan() { rec caravan "$@"; return "${FAKE_RUNNER_STATUS:-0}"; }
mkdir() { rec mkdir "$@"; }
shutdown() { rec shutdown "$@"; }
sleep() { rec sleep "$@"; }
`

func TestBootScriptRuns(t *testing.T) {
	t.Parallel()
	runner := runnerArchive(t)
	tests := []struct {
		name       string
		launch     machine.Launch
		env        []string
		wantExit   int
		wantRunner bool
		wantCurls  int
	}{
		{"success", launch("job-0", 1), nil, 0, true, 1},
		{"runner fails", launch("job-0", 1), []string{"FAKE_RUNNER_STATUS=3"}, 3, true, 1},
		{"hostile values", hostile(), nil, 0, true, 1},
		{"download fails", launch("job-0", 1), []string{"FAKE_CURL_FAIL=1"}, 1, false, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			rec := filepath.Join(dir, "rec")
			if err := os.Mkdir(rec, 0o700); err != nil {
				t.Fatal(err)
			}
			script := filepath.Join(dir, "boot.sh")
			if err := os.WriteFile(script, []byte(fakeCommands+machine.BootScript(tt.launch)), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("/bin/bash", script)
			cmd.Dir = dir
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "TMPDIR=" + dir, "REC=" + rec,
				"FAKE_RUNNER=" + runner}, tt.env...)
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			code := 0
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatalf("run script: %v", err)
			}
			if code != tt.wantExit {
				t.Errorf("exit status %d, want %d; output:\n%s", code, tt.wantExit, out)
			}
			pwned, _ := filepath.Glob(filepath.Join(dir, "pwned*"))
			if len(pwned) > 0 {
				t.Errorf("hostile values were executed: %q", pwned)
			}
			read := func(name string) string { b, _ := os.ReadFile(filepath.Join(rec, name)); return string(b) }
			args := func(name string) []string {
				s := read(name + ".args")
				if s == "" {
					return nil
				}
				return strings.Split(strings.TrimSuffix(s, "\x00"), "\x00")
			}
			l := tt.launch
			if diff := cmp.Diff([]string{"-h", "now"}, args("shutdown")); diff != "" || read("shutdown.count") != "x" {
				t.Errorf("shutdown called %q times, args (-want +got):\n%s", read("shutdown.count"), diff)
			}
			if got := len(read("curl.count")); got != tt.wantCurls {
				t.Errorf("curl called %d times, want %d", got, tt.wantCurls)
			}
			if curl := args("curl"); len(curl) == 0 || curl[len(curl)-1] != l.RunnerURL {
				t.Errorf("curl args %q, want the runner URL %q last", curl, l.RunnerURL)
			}
			for _, name := range []string{"curl", "mkdir", "shutdown"} {
				if tok := read(name + ".token"); tok != "" {
					t.Errorf("%s saw CARAVAN_TASK_TOKEN %q; only the runner may", name, tok)
				}
			}
			if !tt.wantRunner {
				if read("caravan.count") != "" {
					t.Errorf("runner started after a failed download")
				}
				return
			}
			want := []string{"runner", "--api-url", l.APIURL, "--task-id", l.TaskID, "--work-dir", "/var/lib/caravan/" + l.TaskID}
			if diff := cmp.Diff(want, args("caravan")); diff != "" {
				t.Errorf("runner args (-want +got):\n%s", diff)
			}
			if got := read("caravan.token"); got != l.Token {
				t.Errorf("runner's CARAVAN_TASK_TOKEN = %q, want %q", got, l.Token)
			}
			if diff := cmp.Diff([]string{"-p", "/var/lib/caravan/" + l.TaskID}, args("mkdir")); diff != "" {
				t.Errorf("mkdir args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBootScriptTokenOnlyInEnvironment(t *testing.T) {
	t.Parallel()
	l := launch("job-0", 1)
	l.Token = "unique-token-value-42"
	s := machine.BootScript(l)
	if n := strings.Count(s, l.Token); n != 1 {
		t.Fatalf("token appears %d times in the script, want once", n)
	}
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, l.Token) && !strings.HasPrefix(line, "CARAVAN_TASK_TOKEN='"+l.Token+"' caravan runner ") {
			t.Errorf("token on line %q, want it only as the runner's environment assignment", line)
		}
	}
}

// runnerArchive writes a .tar.gz holding one executable named caravan, as the runner URL serves.
func runnerArchive(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	body := []byte("#!/bin/sh\necho real runner must not run in this test; exit 99\n")
	if err := tw.WriteHeader(&tar.Header{Name: "caravan", Mode: 0o755, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "runner.tar.gz")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
