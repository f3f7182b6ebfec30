// Package queuetest is the conformance suite of the queue port. Every adapter runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		queuetest.Run(t, func(t *testing.T, maxAttempts int) queue.Queue { return memqueue.New(maxAttempts) })
//	}
//
// The suite checks the contract stated on queue.Queue: round trips, redelivery after the visibility timeout
// with a higher Attempt, visibility changes, delayed delivery, dead-lettering after maxAttempts deliveries,
// stale handles, long polling, Max, topic isolation, validation, exclusive delivery to concurrent receivers
// and context cancellation; and it runs queue.Consume over the adapter (retry, Permanent, lease extension).
//
// Timing is tested against the real clock with visibility timeouts of a few hundred milliseconds, so the
// suite takes a few seconds; assertions that something happens in time use generous bounds, and assertions
// that something does not happen early allow for clock granularity only.
package queuetest
