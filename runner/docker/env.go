package docker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// TaskLabel is the label set on every container, valued with the task ID.
const TaskLabel = "caravan.task"

// DefaultKillGrace is how long a cancelled Exec waits after SIGTERM before
// sending SIGKILL.
const DefaultKillGrace = 10 * time.Second

// keepAlive replaces the ENTRYPOINT/CMD of a primary image that sets
// neither command nor entrypoint, so that the container stays up for the
// steps. The trap lets it exit promptly on SIGTERM (PID 1 has no default
// signal handlers).
var keepAlive = struct{ entrypoint, cmd []string }{
	entrypoint: []string{"/bin/sh"},
	cmd:        []string{"-c", "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done"},
}

// EnvSpec describes a docker executor environment.
type EnvSpec struct {
	TaskID string  // set as the caravan.task label; part of container names
	Images []Image // the primary container first, then services
	// Binds are bind mounts of the primary container, in the Engine's
	// "host-path:container-path[:ro]" form, e.g. the runner's helper
	// binaries: "/var/lib/caravan/bin:/.circleci-runner:ro".
	Binds []string
	Pull  PullPolicy // "" means PullMissing
	Out   io.Writer  // human-readable pull progress; nil discards it
	// KillGrace is the SIGTERM-to-SIGKILL delay of a cancelled Exec; zero
	// means DefaultKillGrace.
	KillGrace time.Duration
}

// Env is a running docker executor environment: a primary container where
// steps run and service containers that share its network namespace, so
// services are reachable on localhost (and by their Name, mapped to
// 127.0.0.1 in /etc/hosts).
type Env struct {
	c         *Client
	primary   string
	killGrace time.Duration
	pidDir    string // where exec wrappers record their PID, in the primary
	token     string // makes PID file names unique
	seq       atomic.Uint64

	mu     sync.Mutex
	ids    []string // containers not yet removed, primary first
	closed bool
}

// containerConfig is the body of POST /containers/create.
type containerConfig struct {
	Image      string
	Entrypoint []string          `json:",omitempty"`
	Cmd        []string          `json:",omitempty"`
	Env        []string          `json:",omitempty"`
	User       string            `json:",omitempty"`
	Labels     map[string]string `json:",omitempty"`
	HostConfig hostConfig
}

type hostConfig struct {
	Binds       []string `json:",omitempty"`
	NetworkMode string   `json:",omitempty"`
	ExtraHosts  []string `json:",omitempty"`
}

// Start pulls the images (as spec.Pull says), then creates and starts the
// primary container and the service containers, which join the primary's
// network namespace (NetworkMode "container:<primary id>"). On failure,
// whatever was created is removed.
func (c *Client) Start(ctx context.Context, spec EnvSpec) (*Env, error) {
	if len(spec.Images) == 0 {
		return nil, errors.New("start docker environment: no images")
	}
	switch spec.Pull {
	case "", PullMissing, PullAlways:
	default:
		return nil, fmt.Errorf("start docker environment: unknown pull policy %q", spec.Pull)
	}
	out := spec.Out
	if out == nil {
		out = io.Discard
	}
	for _, img := range spec.Images {
		if _, err := parseRef(img.Image); err != nil {
			return nil, fmt.Errorf("start docker environment: %w", err)
		}
	}
	for _, img := range spec.Images {
		if err := c.ensureImage(ctx, img, spec.Pull, out); err != nil {
			return nil, err
		}
	}

	token := randomHex(6)
	e := &Env{c: c, killGrace: spec.KillGrace, pidDir: "/tmp", token: token}
	if e.killGrace <= 0 {
		e.killGrace = DefaultKillGrace
	}
	ok := false
	defer func() {
		if !ok {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			_ = e.Close(cctx)
		}
	}()

	prefix := "caravan-" + sanitizeName(spec.TaskID) + "-" + token
	labels := map[string]string{TaskLabel: spec.TaskID}
	for i, img := range spec.Images {
		cfg := containerConfig{
			Image:      img.Image,
			Entrypoint: img.Entrypoint,
			Cmd:        img.Command,
			Env:        envList(img.Environment),
			User:       img.User,
			Labels:     labels,
		}
		name := prefix
		if i == 0 {
			if len(img.Entrypoint) == 0 && len(img.Command) == 0 {
				cfg.Entrypoint, cfg.Cmd = keepAlive.entrypoint, keepAlive.cmd
			}
			cfg.HostConfig.Binds = spec.Binds
			for _, svc := range spec.Images[1:] {
				if svc.Name != "" {
					cfg.HostConfig.ExtraHosts = append(cfg.HostConfig.ExtraHosts, svc.Name+":127.0.0.1")
				}
			}
		} else {
			cfg.HostConfig.NetworkMode = "container:" + e.primary
			name += fmt.Sprintf("-svc%d", i)
			if img.Name != "" {
				name += "-" + sanitizeName(img.Name)
			}
		}
		id, err := e.createAndStart(ctx, name, cfg)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			e.primary = id
			if err := e.checkRunning(ctx, id, img.Image); err != nil {
				return nil, err
			}
		}
	}
	ok = true
	return e, nil
}

// createAndStart creates a container (recording it for Close) and starts
// it.
func (e *Env) createAndStart(ctx context.Context, name string, cfg containerConfig) (string, error) {
	var created struct {
		ID string `json:"Id"`
	}
	q := url.Values{"name": {name}}
	if err := e.c.doJSON(ctx, http.MethodPost, "/containers/create", q, cfg, &created); err != nil {
		return "", fmt.Errorf("create container for image %q: %w", cfg.Image, err)
	}
	if created.ID == "" {
		return "", fmt.Errorf("create container for image %q: daemon returned no id", cfg.Image)
	}
	e.mu.Lock()
	e.ids = append(e.ids, created.ID)
	e.mu.Unlock()
	if err := e.c.doJSON(ctx, http.MethodPost, "/containers/"+created.ID+"/start", nil, nil, nil); err != nil {
		return "", fmt.Errorf("start container for image %q: %w", cfg.Image, err)
	}
	return created.ID, nil
}

// checkRunning fails if the container already exited (e.g. an image
// whose entrypoint cannot run).
func (e *Env) checkRunning(ctx context.Context, id, image string) error {
	var st struct {
		State struct {
			Running  bool
			Status   string
			ExitCode int
			Error    string
		}
	}
	if err := e.c.doJSON(ctx, http.MethodGet, "/containers/"+id+"/json", nil, nil, &st); err != nil {
		return fmt.Errorf("inspect container for image %q: %w", image, err)
	}
	if !st.State.Running {
		msg := fmt.Sprintf("primary container for image %q is not running (status %s, exit code %d)", image, st.State.Status, st.State.ExitCode)
		if st.State.Error != "" {
			msg += ": " + st.State.Error
		}
		return errors.New(msg)
	}
	return nil
}

// PrimaryID returns the ID of the primary container.
func (e *Env) PrimaryID() string { return e.primary }

// Close force-removes every container of the environment (and their
// anonymous volumes). It is idempotent: after a partial failure a later
// call retries the containers that remain.
func (e *Env) Close(ctx context.Context) error {
	e.mu.Lock()
	e.closed = true
	ids := e.ids
	e.mu.Unlock()
	var errs []error
	var left []string
	q := url.Values{"force": {"1"}, "v": {"1"}}
	// Services first: they live in the primary's network namespace.
	for i := len(ids) - 1; i >= 0; i-- {
		err := e.c.doJSON(ctx, http.MethodDelete, "/containers/"+ids[i], q, nil, nil)
		if err != nil && !IsNotFound(err) {
			errs = append(errs, fmt.Errorf("remove container %s: %w", shortID(ids[i]), err))
			left = append([]string{ids[i]}, left...)
		}
	}
	e.mu.Lock()
	e.ids = left
	e.mu.Unlock()
	return errors.Join(errs...)
}

func (e *Env) isClosed() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.closed
}

// envList turns a map into sorted KEY=value pairs.
func envList(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// sanitizeName keeps characters valid in container names
// ([a-zA-Z0-9][a-zA-Z0-9_.-]*) and bounds the length.
func sanitizeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	if b.Len() == 0 {
		return "task"
	}
	return b.String()
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
