package queue

import (
	"context"
	"errors"
	"time"
)

var (
	// ErrInvalid is returned (wrapped) for a bad topic name, an oversized message or bad options.
	ErrInvalid = errors.New("queue: invalid request")
	// ErrStaleHandle is returned (wrapped) by Ack or SetVisibility when the delivery's visibility has expired
	// and the message may have been handed to another consumer (or was already acked).
	ErrStaleHandle = errors.New("queue: stale receipt handle")
)

// Limits every adapter accepts (SQS: 256 KiB bodies, 15 minutes of delay, 12 hours of visibility).
const (
	MaxBody       = 256 << 10
	MaxDelay      = 15 * time.Minute
	MaxVisibility = 12 * time.Hour
	// DefaultMaxAttempts is how many deliveries a message gets before it goes to the dead-letter topic.
	DefaultMaxAttempts = 5
)

// Message is what a producer sends. ID is informational (logs, tracing): the port does not deduplicate, so
// handlers must be idempotent. Delay postpones the first delivery (at most MaxDelay).
type Message struct {
	ID    string
	Body  []byte
	Delay time.Duration
}

// Delivery is a received message. Attempt is 1 on the first delivery. Handle identifies this delivery for Ack
// and SetVisibility; it is only valid while the message is invisible to others.
type Delivery struct {
	Topic   string
	ID      string
	Body    []byte
	Attempt int
	Handle  string
}

// ReceiveOptions bound a Receive. Max (1..10, default 10) messages at most; Wait is how long to block for the
// first one (0 returns at once; at most 20 s, as SQS long polling); Visibility is how long the received
// messages stay hidden from other receivers (default 30 s).
type ReceiveOptions struct {
	Max        int
	Wait       time.Duration
	Visibility time.Duration
}

// Queue is the port.
//
// Delivery is at least once: a message received and not acknowledged before its visibility timeout ends is
// delivered again, with Attempt one higher. A message whose next delivery would exceed the adapter's
// MaxAttempts is moved to the topic DeadLetter(topic) instead (it keeps its ID and body). Order is not
// guaranteed. Topics need no creation: sending to or receiving from a name is enough (cloud adapters map names
// to pre-provisioned queues). Safe for concurrent use by many goroutines and processes.
type Queue interface {
	// Send enqueues messages on topic. A returned error means some may have been sent: senders retry, and
	// handlers tolerate the duplicates.
	Send(ctx context.Context, topic string, msgs ...Message) error
	// Receive returns up to o.Max visible messages, waiting up to o.Wait for at least one. An empty result is
	// not an error. ctx ending returns what was received so far, or ctx.Err().
	Receive(ctx context.Context, topic string, o ReceiveOptions) ([]Delivery, error)
	// Ack deletes a delivered message for good.
	Ack(ctx context.Context, d Delivery) error
	// SetVisibility hides a delivered message for another d from now: extend a long handler's lease, or with
	// a short d, hand it back for a retry after that delay.
	SetVisibility(ctx context.Context, d Delivery, visibility time.Duration) error
}

// DeadLetter names the dead-letter topic of topic.
func DeadLetter(topic string) string { return topic + "-dlq" }
