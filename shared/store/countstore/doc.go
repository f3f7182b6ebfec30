// Package countstore wraps a store.Store and counts the calls made through it, so benchmarks and tests
// can report how many reads, writes and written items an operation of the engine costs (the units a
// DynamoDB or Firestore bill is made of).
//
// Counting uses atomic counters: a Store is as safe for concurrent use as the store it wraps.
package countstore
