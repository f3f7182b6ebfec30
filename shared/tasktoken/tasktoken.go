package tasktoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MinKeyLen is the shortest key New accepts, in bytes.
const MinKeyLen = 32

// ErrInvalidToken is wrapped by every Verify error: malformed, tampered with, minted under another key, or expired.
var ErrInvalidToken = errors.New("invalid task token")

// domain separates task-token MACs from any other use of the same key.
const domain = "caravan/task-token/v1\x00"

var b64 = base64.RawURLEncoding

// Issuer mints and verifies task tokens. It is safe for concurrent use.
type Issuer struct {
	key []byte
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// New returns an Issuer over key, which must hold at least MinKeyLen bytes (every instance needs the same key).
func New(key []byte) (*Issuer, error) {
	if len(key) < MinKeyLen {
		return nil, fmt.Errorf("task token key of %d bytes: need at least %d", len(key), MinKeyLen)
	}
	return &Issuer{key: append([]byte(nil), key...)}, nil
}

func (i *Issuer) now() time.Time {
	if i.Now != nil {
		return i.Now()
	}
	return time.Now()
}

// Mint returns a token for taskID valid for ttl from now.
func (i *Issuer) Mint(taskID string, ttl time.Duration) string {
	exp := strconv.FormatInt(i.now().Add(ttl).UnixMilli(), 10)
	id := b64.EncodeToString([]byte(taskID))
	return id + "." + exp + "." + b64.EncodeToString(i.mac(taskID, exp))
}

// Verify checks a token and returns the task id it was minted for. Every failure wraps ErrInvalidToken.
func (i *Issuer) Verify(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("malformed token: %w", ErrInvalidToken)
	}
	id, err1 := b64.DecodeString(parts[0])
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	mac, err3 := b64.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil || len(id) == 0 || strconv.FormatInt(exp, 10) != parts[1] {
		return "", fmt.Errorf("malformed token: %w", ErrInvalidToken)
	}
	if !hmac.Equal(mac, i.mac(string(id), parts[1])) {
		return "", fmt.Errorf("token signature does not match: %w", ErrInvalidToken)
	}
	if !i.now().Before(time.UnixMilli(exp)) {
		return "", fmt.Errorf("token of task %s expired at %s: %w", id, time.UnixMilli(exp).UTC().Format(time.RFC3339),
			ErrInvalidToken)
	}
	return string(id), nil
}

func (i *Issuer) mac(taskID, exp string) []byte {
	m := hmac.New(sha256.New, i.key)
	m.Write([]byte(domain))
	m.Write([]byte(strconv.Itoa(len(taskID))))
	m.Write([]byte{0})
	m.Write([]byte(taskID))
	m.Write([]byte{0})
	m.Write([]byte(exp))
	return m.Sum(nil)
}
