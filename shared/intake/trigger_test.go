package intake

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/orbstore"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/repo"
	"github.com/caravan-ci/caravan/shared/store"
)

func TestTriggerAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	sha := e.commit("main", "first", map[string]string{".circleci/config.yml": simpleConfig})

	p := e.trigger(TriggerRequest{Actor: "alice"})
	if p.State != domain.PipelineCreated || p.Number != 1 || p.VCS.Branch != "main" || p.Trigger.Type != TypeAPI ||
		p.Trigger.Actor != "alice" || p.ProjectSlug != "gh/acme/api" || p.VCS.Provider != "GitHub" {
		t.Errorf("triggered pipeline = %+v", p)
	}
	ds, err := e.q.Receive(e.ctx, domain.TopicPipelines, queue.ReceiveOptions{Max: 10})
	if err != nil || len(ds) != 1 || !strings.Contains(string(ds[0].Body), p.ID) {
		t.Fatalf("queued = %v, %v; want one message for %s", ds, err, p.ID)
	}
	if err := e.in.Handle(e.ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	got := e.pipeline(p.ID)
	if got.State != domain.PipelineCreated || got.VCS.Revision != sha || got.VCS.CommitSubject != "first" ||
		got.ConfigSource != simpleConfig || !strings.Contains(got.ConfigCompiled, "echo hello on main") {
		t.Errorf("processed pipeline = %+v", got)
	}
	if d := cmp.Diff([]string{"main:running:build,test"}, e.workflows(p.ID)); d != "" {
		t.Errorf("workflows (-want +got):\n%s", d)
	}
	// A redelivered message creates nothing new.
	if err := e.in.Handle(e.ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	if n := len(e.workflows(p.ID)); n != 1 {
		t.Errorf("after redelivery %d workflows, want 1", n)
	}
	if p2 := e.trigger(TriggerRequest{Branch: "main"}); p2.Number != 2 {
		t.Errorf("second pipeline number = %d, want 2", p2.Number)
	}
}

func TestTriggerInvalid(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tests := []struct {
		name string
		req  TriggerRequest
		want error
	}{
		{"branch and tag", TriggerRequest{ProjectID: e.proj.ID, Branch: "main", Tag: "v1"}, ErrInvalid},
		{"map parameter", TriggerRequest{ProjectID: e.proj.ID, Parameters: map[string]any{"a": map[string]any{}}}, ErrInvalid},
		{"list parameter", TriggerRequest{ProjectID: e.proj.ID, Parameters: map[string]any{"a": []any{1}}}, ErrInvalid},
		{"null parameter", TriggerRequest{ProjectID: e.proj.ID, Parameters: map[string]any{"a": nil}}, ErrInvalid},
		{"bad type", TriggerRequest{ProjectID: e.proj.ID, Type: "cron"}, ErrInvalid},
		{"bad branch", TriggerRequest{ProjectID: e.proj.ID, Branch: "a b"}, ErrInvalid},
		{"no project", TriggerRequest{}, ErrInvalid},
		{"unknown project", TriggerRequest{ProjectID: "nope"}, repo.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.in.Trigger(e.ctx, tc.req); !errors.Is(err, tc.want) {
				t.Errorf("Trigger = %v, want %v", err, tc.want)
			}
		})
	}
	if n := len(e.pipelines()); n != 0 {
		t.Errorf("%d pipelines written by invalid triggers", n)
	}
}

func TestHandle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		files     map[string]string
		req       TriggerRequest
		wantState domain.PipelineState
		wantErr   string // type: message fragment
		wantWFs   []string
		compiled  string
	}{
		{name: "parameters", files: map[string]string{".circleci/config.yml": simpleConfig},
			req:       TriggerRequest{Parameters: map[string]any{"greeting": "bonjour"}},
			wantState: domain.PipelineCreated, wantWFs: []string{"main:running:build,test"}, compiled: "echo bonjour on main"},
		{name: "missing config", files: map[string]string{"README": "hi"},
			wantState: domain.PipelineErrored, wantErr: "config-fetch: config file .circleci/config.yml not found"},
		{name: "unknown branch", files: map[string]string{".circleci/config.yml": simpleConfig},
			req: TriggerRequest{Branch: "nope"}, wantState: domain.PipelineErrored, wantErr: "config-fetch: cannot find branch"},
		{name: "unknown tag", files: map[string]string{".circleci/config.yml": simpleConfig},
			req: TriggerRequest{Tag: "v9"}, wantState: domain.PipelineErrored, wantErr: "config-fetch: cannot find tag"},
		{name: "invalid config", files: map[string]string{".circleci/config.yml": "version: 2.1\njobs:\n  build: {}\nworkflows:\n  w:\n    jobs: [nope]\n"},
			wantState: domain.PipelineErrored, wantErr: "config: "},
		{name: "unknown parameter", files: map[string]string{".circleci/config.yml": simpleConfig},
			req: TriggerRequest{Parameters: map[string]any{"nope": true}}, wantState: domain.PipelineErrored, wantErr: "config: "},
		{name: "orb", files: map[string]string{".circleci/config.yml": "version: 2.1\norbs:\n  tools: acme/tools@1\n" +
			"workflows:\n  w:\n    jobs: [tools/hello]\n"},
			wantState: domain.PipelineCreated, wantWFs: []string{"w:running:tools/hello"}, compiled: "echo from the orb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			orbs := orbstore.New(memblob.New())
			if err := orbs.Import(context.Background(), "acme/tools@1.0.0", []byte("version: 2.1\njobs:\n  hello:\n"+
				"    docker: [{image: cimg/base:current}]\n    steps: [{run: echo from the orb}]\n")); err != nil {
				t.Fatal(err)
			}
			e.in.d.Orbs = orbs
			e.commit("main", "config", tc.files)
			e.gitRun("tag", "v1")
			p := e.trigger(tc.req)
			e.drain()
			got := e.pipeline(p.ID)
			if got.State != tc.wantState {
				t.Errorf("state = %s, want %s (errors %v)", got.State, tc.wantState, got.Errors)
			}
			if tc.wantErr != "" {
				typ, msg, _ := strings.Cut(tc.wantErr, ": ")
				if len(got.Errors) == 0 || got.Errors[0].Type != typ || !strings.Contains(got.Errors[0].Message, msg) {
					t.Errorf("errors = %+v, want %s", got.Errors, tc.wantErr)
				}
			}
			if d := cmp.Diff(tc.wantWFs, e.workflows(p.ID)); d != "" {
				t.Errorf("workflows (-want +got):\n%s", d)
			}
			if !strings.Contains(got.ConfigCompiled, tc.compiled) {
				t.Errorf("compiled config lacks %q:\n%s", tc.compiled, got.ConfigCompiled)
			}
		})
	}
}

func TestHandleTagAndRevision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := simpleConfig + "  tagged:\n    jobs: [{build: {filters: {tags: {only: /.*/}, branches: {ignore: /.*/}}}}]\n"
	first := e.commit("main", "one", map[string]string{".circleci/config.yml": cfg})
	e.gitRun("tag", "v1.0")
	e.commit("main", "two", nil)

	tag := e.trigger(TriggerRequest{Tag: "v1.0"})
	rev := e.trigger(TriggerRequest{Branch: "main", Revision: first})
	e.drain()
	if got := e.pipeline(tag.ID); got.VCS.Revision != first || got.VCS.Tag != "v1.0" || got.VCS.Branch != "" {
		t.Errorf("tag pipeline VCS = %+v", got.VCS)
	}
	if d := cmp.Diff([]string{"tagged:running:build"}, e.workflows(tag.ID)); d != "" {
		t.Errorf("tag workflows (-want +got):\n%s", d)
	}
	if got := e.pipeline(rev.ID); got.VCS.Revision != first || got.VCS.CommitSubject != "one" {
		t.Errorf("revision pipeline VCS = %+v", got.VCS)
	}
}

func TestHandleBadMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, body := range []string{"not json", `{"pipeline_id":""}`, `{"pipeline_id":"missing"}`} {
		err := e.in.Handle(e.ctx, queue.Delivery{Body: []byte(body), Attempt: 1})
		if !queue.IsPermanent(err) {
			t.Errorf("Handle(%s) = %v, want a permanent error", body, err)
		}
	}
}

func TestSweepResendsLostPipelineMessages(t *testing.T) {
	e := newEnv(t)
	e.commit("main", "first", map[string]string{".circleci/config.yml": simpleConfig})
	now := time.Now().UTC()
	e.in.d.Now = func() time.Time { return now }
	p := e.trigger(TriggerRequest{ProjectID: e.proj.ID, Branch: "main", Actor: "alice"})
	lost, err := e.q.Receive(e.ctx, domain.TopicPipelines, queue.ReceiveOptions{Max: 10})
	if err != nil || len(lost) != 1 {
		t.Fatalf("receive: %v %v", lost, err)
	}
	e.q.Ack(e.ctx, lost[0]) // lost between the write and the send
	if err := e.in.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(e.workflows(p.ID)) != 0 {
		t.Fatal("a fresh pending pipeline was resent")
	}
	now = now.Add(ResendAfter + time.Second)
	if err := e.in.Sweep(e.ctx); err != nil {
		t.Fatal(err)
	}
	e.drain()
	if len(e.workflows(p.ID)) == 0 {
		t.Fatal("the swept pipeline got no workflows")
	}
	if page, _ := e.repo.S.Query(e.ctx, pendingPK, store.Query{}); len(page.Items) != 0 {
		t.Fatalf("processed pipeline still pending: %+v", page.Items)
	}
}
