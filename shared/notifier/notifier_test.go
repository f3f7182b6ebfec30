package notifier

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/secrets"
	"github.com/google/go-cmp/cmp"
)

// fakeQueue records what is sent.
type fakeQueue struct {
	mu   sync.Mutex
	sent map[string][]queue.Message
	err  error
}

func (q *fakeQueue) Send(_ context.Context, topic string, msgs ...queue.Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	if q.sent == nil {
		q.sent = map[string][]queue.Message{}
	}
	q.sent[topic] = append(q.sent[topic], msgs...)
	return nil
}

// deliveries turns what was sent into deliveries, as a queue would hand them out.
func (q *fakeQueue) deliveries() []queue.Delivery {
	q.mu.Lock()
	defer q.mu.Unlock()
	var ds []queue.Delivery
	for _, m := range q.sent[Topic] {
		ds = append(ds, queue.Delivery{Topic: Topic, ID: m.ID, Body: m.Body, Attempt: 1, Handle: m.ID})
	}
	return ds
}

// fixedKeys is a KeyService with one data key, so a real secrets.Envelope seals in tests.
type fixedKeys struct{}

var dataKey = bytes.Repeat([]byte{7}, 32)

func (fixedKeys) GenerateDataKey(context.Context) ([]byte, []byte, error) {
	return dataKey, []byte("wrapped"), nil
}

func (fixedKeys) DecryptDataKey(_ context.Context, w []byte) ([]byte, error) {
	if string(w) != "wrapped" {
		return nil, secrets.ErrDecrypt
	}
	return dataKey, nil
}

// failingOpener fails like an unreachable key service.
type failingOpener struct{}

func (failingOpener) Open(context.Context, []byte, []byte) ([]byte, error) {
	return nil, errors.New("key service unreachable")
}

const plainSecret = "very-secret-token-123"

func newHook(t *testing.T, env *secrets.Envelope, id, url string, events ...string) domain.Webhook {
	t.Helper()
	sealed, err := env.Seal(context.Background(), []byte(plainSecret), SecretAAD(id))
	if err != nil {
		t.Fatal(err)
	}
	return domain.Webhook{ID: id, ProjectID: testSource().Project.ID, Name: "hook " + id, URL: url,
		Events: events, SealedSecret: sealed, VerifyTLS: true}
}

func TestEnqueueFilters(t *testing.T) {
	env := secrets.NewEnvelope(fixedKeys{})
	foreign := newHook(t, env, "foreign", "http://x", TypeWorkflowCompleted)
	foreign.ProjectID = "another-project"
	hooks := []domain.Webhook{
		newHook(t, env, "wf", "http://x", TypeWorkflowCompleted),
		newHook(t, env, "job", "http://x", TypeJobCompleted),
		newHook(t, env, "both", "http://x", TypeJobCompleted, TypeWorkflowCompleted),
		newHook(t, env, "none", "http://x"),
		foreign,
	}
	tests := []struct {
		name  string
		hooks []domain.Webhook
		ev    Event
		want  []string // webhook ids, in order
	}{
		{"workflow event", hooks, BuildWorkflowEvent(testSource()), []string{"wf", "both"}},
		{"job event", hooks, BuildJobEvent(testSource(), testJob()), []string{"job", "both"}},
		{"no subscriber", hooks[3:], BuildWorkflowEvent(testSource()), nil},
		{"no hooks", nil, BuildWorkflowEvent(testSource()), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := &fakeQueue{}
			n := New(q, env, nil, slog.New(slog.DiscardHandler))
			if err := n.Enqueue(context.Background(), tt.hooks, tt.ev); err != nil {
				t.Fatalf("Enqueue: %v", err)
			}
			var got []string
			ids := map[string]bool{}
			for _, m := range q.sent[Topic] {
				var d Delivery
				if err := json.Unmarshal(m.Body, &d); err != nil {
					t.Fatal(err)
				}
				var ev Event
				if err := json.Unmarshal(d.Body, &ev); err != nil {
					t.Fatal(err)
				}
				if ev.Webhook.ID != d.WebhookID || ev.ID != d.EventID || m.ID != d.EventID || d.EventType != tt.ev.Type {
					t.Errorf("delivery %+v does not match its event %+v", d, ev.Webhook)
				}
				if bytes.Contains(m.Body, []byte(plainSecret)) {
					t.Errorf("queue message holds the plaintext secret: %s", m.Body)
				}
				ids[ev.ID] = true
				got = append(got, d.WebhookID)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("webhooks (-want +got):\n%s", diff)
			}
			if len(ids) != len(got) {
				t.Errorf("event ids not distinct per webhook: %v", ids)
			}
		})
	}
}

func TestEnqueueErrors(t *testing.T) {
	env := secrets.NewEnvelope(fixedKeys{})
	hooks := []domain.Webhook{newHook(t, env, "wf", "http://x", TypeWorkflowCompleted)}
	big := testSource()
	big.Pipeline.Parameters = map[string]any{"blob": string(bytes.Repeat([]byte("a"), queue.MaxBody))}
	tests := []struct {
		name string
		q    *fakeQueue
		ev   Event
		is   error
	}{
		{"send fails", &fakeQueue{err: errors.New("queue down")}, BuildWorkflowEvent(testSource()), nil},
		{"too large", &fakeQueue{}, BuildWorkflowEvent(big), queue.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(tt.q, env, nil, nil).Enqueue(context.Background(), hooks, tt.ev)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("Enqueue = %v, want an error (is %v)", err, tt.is)
			}
			if len(tt.q.sent[Topic]) != 0 {
				t.Errorf("%d messages sent", len(tt.q.sent[Topic]))
			}
		})
	}
}
