package notifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// SignatureHeader carries the body's signature, as CircleCI sends it.
const SignatureHeader = "circleci-signature"

// Sign returns the circleci-signature header value of body: "v1=" and the hex HMAC-SHA256 of body under
// secret.
func Sign(secret, body []byte) string {
	return "v1=" + hex.EncodeToString(mac(secret, body))
}

// Verify reports whether header, a circleci-signature value (a comma-separated list of version=signature
// pairs), holds a valid v1 signature of body under secret. Other versions are ignored; the comparison is in
// constant time.
func Verify(secret []byte, header string, body []byte) bool {
	want := mac(secret, body)
	ok := false
	for part := range strings.SplitSeq(header, ",") {
		v, sig, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found || v != "v1" {
			continue
		}
		got, err := hex.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			ok = true
		}
	}
	return ok
}

func mac(secret, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return m.Sum(nil)
}
