// Package memstore is an in-memory store.Store for tests. Items live in a map of partitions guarded by one
// mutex, each partition keeping its sort keys in a sorted slice, so a Store is seen only by its own
// process; use sqlitestore wherever state must survive a restart or be shared between processes.
//
// Writes hold the lock while they check every condition and then apply every operation, which makes them
// atomic and serializable. Data is copied on the way in and out. Expired items stay in memory until a put
// replaces them or a delete removes them, but no read or condition sees them.
package memstore
