package nomadbridge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/queue"
)

// Bridge runs tasks on Nomad. Safe for concurrent use; several Bridges (processes) may share a queue and a
// cluster.
type Bridge struct {
	o   Options
	log *slog.Logger

	mu       sync.Mutex
	pending  map[string]time.Time // job id → registered at, until its allocation runs or ends
	canceled map[string]time.Time // job id → when its task was first seen canceled or ended while it ran
	settled  map[string]time.Time // job id → when it was first seen dead with its task ended
	room     roomCache
	nodes    nodeCache
	kick     chan struct{} // asks the reconcile loop for a pass now
	install  string        // this installation's id in job meta
}

// New returns a Bridge, or an error naming every missing or invalid option.
func New(o Options) (*Bridge, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	return &Bridge{o: o, log: o.Log.With("component", "nomadbridge"), pending: map[string]time.Time{},
		canceled: map[string]time.Time{}, settled: map[string]time.Time{}, kick: make(chan struct{}, 1),
		install: installID(o.APIURL)}, nil
}

// Run reconciles once, then follows Nomad's events, reconciles every PollInterval and consumes run
// messages while Nomad has room, until ctx ends. When Options.Machines is a MachineMaintainer, it also
// maintains the machines (VMs of ended or canceled tasks, warm pools) now and every MachineMaintenancePeriod.
// Messages being handled when ctx ends are finished first (bounded by their own calls' timeouts).
func (b *Bridge) Run(ctx context.Context) error {
	if err := b.Reconcile(ctx); err != nil && ctx.Err() == nil {
		b.log.Warn("first reconcile failed; retrying in the background", "err", err)
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); b.watchEvents(ctx) }()
	go func() { defer wg.Done(); b.reconcileLoop(ctx) }()
	if m, ok := b.o.Machines.(MachineMaintainer); ok {
		wg.Add(1)
		go func() { defer wg.Done(); b.maintainMachines(ctx, m) }()
	}
	b.consume(ctx)
	wg.Wait()
	return nil
}

// consume receives run messages while there is room and hands each to a goroutine, Concurrency at a time.
func (b *Bridge) consume(ctx context.Context) {
	sem := make(chan struct{}, b.o.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for ctx.Err() == nil {
		if ok, why := b.hasRoom(ctx); !ok {
			b.log.Debug("no room in Nomad: not taking run messages", "why", why)
			sleep(ctx, 500*time.Millisecond)
			continue
		}
		// Block for a free slot before receiving, so a received message never waits on a slot.
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		free := 1
		for free < 10 && len(sem) < cap(sem) {
			sem <- struct{}{}
			free++
		}
		ds, err := b.o.Queue.Receive(ctx, domain.TopicRuns, queue.ReceiveOptions{Max: free, Wait: 2 * time.Second,
			Visibility: b.o.Visibility})
		for range free - len(ds) {
			<-sem
		}
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("receive run messages failed", "err", err)
				sleep(ctx, time.Second)
			}
			continue
		}
		for _, d := range ds {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				b.deliver(context.WithoutCancel(ctx), d)
			}()
		}
	}
}

// deliver handles one delivery and settles it with the queue: acknowledged when handled (or never
// handleable), handed back after a delay when the failure may pass.
func (b *Bridge) deliver(ctx context.Context, d queue.Delivery) {
	ctx, cancel := context.WithTimeout(ctx, b.o.Visibility)
	defer cancel()
	err := b.Handle(ctx, d)
	switch {
	case err == nil:
	case queue.IsPermanent(err):
		b.log.Error("run message rejected", "id", d.ID, "err", err)
	default:
		b.log.Warn("run message failed; it will be delivered again", "id", d.ID, "attempt", d.Attempt, "err", err)
		if verr := b.o.Queue.SetVisibility(ctx, d, backoff(d.Attempt)); verr != nil {
			b.log.Warn("hand back run message", "id", d.ID, "err", verr)
		}
		return
	}
	if aerr := b.o.Queue.Ack(ctx, d); aerr != nil {
		b.log.Warn("ack run message", "id", d.ID, "err", aerr)
	}
}

// Handle runs the task of one run message; it is also a queue.Handler (without the bridge's back-pressure).
// Duplicates, stale attempts, canceled and ended tasks are dropped; a task already dispatched to Nomad (by a
// bridge that crashed before registering, or another instance) has its job registered if it is missing.
func (b *Bridge) Handle(ctx context.Context, d queue.Delivery) error {
	var m domain.RunMsg
	if err := json.Unmarshal(d.Body, &m); err != nil || m.TaskID == "" {
		return queue.Permanent(fmt.Errorf("nomadbridge: decode run message %s: %w", d.ID, errors.Join(err,
			errors.New("no task id"))))
	}
	t, err := b.o.Tasks.Task(ctx, m.TaskID)
	if err != nil {
		return fmt.Errorf("read task %s: %w", m.TaskID, err)
	}
	if t.Status.Terminal() || t.Canceled || (m.Attempt > 0 && t.Attempt != m.Attempt) ||
		t.Status != domain.TaskQueued {
		b.log.Debug("run message dropped", "task", m.TaskID, "status", t.Status, "attempt", m.Attempt)
		return nil
	}
	ex, err := b.o.Tasks.Executor(ctx, m.TaskID)
	if err != nil {
		return fmt.Errorf("executor of task %s: %w", m.TaskID, err)
	}
	if t.DispatchedAt.IsZero() {
		if reason, err := b.cannotRun(ctx, ex); err != nil {
			return err
		} else if reason != "" {
			b.log.Warn("task cannot run on this cluster", "task", m.TaskID, "reason", reason)
			return b.o.Tasks.Finish(ctx, m.TaskID, domain.TaskInfrastructureFail, reason)
		}
		ok, err := b.o.Tasks.Dispatch(ctx, m.TaskID, ExecutorName)
		if err != nil {
			return fmt.Errorf("dispatch task %s: %w", m.TaskID, err)
		}
		if !ok {
			if t, err = b.o.Tasks.Task(ctx, m.TaskID); err != nil {
				return fmt.Errorf("read task %s: %w", m.TaskID, err)
			}
		}
	}
	if t.Executor != "" && t.Executor != ExecutorName || t.Status != domain.TaskQueued || t.Canceled {
		return nil // another executor took it, or it moved on meanwhile
	}
	if ex.Kind == plan.ExecMachine && b.o.Machines != nil {
		return b.launchMachine(ctx, t, ex)
	}
	return b.register(ctx, t, ex)
}

// register registers the task's job (and its registry credentials first); an existing job is success.
func (b *Bridge) register(ctx context.Context, t domain.Task, ex plan.Executor) error {
	spec := jobSpec{TaskID: t.ID, Attempt: max(t.Attempt, 1), Executor: ex}
	id := JobID(spec.TaskID, spec.Attempt)
	if b.driverFor(ex.Kind) == driverDocker {
		if err := b.storeAuth(ctx, &spec, id); errors.Is(err, ErrRejected) {
			// Retrying cannot help, and a task left dispatched would never run.
			return b.o.Tasks.Finish(ctx, t.ID, domain.TaskInfrastructureFail,
				"Nomad rejected the registry credentials: "+err.Error())
		} else if err != nil {
			return err
		}
	}
	spec.Token = b.o.Tokens.Mint(t.ID, b.o.TokenTTL)
	b.setPending(id, true)
	err := b.o.Client.Register(ctx, b.buildJob(spec))
	switch {
	case err == nil:
		b.log.Info("task registered", "task", t.ID, "job", id, "attempt", spec.Attempt)
		return nil
	case errors.Is(err, ErrExists):
		b.log.Info("task's job already registered", "task", t.ID, "job", id)
		return nil
	case errors.Is(err, ErrRejected):
		b.setPending(id, false)
		if spec.Auth != nil {
			// No job will ever read the credentials, and no purge would find them.
			if derr := b.o.Client.DeleteVariable(ctx, VariablePath(id)); derr != nil {
				b.log.Warn("delete the registry credentials of a rejected job", "job", id, "err", derr)
			}
		}
		return b.o.Tasks.Finish(ctx, t.ID, domain.TaskInfrastructureFail, "Nomad rejected the job: "+err.Error())
	default:
		b.setPending(id, false)
		return err
	}
}

// storeAuth resolves the images' registry credentials and writes them to the job's variable.
func (b *Bridge) storeAuth(ctx context.Context, spec *jobSpec, jobID string) error {
	need := false
	for _, im := range spec.Executor.Images {
		need = need || im.Auth != nil
	}
	if !need {
		return nil
	}
	auths, err := b.o.Tasks.ImageAuth(ctx, spec.TaskID)
	if err != nil {
		return fmt.Errorf("registry credentials of task %s: %w", spec.TaskID, err)
	}
	items := map[string]string{}
	spec.Auth = make([]bool, len(auths))
	for i, a := range auths {
		if a != nil {
			spec.Auth[i] = true
			items[fmt.Sprintf("user_%d", i)], items[fmt.Sprintf("password_%d", i)] = a.Username, a.Password
		}
	}
	if len(items) == 0 {
		return nil
	}
	return b.o.Client.PutVariable(ctx, VariablePath(jobID), items)
}

// launchMachine hands a machine task to the provisioner.
func (b *Bridge) launchMachine(ctx context.Context, t domain.Task, ex plan.Executor) error {
	l := MachineLaunch{TaskID: t.ID, Attempt: max(t.Attempt, 1), ResourceClass: ex.ResourceClass,
		APIURL: b.o.APIURL, RunnerURL: b.o.RunnerURL, Token: b.o.Tokens.Mint(t.ID, b.o.TokenTTL)}
	if ex.Machine != nil {
		l.Image = ex.Machine.Image
	}
	err := b.o.Machines.Launch(ctx, l)
	if errors.Is(err, ErrRejected) {
		return b.o.Tasks.Finish(ctx, t.ID, domain.TaskInfrastructureFail, "no machine for the job: "+err.Error())
	}
	if err != nil {
		return fmt.Errorf("launch machine for task %s: %w", t.ID, err)
	}
	b.log.Info("machine launched", "task", t.ID, "attempt", l.Attempt)
	return nil
}

func (b *Bridge) setPending(jobID string, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if on {
		b.pending[jobID] = b.o.Now()
	} else {
		delete(b.pending, jobID)
	}
}

// installID names an installation by its API URL: bridges of one server agree, other servers differ.
func installID(apiURL string) string {
	sum := sha256.Sum256([]byte(strings.TrimRight(apiURL, "/")))
	return hex.EncodeToString(sum[:6])
}

// backoff is how long a failed delivery waits before it is tried again.
func backoff(attempt int) time.Duration {
	return min(time.Duration(1<<min(attempt, 6))*time.Second, time.Minute)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
