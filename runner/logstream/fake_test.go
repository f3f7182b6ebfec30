package logstream

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// call is one SendOutput call as the fake server saw it.
type call struct {
	step int
	off  int64
	at   time.Time
	data []byte
}

// fakeServer is a Sender that assembles each step's stream the way the
// server does: it deduplicates chunks by offset and records protocol
// violations (gaps, a resend with other bytes) in errs.
type fakeServer struct {
	// respond decides each call (n counts from 1): whether the chunk
	// reaches the server, and the error the runner sees. nil records and
	// succeeds. It may block, and should then honour ctx.
	respond func(ctx context.Context, n int, c call) (record bool, err error)
	// recorded, if not nil, receives every chunk recorded the first time.
	recorded chan call

	calls atomic.Int64

	mu      sync.Mutex
	streams map[int][]byte
	chunks  map[int]map[int64][]byte // step → offset → data
	unique  []call                   // chunks recorded the first time, in order
	errs    []string
}

func (f *fakeServer) SendOutput(ctx context.Context, step int, off int64, at time.Time, data []byte) error {
	c := call{step: step, off: off, at: at, data: bytes.Clone(data)}
	n := int(f.calls.Add(1))
	record, err := true, error(nil)
	if f.respond != nil {
		record, err = f.respond(ctx, n, c)
	}
	if record && f.record(c) && f.recorded != nil {
		f.recorded <- c
	}
	return err
}

// record adds c to the assembled stream and reports whether it was new.
func (f *fakeServer) record(c call) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.streams == nil {
		f.streams = make(map[int][]byte)
		f.chunks = make(map[int]map[int64][]byte)
	}
	stream := f.streams[c.step]
	switch {
	case c.off > int64(len(stream)):
		f.errs = append(f.errs, fmt.Sprintf("step %d: gap: chunk at %d, stream has %d bytes", c.step, c.off, len(stream)))
	case c.off < int64(len(stream)):
		if prev, ok := f.chunks[c.step][c.off]; !ok || !bytes.Equal(prev, c.data) {
			f.errs = append(f.errs, fmt.Sprintf("step %d: resend at %d differs from the first chunk there", c.step, c.off))
		}
	case len(c.data) == 0:
		f.errs = append(f.errs, fmt.Sprintf("step %d: empty chunk at %d", c.step, c.off))
	default:
		if f.chunks[c.step] == nil {
			f.chunks[c.step] = make(map[int64][]byte)
		}
		f.chunks[c.step][c.off] = c.data
		f.streams[c.step] = append(stream, c.data...)
		f.unique = append(f.unique, c)
		return true
	}
	return false
}

func (f *fakeServer) stream(step int) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return string(f.streams[step])
}

func (f *fakeServer) errors() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.errs
}

func (f *fakeServer) chunksOf(step int) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.unique {
		if c.step == step {
			out = append(out, c)
		}
	}
	return out
}

// countingSender acknowledges everything and counts the bytes.
type countingSender struct{ n atomic.Int64 }

func (s *countingSender) SendOutput(_ context.Context, _ int, _ int64, _ time.Time, data []byte) error {
	s.n.Add(int64(len(data)))
	return nil
}
