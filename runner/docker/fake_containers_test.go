package docker

// Container and exec endpoints of the fake Engine API server (see
// fake_engine_test.go for why it is a fake).

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

func (f *fakeEngine) create(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	var body createBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fakeError(w, http.StatusBadRequest, "invalid JSON: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.images[normalizeImage(body.Image)] {
		fakeError(w, http.StatusNotFound, "No such image: %s", body.Image)
		return
	}
	if msg, ok := f.failCreate[body.Image]; ok {
		fakeError(w, http.StatusInternalServerError, "%s", msg)
		return
	}
	for _, c := range f.containers {
		if name != "" && c.name == name {
			fakeError(w, http.StatusConflict, "Conflict. The container name \"/%s\" is already in use by container %q.", name, c.id)
			return
		}
	}
	id := f.newID()
	f.containers[id] = &fakeContainer{id: id, name: name, image: body.Image, body: body}
	f.creates = append(f.creates, fakeCreate{ID: id, Name: name, Body: body})
	fakeJSON(w, http.StatusCreated, map[string]any{"Id": id, "Warnings": []string{}})
}

func (f *fakeEngine) start(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		fakeError(w, http.StatusNotFound, "No such container: %s", id)
		return
	}
	if c.running {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if peer, ok := strings.CutPrefix(c.body.HostConfig.NetworkMode, "container:"); ok {
		if p := f.containers[peer]; p == nil || !p.running {
			fakeError(w, http.StatusInternalServerError, "cannot join network of a non running container: %s", peer)
			return
		}
	}
	if f.exitOnStart[c.image] {
		c.exitCode = 127
	} else {
		c.running = true
	}
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeEngine) inspect(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		fakeError(w, http.StatusNotFound, "No such container: %s", id)
		return
	}
	status := "exited"
	if c.running {
		status = "running"
	}
	fakeJSON(w, http.StatusOK, map[string]any{
		"Id": c.id, "Name": "/" + c.name,
		"State":  map[string]any{"Status": status, "Running": c.running, "ExitCode": c.exitCode, "Error": ""},
		"Config": map[string]any{"Image": c.image},
	})
}

func (f *fakeEngine) remove(w http.ResponseWriter, r *http.Request, id string) {
	q := r.URL.Query()
	force := q.Get("force") == "1" || q.Get("force") == "true"
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[id]
	if !ok {
		fakeError(w, http.StatusNotFound, "No such container: %s", id)
		return
	}
	if msg, ok := f.failRemove[id]; ok {
		delete(f.failRemove, id)
		fakeError(w, http.StatusInternalServerError, "%s", msg)
		return
	}
	if c.running && !force {
		fakeError(w, http.StatusConflict, "You cannot remove a running container %s. Stop the container before attempting removal or force remove", id)
		return
	}
	delete(f.containers, id)
	w.WriteHeader(http.StatusNoContent)
}

// execBody is POST /containers/{id}/exec's body as the daemon reads it.
type execBody struct {
	AttachStdin, AttachStdout, AttachStderr, Tty bool
	Cmd                                          []string
	Env                                          []string
	WorkingDir                                   string
	User                                         string
}

type fakeExec struct {
	id, container string
	body          execBody
	started       bool
	running       bool
	finished      bool
	exitCode      int
	pid           int
}

func (f *fakeEngine) execCreate(w http.ResponseWriter, r *http.Request, container string) {
	var body execBody
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		fakeError(w, http.StatusBadRequest, "invalid JSON: %v", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.containers[container]
	if !ok {
		fakeError(w, http.StatusNotFound, "No such container: %s", container)
		return
	}
	if !c.running {
		fakeError(w, http.StatusConflict, "Container %s is not running", container)
		return
	}
	id := f.newID()
	f.execs[id] = &fakeExec{id: id, container: container, body: body}
	f.execOrder = append(f.execOrder, id)
	fakeJSON(w, http.StatusCreated, map[string]string{"Id": id})
}

// frameWriter writes stdcopy frames of one stream to a shared connection.
type frameWriter struct {
	mu     *sync.Mutex
	conn   net.Conn
	stream byte
}

func (fw frameWriter) Write(p []byte) (int, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	var hdr [8]byte
	hdr[0] = fw.stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(p)))
	if _, err := fw.conn.Write(append(hdr[:], p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (f *fakeEngine) execStart(w http.ResponseWriter, r *http.Request, id string) {
	var opts struct{ Detach, Tty bool }
	if err := json.NewDecoder(r.Body).Decode(&opts); err != nil {
		fakeError(w, http.StatusBadRequest, "invalid JSON: %v", err)
		return
	}
	f.mu.Lock()
	raw, late := f.rawExec, f.lateExit
	ex, ok := f.execs[id]
	if ok && !ex.started {
		ex.started = true
	} else if ok {
		f.mu.Unlock()
		fakeError(w, http.StatusConflict, "exec %s has already been started", id)
		return
	}
	f.mu.Unlock()
	if !ok {
		fakeError(w, http.StatusNotFound, "No such exec instance: %s", id)
		return
	}
	if opts.Detach || opts.Tty || !ex.body.AttachStdout || !ex.body.AttachStderr {
		fakeError(w, http.StatusBadRequest, "fake engine: only attached, non-tty execs with stdout and stderr")
		return
	}
	conn, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if raw {
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n")
	} else {
		_, _ = brw.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
	}
	_ = brw.Flush()
	f.runExec(ex, conn, late)
}

// runExec runs an exec's command on the host, in its own process group
// (like runc, which makes each exec'd process a session leader).
func (f *fakeEngine) runExec(ex *fakeExec, conn net.Conn, late bool) {
	mu := &sync.Mutex{}
	cmd := exec.Command(ex.body.Cmd[0], ex.body.Cmd[1:]...)
	cmd.Env = append(os.Environ(), ex.body.Env...)
	cmd.Dir = ex.body.WorkingDir
	cmd.Stdout = frameWriter{mu, conn, 1}
	cmd.Stderr = frameWriter{mu, conn, 2}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	code := 126
	if err := cmd.Start(); err != nil {
		_, _ = frameWriter{mu, conn, 2}.Write([]byte("OCI runtime exec failed: " + err.Error() + "\n"))
	} else {
		f.mu.Lock()
		ex.running, ex.pid = true, cmd.Process.Pid
		f.mu.Unlock()
		err := cmd.Wait()
		code = 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
	}
	if late { // the daemon can close the stream before recording the exit
		conn.Close()
		time.Sleep(50 * time.Millisecond)
	}
	f.mu.Lock()
	ex.running, ex.finished, ex.exitCode = false, true, code
	f.mu.Unlock()
}

func (f *fakeEngine) execInspect(w http.ResponseWriter, id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ex, ok := f.execs[id]
	if !ok {
		fakeError(w, http.StatusNotFound, "No such exec instance: %s", id)
		return
	}
	var code any // null while running, as the daemon reports it
	if ex.finished {
		code = ex.exitCode
	}
	fakeJSON(w, http.StatusOK, map[string]any{
		"ID": ex.id, "ContainerID": ex.container, "Running": ex.running,
		"ExitCode": code, "Pid": ex.pid, "OpenStdout": true, "OpenStderr": true,
	})
}

// execsSnapshot returns copies of the execs in creation order.
func (f *fakeEngine) execsSnapshot() []fakeExec {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeExec
	for _, id := range f.execOrder {
		out = append(out, *f.execs[id])
	}
	return out
}
