package secrets

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrDecrypt is returned (wrapped) when a sealed value or wrapped key is corrupt, was sealed under another
// key or with other associated data.
var ErrDecrypt = errors.New("secrets: cannot decrypt")

// KeyService issues data keys and unwraps them. Safe for concurrent use.
type KeyService interface {
	// GenerateDataKey returns a fresh 32-byte key and its wrapped (encrypted) form.
	GenerateDataKey(ctx context.Context) (plaintext, wrapped []byte, err error)
	// DecryptDataKey unwraps a key GenerateDataKey returned, or fails wrapping ErrDecrypt.
	DecryptDataKey(ctx context.Context, wrapped []byte) ([]byte, error)
}

// Envelope seals and opens values with data keys from a KeyService. A data key is reused for up to
// RotateAfter (default 1 hour) of sealing, and unwrapped keys are cached, bounding calls to the key service.
type Envelope struct {
	ks          KeyService
	RotateAfter time.Duration

	mu      sync.Mutex
	current *dataKey
	opened  map[string]cipher.AEAD
}

type dataKey struct {
	wrapped []byte
	aead    cipher.AEAD
	born    time.Time
}

// NewEnvelope returns an Envelope over ks.
func NewEnvelope(ks KeyService) *Envelope {
	return &Envelope{ks: ks, RotateAfter: time.Hour, opened: map[string]cipher.AEAD{}}
}

const version = 1

// Seal encrypts plaintext, binding aad (for example "project/<id>/envvar/<name>") so a value cannot be moved
// to another record. The result is: version byte, wrapped-key length (uint16), wrapped key, nonce, ciphertext.
func (e *Envelope) Seal(ctx context.Context, plaintext, aad []byte) ([]byte, error) {
	k, err := e.key(ctx)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := make([]byte, 0, 3+len(k.wrapped)+len(nonce)+len(plaintext)+k.aead.Overhead())
	out = append(out, version)
	out = binary.BigEndian.AppendUint16(out, uint16(len(k.wrapped)))
	out = append(out, k.wrapped...)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, aad), nil
}

// Open decrypts what Seal returned with the same aad.
func (e *Envelope) Open(ctx context.Context, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < 3 || sealed[0] != version {
		return nil, fmt.Errorf("open: unknown format: %w", ErrDecrypt)
	}
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	if len(sealed) < 3+n {
		return nil, fmt.Errorf("open: truncated: %w", ErrDecrypt)
	}
	wrapped, rest := sealed[3:3+n], sealed[3+n:]
	aead, err := e.unwrap(ctx, wrapped)
	if err != nil {
		return nil, err
	}
	if len(rest) < aead.NonceSize() {
		return nil, fmt.Errorf("open: truncated: %w", ErrDecrypt)
	}
	pt, err := aead.Open(nil, rest[:aead.NonceSize()], rest[aead.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("open: %w", ErrDecrypt)
	}
	return pt, nil
}

func (e *Envelope) key(ctx context.Context) (*dataKey, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.current != nil && time.Since(e.current.born) < e.RotateAfter {
		return e.current, nil
	}
	pt, wrapped, err := e.ks.GenerateDataKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("generate data key: %w", err)
	}
	aead, err := newAEAD(pt)
	if err != nil {
		return nil, err
	}
	e.current = &dataKey{wrapped: wrapped, aead: aead, born: time.Now()}
	e.opened[string(wrapped)] = aead
	return e.current, nil
}

func (e *Envelope) unwrap(ctx context.Context, wrapped []byte) (cipher.AEAD, error) {
	e.mu.Lock()
	aead, ok := e.opened[string(wrapped)]
	e.mu.Unlock()
	if ok {
		return aead, nil
	}
	pt, err := e.ks.DecryptDataKey(ctx, wrapped)
	if err != nil {
		return nil, fmt.Errorf("unwrap data key: %w", err)
	}
	aead, err = newAEAD(pt)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.opened) > 1024 {
		clear(e.opened)
	}
	e.opened[string(wrapped)] = aead
	e.mu.Unlock()
	return aead, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("data key of %d bytes, want 32: %w", len(key), ErrDecrypt)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}
