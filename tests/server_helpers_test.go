package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverProc is `caravan server` running as a separate process; tests talk to it over HTTP only.
type serverProc struct {
	t     *testing.T
	dir   string
	addr  string
	url   string
	token string
	cmd   *exec.Cmd
	out   *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServer starts caravan server on dir and addr and waits until its API answers.
func startServer(t *testing.T, dir, addr string, extra ...string) *serverProc {
	t.Helper()
	s := &serverProc{t: t, dir: dir, addr: addr, url: "http://" + addr, out: &syncBuffer{}}
	args := append([]string{"server", "--data", dir, "--addr", addr, "--docker-mode", "host", "--concurrency", "4",
		"--rate", "1000"}, extra...)
	s.cmd = exec.Command(caravanBin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Signal(syscall.SIGTERM)
			s.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("server output:\n%s", tail(s.out.String(), 8000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(filepath.Join(dir, "admin.token")); err == nil && s.token == "" {
			s.token = strings.TrimSpace(string(b))
		}
		if s.token != "" {
			if resp, err := http.Get(s.url + "/api/v2/me?circle-token=" + s.token); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return s
				}
			}
		}
		if s.cmd.ProcessState != nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("server did not come up:\n%s", s.out.String())
	return nil
}

// kill9 kills the server process with SIGKILL, as a crash would.
func (s *serverProc) kill9() {
	s.cmd.Process.Kill()
	s.cmd.Wait()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// apiClient calls the API with a token.
type apiClient struct {
	t     *testing.T
	url   string
	token string
}

func (s *serverProc) client() *apiClient { return &apiClient{t: s.t, url: s.url, token: s.token} }

// call sends a JSON request and decodes the JSON answer into out (if not nil), failing unless the status is
// want. It returns the raw body.
func (c *apiClient) call(method, path string, body any, want int, out any) []byte {
	c.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.url+path, r)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Circle-Token", c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, resp.StatusCode, want, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			c.t.Fatalf("%s %s: decode %s: %v", method, path, b, err)
		}
	}
	return b
}

type workflowJSON struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

type jobJSON struct {
	ID                string   `json:"id"`
	Name              string   `json:"name"`
	Type              string   `json:"type"`
	Status            string   `json:"status"`
	JobNumber         int64    `json:"job_number"`
	Dependencies      []string `json:"dependencies"`
	ApprovalRequestID string   `json:"approval_request_id"`
}

type pipelineJSON struct {
	ID      string `json:"id"`
	Number  int64  `json:"number"`
	State   string `json:"state"`
	Trigger struct {
		Type string `json:"type"`
	} `json:"trigger"`
	Errors []struct {
		Type, Message string
	} `json:"errors"`
}

// workflows lists a pipeline's workflows.
func (c *apiClient) workflows(pipelineID string) []workflowJSON {
	var p struct{ Items []workflowJSON }
	c.call("GET", "/api/v2/pipeline/"+pipelineID+"/workflow", nil, 200, &p)
	return p.Items
}

func (c *apiClient) jobs(workflowID string) map[string]jobJSON {
	var p struct{ Items []jobJSON }
	c.call("GET", "/api/v2/workflow/"+workflowID+"/job", nil, 200, &p)
	m := map[string]jobJSON{}
	for _, j := range p.Items {
		m[j.Name] = j
	}
	return m
}

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s; last state: %s", what, last)
}

// waitWorkflow waits until the pipeline's workflow named name has one of the statuses.
func (c *apiClient) waitWorkflow(pipelineID, name string, timeout time.Duration, statuses ...string) workflowJSON {
	c.t.Helper()
	var got workflowJSON
	waitFor(c.t, timeout, fmt.Sprintf("workflow %s to be %v", name, statuses), func() (bool, string) {
		var state []string
		for _, wf := range c.workflows(pipelineID) {
			if wf.Name != name {
				continue
			}
			got = wf
			for _, s := range statuses {
				if wf.Status == s {
					return true, ""
				}
			}
			for _, j := range c.jobs(wf.ID) {
				state = append(state, j.Name+"="+j.Status)
			}
			return false, wf.Status + " " + strings.Join(state, " ")
		}
		return false, "no workflow " + name
	})
	return got
}

// gitRepo creates a repository with files committed on main and returns its path and head revision.
func gitRepo(t *testing.T, files map[string]string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@example.com"}, args...)...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	git("init", "-q", "-b", "main")
	git("add", "-A")
	git("commit", "-q", "-m", "Initial commit")
	return dir, git("rev-parse", "HEAD")
}
