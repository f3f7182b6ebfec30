package taskserver

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// maxCachedLengths bounds the per-instance cache of output lengths.
const maxCachedLengths = 4096

type outputKey struct {
	task string
	step int
}

// OutputPrefix is where a step's output chunks live: one object per chunk, named
// <offset %016d>-<unix ms of its first byte>.
func OutputPrefix(taskID string, step int) string {
	return "output/" + taskID + "/" + fmt.Sprintf("%04d", step) + "/"
}

// AppendOutput implements taskapi.Backend. Bytes before the stored length are already there and are dropped; a
// gap is ErrConflict. Nothing is written to the store per chunk: the stored length is the end of the furthest
// chunk (listed, or remembered by this instance, which can only be behind the truth: bytes at an offset never
// change, so a chunk written over an existing range is harmless and ReadOutput drops the overlap).
func (s *Server) AppendOutput(ctx context.Context, taskID string, step int, off int64, at time.Time, data []byte) error {
	if taskID == "" || strings.ContainsAny(taskID, "/\\") || step < 0 || off < 0 {
		return fmt.Errorf("output of task %q step %d at %d: %w", taskID, step, off, taskapi.ErrInvalid)
	}
	k := outputKey{taskID, step}
	s.mu.Lock()
	have, ok := s.lengths[k]
	s.mu.Unlock()
	if !ok || off > have {
		n, err := storedLength(ctx, s.d.Blobs, taskID, step)
		if err != nil {
			return fmt.Errorf("output of task %s step %d: %w", taskID, step, err)
		}
		have = max(have, n)
	}
	if off > have {
		return fmt.Errorf("output of step %d at offset %d leaves a gap after %d bytes: %w", step, off, have,
			taskapi.ErrConflict)
	}
	fresh := data[min(int64(len(data)), have-off):]
	if len(fresh) > 0 {
		key := OutputPrefix(taskID, step) + fmt.Sprintf("%016d-%d", have, max(at.UnixMilli(), 0))
		if err := s.d.Blobs.Put(ctx, key, bytes.NewReader(fresh)); err != nil {
			return fmt.Errorf("store output of task %s step %d: %w", taskID, step, err)
		}
	}
	s.mu.Lock()
	if len(s.lengths) >= maxCachedLengths {
		clear(s.lengths)
	}
	s.lengths[k] = max(s.lengths[k], have+int64(len(fresh)))
	s.mu.Unlock()
	return nil
}

// Chunk is a piece of a step's output.
type Chunk struct {
	Offset int64
	Time   time.Time // when its first byte was produced (millisecond precision)
	Data   []byte
}

type chunkObj struct {
	off  int64
	at   time.Time
	key  string
	size int64
}

func listChunks(ctx context.Context, b blob.Store, taskID string, step int) ([]chunkObj, error) {
	prefix := OutputPrefix(taskID, step)
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return nil, err
	}
	out := make([]chunkObj, 0, len(objs))
	for _, o := range objs {
		offS, msS, ok := strings.Cut(strings.TrimPrefix(o.Key, prefix), "-")
		off, err1 := strconv.ParseInt(offS, 10, 64)
		ms, err2 := strconv.ParseInt(msS, 10, 64)
		if ok && err1 == nil && err2 == nil {
			out = append(out, chunkObj{off, time.UnixMilli(ms).UTC(), o.Key, o.Size})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].off < out[j].off })
	return out, nil
}

func storedLength(ctx context.Context, b blob.Store, taskID string, step int) (int64, error) {
	cs, err := listChunks(ctx, b, taskID, step)
	var n int64
	for _, c := range cs {
		n = max(n, c.off+c.size)
	}
	return n, err
}

// ReadOutput returns a step's output in order, overlapping chunks cut so every byte appears once. A step without
// output has no chunks.
func ReadOutput(ctx context.Context, b blob.Store, taskID string, step int) ([]Chunk, error) {
	cs, err := listChunks(ctx, b, taskID, step)
	if err != nil {
		return nil, fmt.Errorf("list output of task %s step %d: %w", taskID, step, err)
	}
	var out []Chunk
	var end int64
	for _, c := range cs {
		if c.off+c.size <= end {
			continue
		}
		data, err := readAll(ctx, b, c.key)
		if err != nil {
			return nil, fmt.Errorf("read output of task %s step %d: %w", taskID, step, err)
		}
		ch := Chunk{Offset: c.off, Time: c.at, Data: data}
		if ch.Offset < end {
			ch.Data, ch.Offset = ch.Data[min(int64(len(data)), end-ch.Offset):], end
		}
		if len(ch.Data) > 0 {
			out = append(out, ch)
			end = ch.Offset + int64(len(ch.Data))
		}
	}
	return out, nil
}

func readAll(ctx context.Context, b blob.Store, key string) ([]byte, error) {
	r, err := b.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}
