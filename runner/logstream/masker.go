package logstream

import (
	"bytes"
	"cmp"
	"io"
	"slices"
	"unicode/utf8"
)

// MaskText is what every masked region of the output is replaced with.
const MaskText = "********"

// minSecretLen is the shortest secret (in characters) that is masked.
const minSecretLen = 4

// maxCached is the number of distinct two-byte prefixes for which the
// scanner keeps one bytes.Index result each; with more it tests every byte.
const maxCached = 8

// Masker replaces every occurrence of a secret in a byte stream with MaskText.
//
// The stream is fed with Mask and ended with Flush. Bytes that may be the
// beginning of a secret (the longest suffix of the pending data that is a
// prefix of some secret, at most one byte shorter than the longest secret)
// are held back until later bytes decide, or until Flush. Occurrences that
// overlap are masked as one region; a secret that is a prefix of another is
// therefore masked with its longest match. The output does not depend on
// how the stream is split into calls.
//
// Mask, Flush and Held must not be called concurrently; MaskString may be
// called from any goroutine at any time.
type Masker struct {
	set  *secretSet
	held []byte // undecided tail of the stream
	cov  int    // held[:cov] is already replaced by an emitted MaskText
	work []byte
}

// NewMasker returns a Masker for secrets. Values shorter than four
// characters and "true", "True", "false" and "False" are not masked.
func NewMasker(secrets []string) *Masker {
	return &Masker{set: compileSecrets(secrets)}
}

// Clone returns a Masker for the same secrets with an empty stream.
func (m *Masker) Clone() *Masker { return &Masker{set: m.set} }

// Secrets returns the number of distinct values masked.
func (m *Masker) Secrets() int { return m.set.count }

// Held returns the number of input bytes held back, undecided.
func (m *Masker) Held() int { return len(m.held) }

// Mask appends to dst the masked output of the stream extended by p and
// returns the extended slice. Some of p may be held back (see Held).
func (m *Masker) Mask(dst, p []byte) []byte {
	set := m.set
	if set.count == 0 {
		return append(dst, p...)
	}
	if h := len(m.held); h > 0 {
		// Decide the held bytes with enough of p to look ahead.
		m.work = append(append(m.work[:0], m.held...), p[:min(len(p), set.maxLen)]...)
		var c int
		dst, c, m.cov = set.process(dst, m.work, h, m.cov, false)
		if c < h {
			// Still undecided: work holds all of p (see process).
			m.held = append(m.held[:0], m.work[c:]...)
			return dst
		}
		m.held = m.held[:0]
	}
	var c int
	dst, c, m.cov = set.process(dst, p, len(p), m.cov, false)
	m.held = append(m.held[:0], p[c:]...)
	return dst
}

// Flush ends the stream: it appends the held-back bytes, masked where they
// complete a secret, to dst. The Masker can then start a new stream.
func (m *Masker) Flush(dst []byte) []byte {
	if len(m.held) > 0 {
		dst, _, _ = m.set.process(dst, m.held, len(m.held), m.cov, true)
	}
	m.held, m.cov = m.held[:0], 0
	return dst
}

// MaskString returns s with every secret masked, independently of the
// stream fed to Mask. It is meant for error messages and the like.
func (m *Masker) MaskString(s string) string {
	if m.set.count == 0 {
		return s
	}
	b := []byte(s)
	out, _, _ := m.set.process(make([]byte, 0, len(b)), b, len(b), 0, true)
	return string(out)
}

// MaskWriter masks what is written to it onto another io.Writer.
type MaskWriter struct {
	w   io.Writer
	m   *Masker
	buf []byte
}

// NewMaskWriter returns a writer that masks with m (whose stream state it
// takes over) and writes the result to w.
func NewMaskWriter(w io.Writer, m *Masker) *MaskWriter { return &MaskWriter{w: w, m: m} }

// Write masks p and writes what is decided to the underlying writer. It
// reports len(p) unless that writer fails.
func (mw *MaskWriter) Write(p []byte) (int, error) {
	mw.buf = mw.m.Mask(mw.buf[:0], p)
	if len(mw.buf) > 0 {
		if _, err := mw.w.Write(mw.buf); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Flush writes the held-back bytes (see Masker.Flush); call it at the end
// of the stream.
func (mw *MaskWriter) Flush() error {
	mw.buf = mw.m.Flush(mw.buf[:0])
	if len(mw.buf) == 0 {
		return nil
	}
	_, err := mw.w.Write(mw.buf)
	return err
}

// secretSet is the immutable, compiled form of the secrets.
type secretSet struct {
	byFirst [256][][]byte // secrets by first byte, longest first
	isFirst [256]bool
	pairs   [1 << 16 / 64]uint64 // bit b0<<8|b1 set when a secret starts with b0 b1
	heads   [][]byte             // distinct two-byte prefixes
	firsts  []byte               // distinct first bytes
	maxLen  int
	count   int
}

func maskable(s string) bool {
	switch s {
	case "true", "True", "false", "False":
		return false
	}
	return utf8.RuneCountInString(s) >= minSecretLen
}

func compileSecrets(secrets []string) *secretSet {
	set := &secretSet{}
	seen := make(map[string]bool, len(secrets))
	for _, s := range secrets {
		if !maskable(s) || seen[s] {
			continue
		}
		seen[s] = true
		c := s[0]
		if !set.isFirst[c] {
			set.isFirst[c] = true
			set.firsts = append(set.firsts, c)
		}
		set.byFirst[c] = append(set.byFirst[c], []byte(s))
		pair := uint(c)<<8 | uint(s[1]) // maskable secrets have at least 4 bytes
		if set.pairs[pair/64]&(1<<(pair%64)) == 0 {
			set.pairs[pair/64] |= 1 << (pair % 64)
			set.heads = append(set.heads, []byte(s[:2]))
		}
		set.maxLen = max(set.maxLen, len(s))
		set.count++
	}
	for _, c := range set.firsts {
		slices.SortStableFunc(set.byFirst[c], func(a, b []byte) int { return cmp.Compare(len(b), len(a)) })
	}
	return set
}

// process decides the positions [0, stop) of buf, appending the output to
// dst; buf[stop:] is only looked at. buf[:cov] is covered by a region whose
// MaskText was already emitted. It returns the output, the first undecided
// position c (stop if all were decided) and how many bytes from c on are
// covered. A position is undecided when buf from there on is a proper
// prefix of a secret and final is false; then the caller must hold back
// buf[c:]. That needs len(buf)-c < maxLen, so a buf with maxLen bytes
// beyond stop decides every position before stop.
func (set *secretSet) process(dst, buf []byte, stop, cov int, final bool) ([]byte, int, int) {
	e := cov // buf[:e] is emitted or covered
	sc := scanner{set: set, buf: buf, stop: stop}
	for k := range sc.next {
		sc.next[k] = -1
	}
	for i := 0; ; {
		j := sc.find(i)
		if j >= stop {
			break
		}
		n, undecided := set.matchAt(buf[j:], final)
		if undecided {
			if j > e {
				dst = append(dst, buf[e:j]...)
			}
			return dst, j, max(e-j, 0)
		}
		if n > 0 {
			if j >= e { // a new region
				dst = append(dst, buf[e:j]...)
				dst = append(dst, MaskText...)
			}
			e = max(e, j+n)
		}
		i = j + 1
	}
	if e < stop {
		dst = append(dst, buf[e:stop]...)
	}
	return dst, stop, max(e-stop, 0)
}

// matchAt returns the length of the longest secret b starts with, or
// undecided when a longer secret than any match may still follow.
func (set *secretSet) matchAt(b []byte, final bool) (n int, undecided bool) {
	for _, s := range set.byFirst[b[0]] {
		if len(b) >= len(s) {
			if bytes.Equal(b[:len(s)], s) {
				return len(s), false
			}
		} else if !final && bytes.HasPrefix(s, b) {
			return 0, true
		}
	}
	return 0, false
}

// scanner finds the positions of buf[:stop] where a secret may start: its
// first two bytes are there, or its first byte is the last byte of buf.
type scanner struct {
	set  *secretSet
	buf  []byte
	stop int
	next [maxCached]int // next position of each head; -1 unknown
}

func (sc *scanner) find(i int) int {
	set, buf, stop := sc.set, sc.buf, sc.stop
	if len(set.heads) > maxCached {
		for ; i < stop; i++ {
			if set.isFirst[buf[i]] {
				if i+1 == len(buf) {
					return i
				}
				if pair := uint(buf[i])<<8 | uint(buf[i+1]); set.pairs[pair/64]&(1<<(pair%64)) != 0 {
					return i
				}
			}
		}
		return stop
	}
	best, lim := stop, min(stop+1, len(buf)) // a head found in buf[:lim] starts before stop
	for k, h := range set.heads {
		p := sc.next[k]
		if p < i {
			if r := bytes.Index(buf[i:lim], h); r < 0 {
				p = stop
			} else {
				p = i + r
			}
			sc.next[k] = p
		}
		best = min(best, p)
	}
	if best == stop && stop == len(buf) && i < stop && set.isFirst[buf[stop-1]] {
		return stop - 1
	}
	return best
}
