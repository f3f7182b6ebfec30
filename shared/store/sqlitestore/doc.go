// Package sqlitestore is the embedded store.Store: one SQLite file, through the pure-Go driver
// modernc.org/sqlite (so it builds with CGO_ENABLED=0).
//
// Layout. Items are rows of items(pk, sk, version, data, expires), a WITHOUT ROWID table clustered on its
// primary key (pk, sk); keys are TEXT compared with the BINARY collation, which is byte order, so Get is
// one primary-key lookup and Query one range scan of the primary key in either direction (a prefix becomes
// sk >= prefix AND sk < the prefix's byte-order successor). expires holds ExpiresAt in Unix nanoseconds, 0
// for never; expired rows are filtered out by every read and condition, and PurgeExpired deletes them.
// Counters are rows of their own table, counters(pk, sk, value).
//
// Concurrency. The file is opened in WAL mode: readers never block the writer nor each other. Writes go
// through one connection per Store, in BEGIN IMMEDIATE transactions (the driver's _txlock=immediate), so
// the goroutines of a process queue for that connection and processes sharing the file take SQLite's write
// lock before reading anything they will condition on. Lock waits between processes are handled by a
// busy_timeout of 10s, and a write or read that still meets SQLITE_BUSY (which SQLite returns without
// waiting in a few WAL corner cases) is retried up to 10 times with backoff while its context lasts, so
// busy errors do not reach callers under ordinary contention. Reads use a small pool of read-only
// connections.
//
// Durability. synchronous=NORMAL: with WAL a commit survives a crash of the process and the file is never
// corrupted, but a power loss or OS crash may lose the last transactions committed before it. That is the
// trade-off wanted for an engine whose writes are conditional and whose callers retry.
//
// The Next token of a page is the last sort key it returned; it stays valid when that item is deleted.
package sqlitestore
