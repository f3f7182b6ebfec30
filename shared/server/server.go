package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge"
	"github.com/caravan-ci/caravan/shared/api"
	"github.com/caravan-ci/caravan/shared/audit"
	"github.com/caravan-ci/caravan/shared/blob/fileblob"
	"github.com/caravan-ci/caravan/shared/conductor"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/intake"
	"github.com/caravan-ci/caravan/shared/intake/gitsource"
	"github.com/caravan-ci/caravan/shared/notifier"
	"github.com/caravan-ci/caravan/shared/orbstore"
	"github.com/caravan-ci/caravan/shared/procexec"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/caravan-ci/caravan/shared/store"
	"github.com/caravan-ci/caravan/shared/taskapi"
	"github.com/caravan-ci/caravan/shared/taskserver"
	"github.com/caravan-ci/caravan/shared/tasktoken"
)

// Server is the embedded topology, opened and ready to Run.
type Server struct {
	cfg      Config
	log      *slog.Logger
	ln       net.Listener
	url      string
	Store    store.Store
	Queue    queue.Queue
	Repo     *repo.Repo
	Blobs    *fileblob.Store
	Secrets  *secrets.Envelope
	Cond     *conductor.Conductor
	Intake   *intake.Intake
	Tasks    *taskserver.Server
	Exec     *procexec.Executor
	Bridge   *nomadbridge.Bridge // set when tasks run on Nomad
	Notifier *notifier.Notifier
	Orbs     *orbstore.Store
	handler  http.Handler
	routes   *http.ServeMux
	closers  []func() error
	admin    string
	tokens   *tasktoken.Issuer
	runnerDL *runnerDownload
}

// Open opens the adapters under cfg.DataDir, wires the services and listens on cfg.Addr.
func Open(ctx context.Context, cfg Config) (s *Server, err error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s = &Server{cfg: cfg, log: cfg.Log}
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	s.closers = append(s.closers, s.ln.Close)
	s.url = strings.TrimSuffix(cfg.URL, "/")
	if s.url == "" {
		s.url = "http://" + s.ln.Addr().String()
	}
	dir := cfg.DataDir
	root, err := signingKey(filepath.Join(dir, "signing.key"))
	if err != nil {
		return nil, err
	}
	a, err := openAdapters(dir, s.url, root)
	s.closers = append(s.closers, a.close...)
	if err != nil {
		return nil, err
	}
	s.Store, s.Queue, s.Blobs, s.Secrets = a.store, a.queue, a.blobs, a.secrets
	if cfg.WrapStore != nil {
		s.Store = cfg.WrapStore(a.store)
	}
	if cfg.WrapQueue != nil {
		s.Queue = cfg.WrapQueue(a.queue)
	}
	s.tokens = a.tokens
	s.wire(a.tokens, root)
	if cfg.nomadEnabled() {
		if err := s.openBridge(); err != nil {
			return nil, err
		}
		s.routes.Handle("/downloads/", s.runnerDL)
	}
	return s, s.bootstrap(ctx)
}

// wire composes the services over the adapters.
func (s *Server) wire(tokens *tasktoken.Issuer, root []byte) {
	log := s.log
	s.Repo = repo.New(s.Store)
	s.Orbs = orbstore.New(s.Blobs)
	s.Notifier = notifier.New(s.Queue, s.Secrets, &http.Client{}, log.With("component", "notifier"))
	s.Cond = conductor.New(s.Repo, s.Queue, conductor.Options{
		Notify: s.notify, ClaimTimeout: s.cfg.ClaimTimeout, HeartbeatTimeout: s.cfg.HeartbeatTimeout, Log: log,
	})
	var git intake.GitSource = &gitsource.Source{CacheDir: filepath.Join(s.cfg.DataDir, "git"), Log: log}
	if s.cfg.ConfigSource != nil {
		git = s.cfg.ConfigSource
	}
	s.Intake = intake.New(intake.Deps{
		Repo: s.Repo, Queue: s.Queue, Workflows: s.Cond, Orbs: s.Orbs, Secrets: s.Secrets, Git: git,
		ContinuationSecret: subkey(root, "continuation"), Log: log,
	})
	s.Tasks = taskserver.New(taskserver.Deps{
		Repo: s.Repo, Jobs: s.Cond, Blobs: s.Blobs, Secrets: s.Secrets, Tokens: tokens, WebURL: s.url, Log: log,
	})
	s.Exec = procexec.New(procexec.Options{
		Tasks: BridgeTasks(s.Cond, s.Repo, s.Tasks), Tokens: tokens, Command: s.cfg.RunnerCommand, APIURL: s.url,
		WorkRoot: filepath.Join(s.cfg.DataDir, "runs"), DockerMode: s.cfg.DockerMode,
		Concurrency: s.cfg.Concurrency, KillOnShutdown: s.cfg.KillRunnersOnShutdown, Log: log,
	})
	a := api.New(api.Deps{
		Repo: s.Repo, Intake: s.Intake, Workflows: s.Cond, Blobs: s.Blobs, Secrets: s.Secrets,
		Compile: compileFunc(s.Orbs), Orbs: s.Orbs, Audit: audit.New(s.Blobs, log),
		WebURL: s.url, APIURL: s.url, URLKey: subkey(root, "output-url"), RatePerSecond: s.cfg.RatePerSecond,
		Log: log,
	})
	mux := http.NewServeMux()
	mux.Handle(taskapi.PathPrefix+"/", taskapi.Handler(s.Tasks, log))
	mux.Handle("/blobs/", s.Blobs.Handler())
	mux.Handle("/", a)
	s.routes = mux
	s.handler = mux
}

// URL is the server's base URL.
func (s *Server) URL() string { return s.url }

// Handler is the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// AdminToken returns the first admin's token, as saved at first start.
func (s *Server) AdminToken() string { return s.admin }

// bootstrap creates the admin user and its token at first start.
func (s *Server) bootstrap(ctx context.Context) error {
	path := filepath.Join(s.cfg.DataDir, "admin.token")
	tok, created, err := api.Bootstrap(ctx, s.Repo, s.cfg.AdminLogin)
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	if created {
		if err := writeSecretFile(path, []byte(tok+"\n")); err != nil {
			return err
		}
	}
	if b, err := os.ReadFile(path); err == nil {
		s.admin = strings.TrimSpace(string(b))
	}
	return nil
}

// Run serves HTTP and runs the consumers and tickers until ctx ends.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	var wg sync.WaitGroup
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(s.ln) }()
	consume := func(topic string, h queue.Handler, n int, vis time.Duration) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = queue.Consume(ctx, s.Queue, topic, h, queue.ConsumeOptions{Concurrency: n, Visibility: vis,
				Wait: 5 * time.Second, Log: s.log})
		}()
	}
	consume(domain.TopicPipelines, s.Intake.Handle, 4, time.Minute)
	consume(domain.TopicWorkflows, s.Cond.Handle, 8, 30*time.Second)
	switch {
	case s.cfg.NoExecutor:
	case s.Bridge != nil:
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Bridge.Run(ctx) }()
	case s.cfg.Executor != nil:
		consume(domain.TopicRuns, s.cfg.Executor, max(s.cfg.Concurrency, 1)+1, 30*time.Second)
	default:
		consume(domain.TopicRuns, s.Exec.Handle, max(s.cfg.Concurrency, 1)+1, 30*time.Second)
	}
	consume(domain.TopicNotify, s.Notifier.Handle, 4, 30*time.Second)
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.every(ctx, s.cfg.SweepInterval, "sweep", func(ctx context.Context) error {
			return errors.Join(s.Intake.Sweep(ctx), s.Cond.Sweep(ctx))
		})
	}()
	go func() {
		defer wg.Done()
		s.every(ctx, s.cfg.ScheduleInterval, "schedules", func(ctx context.Context) error {
			return s.Intake.Tick(ctx, time.Now().UTC())
		})
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	_ = srv.Shutdown(shutdown)
	cancel()
	s.Exec.Shutdown(shutdown)
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// every runs f now and then every d until ctx ends.
func (s *Server) every(ctx context.Context, d time.Duration, what string, f func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := f(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn(what+" failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Close releases the adapters.
func (s *Server) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		if err := s.closers[i](); !errors.Is(err, net.ErrClosed) { // Run's shutdown closed the listener
			errs = append(errs, err)
		}
	}
	s.closers = nil
	return errors.Join(errs...)
}

// DataDir is the absolute data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }
