package queue

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Handler processes one delivery. Returning nil acknowledges it; an error hands it back for a retry after a
// back-off (and, after MaxAttempts, to the dead-letter topic). Wrap an error with Permanent to drop a message
// that can never succeed (it is logged and acknowledged). Handlers must be idempotent.
type Handler func(ctx context.Context, d Delivery) error

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanent{err}
}

// IsPermanent reports whether err was marked with Permanent.
func IsPermanent(err error) bool {
	var p permanent
	return errors.As(err, &p)
}

// ConsumeOptions tune Consume. Zero values pick defaults: 4 workers, 30 s visibility, back-off 1 s doubling
// to 1 minute, 20 s long polls.
type ConsumeOptions struct {
	Concurrency int
	Visibility  time.Duration
	Wait        time.Duration
	Backoff     func(attempt int) time.Duration
	Log         *slog.Logger
}

// Consume receives from topic and runs h on each delivery with up to o.Concurrency handlers at once, until ctx
// ends. A handler that runs longer than half the visibility timeout has its lease extended.
// It returns ctx.Err() when ctx ends, after the running handlers return.
func Consume(ctx context.Context, q Queue, topic string, h Handler, o ConsumeOptions) error {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Visibility <= 0 {
		o.Visibility = 30 * time.Second
	}
	if o.Wait <= 0 {
		o.Wait = 20 * time.Second
	}
	if o.Backoff == nil {
		o.Backoff = func(a int) time.Duration { return min(time.Second<<min(a-1, 6), time.Minute) }
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	log := o.Log.With("topic", topic)
	slots := make(chan struct{}, o.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	failures := 0
	for ctx.Err() == nil {
		free := o.Concurrency - len(slots)
		if free == 0 {
			slots <- struct{}{} // wait for a slot
			<-slots
			continue
		}
		ds, err := q.Receive(ctx, topic, ReceiveOptions{Max: min(free, 10), Wait: o.Wait, Visibility: o.Visibility})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			failures++
			log.Warn("receive failed", "err", err)
			sleep(ctx, min(100*time.Millisecond<<min(failures, 8), 10*time.Second))
			continue
		}
		failures = 0
		for _, d := range ds {
			slots <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-slots; wg.Done() }()
				handle(ctx, q, d, h, o, log)
			}()
		}
	}
	return ctx.Err()
}

func handle(ctx context.Context, q Queue, d Delivery, h Handler, o ConsumeOptions, log *slog.Logger) {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { // keep the lease while the handler runs
		t := time.NewTicker(o.Visibility / 2)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				if err := q.SetVisibility(hctx, d, o.Visibility); err != nil && hctx.Err() == nil {
					log.Warn("extend visibility failed", "id", d.ID, "err", err)
				}
			}
		}
	}()
	err := h(hctx, d)
	cancel()
	switch {
	case err == nil || IsPermanent(err):
		if err != nil {
			log.Error("message dropped", "id", d.ID, "attempt", d.Attempt, "err", err)
		}
		if aerr := q.Ack(context.WithoutCancel(ctx), d); aerr != nil {
			log.Warn("ack failed; the message will be redelivered", "id", d.ID, "err", aerr)
		}
	default:
		if ctx.Err() != nil {
			return // shutting down: the lease runs out and another consumer takes it
		}
		log.Warn("handler failed; will retry", "id", d.ID, "attempt", d.Attempt, "err", err)
		if verr := q.SetVisibility(ctx, d, o.Backoff(d.Attempt)); verr != nil {
			log.Warn("retry delay not set", "id", d.ID, "err", verr)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
