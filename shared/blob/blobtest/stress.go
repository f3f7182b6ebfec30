package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/caravan-ci/caravan/shared/blob"
)

// testConcurrentPut races writers of one key against readers: every read
// must see one complete value, and one complete value must win.
func testConcurrentPut(t *testing.T, s blob.Store) {
	const writers, size = 8, 256 << 10
	values := make([][]byte, writers)
	for i := range values {
		values[i] = bytes.Repeat([]byte{byte('a' + i)}, size)
	}
	complete := func(data []byte) bool {
		return len(data) == size && bytes.Count(data, data[:1]) == size
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	done := make(chan struct{})
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				rc, err := s.Get(ctx, "race")
				if errors.Is(err, blob.ErrNotFound) {
					continue
				}
				if err != nil {
					t.Errorf("concurrent Get: %v", err)
					return
				}
				data, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !complete(data) {
					t.Errorf("concurrent Get read %d bytes (err %v), want one complete %d-byte value", len(data), err, size)
					return
				}
			}
		})
	}
	var puts sync.WaitGroup
	for i := range writers {
		puts.Go(func() {
			for range 3 {
				if err := s.Put(ctx, "race", bytes.NewReader(values[i])); err != nil {
					t.Errorf("concurrent Put: %v", err)
				}
			}
		})
	}
	puts.Wait()
	close(done)
	wg.Wait()
	if got := get(t, s, "race"); !complete(got) {
		t.Errorf("after concurrent puts Get = %d bytes %q, want one complete value", len(got), clip(got))
	}
}

// testLargeObject streams 8 MiB through Put and Get.
func testLargeObject(t *testing.T, s blob.Store) {
	const size = 8 << 20
	src := io.LimitReader(rand.NewChaCha8([32]byte{1}), size)
	want := sha256.New()
	if err := s.Put(context.Background(), "large/object", io.TeeReader(src, want)); err != nil {
		t.Fatalf("Put: %v", err)
	}
	rc, err := s.Get(context.Background(), "large/object")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	got := sha256.New()
	n, err := io.Copy(got, rc)
	if err != nil {
		t.Fatalf("Get: read: %v", err)
	}
	if n != size || !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Errorf("Get read %d bytes with sha256 %x, want %d bytes with %x", n, got.Sum(nil), size, want.Sum(nil))
	}
	if objs := list(t, s, "large/"); len(objs) != 1 || objs[0].Size != size {
		t.Errorf("List = %+v, want one object of %d bytes", objs, size)
	}
}

var errBroken = errors.New("broken reader")

// chunks yields n 32 KiB chunks, calling at(i) before chunk i, then fails
// with end (io.EOF for a clean end).
type chunks struct {
	i, n int
	at   func(i int)
	end  error
}

func (c *chunks) Read(p []byte) (int, error) {
	if c.i == c.n {
		return 0, c.end
	}
	if c.at != nil {
		c.at(c.i)
	}
	c.i++
	return copy(p, bytes.Repeat([]byte{'n'}, min(len(p), 32<<10))), nil
}

func testPutReaderError(t *testing.T, s blob.Store) {
	put(t, s, "k", []byte("old"))
	err := s.Put(context.Background(), "k", &chunks{n: 8, end: errBroken})
	if !errors.Is(err, errBroken) {
		t.Errorf("Put from a failing reader error = %v, want %v", err, errBroken)
	}
	if got := get(t, s, "k"); string(got) != "old" {
		t.Errorf("after failed Put Get = %q, want the old value", clip(got))
	}
	err = s.Put(context.Background(), "fresh", &chunks{n: 8, end: errBroken})
	if !errors.Is(err, errBroken) {
		t.Errorf("Put(fresh) from a failing reader error = %v, want %v", err, errBroken)
	}
	if got := keysOf(list(t, s, "")); len(got) != 1 {
		t.Errorf("after failed Puts List = %q, want only k", got)
	}
}

func testPutCanceled(t *testing.T, s blob.Store) {
	put(t, s, "k", []byte("old"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// 128 chunks = 4 MiB; the context ends after the second.
	r := &chunks{n: 128, end: io.EOF, at: func(i int) {
		if i == 2 {
			cancel()
		}
	}}
	if err := s.Put(ctx, "k", r); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a context canceled mid-stream error = %v, want context.Canceled", err)
	}
	if got := get(t, s, "k"); string(got) != "old" {
		t.Errorf("after canceled Put Get = %q, want the old value", clip(got))
	}
	if err := s.Put(ctx, "fresh", bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
		t.Errorf("Put with a canceled context error = %v, want context.Canceled", err)
	}
	if got := keysOf(list(t, s, "")); len(got) != 1 {
		t.Errorf("after canceled Puts List = %q, want only k", got)
	}
}
