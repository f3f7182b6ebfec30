package queue

import (
	"fmt"
	"strings"
	"time"
)

// ValidTopic accepts names SQS and Pub/Sub both accept: 1–80 characters of [A-Za-z0-9_-]. A topic of
// one's own is at most 76, so that its dead-letter topic (DeadLetter adds "-dlq") is valid too.
func ValidTopic(t string) error {
	if len(t) == 0 || len(t) > 80 || len(t) > 76 && !strings.HasSuffix(t, "-dlq") {
		return fmt.Errorf("topic %q: %w", t, ErrInvalid)
	}
	for _, c := range t {
		if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("topic %q: %w", t, ErrInvalid)
		}
	}
	return nil
}

// ValidMessage checks a message the way every adapter must before sending anything.
func ValidMessage(m Message) error {
	if len(m.Body) > MaxBody {
		return fmt.Errorf("message of %d bytes exceeds %d: %w", len(m.Body), MaxBody, ErrInvalid)
	}
	if m.Delay < 0 || m.Delay > MaxDelay {
		return fmt.Errorf("delay %s outside [0, %s]: %w", m.Delay, MaxDelay, ErrInvalid)
	}
	return nil
}

// Normalize fills ReceiveOptions defaults and checks bounds.
func (o ReceiveOptions) Normalize() (ReceiveOptions, error) {
	if o.Max == 0 {
		o.Max = 10
	}
	if o.Visibility == 0 {
		o.Visibility = 30 * time.Second
	}
	if o.Max < 1 || o.Max > 10 || o.Wait < 0 || o.Wait > 20*time.Second || o.Visibility < 0 ||
		o.Visibility > MaxVisibility {
		return o, fmt.Errorf("receive options %+v: %w", o, ErrInvalid)
	}
	return o, nil
}
