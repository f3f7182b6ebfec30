// Package sqlitequeue is the embedded, durable queue.Queue: messages live in one SQLite file (pure Go
// driver modernc.org/sqlite, so no cgo), shared by every process that opens it.
//
// The database runs in WAL mode with a busy timeout, so readers never block and writers of several
// processes queue up. Receive claims messages in one IMMEDIATE transaction: it selects visible rows of the
// topic, moves those whose deliveries reached MaxAttempts to the dead-letter topic, and hides the rest for
// the visibility timeout with one more attempt and a fresh random handle; it first looks with a read-only
// query, so idle receivers do not contend for the write lock. Ack and SetVisibility change a row
// only if it still carries the delivery's handle, so a handle stays valid until its message is acknowledged
// or delivered again (even after its visibility timeout ended, if no one else received it meanwhile).
//
// Within a process, Send and SetVisibility wake the Receives waiting on the topic at once, and a waiting
// Receive also wakes when the next hidden message of its topic becomes visible; messages sent by other
// processes are noticed within Options.Poll. Writes of one Queue are serialized by a mutex, leaving SQLite's
// busy handler to arbitrate between processes only.
//
// Commits use synchronous=NORMAL: they survive a crash of the process, but an operating-system crash or power
// loss may roll back the last transactions (never corrupt the file). A rolled-back Ack means a redelivery,
// which handlers tolerate; a rolled-back Send is lost.
package sqlitequeue
