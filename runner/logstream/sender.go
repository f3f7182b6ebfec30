package logstream

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// run is the step's sender goroutine: one chunk in flight at a time.
func (w *StepWriter) run() {
	defer close(w.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		off, at, data, ok := w.next(timer)
		if !ok {
			return
		}
		if err := w.send(off, at, data); err != nil {
			w.mu.Lock()
			w.err = err
			w.mu.Unlock()
			w.s.cfg.Logger.Warn("log stream stopped", "step", w.step, "offset", off, "err", err)
			return
		}
		w.ack(len(data))
	}
}

// next waits until a chunk is due and returns a copy of it, or ok false
// when the stream ends.
func (w *StepWriter) next(timer *time.Timer) (off int64, at time.Time, data []byte, ok bool) {
	cfg := &w.s.cfg
	w.mu.Lock()
	for {
		if w.err != nil || (w.buf.n == 0 && w.closing) {
			w.mu.Unlock()
			return 0, time.Time{}, nil, false
		}
		var tick <-chan time.Time
		if n := w.buf.n; n > 0 {
			mk := w.headMark()
			if n >= cfg.MaxChunk || n >= cfg.MaxBuffered || w.closing || !time.Now().Before(mk.due) {
				k := min(n, cfg.MaxChunk)
				if cap(w.sendBuf) < k {
					w.sendBuf = make([]byte, k, max(k, min(2*cap(w.sendBuf), cfg.MaxChunk)))
				}
				data = w.buf.peek(w.sendBuf[:k])
				if k == n { // a short chunk: the next one starts at the end
					w.nb = w.base + int64(k)
				}
				off = w.base
				w.mu.Unlock()
				return off, mk.at, data, true
			}
			timer.Reset(time.Until(mk.due))
			tick = timer.C
		}
		w.mu.Unlock()
		select {
		case <-w.wake:
		case <-tick:
		case <-w.s.ctx.Done():
			w.mu.Lock()
			if w.err == nil {
				w.err = fmt.Errorf("logstream: step %d: stream stopped: %w", w.step, context.Cause(w.s.ctx))
			}
			continue
		}
		timer.Stop()
		w.mu.Lock()
	}
}

// headMark returns the mark of the chunk starting at base; w.mu held.
func (w *StepWriter) headMark() mark {
	if len(w.marks) > 0 && w.marks[0].off == w.base {
		return w.marks[0]
	}
	return mark{off: w.base, at: w.s.cfg.Now(), due: time.Now()} // not reached
}

// ack drops n acknowledged bytes and wakes a blocked writer.
func (w *StepWriter) ack(n int) {
	w.mu.Lock()
	w.buf.pop(n)
	w.base += int64(n)
	i := 0
	for i < len(w.marks) && w.marks[i].off < w.base {
		i++
	}
	w.marks = append(w.marks[:0], w.marks[i:]...)
	w.mu.Unlock()
	w.signal(w.space)
}

// send uploads one chunk, retrying with backoff until it is acknowledged,
// rejected, or the Streamer's context ends.
func (w *StepWriter) send(off int64, at time.Time, data []byte) error {
	ctx, cfg := w.s.ctx, &w.s.cfg
	for attempt := 0; ; attempt++ {
		err := w.s.sender.SendOutput(ctx, w.step, off, at, data)
		if err == nil {
			if attempt > 0 {
				cfg.Logger.Info("log upload recovered", "step", w.step, "offset", off, "attempts", attempt+1)
			}
			return nil
		}
		if errors.Is(err, ErrRejected) {
			return fmt.Errorf("logstream: step %d: sending %d bytes at offset %d: %w", w.step, len(data), off, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("logstream: step %d: stream stopped at offset %d: %w (last error: %v)", w.step, off, context.Cause(ctx), err)
		}
		level := cfg.Logger.Debug
		if attempt == 0 {
			level = cfg.Logger.Warn
		}
		level("log upload failed, retrying", "step", w.step, "offset", off, "attempt", attempt+1, "err", err)
		t := time.NewTimer(backoff(attempt, cfg.MinBackoff, cfg.MaxBackoff))
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("logstream: step %d: stream stopped at offset %d: %w (last error: %v)", w.step, off, context.Cause(ctx), err)
		}
	}
}

// backoff returns the delay before retry attempt+1: exponential from lo,
// capped at hi, with jitter in [d/2, d] but never under lo.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	return max(lo, d/2+rand.N(d/2+1))
}
