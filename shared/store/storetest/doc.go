// Package storetest is the conformance suite of the store port. Every adapter runs it from its own tests:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return newStore(t) })
//	}
//
// The suite checks the contract stated on store.Store: round trips and version numbering, not found, every
// condition on every kind of operation (including expired items, which count as absent), all-or-nothing
// writes of several operations, request validation (keys, duplicate keys, operation count, item size),
// sort-key byte order in both directions, prefixes, paging that neither skips nor repeats, page-size
// defaults and caps, expiry against the real clock, counters, races of conditional writers on one key and
// context cancellation (every method given a canceled context returns an error wrapping context.Canceled
// and changes nothing).
//
// Where the port leaves room, the suite pins one reading: AtVersion never holds for a missing or expired
// item (not even AtVersion 0), a put over an expired item creates it anew at version 1, and Next stays
// valid when the item it was taken from is deleted.
//
// Subtests run in parallel, each on its own store from newStore. Expiry is tested against the real clock,
// so the suite takes a couple of seconds; it allows an adapter to keep ExpiresAt at one-second precision, as
// DynamoDB's TTL attribute does.
package storetest
