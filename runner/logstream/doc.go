// Package logstream streams the output of a job's steps from the runner to
// the server, masking secrets on the way.
//
// A Streamer gives each step a StepWriter (an io.Writer; the stdout and
// stderr of a process may write to it concurrently, each Write staying in
// one piece). Written bytes are masked, buffered and uploaded through a
// Sender in chunks.
//
// # Ordering and idempotency
//
// Each step has one sender goroutine with at most one chunk in flight, so a
// step's chunks reach the server in order; steps stream independently of
// each other. A chunk is the byte range [offset, offset+len(data)) of the
// step's output and is removed from the buffer only once the server
// acknowledged it. A failed upload is retried, with exponential backoff and
// jitter between Config.MinBackoff and Config.MaxBackoff, with exactly the
// same offset, timestamp and bytes, for as long as the Streamer's context
// lasts. The server deduplicates by (step, offset), so a chunk it received
// but whose answer was lost is not duplicated: the stream it assembles has
// every byte once, in order, whatever the length of an outage. An error
// matching ErrRejected (the server refused the upload for good) is not
// retried: the step's stream stops and its Write and Close return the error.
//
// A chunk is sent when Config.MaxChunk bytes are waiting, when
// Config.FlushInterval has passed since its first byte was accepted, when
// the buffer is full, or on Close. It carries the time (Config.Now) at which
// its first byte was accepted.
//
// # Back-pressure
//
// A step buffers at most Config.MaxBuffered bytes that the server has not
// acknowledged; a Write blocks while the buffer is full, which slows the
// producing process down instead of growing memory or dropping output.
// During an outage writers therefore block until the server is back (or the
// Streamer's context ends).
//
// # Masking
//
// Every occurrence of a secret (Config.Secrets) is replaced by MaskText
// before the bytes are buffered. Values shorter than four characters and
// "true", "True", "false" and "False" are not masked. Occurrences that
// overlap are masked as one region, so of two secrets where one is a prefix
// of the other the longest match is masked. Secrets that span Writes are
// masked: the Masker holds back the longest tail of the output that is a
// prefix of some secret and releases it once later bytes decide. A held-back
// tail is never released by the FlushInterval timer, only by later bytes or
// by Close: sending it early could let a secret out in two halves. So the
// last few bytes of a step's output may appear only at Close when they look
// like the start of a secret. The Masker is usable on its own, for instance
// to mask error messages (Masker.MaskString) or to wrap an io.Writer
// (MaskWriter).
//
// Masking works on bytes: a secret that reaches the output transformed (for
// example escaped, or split by another process's output written in between)
// is not recognized, and a secret made of '*' characters may appear to be
// present within MaskText.
package logstream
