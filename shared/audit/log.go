package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
)

// Prefix is where audit events live in the blob store.
const Prefix = "audit/"

// Listing limits.
const (
	DefaultLimit = 1000
	MaxLimit     = 10000
)

// ErrInvalid is returned (wrapped) for an event or a range Record or List cannot accept.
var ErrInvalid = errors.New("audit: invalid request")

// Log is the audit log over a blob store. Safe for concurrent use.
type Log struct {
	b   blob.Store
	log *slog.Logger
	now func() time.Time
}

// New returns a Log storing events in b.
func New(b blob.Store, log *slog.Logger) *Log {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Log{b: b, log: log, now: time.Now}
}

// Record stores ev. It sets Version, stores OccurredAt in UTC (now, if zero) and scrubs secret values from
// Payload and Metadata. An empty ID is derived from the event's content, so recording the same event again
// overwrites the same object; set ID and OccurredAt for that to hold across retries.
func (l *Log) Record(ctx context.Context, ev Event) error {
	ev, err := l.prepare(ev)
	if err != nil {
		return err
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("audit: encode event %s: %w", ev.ID, err)
	}
	key := Key(ev)
	if err := l.b.Put(ctx, key, bytes.NewReader(body)); err != nil {
		return fmt.Errorf("audit: record %s event %s: %w", ev.Action, ev.ID, err)
	}
	return nil
}

func (l *Log) prepare(ev Event) (Event, error) {
	if ev.Action == "" {
		return ev, fmt.Errorf("audit: event %q without an action: %w", ev.ID, ErrInvalid)
	}
	ev.Version = Version
	if ev.OccurredAt.IsZero() {
		ev.OccurredAt = l.now()
	}
	ev.OccurredAt = ev.OccurredAt.UTC()
	if y := ev.OccurredAt.Year(); y < 1970 || y > 2261 { // unix nanoseconds must fit the key's 19 digits
		return ev, fmt.Errorf("audit: %s event %q occurred at %s: %w", ev.Action, ev.ID, ev.OccurredAt, ErrInvalid)
	}
	p, err := scrubPayload(ev.Payload)
	if err != nil {
		return ev, fmt.Errorf("audit: %s event %q: %w", ev.Action, ev.ID, err)
	}
	ev.Payload, ev.Metadata = p, scrubMetadata(ev.Metadata)
	if ev.ID == "" {
		b, err := json.Marshal(ev)
		if err != nil {
			return ev, fmt.Errorf("audit: encode %s event: %w", ev.Action, err)
		}
		ev.ID = contentID(b)
	}
	if !validID(ev.ID) {
		return ev, fmt.Errorf("audit: event id %q: %w", ev.ID, ErrInvalid)
	}
	return ev, nil
}

// Key is the blob key of an event (with OccurredAt in UTC and a valid ID, as Record prepares it):
// audit/YYYY/MM/DD/HH/<unix nano, 19 digits>-<id>.json.
func Key(ev Event) string {
	t := ev.OccurredAt.UTC()
	return fmt.Sprintf("%s%s%019d-%s.json", Prefix, t.Format("2006/01/02/15/"), t.UnixNano(), ev.ID)
}

// keyTime returns the occurrence time encoded in a key's name.
func keyTime(key string) (time.Time, bool) {
	ns, _, ok := strings.Cut(path.Base(key), "-")
	if !ok {
		return time.Time{}, false
	}
	n, err := strconv.ParseInt(ns, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(0, n).UTC(), true
}

// List returns the events that occurred in [from, to), oldest first, at most limit of them (DefaultLimit if
// limit <= 0, never more than MaxLimit).
func (l *Log) List(ctx context.Context, from, to time.Time, limit int) ([]Event, error) {
	if from.IsZero() || !to.After(from) {
		return nil, fmt.Errorf("audit: list [%s, %s): empty or unbounded range: %w", from, to, ErrInvalid)
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	var keys []string
	for _, prefix := range prefixes(from.UTC(), to.UTC()) {
		objs, err := l.b.List(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("audit: list %s: %w", prefix, err)
		}
		for _, o := range objs {
			t, ok := keyTime(o.Key)
			if !ok {
				l.log.Warn("audit: unexpected key", "key", o.Key)
				continue
			}
			if !t.Before(from) && t.Before(to) {
				keys = append(keys, o.Key)
			}
		}
		if len(keys) >= limit {
			keys = keys[:limit]
			break
		}
	}
	events := make([]Event, 0, len(keys))
	for _, k := range keys {
		ev, err := l.read(ctx, k)
		if errors.Is(err, blob.ErrNotFound) {
			continue // removed (retention) since the listing
		}
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

func (l *Log) read(ctx context.Context, key string) (Event, error) {
	r, err := l.b.Get(ctx, key)
	if err != nil {
		return Event{}, fmt.Errorf("audit: read %s: %w", key, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		return Event{}, fmt.Errorf("audit: read %s: %w", key, err)
	}
	var ev Event
	if err := json.Unmarshal(b, &ev); err != nil {
		return Event{}, fmt.Errorf("audit: decode %s: %w", key, err)
	}
	return ev, nil
}

// prefixes returns key prefixes covering [from, to) in time order, with a granularity that keeps their
// number small: hours for up to two days, days for up to three months, months for up to five years, else
// years.
func prefixes(from, to time.Time) []string {
	span := to.Sub(from)
	var (
		layout string
		start  time.Time
		next   func(time.Time) time.Time
	)
	switch {
	case span <= 48*time.Hour:
		layout, start = "2006/01/02/15/", from.Truncate(time.Hour)
		next = func(t time.Time) time.Time { return t.Add(time.Hour) }
	case span <= 92*24*time.Hour:
		layout, start = "2006/01/02/", time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }
	case span <= 5*366*24*time.Hour:
		layout, start = "2006/01/", time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }
	default:
		layout, start = "2006/", time.Date(from.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		next = func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }
	}
	var out []string
	for t := start; t.Before(to); t = next(t) {
		out = append(out, Prefix+t.Format(layout))
	}
	return out
}
