package tests

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// e2eConfig is the project's config: each pipeline picks its workflow with the mode parameter.
const e2eConfig = `version: 2.1
parameters:
  mode: {type: string, default: push}
executors:
  base:
    docker: [{image: cimg/base:stable}]
jobs:
  say:
    executor: base
    parameters: {what: {type: string, default: hello}}
    steps:
      - checkout
      - run: echo "<< parameters.what >> from $CIRCLE_JOB"
  uses-contexts:
    executor: base
    steps:
      - run: |
          test "$ONE" = "value-one" || { echo "ONE is wrong"; exit 1; }
          test "$TWO" = "value-two" || { echo "TWO is wrong"; exit 1; }
          test "$CIRCLE_SHARED" = "from-two" || { echo "later context must win"; exit 1; }
          echo "both contexts present: $ONE"
  flaky:
    executor: base
    steps:
      - run: test "$SHOULD_PASS" = yes
  cancel-me:
    executor: base
    steps:
      - run: |
          curl -sf -X POST "$API_URL/api/v2/workflow/$CIRCLE_WORKFLOW_ID/cancel" -H "Circle-Token: $CANCEL_TOKEN"
          echo "started" >> "$MARKER_DIR/cancel-started"
          sleep 120
          echo "not canceled" >> "$MARKER_DIR/cancel-survived"
  slow:
    executor: base
    steps:
      - run: |
          echo "$CIRCLE_JOB" >> "$MARKER_DIR/slow-runs"
          sleep 3
workflows:
  push:
    when: {equal: [push, << pipeline.parameters.mode >>]}
    jobs: [say]
  main:
    when: {equal: [main, << pipeline.parameters.mode >>]}
    jobs:
      - say: {name: setup}
      - say: {name: fan-a, what: a, requires: [setup]}
      - uses-contexts: {requires: [setup], context: [ctx-one, ctx-two]}
      - flaky: {requires: [setup]}
      - hold: {type: approval, requires: [fan-a, uses-contexts]}
      - say: {name: fan-in, requires: [hold]}
  cancel:
    when: {equal: [cancel, << pipeline.parameters.mode >>]}
    jobs:
      - cancel-me
      - say: {name: after-cancel, requires: [cancel-me]}
  sched:
    when: {equal: [sched, << pipeline.parameters.mode >>]}
    jobs: [say]
  slow:
    when: {equal: [slow, << pipeline.parameters.mode >>]}
    jobs:
      - slow: {name: s1}
      - slow: {name: s2, requires: [s1]}
      - slow: {name: s3, requires: [s2]}
`

const webhookSecret = "e2e-webhook-secret"

// setupProject creates org gh/acme, project gh/acme/widgets on a local repository, its variables and two
// contexts, through the admin and v2 APIs.
func setupProject(t *testing.T, s *serverProc, repo, markers string) {
	c := s.client()
	c.call("POST", "/api/v2/admin/orgs", map[string]any{"name": "acme", "vcs": "github"}, 201, nil)
	c.call("POST", "/api/v2/admin/projects", map[string]any{"org_slug": "gh/acme", "name": "widgets",
		"repo_url": repo, "default_branch": "main", "webhook_secret": webhookSecret}, 201, nil)
	for name, value := range map[string]string{"SHOULD_PASS": "no", "API_URL": s.url, "CANCEL_TOKEN": s.token,
		"MARKER_DIR": markers} {
		c.call("POST", "/api/v2/project/gh/acme/widgets/envvar", map[string]any{"name": name, "value": value}, 201, nil)
	}
	for _, cx := range []struct{ name, key, value, shared string }{
		{"ctx-one", "ONE", "value-one", "from-one"}, {"ctx-two", "TWO", "value-two", "from-two"}} {
		var created struct{ ID string }
		c.call("POST", "/api/v2/context", map[string]any{"name": cx.name,
			"owner": map[string]any{"slug": "gh/acme", "type": "organization"}}, 200, &created)
		c.call("PUT", "/api/v2/context/"+created.ID+"/environment-variable/"+cx.key, map[string]any{"value": cx.value}, 200, nil)
		c.call("PUT", "/api/v2/context/"+created.ID+"/environment-variable/CIRCLE_SHARED", map[string]any{"value": cx.shared}, 200, nil)
	}
}

func trigger(c *apiClient, mode string) pipelineJSON {
	var p pipelineJSON
	c.call("POST", "/api/v2/project/gh/acme/widgets/pipeline", map[string]any{"branch": "main",
		"parameters": map[string]any{"mode": mode}}, 201, &p)
	return p
}

func TestServerEndToEnd(t *testing.T) {
	repo, sha := gitRepo(t, map[string]string{".circleci/config.yml": e2eConfig, "README": "widgets\n"})
	markers := t.TempDir()
	s := startServer(t, t.TempDir(), freeAddr(t))
	setupProject(t, s, repo, markers)
	c := s.client()

	// A schedule that fires every minute: checked at the end, so it fires while the rest runs.
	days := []string{"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"}
	hours := make([]int, 24)
	for i := range hours {
		hours[i] = i
	}
	c.call("POST", "/api/v2/project/gh/acme/widgets/schedule", map[string]any{"name": "every-minute",
		"timetable":         map[string]any{"per-hour": 60, "hours-of-day": hours, "days-of-week": days},
		"attribution-actor": "system", "parameters": map[string]any{"branch": "main", "mode": "sched"}}, 201, nil)

	t.Run("FanOutFanInApprovalContextsFailureRerun", func(t *testing.T) {
		p := trigger(c, "main")
		wf := c.waitWorkflow(p.ID, "main", 2*time.Minute, "on_hold", "failing")
		waitFor(t, time.Minute, "hold on_hold and flaky failed", func() (bool, string) {
			jobs := c.jobs(wf.ID)
			return jobs["hold"].Status == "on_hold" && jobs["flaky"].Status == "failed" &&
				jobs["uses-contexts"].Status == "success", fmt.Sprint(jobs)
		})
		jobs := c.jobs(wf.ID)
		if jobs["fan-in"].Status != "blocked" {
			t.Fatalf("fan-in ran before the approval: %+v", jobs["fan-in"])
		}
		c.call("POST", "/api/v2/workflow/"+wf.ID+"/approve/"+jobs["hold"].ApprovalRequestID, nil, 202, nil)
		c.waitWorkflow(p.ID, "main", time.Minute, "failed")
		if st := c.jobs(wf.ID)["fan-in"].Status; st != "success" {
			t.Fatalf("fan-in after approval: %s", st)
		}
		// Rerun from failed after fixing the variable: only flaky runs again.
		c.call("POST", "/api/v2/project/gh/acme/widgets/envvar", map[string]any{"name": "SHOULD_PASS", "value": "yes"}, 201, nil)
		var rerun struct {
			WorkflowID string `json:"workflow_id"`
		}
		c.call("POST", "/api/v2/workflow/"+wf.ID+"/rerun", map[string]any{"from_failed": true}, 202, &rerun)
		waitFor(t, 2*time.Minute, "rerun to succeed", func() (bool, string) {
			var w workflowJSON
			c.call("GET", "/api/v2/workflow/"+rerun.WorkflowID, nil, 200, &w)
			return w.Status == "success", w.Status
		})
		again := c.jobs(rerun.WorkflowID)
		if again["flaky"].Status != "success" || again["flaky"].JobNumber == jobs["flaky"].JobNumber {
			t.Fatalf("flaky was not rerun: %+v (before %+v)", again["flaky"], jobs["flaky"])
		}
		if again["fan-a"].JobNumber != 0 && again["fan-a"].JobNumber != jobs["fan-a"].JobNumber {
			t.Fatalf("fan-a ran again in a rerun from failed: %+v", again["fan-a"])
		}
		// The job's step output is readable through v1.1 with a signed output_url.
		var v1 struct {
			Steps []struct {
				Name    string
				Actions []struct {
					OutputURL string `json:"output_url"`
				}
			}
		}
		c.call("GET", fmt.Sprintf("/api/v1.1/project/gh/acme/widgets/%d", jobs["uses-contexts"].JobNumber), nil, 200, &v1)
		found := false
		for _, st := range v1.Steps {
			for _, a := range st.Actions {
				if a.OutputURL == "" {
					continue
				}
				resp, err := http.Get(a.OutputURL)
				if err != nil {
					t.Fatal(err)
				}
				var chunks []struct{ Message string }
				json.NewDecoder(resp.Body).Decode(&chunks)
				resp.Body.Close()
				for _, ch := range chunks {
					if strings.Contains(ch.Message, "both contexts present") {
						found = true
						if strings.Contains(ch.Message, "value-one") {
							t.Errorf("a context value leaked into the output: %q", ch.Message)
						}
					}
				}
			}
		}
		if !found {
			t.Errorf("step output not found through v1.1: %+v", v1)
		}
	})

	t.Run("CancelFromInsideAJob", func(t *testing.T) {
		p := trigger(c, "cancel")
		c.waitWorkflow(p.ID, "cancel", 2*time.Minute, "canceled")
		wf := c.workflows(p.ID)[0]
		waitFor(t, 30*time.Second, "cancel-me to stop", func() (bool, string) {
			jobs := c.jobs(wf.ID)
			return jobs["cancel-me"].Status == "canceled" && jobs["after-cancel"].Status != "running", fmt.Sprint(jobs)
		})
		if _, err := os.Stat(filepath.Join(markers, "cancel-started")); err != nil {
			t.Fatalf("the job did not run: %v", err)
		}
		if st := c.jobs(wf.ID)["after-cancel"].Status; st == "success" || st == "running" {
			t.Fatalf("after-cancel ran after its workflow was canceled: %s", st)
		}
		time.Sleep(2 * time.Second)
		if _, err := os.Stat(filepath.Join(markers, "cancel-survived")); err == nil {
			t.Fatal("the canceled job's step went on running")
		}
	})

	t.Run("GitHubWebhooks", func(t *testing.T) {
		payload := githubPush(sha)
		count := func() int {
			var page struct{ Items []pipelineJSON }
			c.call("GET", "/api/v2/project/gh/acme/widgets/pipeline?limit=100", nil, 200, &page)
			n := 0
			for _, p := range page.Items {
				if p.Trigger.Type == "webhook" {
					n++
				}
			}
			return n
		}
		before := count()
		forged := postHook(t, s.url, payload, "delivery-forged", sign([]byte("not-the-secret"), payload))
		if forged != http.StatusUnauthorized {
			t.Fatalf("forged webhook: status %d, want 401", forged)
		}
		for range 2 { // the same delivery twice: one pipeline
			if st := postHook(t, s.url, payload, "delivery-1", sign([]byte(webhookSecret), payload)); st != http.StatusAccepted {
				t.Fatalf("signed webhook: status %d", st)
			}
		}
		waitFor(t, 30*time.Second, "one webhook pipeline", func() (bool, string) {
			n := count()
			return n == before+1, fmt.Sprint(n - before)
		})
		time.Sleep(time.Second)
		if n := count(); n != before+1 {
			t.Fatalf("%d webhook pipelines, want 1 (forged none, duplicate none)", n-before)
		}
	})

	t.Run("ScheduleFires", func(t *testing.T) {
		waitFor(t, 90*time.Second, "a scheduled pipeline", func() (bool, string) {
			var page struct{ Items []pipelineJSON }
			c.call("GET", "/api/v2/project/gh/acme/widgets/pipeline?limit=100", nil, 200, &page)
			for _, p := range page.Items {
				if p.Trigger.Type == "scheduled_pipeline" {
					return true, ""
				}
			}
			return false, fmt.Sprintf("%d pipelines", len(page.Items))
		})
	})
}

func githubPush(sha string) []byte {
	b, _ := json.Marshal(map[string]any{
		"ref": "refs/heads/main", "before": strings.Repeat("0", 39) + "1", "after": sha, "created": false,
		"deleted": false, "forced": false,
		"head_commit": map[string]any{"id": sha, "message": "Initial commit\n\nfrom a webhook",
			"author": map[string]any{"name": "T", "email": "t@example.com", "username": "octocat"}},
		"commits": []any{},
		"repository": map[string]any{"id": 1296269, "name": "widgets", "full_name": "acme/widgets",
			"owner":     map[string]any{"login": "acme", "name": "acme"},
			"clone_url": "https://github.com/acme/widgets.git", "ssh_url": "git@github.com:acme/widgets.git",
			"html_url": "https://github.com/acme/widgets", "default_branch": "main"},
		"pusher": map[string]any{"name": "octocat", "email": "octocat@example.com"},
		"sender": map[string]any{"login": "octocat", "id": 1},
	})
	return b
}

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func postHook(t *testing.T, url string, body []byte, delivery, sig string) int {
	req, _ := http.NewRequest("POST", url+"/hooks/github", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	req.Header.Set("X-GitHub-Delivery", delivery)
	req.Header.Set("X-Hub-Signature-256", sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServerKill9Restart(t *testing.T) {
	repo, _ := gitRepo(t, map[string]string{".circleci/config.yml": e2eConfig})
	markers, data, addr := t.TempDir(), t.TempDir(), freeAddr(t)
	s := startServer(t, data, addr)
	setupProject(t, s, repo, markers)
	c := s.client()
	p := trigger(c, "slow")
	var wfID string
	waitFor(t, 2*time.Minute, "s2 to run", func() (bool, string) {
		wfs := c.workflows(p.ID)
		if len(wfs) == 0 {
			return false, "no workflow"
		}
		wfID = wfs[0].ID
		jobs := c.jobs(wfID)
		return jobs["s2"].Status == "running", fmt.Sprint(jobs)
	})
	s.kill9()
	s = startServer(t, data, addr) // same data, same URL: the running runner reports to it
	c = s.client()
	c.waitWorkflow(p.ID, "slow", 3*time.Minute, "success", "failed", "canceled")
	for name, j := range c.jobs(wfID) {
		if j.Status != "success" {
			t.Errorf("job %s: %s", name, j.Status)
		}
	}
	b, err := os.ReadFile(filepath.Join(markers, "slow-runs"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Fields(string(b)); strings.Join(got, ",") != "s1,s2,s3" {
		t.Fatalf("jobs ran %v, want each of s1,s2,s3 exactly once", got)
	}
}
