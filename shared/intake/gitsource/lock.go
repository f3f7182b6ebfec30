package gitsource

import (
	"context"
	"fmt"
	"time"
)

// lockPoll is how often a waiter retries a lock file another process holds.
const lockPoll = 50 * time.Millisecond

// lock serializes work on the mirror at dir: first among this Source's
// goroutines, then across processes through the lock file dir+".lock".
// Waiting ends with ctx.
func (s *Source) lock(ctx context.Context, dir string) (unlock func(), err error) {
	s.mu.Lock()
	if s.locks == nil {
		s.locks = map[string]chan struct{}{}
	}
	sem, ok := s.locks[dir]
	if !ok {
		sem = make(chan struct{}, 1)
		s.locks[dir] = sem
	}
	s.mu.Unlock()

	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wait for mirror lock: %w", ctx.Err())
	}
	release, err := lockFile(ctx, dir+".lock")
	if err != nil {
		<-sem
		return nil, err
	}
	return func() {
		release()
		<-sem
	}, nil
}
