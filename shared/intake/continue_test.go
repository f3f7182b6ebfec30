package intake

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
)

const setupConfig = `version: 2.1
setup: true
parameters:
  target: {type: string, default: all}
jobs:
  generate:
    docker: [{image: cimg/base:current}]
    steps: [checkout, run: echo << pipeline.parameters.target >>]
workflows:
  setup:
    jobs: [generate]
`

const continuedConfig = `version: 2.1
parameters:
  run-deploy: {type: boolean, default: false}
jobs:
  build:
    docker: [{image: cimg/base:current}]
    steps: [checkout]
  deploy:
    docker: [{image: cimg/base:current}]
    steps: [checkout]
workflows:
  build:
    jobs: [build]
  deploy:
    when: << pipeline.parameters.run-deploy >>
    jobs: [deploy]
`

func setupPipeline(t *testing.T) (*env, domain.Pipeline) {
	t.Helper()
	e := newEnv(t)
	e.commit("main", "setup", map[string]string{".circleci/config.yml": setupConfig})
	p := e.trigger(TriggerRequest{Parameters: map[string]any{"target": "api"}})
	e.drain()
	return e, e.pipeline(p.ID)
}

func TestSetup(t *testing.T) {
	t.Parallel()
	e, p := setupPipeline(t)
	key := ContinuationKey([]byte(contSecret), p.ID)
	if p.State != domain.PipelineSetupPending || p.SetupConfigSource != setupConfig ||
		!strings.Contains(p.SetupConfigCompiled, "echo api") || p.ConfigSource != "" ||
		p.ContinuationKeyHash != keyHash(key) || strings.Contains(p.ContinuationKeyHash, key) {
		t.Errorf("setup pipeline = %+v", p)
	}
	if d := cmp.Diff([]string{"setup[setup]:running:generate"}, e.workflows(p.ID)); d != "" {
		t.Errorf("workflows (-want +got):\n%s", d)
	}

	bad := []struct {
		name, key, config string
		params            map[string]any
		want              error
	}{
		{"forged key", p.ID + ".00ff", continuedConfig, nil, ErrInvalid},
		{"no id", "abc", continuedConfig, nil, ErrInvalid},
		{"key of another pipeline", ContinuationKey([]byte(contSecret), domain.NewID()), continuedConfig, nil, nil},
		{"empty config", key, " ", nil, ErrInvalid},
		{"invalid config", key, "version: 2.1\nworkflows:\n  w:\n    jobs: [nope]\n", nil, ErrInvalid},
		{"setup again", key, setupConfig, nil, ErrInvalid},
		{"conflicting parameter", key, continuedConfig, map[string]any{"target": "web"}, ErrInvalid},
		{"map parameter", key, continuedConfig, map[string]any{"x": map[string]any{}}, ErrInvalid},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := e.in.Continue(e.ctx, tc.key, tc.config, tc.params)
			if err == nil || tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Continue = %v, want %v", err, tc.want)
			}
		})
	}
	if got := e.pipeline(p.ID); got.State != domain.PipelineSetupPending {
		t.Fatalf("state after failed continuations = %s", got.State)
	}

	// Concurrent continuations: exactly one wins, the others hear ErrState.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = e.in.Continue(e.ctx, key, continuedConfig, map[string]any{"run-deploy": true})
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrState):
			t.Errorf("losing Continue = %v, want ErrState", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d continuations succeeded, want 1 (%v)", ok, errs)
	}
	got := e.pipeline(p.ID)
	if got.State != domain.PipelineCreated || got.ContinuedAt.IsZero() || got.ConfigSource != continuedConfig ||
		!strings.Contains(got.ConfigCompiled, "deploy") || got.SetupConfigSource != setupConfig {
		t.Errorf("continued pipeline = %+v", got)
	}
	want := []string{"build:running:build", "deploy:running:deploy", "setup[setup]:running:generate"}
	if d := cmp.Diff(want, sorted(e.workflows(p.ID))); d != "" {
		t.Errorf("workflows (-want +got):\n%s", d)
	}
	err := e.in.Continue(e.ctx, key, continuedConfig, nil)
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "continuation already used") {
		t.Errorf("second Continue = %v, want ErrState: continuation already used", err)
	}
	// A redelivered pipeline message re-creates nothing and keeps the continued workflows.
	if err := e.in.Handle(e.ctx, queue.Delivery{Body: []byte(`{"pipeline_id":"` + p.ID + `"}`), Attempt: 2}); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(want, sorted(e.workflows(p.ID))); d != "" {
		t.Errorf("workflows after redelivery (-want +got):\n%s", d)
	}
}

func TestContinueNotSetup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.commit("main", "plain", map[string]string{".circleci/config.yml": simpleConfig})
	p := e.trigger(TriggerRequest{})
	e.drain()
	err := e.in.Continue(e.ctx, ContinuationKey([]byte(contSecret), p.ID), continuedConfig, nil)
	if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), "not a setup pipeline") {
		t.Errorf("Continue of an ordinary pipeline = %v, want ErrState: not a setup pipeline", err)
	}
}

func TestContinueExpired(t *testing.T) {
	t.Parallel()
	e, p := setupPipeline(t)
	e.in.d.Now = func() time.Time { return p.CreatedAt.Add(ContinueWithin + time.Minute) }
	err := e.in.Continue(e.ctx, ContinuationKey([]byte(contSecret), p.ID), continuedConfig, nil)
	if !errors.Is(err, ErrState) {
		t.Errorf("late Continue = %v, want ErrState", err)
	}
}

func TestContinueRecoversWorkflows(t *testing.T) {
	t.Parallel()
	e, p := setupPipeline(t)
	key := ContinuationKey([]byte(contSecret), p.ID)
	e.in.d.Workflows = failingCreate{e.cond}
	if err := e.in.Continue(e.ctx, key, continuedConfig, map[string]any{"run-deploy": true}); err != nil {
		t.Fatalf("Continue with a failing conductor = %v, want nil (handed to Handle)", err)
	}
	e.in.d.Workflows = e.cond
	e.drain()
	want := []string{"build:running:build", "deploy:running:deploy", "setup[setup]:running:generate"}
	if d := cmp.Diff(want, sorted(e.workflows(p.ID))); d != "" {
		t.Errorf("workflows after Handle (-want +got):\n%s", d)
	}
}
