package memqueue_test

import (
	"testing"

	"github.com/caravan-ci/caravan/shared/queue"
	"github.com/caravan-ci/caravan/shared/queue/memqueue"
	"github.com/caravan-ci/caravan/shared/queue/queuetest"
)

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T, maxAttempts int) queue.Queue { return memqueue.New(maxAttempts) })
}
