package localkey

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/caravan-ci/caravan/shared/secrets"
)

const (
	// KeySize is the size of the master key and of the data keys.
	KeySize = 32

	version    = 1
	idSize     = 4
	headerSize = 1 + idSize
	nonceSize  = 12
	tagSize    = 16
	wrappedLen = headerSize + nonceSize + KeySize + tagSize
)

// KeyService wraps data keys under a master key. Safe for concurrent use.
type KeyService struct {
	header [headerSize]byte // version, key id
	aead   cipher.AEAD
}

var _ secrets.KeyService = (*KeyService)(nil)

// New returns a KeyService over a 32-byte master key.
func New(master []byte) (*KeyService, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("localkey: master key of %d bytes, want %d", len(master), KeySize)
	}
	block, err := aes.NewCipher(master)
	if err != nil {
		return nil, fmt.Errorf("localkey: master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("localkey: master key: %w", err)
	}
	k := &KeyService{aead: aead}
	sum := sha256.Sum256(append([]byte("caravan localkey id\x00"), master...))
	k.header[0] = version
	copy(k.header[1:], sum[:idSize])
	return k, nil
}

// KeyID is the hex id of the master key, recorded in every key it wraps.
func (k *KeyService) KeyID() string { return hex.EncodeToString(k.header[1:]) }

// GenerateDataKey returns a fresh random 32-byte key and its wrapped form.
func (k *KeyService) GenerateDataKey(ctx context.Context) (plaintext, wrapped []byte, err error) {
	plaintext = make([]byte, KeySize)
	rand.Read(plaintext) // never fails
	wrapped = make([]byte, headerSize+nonceSize, wrappedLen)
	copy(wrapped, k.header[:])
	nonce := wrapped[headerSize:]
	rand.Read(nonce)
	wrapped = k.aead.Seal(wrapped, nonce, plaintext, k.header[:])
	return plaintext, wrapped, nil
}

// DecryptDataKey unwraps a key GenerateDataKey returned under the same master key.
func (k *KeyService) DecryptDataKey(ctx context.Context, wrapped []byte) ([]byte, error) {
	switch {
	case len(wrapped) != wrappedLen:
		return nil, fmt.Errorf("localkey: wrapped key of %d bytes, want %d: %w", len(wrapped), wrappedLen,
			secrets.ErrDecrypt)
	case wrapped[0] != version:
		return nil, fmt.Errorf("localkey: wrapped key of unknown version %d: %w", wrapped[0], secrets.ErrDecrypt)
	case !bytes.Equal(wrapped[1:headerSize], k.header[1:]):
		return nil, fmt.Errorf("localkey: key wrapped under master key %x, this is master key %s: %w",
			wrapped[1:headerSize], k.KeyID(), secrets.ErrDecrypt)
	}
	nonce, sealed := wrapped[headerSize:headerSize+nonceSize], wrapped[headerSize+nonceSize:]
	plaintext, err := k.aead.Open(nil, nonce, sealed, wrapped[:headerSize])
	if err != nil {
		return nil, fmt.Errorf("localkey: unwrap data key under master key %s: %w", k.KeyID(), secrets.ErrDecrypt)
	}
	return plaintext, nil
}
