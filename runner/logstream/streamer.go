package logstream

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Sender uploads one chunk of a step's output. Chunks of a step are
// contiguous byte ranges; offset is the byte offset of data[0] in the step's
// output. The server is idempotent by (step, offset): resending a chunk it
// already has is harmless. at is when the first byte of the chunk was
// produced.
//
// SendOutput must honour ctx and must not keep data after it returns.
type Sender interface {
	SendOutput(ctx context.Context, step int, offset int64, at time.Time, data []byte) error
}

// ErrRejected marks a Sender error that retrying cannot fix (the server
// answered 401, 403, 404 or 410): the step's stream stops.
var ErrRejected = errors.New("output rejected by the server")

// Defaults of Config.
const (
	DefaultMaxChunk      = 1 << 20
	DefaultFlushInterval = 250 * time.Millisecond
	DefaultMaxBuffered   = 8 << 20
	DefaultMinBackoff    = 100 * time.Millisecond
	DefaultMaxBackoff    = 10 * time.Second
)

// Config tunes a Streamer; zero fields take the defaults.
type Config struct {
	MaxChunk      int           // bytes per chunk sent, default 1 MiB
	FlushInterval time.Duration // a chunk is sent at the latest this long after its first byte, default 250ms
	MaxBuffered   int           // bytes buffered per step before Write blocks, default 8 MiB
	MinBackoff    time.Duration // first retry delay, default 100ms
	MaxBackoff    time.Duration // longest retry delay, default 10s
	Secrets       []string      // values to mask
	Logger        *slog.Logger  // nil discards
	Now           func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxChunk, DefaultMaxChunk)
	def(&c.MaxBuffered, DefaultMaxBuffered)
	defDur(&c.FlushInterval, DefaultFlushInterval)
	defDur(&c.MinBackoff, DefaultMinBackoff)
	defDur(&c.MaxBackoff, DefaultMaxBackoff)
	c.MaxBackoff = max(c.MaxBackoff, c.MinBackoff)
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Streamer streams the output of a job's steps to the server, one
// StepWriter per step.
type Streamer struct {
	ctx    context.Context
	cancel context.CancelFunc
	sender Sender
	cfg    Config
	masker *Masker // template; each step gets a Clone

	mu     sync.Mutex
	steps  map[int]*StepWriter
	closed bool

	blockedHook func(step int) // tests: called when a Write waits for space
}

// New returns a Streamer sending through s until ctx ends.
func New(ctx context.Context, s Sender, cfg Config) *Streamer {
	ctx, cancel := context.WithCancel(ctx)
	cfg = cfg.withDefaults()
	return &Streamer{
		ctx:    ctx,
		cancel: cancel,
		sender: s,
		cfg:    cfg,
		masker: NewMasker(cfg.Secrets),
		steps:  make(map[int]*StepWriter),
	}
}

// Step returns the writer of step's output, starting its stream on first
// use; later calls for the same step return the same writer. After Close
// it returns a writer whose Write fails.
func (s *Streamer) Step(step int) *StepWriter {
	s.mu.Lock()
	defer s.mu.Unlock()
	if w, ok := s.steps[step]; ok {
		return w
	}
	w := newStepWriter(s, step)
	s.steps[step] = w
	if s.closed {
		w.err = fmt.Errorf("logstream: step %d: streamer closed", step)
		close(w.done)
		return w
	}
	go w.run()
	return w
}

// Close closes every step's writer and waits until all their output is
// acknowledged. If ctx ends first it stops the streams and returns an error
// saying how many bytes were not delivered. Otherwise it returns the
// streams' errors, if any.
func (s *Streamer) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	ws := make([]*StepWriter, 0, len(s.steps))
	for _, w := range s.steps {
		ws = append(ws, w)
	}
	s.mu.Unlock()
	slices.SortFunc(ws, func(a, b *StepWriter) int { return cmp.Compare(a.step, b.step) })

	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { errs[i] = w.Close() })
	}
	finished := make(chan struct{})
	go func() {
		wg.Wait()
		close(finished)
	}()
	select {
	case <-finished:
	case <-ctx.Done():
		select {
		case <-finished:
		default:
			var lost int64
			steps := 0
			for _, w := range ws {
				if n := w.pending(); n > 0 {
					lost += n
					steps++
				}
			}
			s.cancel()
			return fmt.Errorf("logstream: close: %d bytes of %d steps not delivered: %w", lost, steps, context.Cause(ctx))
		}
	}
	s.cancel()
	return errors.Join(errs...)
}
