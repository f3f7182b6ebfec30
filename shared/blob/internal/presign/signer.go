package presign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
)

// PathPrefix is where the Handler must be mounted on the server whose root
// is the base URL.
const PathPrefix = "/blobs/"

// MinSecretLen is the shortest signing secret accepted, in bytes.
const MinSecretLen = 32

// ErrRefused is returned (wrapped) by Verify for a URL that must not be
// served: bad or missing signature, wrong method, expired.
var ErrRefused = errors.New("presigned url refused")

// Signer makes and checks presigned URLs. It is safe for concurrent use.
type Signer struct {
	secret []byte
	now    func() time.Time

	mu   sync.RWMutex
	base string // no trailing slash; "" until set
}

// NewSigner returns a Signer signing with a copy of secret (at least
// MinSecretLen bytes). baseURL may be "" and set later with SetBaseURL. now
// is the clock; nil means time.Now.
func NewSigner(secret []byte, baseURL string, now func() time.Time) (*Signer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("new signer: secret is %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	if now == nil {
		now = time.Now
	}
	s := &Signer{secret: append([]byte(nil), secret...), now: now}
	if baseURL != "" {
		if err := s.SetBaseURL(baseURL); err != nil {
			return nil, fmt.Errorf("new signer: %w", err)
		}
	}
	return s, nil
}

// SetBaseURL sets the absolute http or https URL of the server root that
// serves the Handler at PathPrefix, e.g. "http://127.0.0.1:8080".
func (s *Signer) SetBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("set base url %q: %w", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("set base url %q: want http(s)://host[:port][/path] without query, fragment or user", raw)
	}
	s.mu.Lock()
	s.base = strings.TrimSuffix(u.String(), "/")
	s.mu.Unlock()
	return nil
}

// URL returns a URL allowing method ("GET" or "PUT") on key for ttl.
func (s *Signer) URL(method, key string, ttl time.Duration) (string, error) {
	if err := blob.ValidKey(key); err != nil {
		return "", fmt.Errorf("presign %s %q: %w", method, key, err)
	}
	if method != http.MethodGet && method != http.MethodPut {
		return "", fmt.Errorf("presign %s %q: method must be GET or PUT", method, key)
	}
	if ttl <= 0 || ttl > blob.MaxPresignTTL {
		return "", fmt.Errorf("presign %s %q: ttl %v outside (0, %v]", method, key, ttl, blob.MaxPresignTTL)
	}
	s.mu.RLock()
	base := s.base
	s.mu.RUnlock()
	if base == "" {
		return "", fmt.Errorf("presign %s %q: no base url set", method, key)
	}
	// Round the expiry up so that the URL lives at least ttl.
	exp := s.now().Add(ttl + time.Second - 1).Unix()
	expires := strconv.FormatInt(exp, 10)
	q := url.Values{
		"method":  {method},
		"expires": {expires},
		"sig":     {s.sign(method, key, expires)},
	}
	return base + PathPrefix + EscapeKey(key) + "?" + q.Encode(), nil
}

// Verify checks the query of a request for method ("GET" or "PUT") on key,
// returning an error wrapping ErrRefused if it must not be served.
func (s *Signer) Verify(method, key string, q url.Values) error {
	m, expires, sig := q["method"], q["expires"], q["sig"]
	if len(m) != 1 || len(expires) != 1 || len(sig) != 1 {
		return fmt.Errorf("%w: method, expires and sig must each appear once", ErrRefused)
	}
	got, err := hex.DecodeString(sig[0])
	if err != nil {
		return fmt.Errorf("%w: malformed signature", ErrRefused)
	}
	want, _ := hex.DecodeString(s.sign(m[0], key, expires[0]))
	if !hmac.Equal(got, want) {
		return fmt.Errorf("%w: signature does not match", ErrRefused)
	}
	if m[0] != method {
		return fmt.Errorf("%w: url is for %s, not %s", ErrRefused, m[0], method)
	}
	exp, err := strconv.ParseInt(expires[0], 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed expiry", ErrRefused)
	}
	if !s.now().Before(time.Unix(exp, 0)) {
		return fmt.Errorf("%w: expired", ErrRefused)
	}
	return nil
}

func (s *Signer) sign(method, key, expires string) string {
	mac := hmac.New(sha256.New, s.secret)
	mac.Write([]byte("caravan-blob-v1\n" + method + "\n" + key + "\n" + expires))
	return hex.EncodeToString(mac.Sum(nil))
}

// EscapeKey path-escapes each segment of key, keeping the slashes.
func EscapeKey(key string) string {
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		segs[i] = url.PathEscape(seg)
	}
	return strings.Join(segs, "/")
}
