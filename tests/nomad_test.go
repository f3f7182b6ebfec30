package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The Nomad suite runs against a real Nomad dev agent (scripts/nomad.sh start; NOMAD_ADDR names it). Without
// one it skips, unless CARAVAN_REQUIRE_NOMAD is set (as .ci/run does), where a missing agent fails.

const nomadConfig = `version: 2.1
parameters:
  mode:
    type: string
    default: many
jobs:
  many:
    machine:
      image: ubuntu-2204:current
    parallelism: 50
    steps:
      - run: echo "$CIRCLE_JOB/$CIRCLE_NODE_INDEX" >> "$MARKER_DIR/many-runs"
  slow:
    machine:
      image: ubuntu-2204:current
    parallelism: 24
    steps:
      - run: sleep 3 && echo "$CIRCLE_NODE_INDEX" >> "$MARKER_DIR/slow-runs"
  long:
    machine:
      image: ubuntu-2204:current
    steps:
      - run: echo started > "$MARKER_DIR/long-started"; sleep 300; echo finished > "$MARKER_DIR/long-finished"
  boxed:
    docker:
      - image: cimg/base:stable
    steps:
      - run: echo this never runs
workflows:
  many:
    when:
      equal: [many, << pipeline.parameters.mode >>]
    jobs:
      - many:
          name: many-a
      - many:
          name: many-b
      - many:
          name: many-c
      - many:
          name: many-d
  slow:
    when:
      equal: [slow, << pipeline.parameters.mode >>]
    jobs: [slow]
  long:
    when:
      equal: [long, << pipeline.parameters.mode >>]
    jobs: [long]
  boxed:
    when:
      equal: [boxed, << pipeline.parameters.mode >>]
    jobs: [boxed]
`

// nomadAddr returns the dev agent's address, or skips the test.
func nomadAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("NOMAD_ADDR")
	if addr == "" {
		if os.Getenv("CARAVAN_REQUIRE_NOMAD") != "" {
			t.Fatal("CARAVAN_REQUIRE_NOMAD is set but NOMAD_ADDR is not: start the agent with scripts/nomad.sh start")
		}
		t.Skip("no Nomad agent: run `scripts/nomad.sh start` and set NOMAD_ADDR (make test does both)")
	}
	resp, err := http.Get(addr + "/v1/agent/health")
	if err != nil {
		t.Fatalf("Nomad at %s does not answer: %v", addr, err)
	}
	resp.Body.Close()
	return addr
}

// nomadFlags are the bridge settings of every test: small resources so many tasks fit the dev agent, and
// short periods so cancels and purges show within a test.
func nomadFlags(addr string) []string {
	return []string{"--nomad-addr", addr, "--nomad-resource-class", "medium=100/64", "--nomad-retention", "20s",
		"--nomad-kill-grace", "3s", "--nomad-poll", "1s", "--nomad-visibility", "15s"}
}

// bridgeProc is a standalone nomadbridge process.
type bridgeProc struct {
	cmd *exec.Cmd
	out *syncBuffer
}

func startBridge(t *testing.T, s *serverProc, addr string) *bridgeProc {
	t.Helper()
	b := &bridgeProc{out: &syncBuffer{}}
	args := append([]string{"--data", s.dir, "--api-url", s.url, "--nomad-runner-path", caravanBin}, nomadFlags(addr)...)
	b.cmd = exec.Command(bridgeBin, args...)
	b.cmd.Stdout, b.cmd.Stderr = b.out, b.out
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if b.cmd.ProcessState == nil {
			b.cmd.Process.Signal(syscall.SIGTERM)
			b.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("bridge output:\n%s", tail(b.out.String(), 6000))
		}
	})
	return b
}

// nomadJobs lists the Caravan jobs Nomad knows for the given task id prefix.
func nomadJobs(t *testing.T, addr string) []struct{ ID, Status string } {
	t.Helper()
	resp, err := http.Get(addr + "/v1/jobs?prefix=caravan-")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jobs []struct{ ID, Status string }
	if err := json.NewDecoder(resp.Body).Decode(&jobs); err != nil {
		t.Fatal(err)
	}
	return jobs
}

// runsOf reads a marker file of one line per run and checks every expected line appears exactly once.
func exactlyOnce(t *testing.T, path string, want []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Fields(string(b))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		dups := map[string]int{}
		for _, g := range got {
			dups[g]++
		}
		var twice []string
		for k, n := range dups {
			if n > 1 {
				twice = append(twice, k)
			}
		}
		t.Fatalf("%d runs recorded, want %d each exactly once; ran more than once: %v", len(got), len(want), twice)
	}
}

func TestNomadBridge(t *testing.T) {
	addr := nomadAddr(t)
	repo, _ := gitRepo(t, map[string]string{".circleci/config.yml": nomadConfig})

	t.Run("TwoHundredTasksThroughTwoBridgesExactlyOnce", func(t *testing.T) {
		markers := t.TempDir()
		s := startServer(t, t.TempDir(), freeAddr(t), "--no-executor")
		setupProject(t, s, repo, markers)
		startBridge(t, s, addr)
		startBridge(t, s, addr)
		c := s.client()
		p := trigger(c, "many")
		wf := c.waitWorkflow(p.ID, "many", 5*time.Minute, "success", "failed", "error", "canceled")
		if wf.Status != "success" {
			t.Fatalf("workflow %s: %v", wf.Status, c.jobs(wf.ID))
		}
		var want []string
		for _, job := range []string{"many-a", "many-b", "many-c", "many-d"} {
			for i := range 50 {
				want = append(want, fmt.Sprintf("%s/%d", job, i))
			}
		}
		exactlyOnce(t, filepath.Join(markers, "many-runs"), want)
	})

	t.Run("BridgeKilledAndRestarted", func(t *testing.T) {
		markers := t.TempDir()
		s := startServer(t, t.TempDir(), freeAddr(t), "--no-executor")
		setupProject(t, s, repo, markers)
		b := startBridge(t, s, addr)
		c := s.client()
		p := trigger(c, "slow")
		waitFor(t, 2*time.Minute, "the bridge to register some tasks", func() (bool, string) {
			wfs := c.workflows(p.ID)
			if len(wfs) == 0 {
				return false, "no workflow"
			}
			prefix := "caravan-" + c.jobs(wfs[0].ID)["slow"].ID
			n := 0
			for _, j := range nomadJobs(t, addr) {
				if strings.HasPrefix(j.ID, prefix) {
					n++
				}
			}
			return n >= 6, fmt.Sprintf("%d registered", n)
		})
		b.cmd.Process.Kill() // SIGKILL: a crash, messages in flight
		b.cmd.Wait()
		startBridge(t, s, addr)
		wf := c.waitWorkflow(p.ID, "slow", 5*time.Minute, "success", "failed", "error", "canceled")
		if wf.Status != "success" {
			t.Fatalf("workflow %s: %v", wf.Status, c.jobs(wf.ID))
		}
		var want []string
		for i := range 24 {
			want = append(want, fmt.Sprint(i))
		}
		exactlyOnce(t, filepath.Join(markers, "slow-runs"), want)
	})

	t.Run("CancelStopsARunningTask", func(t *testing.T) {
		// The bridge inside caravan server, with the runner downloaded through Nomad's artifact stanza.
		markers := t.TempDir()
		s := startServer(t, t.TempDir(), freeAddr(t), nomadFlags(addr)...)
		setupProject(t, s, repo, markers)
		c := s.client()
		p := trigger(c, "long")
		waitFor(t, 2*time.Minute, "the long step to start", func() (bool, string) {
			_, err := os.Stat(filepath.Join(markers, "long-started"))
			return err == nil, fmt.Sprint(err)
		})
		wf := c.workflows(p.ID)[0]
		c.call("POST", "/api/v2/workflow/"+wf.ID+"/cancel", nil, 202, nil)
		c.waitWorkflow(p.ID, "long", time.Minute, "canceled")
		if j := c.jobs(wf.ID)["long"]; j.Status != "canceled" {
			t.Fatalf("job long: %s", j.Status)
		}
		// Its Nomad job stops: no allocation of it keeps running.
		waitFor(t, time.Minute, "the task's Nomad job to stop", func() (bool, string) {
			var running []string
			for _, j := range nomadJobs(t, addr) {
				if j.Status != "dead" {
					running = append(running, j.ID+"="+j.Status)
				}
			}
			return len(running) == 0, strings.Join(running, " ")
		})
		if _, err := os.Stat(filepath.Join(markers, "long-finished")); err == nil {
			t.Fatal("the canceled step ran to its end")
		}
	})

	t.Run("DockerTaskWithoutDockerEndsClearly", func(t *testing.T) {
		s := startServer(t, t.TempDir(), freeAddr(t), nomadFlags(addr)...)
		setupProject(t, s, repo, t.TempDir())
		c := s.client()
		p := trigger(c, "boxed")
		wf := c.waitWorkflow(p.ID, "boxed", 2*time.Minute, "failed", "success", "error", "canceled")
		j := c.jobs(wf.ID)["boxed"]
		if wf.Status != "failed" || j.Status != "infrastructure_fail" {
			t.Fatalf("workflow %s, job %s; want failed and infrastructure_fail", wf.Status, j.Status)
		}
		var details struct {
			Messages []struct{ Message string }
		}
		c.call("GET", fmt.Sprintf("/api/v2/project/gh/acme/widgets/job/%d", j.JobNumber), nil, 200, &details)
		if len(details.Messages) == 0 || !strings.Contains(details.Messages[0].Message, "no Nomad client has the docker driver") {
			t.Fatalf("job messages %+v do not say that no client has Docker", details.Messages)
		}
	})
}
