package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ErrSignature is wrapped by every verification failure: a missing, malformed
// or wrong signature or token, or no secret to check it with.
var ErrSignature = errors.New("webhook: signature verification failed")

// VerifyGitHub checks GitHub's X-Hub-Signature-256 header, "sha256=" and the
// hex HMAC-SHA256 of body keyed with secret, in constant time.
func VerifyGitHub(secret []byte, h http.Header, body []byte) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", ErrSignature)
	}
	sig := h.Get(headerGitHubSig256)
	if sig == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, headerGitHubSig256)
	}
	hexSum, ok := strings.CutPrefix(sig, "sha256=")
	if !ok {
		return fmt.Errorf("%w: %s does not start with sha256=", ErrSignature, headerGitHubSig256)
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s is not a hex SHA-256 digest", ErrSignature, headerGitHubSig256)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("%w: %s does not match the body", ErrSignature, headerGitHubSig256)
	}
	return nil
}

// VerifyGitLab checks that GitLab's X-Gitlab-Token header equals secret, in constant time.
func VerifyGitLab(secret []byte, h http.Header) error {
	if len(secret) == 0 {
		return fmt.Errorf("%w: no webhook secret configured", ErrSignature)
	}
	tok := h.Get(headerGitLabToken)
	if tok == "" {
		return fmt.Errorf("%w: missing %s header", ErrSignature, headerGitLabToken)
	}
	// ConstantTimeCompare returns at once on a length mismatch, which reveals
	// only the length; hashing both first hides even that.
	a, b := sha256.Sum256([]byte(tok)), sha256.Sum256(secret)
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
		return fmt.Errorf("%w: %s does not match", ErrSignature, headerGitLabToken)
	}
	return nil
}
