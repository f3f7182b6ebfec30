// Package memqueue is an in-memory queue.Queue for tests. Messages live in maps guarded by a mutex, so a
// Queue is seen only by its own process; use sqlitequeue, or a cloud adapter, wherever more than one
// process shares a queue.
//
// A waiting Receive sleeps until a Send or SetVisibility on its topic, the moment the next hidden message
// of the topic becomes visible, its wait ending or its context ending, whichever comes first, so delivery
// latency is that of a channel close.
//
// A handle stays valid until its message is acknowledged or delivered again: Ack after the visibility
// timeout ended but before another Receive took the message still succeeds.
package memqueue
