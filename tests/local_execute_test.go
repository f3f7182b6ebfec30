package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// repo creates a git repository with files and one commit.
func repo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q", "-b", "main"}, {"add", "-A"}, {"commit", "-qm", "initial"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

// localExecute runs `caravan local execute` in dir and returns its output and exit code.
func localExecute(t *testing.T, dir, state string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(caravanBin, append([]string{"local", "execute", "--docker-mode", "host", "--dir", state}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

const goModule = "module example.com/demo\n\ngo 1.22\n"

func goTest(pkg string, n int) string {
	return "package " + pkg + "\n\nimport (\n\t\"testing\"\n\t\"time\"\n)\n\n" +
		"func TestWork(t *testing.T) { time.Sleep(" + strconv.Itoa(40*n) + " * time.Millisecond) }\n\n" +
		"func TestQuick(t *testing.T) {}\n"
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestLocalExecuteWorkflow is the acceptance scenario: a multi-job workflow with a cache, a workspace hand-off,
// artifacts, JUnit test results from go test (through go-junit-report) and pytest, a parallelism of 4 split by
// timings, and a failing job whose on_fail step cleans up. It runs twice: the second run restores the cache and
// splits by the first run's timings.
func TestLocalExecuteWorkflow(t *testing.T) {
	pytest, err := exec.LookPath("pytest-3")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pytest-3 is missing: .ci/run installs Debian's python3-pytest")
		}
		t.Skip("pytest-3 not installed (apt-get install python3-pytest)")
	}
	out := t.TempDir()
	files := map[string]string{
		"go.mod":               goModule,
		"deps.txt":             "left-pad 1.3.0\n",
		"py/test_calc.py":      "def test_add():\n    assert 1 + 1 == 2\n\ndef test_mul():\n    assert 2 * 3 == 6\n",
		".circleci/config.yml": strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(workflowConfig, "$OUT", out), "$JUNIT", junitBin), "$PYTEST", pytest),
	}
	for i, p := range []string{"a", "b", "c", "d", "e", "f"} {
		files["pkg/"+p+"/"+p+"_test.go"] = goTest(p, i+1)
	}
	dir := repo(t, files)
	state := t.TempDir()

	first, code := localExecute(t, dir, state)
	t.Logf("first run:\n%s", first)
	if code != 1 {
		t.Fatalf("exit code %d, want 1 (the deploy job fails)", code)
	}
	for _, want := range []string{
		"[build]   cache miss: fetching", "[build] ✔ Saving cache", "Uploaded app/app.bin",
		"[gotest.3] ▶ Spin up environment", "[pytest]   2 passed",
		"[deploy] ✘ deploy (failed", "[deploy]   cleaning up after the failure",
		"build                          success", "deploy                         failed",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("first run output lacks %q", want)
		}
	}
	if !strings.Contains(first, "falling back") && !strings.Contains(first, "by name") {
		t.Errorf("the first run has no timings and should say it splits by name")
	}
	checkSplit(t, out)
	if _, err := os.Stat(filepath.Join(out, "cleanup-ran")); err != nil {
		t.Error("the on_fail cleanup step did not run")
	}

	second, code := localExecute(t, dir, state)
	t.Logf("second run:\n%s", second)
	if code != 1 {
		t.Fatalf("second run exit code %d", code)
	}
	if !strings.Contains(second, "[build]   cache hit") || !strings.Contains(second, "Found a cache for key deps-v1-") {
		t.Error("the second run did not restore the first run's cache")
	}
	if strings.Contains(second, "falling back") {
		t.Error("the second run should split by the first run's timings")
	}
	checkSplit(t, out)

	// --job runs one job alone.
	one, code := localExecute(t, dir, state, "--job", "build")
	if code != 0 || strings.Contains(one, "[gotest") {
		t.Errorf("--job build: exit %d\n%s", code, one)
	}
}

// checkSplit verifies that the 4 nodes ran every Go package exactly once between them.
func checkSplit(t *testing.T, out string) {
	t.Helper()
	var all []string
	for node := range 4 {
		b, err := os.ReadFile(filepath.Join(out, "split-"+itoa(node)+".txt"))
		if err != nil {
			t.Fatalf("node %d: %v", node, err)
		}
		all = append(all, strings.Fields(string(b))...)
	}
	slices.Sort(all)
	want := []string{"example.com/demo/pkg/a", "example.com/demo/pkg/b", "example.com/demo/pkg/c",
		"example.com/demo/pkg/d", "example.com/demo/pkg/e", "example.com/demo/pkg/f"}
	if !slices.Equal(all, want) {
		t.Errorf("packages run across the 4 nodes: %v, want each of %v once", all, want)
	}
}

const workflowConfig = `version: 2.1
executors:
  go:
    docker:
      - image: cimg/go:1.22
    environment:
      GOFLAGS: -mod=mod
      GOCACHE: $OUT/gocache
jobs:
  build:
    executor: go
    steps:
      - checkout
      - restore_cache:
          keys:
            - deps-v1-{{ checksum "deps.txt" }}
            - deps-v1-
      - run:
          name: fetch dependencies
          command: |
            if [ -f ~/deps/lib.txt ]; then echo "cache hit"; else echo "cache miss: fetching"; mkdir -p ~/deps; cp deps.txt ~/deps/lib.txt; fi
      - save_cache:
          key: deps-v1-{{ checksum "deps.txt" }}
          paths: [~/deps]
      - run: mkdir -p dist && echo "built $CIRCLE_SHA1" > dist/app.bin
      - persist_to_workspace:
          root: .
          paths: [dist]
      - store_artifacts:
          path: dist
          destination: app
  gotest:
    executor: go
    parallelism: 4
    steps:
      - checkout
      - attach_workspace:
          at: ~/ws
      - run: cat ~/ws/dist/app.bin
      - run:
          name: go test
          command: |
            mkdir -p test-results/go
            PKGS=$(go list ./... | circleci tests split --split-by=timings --timings-type=classname)
            echo "$PKGS" > $OUT/split-$CIRCLE_NODE_INDEX.txt
            if [ -n "$PKGS" ]; then go test -v $PKGS 2>&1 | $JUNIT > test-results/go/results.xml; fi
      - store_test_results:
          path: test-results
  pytest:
    executor: go
    steps:
      - checkout
      - run: cd py && $PYTEST -q -o junit_family=xunit1 --junitxml=../test-results/py/results.xml -p no:cacheprovider
      - store_test_results:
          path: test-results
  deploy:
    executor: go
    steps:
      - attach_workspace:
          at: .
      - run:
          name: deploy
          command: test -f dist/app.bin && echo "deploying" && exit 1
      - run:
          name: cleanup
          when: on_fail
          command: echo "cleaning up after the failure" && touch $OUT/cleanup-ran
workflows:
  ci:
    jobs:
      - build
      - gotest:
          requires: [build]
      - pytest:
          requires: [build]
      - deploy:
          requires: [gotest, pytest]
`
