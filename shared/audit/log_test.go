package audit

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/blob/memblob"
	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2025, 3, 4, 5, 6, 7, 123456789, time.UTC)

func keys(t *testing.T, s blob.Store) []string {
	t.Helper()
	objs, err := s.List(context.Background(), Prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	s := memblob.New()
	l := New(s, nil)
	ctx := context.Background()
	in := Event{
		ID: "e-1", Action: "context.create",
		Actor:        Actor{ID: "u1", Type: "user", Name: "alice"},
		Target:       Target{ID: "c1", Type: "context", Name: "deploy"},
		Payload:      map[string]any{"name": "deploy", "n": 2},
		OccurredAt:   t0.In(time.FixedZone("X", 3600)),
		Metadata:     map[string]string{"source": "api"},
		Scope:        Scope{ID: "o1", Type: "organization"},
		Organization: &Organization{ID: "o1", Name: "acme"},
		Success:      true,
		Request:      Request{ID: "r1", IPAddress: "192.0.2.1", ClientTraceID: "t1"},
	}
	if err := l.Record(ctx, in); err != nil {
		t.Fatalf("Record: %v", err)
	}
	want := []string{"audit/2025/03/04/05/1741064767123456789-e-1.json"}
	if diff := cmp.Diff(want, keys(t, s)); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
	got, err := l.List(ctx, t0, t0.Add(time.Nanosecond), 0)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	in.OccurredAt, in.Version, in.Payload["n"] = t0, 1, float64(2)
	if diff := cmp.Diff([]Event{in}, got); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	r, _ := s.Get(ctx, want[0])
	raw, _ := io.ReadAll(r)
	r.Close()
	if !strings.Contains(string(raw), `"occurred_at":"2025-03-04T05:06:07.123456789Z"`) {
		t.Errorf("occurred_at not RFC 3339 with nanoseconds in UTC: %s", raw)
	}
}

func TestRecordIdempotent(t *testing.T) {
	base := Event{Action: "project.settings.update", OccurredAt: t0, Payload: map[string]any{"a": 1}}
	withID := base
	withID.ID = "fixed"
	later := base
	later.OccurredAt = t0.Add(time.Second)
	other := base
	other.Payload = map[string]any{"a": 2}
	tests := []struct {
		name   string
		events []Event
		want   int
	}{
		{"same event with id twice", []Event{withID, withID}, 1},
		{"same event without id twice", []Event{base, base}, 1},
		{"different time", []Event{base, later}, 2},
		{"different payload", []Event{base, other}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memblob.New()
			l := New(s, nil)
			for _, ev := range tt.events {
				if err := l.Record(context.Background(), ev); err != nil {
					t.Fatalf("Record: %v", err)
				}
			}
			if got := keys(t, s); len(got) != tt.want {
				t.Errorf("%d objects %v, want %d", len(got), got, tt.want)
			}
		})
	}
}

func TestRecordScrubs(t *testing.T) {
	type creds struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	tests := []struct {
		name    string
		payload map[string]any
		meta    map[string]string
		want    map[string]any
		wantMD  map[string]string
	}{
		{"flat", map[string]any{"name": "AWS_KEY", "value": "hunter2"},
			nil, map[string]any{"name": "AWS_KEY", "value": Redacted}, map[string]string{}},
		{"case and separators",
			map[string]any{"Secret": "a", "TOKEN": "b", "Private_Key": "c", "private-key": "d", "privateKey": "e"},
			nil, map[string]any{"Secret": Redacted, "TOKEN": Redacted, "Private_Key": Redacted,
				"private-key": Redacted, "privateKey": Redacted}, map[string]string{}},
		{"nested and lists",
			map[string]any{"vars": []any{map[string]any{"name": "A", "value": "1"}, "plain"},
				"deep": map[string]any{"x": map[string]any{"password": map[string]any{"inner": "z"}}}},
			nil,
			map[string]any{"vars": []any{map[string]any{"name": "A", "value": Redacted}, "plain"},
				"deep": map[string]any{"x": map[string]any{"password": Redacted}}}, map[string]string{}},
		{"typed values", map[string]any{"creds": creds{"bob", "pw"}, "vals": []map[string]string{{"token": "t"}}},
			nil, map[string]any{"creds": map[string]any{"user": "bob", "password": Redacted},
				"vals": []any{map[string]any{"token": Redacted}}}, map[string]string{}},
		{"metadata", nil, map[string]string{"token": "t", "source": "cli"},
			map[string]any{}, map[string]string{"token": Redacted, "source": "cli"}},
		{"similar names kept", map[string]any{"values": "v", "token_id": "id", "secret_name": "n"},
			nil, map[string]any{"values": "v", "token_id": "id", "secret_name": "n"}, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memblob.New()
			l := New(s, nil)
			ev := Event{ID: "e", Action: "test", OccurredAt: t0, Payload: tt.payload, Metadata: tt.meta}
			if err := l.Record(context.Background(), ev); err != nil {
				t.Fatalf("Record: %v", err)
			}
			got, err := l.List(context.Background(), t0, t0.Add(time.Second), 1)
			if err != nil || len(got) != 1 {
				t.Fatalf("List = %v, %v", got, err)
			}
			if diff := cmp.Diff(tt.want, got[0].Payload); diff != "" {
				t.Errorf("payload (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantMD, got[0].Metadata); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			for _, v := range []string{"hunter2", `"pw"`, `"z"`} {
				r, _ := s.Get(context.Background(), keys(t, s)[0])
				raw, _ := io.ReadAll(r)
				r.Close()
				if strings.Contains(string(raw), v) {
					t.Errorf("stored object holds secret %s: %s", v, raw)
				}
			}
		})
	}
	orig := map[string]any{"value": "keep"}
	if err := New(memblob.New(), nil).Record(context.Background(), Event{Action: "a", Payload: orig}); err != nil {
		t.Fatal(err)
	}
	if orig["value"] != "keep" {
		t.Errorf("caller's payload modified: %v", orig)
	}
}

type failingStore struct{ blob.Store }

func (failingStore) Put(context.Context, string, io.Reader) error { return errors.New("disk full") }

func TestRecordErrors(t *testing.T) {
	tests := []struct {
		name  string
		store blob.Store
		ev    Event
		is    error
	}{
		{"no action", memblob.New(), Event{ID: "x", OccurredAt: t0}, ErrInvalid},
		{"id with slash", memblob.New(), Event{ID: "../x", Action: "a", OccurredAt: t0}, ErrInvalid},
		{"id with space", memblob.New(), Event{ID: "a b", Action: "a", OccurredAt: t0}, ErrInvalid},
		{"before 1970", memblob.New(), Event{Action: "a", OccurredAt: time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC)}, ErrInvalid},
		{"unencodable payload", memblob.New(), Event{Action: "a", Payload: map[string]any{"f": func() {}}}, nil},
		{"store fails", failingStore{memblob.New()}, Event{Action: "a"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := New(tt.store, nil).Record(context.Background(), tt.ev)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) {
				t.Fatalf("Record = %v, want an error (is %v)", err, tt.is)
			}
		})
	}
}

func TestList(t *testing.T) {
	s := memblob.New()
	l := New(s, nil)
	times := []time.Time{
		time.Date(2023, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2024, 1, 1, 13, 0, 0, 0, time.UTC),
		time.Date(2024, 1, 3, 9, 0, 0, 0, time.UTC),
		time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2031, 5, 5, 0, 0, 0, 0, time.UTC),
	}
	// Record out of order, with ids sorting against time, to check List orders by time.
	for i := len(times) - 1; i >= 0; i-- {
		ev := Event{ID: string(rune('a' + len(times) - i)), Action: "a", OccurredAt: times[i]}
		if err := l.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	idx := func(is ...int) []time.Time {
		var out []time.Time
		for _, i := range is {
			out = append(out, times[i])
		}
		return out
	}
	tests := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []time.Time
	}{
		{"one hour", times[1], times[1].Add(time.Hour), 0, idx(1, 2)},
		{"to is exclusive", times[0], times[2], 0, idx(0, 1)},
		{"across midnight and year", times[0].Add(-time.Hour), times[3].Add(time.Nanosecond), 0, idx(0, 1, 2, 3)},
		{"days", times[1], times[4].Add(time.Hour), 0, idx(1, 2, 3, 4)},
		{"months", times[0], times[5].Add(24 * time.Hour), 0, idx(0, 1, 2, 3, 4, 5)},
		{"years", times[0], times[7].Add(time.Hour), 0, idx(0, 1, 2, 3, 4, 5, 6, 7)},
		{"limit", times[0], times[7].Add(time.Hour), 3, idx(0, 1, 2)},
		{"limit within one prefix", times[1], times[2].Add(time.Hour), 1, idx(1)},
		{"nothing", times[5].Add(time.Hour), times[6], 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.List(context.Background(), tt.from, tt.to, tt.limit)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			var gotTimes []time.Time
			for _, ev := range got {
				gotTimes = append(gotTimes, ev.OccurredAt)
			}
			if diff := cmp.Diff(tt.want, gotTimes); diff != "" {
				t.Errorf("List (-want +got):\n%s", diff)
			}
		})
	}
	for _, r := range [][2]time.Time{{t0, t0}, {t0, t0.Add(-time.Second)}, {{}, t0}} {
		if _, err := l.List(context.Background(), r[0], r[1], 0); !errors.Is(err, ErrInvalid) {
			t.Errorf("List(%v, %v) = %v, want ErrInvalid", r[0], r[1], err)
		}
	}
}

func TestPrefixes(t *testing.T) {
	tests := []struct {
		name     string
		from, to time.Time
		want     []string
	}{
		{"hours", t0, t0.Add(2 * time.Hour),
			[]string{"audit/2025/03/04/05/", "audit/2025/03/04/06/", "audit/2025/03/04/07/"}},
		{"days", t0, t0.Add(72 * time.Hour),
			[]string{"audit/2025/03/04/", "audit/2025/03/05/", "audit/2025/03/06/", "audit/2025/03/07/"}},
		{"months", t0, t0.AddDate(0, 4, 0),
			[]string{"audit/2025/03/", "audit/2025/04/", "audit/2025/05/", "audit/2025/06/", "audit/2025/07/"}},
		{"years", t0, t0.AddDate(6, 0, 0), []string{"audit/2025/", "audit/2026/", "audit/2027/", "audit/2028/",
			"audit/2029/", "audit/2030/", "audit/2031/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, prefixes(tt.from, tt.to)); diff != "" {
				t.Errorf("prefixes (-want +got):\n%s", diff)
			}
		})
	}
}
