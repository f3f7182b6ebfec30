package logstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fast is a Config that flushes and retries without noticeable delay.
func fast(cfg Config) Config {
	cfg.FlushInterval = cmpOr(cfg.FlushInterval, time.Millisecond)
	cfg.MinBackoff, cfg.MaxBackoff = time.Microsecond, time.Microsecond
	return cfg
}

func cmpOr[T comparable](v, d T) T {
	var zero T
	if v == zero {
		return d
	}
	return v
}

// record is a self-describing Write: a header naming the writer, its
// sequence number and the payload length, then a payload derived from them.
func record(writer, seq, size int) []byte {
	h := fmt.Sprintf("<%02d:%06d:%08d>", writer, seq, size)
	b := make([]byte, len(h)+size)
	copy(b, h)
	for i := range size {
		b[len(h)+i] = byte(writer*31 + seq*7 + i)
	}
	return b
}

// checkRecords checks that stream is an interleaving of every writer's
// records, each whole, once, and in the writer's order.
func checkRecords(t *testing.T, stream string, writers, perWriter int) {
	t.Helper()
	next := make([]int, writers)
	for len(stream) > 0 {
		var w, seq, size int
		if _, err := fmt.Sscanf(stream, "<%02d:%06d:%08d>", &w, &seq, &size); err != nil || w >= writers {
			t.Fatalf("bad record header at %q: %v", stream[:min(20, len(stream))], err)
		}
		if seq != next[w] {
			t.Fatalf("writer %d: record %d, want %d", w, seq, next[w])
		}
		next[w]++
		want := record(w, seq, size)
		if len(stream) < len(want) || stream[:len(want)] != string(want) {
			t.Fatalf("writer %d record %d: payload differs", w, seq)
		}
		stream = stream[len(want):]
	}
	for w, n := range next {
		if n != perWriter {
			t.Errorf("writer %d: %d records in the stream, want %d", w, n, perWriter)
		}
	}
}

func TestReassembly(t *testing.T) {
	lostResponse := errors.New("response lost")
	tests := []struct {
		name      string
		steps     int
		writers   int // concurrent writers per step
		writes    int // per writer
		maxSize   int
		maxChunk  int
		maxBuffer int
		respond   func(ctx context.Context, n int, c call) (bool, error)
	}{
		{name: "small writes", steps: 1, writers: 1, writes: 500, maxSize: 50, maxChunk: 256, maxBuffer: 1024},
		{name: "large writes", steps: 1, writers: 1, writes: 20, maxSize: 10000, maxChunk: 1000, maxBuffer: 4096},
		{name: "concurrent writers and steps", steps: 3, writers: 2, writes: 200, maxSize: 3000, maxChunk: 700, maxBuffer: 2048},
		{name: "defaults", steps: 2, writers: 2, writes: 100, maxSize: 100000},
		{
			name: "lost responses and failures", steps: 3, writers: 2, writes: 200, maxSize: 3000, maxChunk: 700, maxBuffer: 2048,
			respond: func(_ context.Context, n int, _ call) (bool, error) {
				switch {
				case n%3 == 0: // the server got the chunk, the runner did not hear back
					return true, lostResponse
				case n%5 == 0:
					return false, errors.New("503 service unavailable")
				}
				return true, nil
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{respond: tt.respond}
			s := New(t.Context(), f, fast(Config{MaxChunk: tt.maxChunk, MaxBuffered: tt.maxBuffer}))
			var wg sync.WaitGroup
			for step := range tt.steps {
				w := s.Step(step)
				for writer := range tt.writers {
					rng := rand.New(rand.NewPCG(uint64(step), uint64(writer)))
					wg.Go(func() {
						for seq := range tt.writes {
							size := rng.IntN(tt.maxSize + 1)
							if _, err := w.Write(record(writer, seq, size)); err != nil {
								t.Errorf("step %d writer %d: Write: %v", step, writer, err)
								return
							}
						}
					})
				}
			}
			wg.Wait()
			if err := s.Close(t.Context()); err != nil {
				t.Fatalf("Close: %v", err)
			}
			if errs := f.errors(); len(errs) > 0 {
				t.Fatalf("protocol violations:\n%s", strings.Join(errs, "\n"))
			}
			maxChunk := cmpOr(tt.maxChunk, DefaultMaxChunk)
			for step := range tt.steps {
				stream := f.stream(step)
				checkRecords(t, stream, tt.writers, tt.writes)
				if got := s.Step(step).Offset(); got != int64(len(stream)) {
					t.Errorf("step %d: Offset() = %d, stream has %d bytes", step, got, len(stream))
				}
				for _, c := range f.chunksOf(step) {
					if len(c.data) > maxChunk {
						t.Errorf("step %d: chunk at %d has %d bytes, more than %d", step, c.off, len(c.data), maxChunk)
					}
				}
			}
		})
	}
}

func TestOutage(t *testing.T) {
	const failures = 1000
	f := &fakeServer{respond: func(_ context.Context, n int, _ call) (bool, error) {
		if n <= failures {
			return false, fmt.Errorf("call %d: 502 bad gateway", n)
		}
		return true, nil
	}}
	s := New(t.Context(), f, fast(Config{MaxChunk: 512, MaxBuffered: 2048}))
	w := s.Step(7)
	rng := rand.New(rand.NewPCG(1, 2))
	for seq := range 300 {
		if _, err := w.Write(record(0, seq, rng.IntN(300))); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if errs := f.errors(); len(errs) > 0 {
		t.Fatalf("protocol violations:\n%s", strings.Join(errs, "\n"))
	}
	checkRecords(t, f.stream(7), 1, 300)
	if got := f.calls.Load(); got <= failures {
		t.Errorf("%d calls, want more than %d", got, failures)
	}
}

func TestBackPressure(t *testing.T) {
	const maxBuffered, size, writes = 1024, 64, 64
	gate := make(chan struct{})
	f := &fakeServer{respond: func(ctx context.Context, _ int, _ call) (bool, error) {
		select {
		case <-gate:
			return true, nil
		case <-ctx.Done():
			return false, ctx.Err()
		}
	}}
	s := New(t.Context(), f, fast(Config{MaxChunk: 256, MaxBuffered: maxBuffered, FlushInterval: time.Hour}))
	blocked := make(chan struct{}, 1)
	s.blockedHook = func(int) {
		select {
		case blocked <- struct{}{}:
		default:
		}
	}
	w := s.Step(0)
	progress := make(chan int64, writes)
	writerDone := make(chan error, 1)
	input := strings.Repeat("0123456789abcdef", writes*size/16)
	go func() {
		for i := range writes {
			if _, err := w.Write([]byte(input[i*size : (i+1)*size])); err != nil {
				writerDone <- err
				return
			}
			progress <- w.Offset()
		}
		writerDone <- nil
	}()

	<-blocked // a Write waits for space while the server does not answer
	if got := w.Offset(); got != maxBuffered {
		t.Errorf("blocked at Offset() = %d, want %d", got, maxBuffered)
	}
	if got, want := len(progress), maxBuffered/size; got != want {
		t.Errorf("%d Writes returned before blocking, want %d", got, want)
	}
	select {
	case err := <-writerDone:
		t.Fatalf("writer finished while the server was down: %v", err)
	default:
	}

	close(gate) // the server recovers
	if err := <-writerDone; err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if diff := cmp.Diff(input, f.stream(0)); diff != "" {
		t.Errorf("stream (-want +got):\n%s", diff)
	}
}

func TestRejected(t *testing.T) {
	rejected := fmt.Errorf("upload: 403 forbidden: %w", ErrRejected)
	tests := []struct {
		name   string
		writes int // of 100 bytes; more than MaxBuffered blocks the writer
	}{
		{"rejected while writing", 5},
		{"rejected while the writer is blocked", 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := make(chan struct{})
			f := &fakeServer{respond: func(ctx context.Context, _ int, _ call) (bool, error) {
				<-gate
				return false, rejected
			}}
			s := New(t.Context(), f, fast(Config{MaxChunk: 100, MaxBuffered: 1000}))
			w := s.Step(3)
			writeErr := make(chan error, 1)
			go func() {
				for range tt.writes {
					if _, err := w.Write(make([]byte, 100)); err != nil {
						writeErr <- err
						return
					}
				}
				writeErr <- nil
			}()
			close(gate)
			err := <-writeErr
			if tt.writes*100 > 1000 && !errors.Is(err, ErrRejected) {
				t.Errorf("blocked Write returned %v, want ErrRejected", err)
			}
			if err := w.Close(); !errors.Is(err, ErrRejected) {
				t.Errorf("Close() = %v, want ErrRejected", err)
			}
			if _, err := w.Write([]byte("more")); !errors.Is(err, ErrRejected) {
				t.Errorf("Write after rejection = %v, want ErrRejected", err)
			}
			if got := f.calls.Load(); got != 1 {
				t.Errorf("%d calls, want 1 (no retry after rejection)", got)
			}
			if err := s.Close(t.Context()); !errors.Is(err, ErrRejected) {
				t.Errorf("Streamer.Close() = %v, want ErrRejected", err)
			}
		})
	}
}
