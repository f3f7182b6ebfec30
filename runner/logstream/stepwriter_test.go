package logstream

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestStreamerMasks(t *testing.T) {
	const M = MaskText
	tests := []struct {
		name    string
		secrets []string
		writes  []string
		want    string
	}{
		{"inside a write", []string{"hunter22"}, []string{"pw=hunter22\n"}, "pw=" + M + "\n"},
		{"split across writes", []string{"hunter22"}, []string{"pw=hu", "nter", "22\n"}, "pw=" + M + "\n"},
		{"secret completed at Close", []string{"secret", "secretive"}, []string{"x secret"}, "x " + M},
		{"prefix released at Close", []string{"hunter22"}, []string{"pw=hun"}, "pw=hun"},
		{"short and boolean values kept", []string{"abc", "true"}, []string{"abc true"}, "abc true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{}
			s := New(t.Context(), f, fast(Config{Secrets: tt.secrets}))
			w := s.Step(1)
			for _, p := range tt.writes {
				if n, err := w.Write([]byte(p)); n != len(p) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", p, n, err)
				}
			}
			if err := s.Close(t.Context()); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.stream(1)); diff != "" {
				t.Errorf("stream (-want +got):\n%s", diff)
			}
			if got := w.Offset(); got != int64(len(tt.want)) {
				t.Errorf("Offset() = %d, want %d", got, len(tt.want))
			}
		})
	}
}

// TestHeldTailWaitsForClose checks the safe choice: a tail that may begin a
// secret is not sent by the flush timer, only once decided or at Close.
func TestHeldTailWaitsForClose(t *testing.T) {
	f := &fakeServer{recorded: make(chan call, 10)}
	s := New(t.Context(), f, fast(Config{Secrets: []string{"supersecret"}}))
	w := s.Step(0)
	if _, err := w.Write([]byte("hello sup")); err != nil {
		t.Fatal(err)
	}
	if c := <-f.recorded; string(c.data) != "hello " {
		t.Errorf("first chunk %q, want %q", c.data, "hello ")
	}
	if _, err := w.Write([]byte("ersecret and sup")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("hello "+MaskText+" and sup", f.stream(0)); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}

func TestCloseReportsUndelivered(t *testing.T) {
	tests := []struct {
		name     string
		acked    int // chunks the server acknowledges before it hangs
		wantLost int
	}{
		{"nothing delivered", 0, 1000},
		{"some delivered", 2, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hung := make(chan struct{})
			f := &fakeServer{respond: func(ctx context.Context, n int, _ call) (bool, error) {
				if n <= tt.acked {
					return true, nil
				}
				if n == tt.acked+1 {
					close(hung)
				}
				<-ctx.Done()
				return false, ctx.Err()
			}}
			s := New(t.Context(), f, fast(Config{MaxChunk: 200, FlushInterval: time.Hour}))
			w := s.Step(0)
			for range 10 {
				if _, err := w.Write(make([]byte, 100)); err != nil {
					t.Fatal(err)
				}
			}
			<-hung // chunks before this call were acknowledged: one is in flight at a time
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			err := s.Close(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Close() = %v, want context.Canceled", err)
			}
			if want := fmt.Sprintf("%d bytes of 1 steps not delivered", tt.wantLost); !strings.Contains(err.Error(), want) {
				t.Errorf("Close() = %q, want it to contain %q", err, want)
			}
			if _, err := w.Write([]byte("late")); err == nil {
				t.Errorf("Write after Close succeeded")
			}
		})
	}
}

// fakeClock is a Now the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *fakeClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

func TestTimestamps(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name          string
		flushInterval time.Duration
	}{
		{"chunks by size", time.Hour},
		{"chunks by time", time.Nanosecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{}
			f := &fakeServer{}
			s := New(t.Context(), f, fast(Config{MaxChunk: 4, FlushInterval: tt.flushInterval, Now: clock.Now}))
			w := s.Step(0)
			var starts []int64 // offset at which each write began, written at t0+i s
			for i, p := range []string{"abc", "defgh", "i", "jklmnopqrs", "tu"} {
				clock.Set(t0.Add(time.Duration(i) * time.Second))
				starts = append(starts, w.Offset())
				if _, err := w.Write([]byte(p)); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := f.stream(0); got != "abcdefghijklmnopqrstu" {
				t.Fatalf("stream %q", got)
			}
			for _, c := range f.chunksOf(0) {
				i := 0
				for i+1 < len(starts) && starts[i+1] <= c.off {
					i++
				}
				if want := t0.Add(time.Duration(i) * time.Second); !c.at.Equal(want) {
					t.Errorf("chunk %q at offset %d: at %v, want %v (write %d)", c.data, c.off, c.at, want, i)
				}
			}
		})
	}
}

func TestStep(t *testing.T) {
	s := New(t.Context(), &fakeServer{}, fast(Config{}))
	if a, b := s.Step(1), s.Step(1); a != b {
		t.Errorf("Step(1) returned two writers")
	}
	if s.Step(1) == s.Step(2) {
		t.Errorf("Step(1) and Step(2) returned the same writer")
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Step(1).Write([]byte("x")); err == nil {
		t.Errorf("Write to a closed step succeeded")
	}
	if _, err := s.Step(3).Write([]byte("x")); err == nil {
		t.Errorf("Write to a step opened after Close succeeded")
	}
}

func TestBackoff(t *testing.T) {
	lo, hi := 100*time.Millisecond, 10*time.Second
	for attempt := range 40 {
		d := backoff(attempt, lo, hi)
		ceil := min(hi, lo<<min(attempt, 20))
		if d < lo || d > ceil {
			t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, d, lo, ceil)
		}
	}
}
