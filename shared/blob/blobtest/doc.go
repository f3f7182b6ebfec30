// Package blobtest is the conformance suite of the blob port. Every adapter
// runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) blob.Store { return newServedStore(t) })
//	}
//
// The suite checks the contract stated on blob.Store: round trips, overwrite,
// not found, list order and sizes, idempotent delete, key validation, atomic
// concurrent puts, streaming of a large object, context cancellation, and
// presigned URLs exercised with a real http.Client (so the adapter's test
// must serve them, e.g. with httptest.NewServer).
//
// Expiry is tested against the real clock with a short ttl, so the suite
// takes a few seconds; adapters with a clock hook test expiry
// deterministically in their own tests as well.
package blobtest
