package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

const triggerConfig = `version: 2.1
parameters:
  fail:
    type: boolean
    default: false
jobs:
  hello:
    docker: [{image: cimg/base:stable}]
    steps:
      - run: echo hello
      - when:
          condition: << pipeline.parameters.fail >>
          steps: [{run: exit 3}]
workflows:
  main:
    jobs:
      - hello:
          filters: {branches: {ignore: skip}}
`

func TestClientTrigger(t *testing.T) {
	s := startTestServer(t)
	waitInterval, quietAfter = 100*time.Millisecond, time.Second
	repoDir := t.TempDir()
	os.MkdirAll(filepath.Join(repoDir, ".circleci"), 0o755)
	os.WriteFile(filepath.Join(repoDir, ".circleci", "config.yml"), []byte(triggerConfig), 0o644)
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"},
		{"-c", "user.name=T", "-c", "user.email=t@example.invalid", "commit", "-q", "-m", "config"},
		{"branch", "skip"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = repoDir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, b)
		}
	}
	code, out, errOut := s.admin("", "org", "create", "demo", "--vcs", "local")
	expect(t, "org create", code, out, errOut, exitOK, has("local/demo"), nil)
	t.Chdir(repoDir) // a relative repository path is sent absolute
	code, out, errOut = s.admin("", "project", "create", "local/demo", "hello", "--repo", ".")
	expect(t, "project create", code, out, errOut, exitOK, has("local/demo/hello", "repository: "+repoDir), nil)

	code, out, errOut = s.admin("", "trigger", "local/demo/hello", "--wait")
	t.Logf("trigger --wait:\n%s", out)
	expect(t, "trigger --wait", code, out, errOut, exitOK,
		has("Pipeline #1 (id ", "main/hello: success", "workflow main: success", "Pipeline #1 succeeded"), nil)
	code, out, errOut = s.admin("", "trigger", "local/demo/hello", "--param", "fail=true", "--wait", "--json")
	expect(t, "trigger --wait failing", code, out, errOut, exitInvalid, has(`"success": false`),
		has("main/hello: failed", "pipeline #2 did not succeed: workflow main failed"))
	t.Logf("trigger --wait --json (failing):\n%s%s", errOut, out)
	var res waitResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res.Workflows) != 1 || len(res.Workflows[0].Jobs) != 1 {
		t.Errorf("trigger --wait --json: %v %+v", err, res)
	}
	code, out, errOut = s.admin("", "trigger", "local/demo/hello", "--branch", "nope", "--wait")
	expect(t, "trigger --wait unknown branch", code, out, errOut, exitInvalid, nil, has("pipeline #3 errored", "nope"))
	code, out, errOut = s.admin("", "trigger", "local/demo/hello", "--branch", "skip", "--wait")
	expect(t, "trigger --wait, every job filtered out", code, out, errOut, exitOK, has("Pipeline #4 runs no workflow"), nil)
	code, out, errOut = s.admin("", "trigger", "local/demo/hello", "--json")
	var created struct{ Number int64 }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Number != 5 {
		t.Errorf("trigger --json: %v %q (exit %d, %s)", err, out, code, errOut)
	}
	code, out, errOut = s.admin("", "trigger", "local/demo/nope")
	expect(t, "trigger unknown project", code, out, errOut, exitInvalid, nil, has("Project not found. (404 Not Found)"))
}
