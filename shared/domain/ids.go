package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"strings"
)

// NewID returns a random UUID (version 4), the form CircleCI's ids take.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return formatUUID(b, 4)
}

// DeriveID returns a UUID (version 8) determined by parts, so a retried handler creates the same ids again
// and its conditional creates find the work already done.
func DeriveID(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	var b [16]byte
	copy(b[:], sum[:16])
	return formatUUID(b, 8)
}

func formatUUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
