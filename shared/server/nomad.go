package server

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/taskserver"
)

// NomadConfig runs the server's tasks on a Nomad cluster through the nomadbridge instead of as child
// processes.
type NomadConfig struct {
	Settings nomadbridge.Settings
	// RunnerBinary is the caravan executable Nomad clients download (default: this executable). It must be a
	// static Linux build (make build) to run inside docker images.
	RunnerBinary string
}

// RunnerDownloadPath is where the server serves the runner for Nomad clients and VMs: a .tar.gz holding the
// executable "caravan"; the same path + ".sha256" serves its checksum.
var RunnerDownloadPath = fmt.Sprintf("/downloads/caravan-%s-%s.tar.gz", runtime.GOOS, runtime.GOARCH)

// runnerDownload is the packed runner, built once at start.
type runnerDownload struct {
	tgz    []byte
	sha256 string
	mod    time.Time
}

// packRunner packs the executable at path as "caravan" (mode 0755) into a .tar.gz.
func packRunner(path string) (*runnerDownload, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open runner binary: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat runner binary: %w", err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(zw)
	if err := tw.WriteHeader(&tar.Header{Name: "caravan", Mode: 0o755, Size: st.Size(), ModTime: st.ModTime(),
		Typeflag: tar.TypeReg}); err != nil {
		return nil, fmt.Errorf("pack runner: %w", err)
	}
	if _, err := io.Copy(tw, f); err != nil {
		return nil, fmt.Errorf("pack runner: %w", err)
	}
	if err := errors.Join(tw.Close(), zw.Close()); err != nil {
		return nil, fmt.Errorf("pack runner: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return &runnerDownload{tgz: buf.Bytes(), sha256: hex.EncodeToString(sum[:]), mod: st.ModTime()}, nil
}

func (d *runnerDownload) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case RunnerDownloadPath:
		w.Header().Set("Content-Type", "application/gzip")
		http.ServeContent(w, r, "caravan.tar.gz", d.mod, bytes.NewReader(d.tgz))
	case RunnerDownloadPath + ".sha256":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, d.sha256)
	default:
		http.NotFound(w, r)
	}
}

// openBridge builds the nomadbridge of a server whose config names a Nomad cluster.
func (s *Server) openBridge() error {
	nc := s.cfg.Nomad
	bin := nc.RunnerBinary
	if bin == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the runner binary: %w", err)
		}
		bin = exe
	}
	dl, err := packRunner(bin)
	if err != nil {
		return err
	}
	s.runnerDL = dl
	client, err := nomadbridge.NewClient(nc.Settings.Client)
	if err != nil {
		return err
	}
	o := nomadbridge.Options{Client: client, Queue: s.Queue, Tasks: BridgeTasks(s.Cond, s.Repo, s.Tasks),
		Tokens: s.tokens, APIURL: s.url, RunnerURL: s.url + RunnerDownloadPath, RunnerSHA256: dl.sha256,
		Log: s.log}
	nc.Settings.Apply(&o)
	s.Bridge, err = nomadbridge.New(o)
	return err
}

// BridgeTasks gives a nomadbridge the conductor's task transitions and the store's reads.
func BridgeTasks(c *conductor.Conductor, r *repo.Repo, ts *taskserver.Server) nomadbridge.Tasks {
	return bridgeTasks{c: c, r: r, ts: ts}
}

type bridgeTasks struct {
	c  *conductor.Conductor
	r  *repo.Repo
	ts *taskserver.Server
}

func (b bridgeTasks) Dispatch(ctx context.Context, id, executor string) (bool, error) {
	return b.c.Dispatch(ctx, id, executor)
}

func (b bridgeTasks) Finish(ctx context.Context, id string, st domain.TaskStatus, msg string) error {
	return b.c.Finish(ctx, id, st, msg)
}

func (b bridgeTasks) RetryTask(ctx context.Context, id string, attempt int, reason string) (bool, error) {
	return b.c.RetryTask(ctx, id, attempt, reason)
}

func (b bridgeTasks) Task(ctx context.Context, id string) (domain.Task, error) {
	t, err := b.r.Task(ctx, id)
	if repo.IsNotFound(err) {
		return t.V, fmt.Errorf("%w: %w", nomadbridge.ErrTaskNotFound, err)
	}
	return t.V, err
}

func (b bridgeTasks) Executor(ctx context.Context, id string) (plan.Executor, error) {
	jobID, _, err := repo.ParseTaskID(id)
	if err != nil {
		return plan.Executor{}, err
	}
	j, err := b.r.Job(ctx, jobID)
	return j.V.Plan.Executor, err
}

func (b bridgeTasks) ImageAuth(ctx context.Context, id string) ([]*plan.Auth, error) {
	return b.ts.ImageAuth(ctx, id)
}

// nomadEnabled reports whether cfg runs tasks on Nomad.
func (c *Config) nomadEnabled() bool {
	return c.Nomad != nil && strings.TrimSpace(c.Nomad.Settings.Client.Address) != ""
}
