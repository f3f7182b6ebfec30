package machine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Launch is one task to run on a machine.
type Launch struct {
	TaskID        string
	Attempt       int
	Image         string // the config's machine image ("ubuntu-2204:2024.01.1", "default"); empty means "default"
	ResourceClass string // empty means "medium"
	APIURL        string // server URL the runner reports to
	Token         string // task token; reaches the runner only through CARAVAN_TASK_TOKEN
	RunnerURL     string // URL of a .tar.gz holding one executable named caravan
}

func (l Launch) validate() error {
	if l.TaskID == "" || l.TaskID == "." || l.TaskID == ".." || strings.ContainsRune(l.TaskID, '/') {
		return fmt.Errorf("launch task %q: invalid task id", l.TaskID)
	}
	if l.Attempt < 0 {
		return fmt.Errorf("launch task %q: negative attempt %d", l.TaskID, l.Attempt)
	}
	for _, f := range [...]struct{ name, v string }{{"api url", l.APIURL}, {"token", l.Token}, {"runner url", l.RunnerURL}} {
		if f.v == "" {
			return fmt.Errorf("launch task %q: no %s", l.TaskID, f.name)
		}
	}
	for _, v := range []string{l.TaskID, l.Image, l.ResourceClass, l.APIURL, l.Token, l.RunnerURL} {
		if strings.ContainsRune(v, 0) {
			return fmt.Errorf("launch task %q: a value contains a NUL byte", l.TaskID)
		}
	}
	return nil
}

// Run starts the task's machine and returns its instance: the one already launched for this task and attempt
// if there is one, else a stopped warm instance of the pool given the task's boot script, else a new one.
func (p *Provisioner) Run(ctx context.Context, l Launch) (Instance, error) {
	if p.o.Cloud == nil {
		return Instance{}, errNoCloud
	}
	if err := l.validate(); err != nil {
		return Instance{}, err
	}
	image, class := defaults(l.Image, l.ResourceClass)
	pool := image + "/" + class
	cloudImage, instanceType, err := p.resolve(image, class)
	if err != nil {
		return Instance{}, fmt.Errorf("launch task %q: %w", l.TaskID, err)
	}
	attempt := strconv.Itoa(l.Attempt)
	log := p.log.With("task", l.TaskID, "attempt", l.Attempt, "pool", pool)

	mine := map[string]string{LabelManaged: "true", LabelTask: l.TaskID, LabelAttempt: attempt}
	found, err := p.o.Cloud.List(ctx, mine)
	if err != nil {
		return Instance{}, fmt.Errorf("list instances of task %q: %w", l.TaskID, err)
	}
	if in, ok := launched(found, mine); ok {
		log.InfoContext(ctx, "machine already launched", "instance", in.ID, "state", in.State)
		return in, nil
	}

	labels := p.labels(map[string]string{LabelPool: pool, LabelTask: l.TaskID, LabelAttempt: attempt,
		LabelExpires: expires(p.o.Now(), p.o.TTL)})
	script := BootScript(l)
	in, ok, err := p.takeWarm(ctx, pool, l.TaskID+"\x00"+attempt, script, labels)
	if err != nil {
		return Instance{}, fmt.Errorf("launch task %q: %w", l.TaskID, err)
	}
	if ok {
		log.InfoContext(ctx, "machine taken from warm pool", "instance", in.ID)
		return in, nil
	}

	token := runToken(l.TaskID, attempt)
	in, err = p.o.Cloud.Create(ctx, Spec{Name: instanceName(token), Image: cloudImage, InstanceType: instanceType,
		BootScript: script, Token: token, Labels: labels})
	if err != nil {
		return Instance{}, fmt.Errorf("create machine for task %q: %w", l.TaskID, err)
	}
	log.InfoContext(ctx, "machine created", "instance", in.ID, "image", cloudImage, "type", instanceType)
	return in, nil
}

// launched picks the instance already launched for a task attempt, preferring one that is not terminated.
func launched(found []Instance, match map[string]string) (Instance, bool) {
	var best Instance
	ok := false
	for _, in := range found {
		if !hasLabels(in, match) {
			continue
		}
		if !ok || (best.State == StateTerminated && in.State != StateTerminated) {
			best, ok = in, true
		}
	}
	return best, ok
}

// takeWarm assigns a stopped warm instance of pool to a task. An instance whose Assign failed is deleted, so it
// can never run the task besides the one created instead; when that delete fails too, the error is returned.
func (p *Provisioner) takeWarm(ctx context.Context, pool, key, script string, labels map[string]string) (Instance, bool, error) {
	match := map[string]string{LabelManaged: "true", LabelWarm: "true", LabelPool: pool}
	found, err := p.o.Cloud.List(ctx, match)
	if err != nil {
		return Instance{}, false, fmt.Errorf("list warm instances of pool %q: %w", pool, err)
	}
	now := p.o.Now()
	var ready []Instance
	for _, in := range found {
		if in.State == StateStopped && hasLabels(in, match) && !p.warmExpired(in, now) {
			ready = append(ready, in)
		}
	}
	if len(ready) == 0 {
		return Instance{}, false, nil
	}
	// Concurrent launches start from different instances, so they rarely race for the same one.
	slices.SortFunc(ready, func(a, b Instance) int { return strings.Compare(a.ID, b.ID) })
	h := fnv.New32a()
	h.Write([]byte(key))
	in := ready[int(h.Sum32()%uint32(len(ready)))]
	if err := p.o.Cloud.Assign(ctx, in.ID, script, labels); err != nil {
		p.log.WarnContext(ctx, "assign warm machine failed; deleting it", "instance", in.ID, "err", err)
		if derr := p.o.Cloud.Delete(ctx, in.ID); derr != nil {
			return Instance{}, false, errors.Join(fmt.Errorf("assign warm instance %q: %w", in.ID, err),
				fmt.Errorf("delete warm instance %q: %w", in.ID, derr))
		}
		return Instance{}, false, nil
	}
	in.Labels = maps.Clone(labels)
	in.State = StatePending
	return in, true, nil
}

// Stop deletes every instance of a task (its attempts included): the task was canceled.
func (p *Provisioner) Stop(ctx context.Context, taskID string) error {
	if p.o.Cloud == nil {
		return errNoCloud
	}
	if taskID == "" {
		return errors.New("stop machines: no task id")
	}
	match := map[string]string{LabelManaged: "true", LabelTask: taskID}
	found, err := p.o.Cloud.List(ctx, match)
	if err != nil {
		return fmt.Errorf("list instances of task %q: %w", taskID, err)
	}
	var ids []string
	for _, in := range found {
		if hasLabels(in, match) && in.State != StateTerminated {
			ids = append(ids, in.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := p.o.Cloud.Delete(ctx, ids...); err != nil {
		return fmt.Errorf("delete instances of task %q: %w", taskID, err)
	}
	p.log.InfoContext(ctx, "machines of task deleted", "task", taskID, "instances", ids)
	return nil
}

func (p *Provisioner) labels(own map[string]string) map[string]string {
	l := maps.Clone(p.o.Labels)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, own)
	l[LabelManaged] = "true"
	return l
}

func hasLabels(in Instance, match map[string]string) bool {
	for k, v := range match {
		if got, ok := in.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func expires(now time.Time, ttl time.Duration) string {
	return strconv.FormatInt(now.Add(ttl).Unix(), 10)
}

// runToken is the idempotency token of a task attempt's instance: at most 64 ASCII characters, as EC2 wants.
func runToken(taskID, attempt string) string {
	sum := sha256.Sum256([]byte("caravan-run\x00" + taskID + "\x00" + attempt))
	return "run-" + hex.EncodeToString(sum[:20])
}

// instanceName is a name every cloud accepts, determined by the token (so a retry names the same instance).
func instanceName(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "caravan-" + hex.EncodeToString(sum[:10])
}
