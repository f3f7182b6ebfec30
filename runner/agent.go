package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// AgentSocketEnv names the variable that tells in-job commands where the runner's agent socket is.
const AgentSocketEnv = "CARAVAN_AGENT_SOCKET"

// agent serves the in-job commands on a unix socket: test timings and failures (asked of the server with the
// runner's token, which steps never see) and step halt.
type agent struct {
	srv  *http.Server
	dir  string
	path string
}

// agentSocketPath picks a short socket path (unix socket paths are limited to about 100 bytes).
func agentSocketPath() (dir, path string, err error) {
	dir, err = os.MkdirTemp("", "caravan-agent-")
	if err != nil {
		return "", "", fmt.Errorf("create agent socket directory: %w", err)
	}
	return dir, filepath.Join(dir, "agent.sock"), nil
}

func startAgent(j *job) (*agent, error) {
	l, err := net.Listen("unix", j.agentSock)
	if err != nil {
		return nil, fmt.Errorf("listen on agent socket: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /timings", func(w http.ResponseWriter, r *http.Request) {
		res, err := j.api.Timings(r.Context(), r.URL.Query().Get("by"))
		reply(w, res, err)
	})
	mux.HandleFunc("GET /failed-tests", func(w http.ResponseWriter, r *http.Request) {
		res, err := j.api.FailedTests(r.Context())
		reply(w, res, err)
	})
	mux.HandleFunc("POST /halt", func(w http.ResponseWriter, r *http.Request) {
		j.halted.Store(true)
		w.WriteHeader(http.StatusNoContent)
	})
	a := &agent{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, dir: j.agentDir,
		path: j.agentSock}
	go func() {
		if err := a.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			j.log.Error("agent socket stopped", "err", err)
		}
	}()
	return a, nil
}

func (a *agent) close() {
	if a == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = a.srv.Shutdown(ctx)
	os.RemoveAll(a.dir)
}

func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		w.WriteHeader(http.StatusBadGateway)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}
