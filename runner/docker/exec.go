package docker

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// execConfig is the body of POST /containers/{id}/exec.
type execConfig struct {
	AttachStdout bool
	AttachStderr bool
	Tty          bool
	Cmd          []string
	Env          []string `json:",omitempty"`
	WorkingDir   string   `json:",omitempty"`
	User         string   `json:",omitempty"`
}

// Exec runs cmd in the primary container and copies its output to stdout
// and stderr (either may be nil). env holds extra KEY=value pairs; workdir
// and user, when not empty, override the container's. It returns the
// command's exit code.
//
// The Engine API cannot kill an exec'd process, so Exec starts cmd through
// a /bin/sh wrapper that records its PID in a file and then execs cmd. When
// ctx is cancelled, Exec runs a second exec that sends SIGTERM to that
// process group (or the process, if it does not lead a group), waits the
// environment's KillGrace for the output stream to end, then sends
// SIGKILL. It then returns -1 and an error wrapping ctx.Err(). The image
// must therefore provide /bin/sh, as CircleCI requires of primary images.
func (e *Env) Exec(ctx context.Context, cmd, env []string, workdir, user string, stdout, stderr io.Writer) (int, error) {
	if len(cmd) == 0 {
		return -1, errors.New("exec: empty command")
	}
	if e.isClosed() {
		return -1, fmt.Errorf("exec %q: environment is closed", cmd[0])
	}
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	pidFile := fmt.Sprintf("%s/.caravan-exec-%s-%d.pid", e.pidDir, e.token, e.seq.Add(1))
	wrapped := append([]string{"/bin/sh", "-c",
		"{ echo $$ >" + shellQuote(pidFile) + "; } 2>/dev/null; exec \"$@\"", "caravan-exec"}, cmd...)
	id, err := e.createExec(ctx, execConfig{Cmd: wrapped, Env: env, WorkingDir: workdir, User: user})
	if err != nil {
		return -1, fmt.Errorf("exec %q: %w", cmd[0], err)
	}

	// The stream outlives ctx: on cancel it must keep draining output
	// until the process is gone. abort tears it down as a last resort.
	sctx, scancel := context.WithCancel(context.WithoutCancel(ctx))
	defer scancel()
	abort := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- e.c.attachExec(sctx, id, stdout, stderr, abort) }()

	select {
	case err := <-done:
		if err != nil {
			return -1, fmt.Errorf("exec %q: %w", cmd[0], err)
		}
		code, err := e.exitCode(ctx, id)
		if err != nil {
			return -1, fmt.Errorf("exec %q: %w", cmd[0], err)
		}
		return code, nil
	case <-ctx.Done():
	}

	kctx, kcancel := context.WithTimeout(context.WithoutCancel(ctx), e.killGrace+time.Minute)
	defer kcancel()
	errs := []error{ctx.Err()}
	if err := e.signal(kctx, pidFile, "TERM", user); err != nil {
		errs = append(errs, err)
	}
	if !waitDone(done, e.killGrace) {
		if err := e.signal(kctx, pidFile, "KILL", user); err != nil {
			errs = append(errs, err)
		}
		if !waitDone(done, 5*time.Second) {
			scancel()
			close(abort)
			<-done
		}
	}
	return -1, fmt.Errorf("exec %q: %w", cmd[0], errors.Join(errs...))
}

// waitDone reports whether done delivers within d.
func waitDone(done <-chan error, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-done:
		return true
	case <-t.C:
		return false
	}
}

// signal sends sig to the process group (else the process) whose PID the
// exec wrapper wrote to pidFile. A missing file (the process has not
// started yet, or a non-writable directory) is not an error.
func (e *Env) signal(ctx context.Context, pidFile, sig, user string) error {
	const script = `f=$2; [ -s "$f" ] || exit 0; p=$(cat "$f"); ` +
		`kill -s "$1" -- "-$p" 2>/dev/null || kill -s "$1" "$p" 2>/dev/null; exit 0`
	id, err := e.createExec(ctx, execConfig{
		Cmd:  []string{"/bin/sh", "-c", script, "caravan-kill", sig, pidFile},
		User: user,
	})
	if err != nil {
		return fmt.Errorf("send SIG%s: %w", sig, err)
	}
	if err := e.c.attachExec(ctx, id, io.Discard, io.Discard, nil); err != nil {
		return fmt.Errorf("send SIG%s: %w", sig, err)
	}
	return nil
}

// createExec creates an exec instance in the primary container.
func (e *Env) createExec(ctx context.Context, cfg execConfig) (string, error) {
	cfg.AttachStdout, cfg.AttachStderr = true, true
	var created struct {
		ID string `json:"Id"`
	}
	if err := e.c.doJSON(ctx, http.MethodPost, "/containers/"+e.primary+"/exec", nil, cfg, &created); err != nil {
		return "", fmt.Errorf("create exec: %w", err)
	}
	return created.ID, nil
}

// attachExec starts exec id over a hijacked connection and demultiplexes
// its output until the stream ends. Closing abort (if not nil) closes the
// stream.
func (c *Client) attachExec(ctx context.Context, id string, stdout, stderr io.Writer, abort <-chan struct{}) error {
	hdr := http.Header{"Connection": {"Upgrade"}, "Upgrade": {"tcp"}}
	body := map[string]bool{"Detach": false, "Tty": false}
	resp, err := c.do(ctx, http.MethodPost, "/exec/"+id+"/start", nil, body, hdr)
	if err != nil {
		return fmt.Errorf("start exec: %w", err)
	}
	defer resp.Body.Close()
	// 101 Switching Protocols: resp.Body is the raw connection. Older
	// daemons answer 200 and stream the same frames as the body.
	if resp.StatusCode != http.StatusSwitchingProtocols && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("start exec: unexpected status %s", resp.Status)
	}
	if abort != nil {
		finished := make(chan struct{})
		defer close(finished)
		go func() {
			select {
			case <-abort:
				resp.Body.Close()
			case <-finished:
			}
		}()
	}
	if err := demux(resp.Body, stdout, stderr); err != nil {
		return fmt.Errorf("read exec output: %w", err)
	}
	return nil
}

// exitCode reads the exit code of a finished exec. The daemon may close
// the stream an instant before it records the exit, so a still-running
// exec is polled for a while.
func (e *Env) exitCode(ctx context.Context, id string) (int, error) {
	for i := 0; ; i++ {
		var st struct {
			Running  bool
			ExitCode *int
		}
		if err := e.c.doJSON(ctx, http.MethodGet, "/exec/"+id+"/json", nil, nil, &st); err != nil {
			return -1, fmt.Errorf("inspect exec: %w", err)
		}
		if !st.Running && st.ExitCode != nil {
			return *st.ExitCode, nil
		}
		if i == 100 {
			return -1, errors.New("inspect exec: still running after its output ended")
		}
		select {
		case <-ctx.Done():
			return -1, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// demux copies a multiplexed exec stream (frames of an 8-byte header
// {stream, 0, 0, 0, size uint32 big-endian} and size bytes of payload) to
// stdout (stream 1) and stderr (stream 2). Stream 3 carries a daemon-side
// error, returned as such.
func demux(r io.Reader, stdout, stderr io.Writer) error {
	var hdr [8]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("frame header: %w", err)
		}
		n := int64(binary.BigEndian.Uint32(hdr[4:]))
		var w io.Writer
		switch hdr[0] {
		case 0, 1:
			w = stdout
		case 2:
			w = stderr
		case 3:
			msg, _ := io.ReadAll(io.LimitReader(r, n))
			return fmt.Errorf("daemon error: %s", strings.TrimSpace(string(msg)))
		default:
			return fmt.Errorf("unknown stream %d in frame header", hdr[0])
		}
		if _, err := io.CopyN(w, r, n); err != nil {
			return fmt.Errorf("frame payload: %w", err)
		}
	}
}

// shellQuote quotes s for /bin/sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
