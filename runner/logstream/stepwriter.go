package logstream

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// maskPiece bounds the input masked at once, so the masked copy stays small.
const maskPiece = 64 << 10

// StepWriter is the io.Writer of one step's output. Concurrent Writes are
// serialized: the bytes of one Write stay together in the stream.
type StepWriter struct {
	s       *Streamer
	step    int
	wake    chan struct{} // to the sender: the buffer changed
	space   chan struct{} // to a blocked writer: bytes were acknowledged
	done    chan struct{} // closed when the sender goroutine ends
	sendBuf []byte        // owned by the sender goroutine

	wmu     sync.Mutex // serializes Write and Close; guards the fields below
	masker  *Masker    // nil without secrets
	scratch []byte

	mu      sync.Mutex // guards the fields below
	buf     ring       // accepted, unacknowledged bytes, from offset base
	base    int64
	outside int    // bytes a writer holds that are not in buf yet
	marks   []mark // when the chunks that may start in buf were accepted
	nb      int64  // the next offset that needs a mark
	closing bool   // no more Writes; send the rest and stop
	err     error  // the stream stopped
}

// mark records when the byte at off, which may start a chunk, was accepted.
// Chunks start where the previous one ended: MaxChunk bytes later, or at
// the end of the buffer when the previous chunk was short. So marks are
// needed every MaxChunk bytes and after each short chunk, not every Write.
type mark struct {
	off int64
	at  time.Time // cfg.Now(), sent with the chunk
	due time.Time // wall time by which a chunk starting here is sent
}

func newStepWriter(s *Streamer, step int) *StepWriter {
	w := &StepWriter{
		s:     s,
		step:  step,
		wake:  make(chan struct{}, 1),
		space: make(chan struct{}, 1),
		done:  make(chan struct{}),
		buf:   ring{limit: s.cfg.MaxBuffered},
	}
	if s.masker.Secrets() > 0 {
		w.masker = s.masker.Clone()
	}
	return w
}

// Write masks p and buffers it for sending. It blocks while the step's
// buffer is full. It fails once the stream stopped (rejected by the
// server, or the Streamer's context ended) or after Close.
func (w *StepWriter) Write(p []byte) (int, error) {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.mu.Lock()
	closing, err := w.closing, w.err
	w.mu.Unlock()
	if err != nil {
		return 0, err
	}
	if ctx := w.s.ctx; ctx.Err() != nil {
		return 0, fmt.Errorf("logstream: step %d: %w", w.step, context.Cause(ctx))
	}
	if closing {
		return 0, fmt.Errorf("logstream: step %d: write after close", w.step)
	}
	if w.masker == nil {
		return w.push(p, 0)
	}
	written := 0
	for len(p) > 0 {
		k := min(len(p), maskPiece)
		w.scratch = w.masker.Mask(w.scratch[:0], p[:k])
		if _, err := w.push(w.scratch, w.masker.Held()); err != nil {
			return written, err
		}
		written += k
		p = p[k:]
	}
	return written, nil
}

// Close sends the rest of the output, including a tail held back by the
// masker, and waits until the server acknowledged all of it. It returns the
// error that stopped the stream, if any. Close may be called more than once.
func (w *StepWriter) Close() error {
	w.wmu.Lock()
	w.mu.Lock()
	closing := w.closing
	w.mu.Unlock()
	if !closing {
		if w.masker != nil {
			w.scratch = w.masker.Flush(w.scratch[:0])
			w.push(w.scratch, 0) // an error is the stream's, returned below
		}
		w.mu.Lock()
		w.closing = true
		w.mu.Unlock()
		w.signal(w.wake)
	}
	w.wmu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Offset returns the number of bytes accepted so far, after masking.
func (w *StepWriter) Offset() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.base + int64(w.buf.n)
}

// pending returns the number of bytes accepted but not acknowledged.
func (w *StepWriter) pending() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return int64(w.buf.n + w.outside)
}

func (w *StepWriter) signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push appends p to the buffer, waiting for space as needed; held is the
// number of bytes the masker keeps back. It returns the bytes appended.
func (w *StepWriter) push(p []byte, held int) (int, error) {
	ctx, limit := w.s.ctx, w.s.cfg.MaxBuffered
	done := 0
	for {
		w.mu.Lock()
		w.outside = held + len(p)
		if w.err != nil || len(p) == 0 {
			err := w.err
			w.mu.Unlock()
			return done, err
		}
		free := limit - w.buf.n
		if free <= 0 {
			w.mu.Unlock()
			if hook := w.s.blockedHook; hook != nil {
				hook(w.step)
			}
			select {
			case <-w.space:
			case <-w.done:
			case <-ctx.Done():
				return done, fmt.Errorf("logstream: step %d: %w", w.step, context.Cause(ctx))
			}
			continue
		}
		k := min(free, len(p))
		wasEmpty := w.buf.n == 0
		w.addMarks(w.base + int64(w.buf.n+k))
		w.buf.push(p[:k])
		n := w.buf.n
		w.mu.Unlock()
		if wasEmpty || n >= w.s.cfg.MaxChunk || n >= limit {
			w.signal(w.wake)
		}
		p, done = p[k:], done+k
	}
}

// addMarks records the marks needed for bytes accepted up to end; w.mu held.
func (w *StepWriter) addMarks(end int64) {
	if w.nb >= end {
		return
	}
	at, wall := w.s.cfg.Now(), time.Now()
	for ; w.nb < end; w.nb += int64(w.s.cfg.MaxChunk) {
		w.marks = append(w.marks, mark{off: w.nb, at: at, due: wall.Add(w.s.cfg.FlushInterval)})
	}
}
