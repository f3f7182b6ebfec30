package logstream

// ring is a FIFO byte buffer that grows on demand up to the size its user
// allows, so a step that prints little never allocates MaxBuffered bytes.
type ring struct {
	buf   []byte
	head  int // index of the first byte
	n     int // bytes held
	limit int // the buffer grows no larger than max(limit, bytes held)
}

// push appends p, growing the buffer to at least the bytes then held.
func (r *ring) push(p []byte) {
	if r.n+len(p) > len(r.buf) {
		r.grow(r.n + len(p))
	}
	tail := r.head + r.n
	if tail >= len(r.buf) {
		tail -= len(r.buf)
	}
	c := copy(r.buf[tail:], p) // the free space is contiguous from tail, or wraps once
	copy(r.buf, p[c:])
	r.n += len(p)
}

func (r *ring) grow(need int) {
	size := max(need, min(max(2*len(r.buf), 4096), r.limit))
	buf := make([]byte, size)
	r.peek(buf[:r.n])
	r.buf, r.head = buf, 0
}

// peek copies the first len(dst) bytes (at most r.n) to dst and returns dst.
func (r *ring) peek(dst []byte) []byte {
	c := copy(dst, r.buf[r.head:min(r.head+len(dst), len(r.buf))])
	copy(dst[c:], r.buf)
	return dst
}

// pop drops the first k bytes (k ≤ r.n).
func (r *ring) pop(k int) {
	r.head += k
	if r.head >= len(r.buf) {
		r.head -= len(r.buf)
	}
	r.n -= k
	if r.n == 0 {
		r.head = 0
	}
}
