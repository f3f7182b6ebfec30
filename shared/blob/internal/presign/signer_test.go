package presign

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newSigner(t *testing.T) (*Signer, *clock) {
	t.Helper()
	c := &clock{time.Unix(1_700_000_000, 500_000_000)}
	s, err := NewSigner(secret, "http://blobs.test:8080/", c.now)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s, c
}

func TestURLFormat(t *testing.T) {
	t.Parallel()
	s, _ := newSigner(t)
	got, err := s.URL("PUT", "a b/c?d", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if u.Host != "blobs.test:8080" || u.Path != "/blobs/a b/c?d" || u.EscapedPath() != "/blobs/a%20b/c%3Fd" {
		t.Errorf("URL = %q: want host blobs.test:8080 and escaped path /blobs/a%%20b/c%%3Fd", got)
	}
	// 1_700_000_000.5 + 60s, rounded up.
	if q := u.Query(); q.Get("method") != "PUT" || q.Get("expires") != "1700000061" || len(q.Get("sig")) != 64 {
		t.Errorf("URL query = %v, want method=PUT expires=1700000061 and a 64-hex-digit sig", q)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	s, c := newSigner(t)
	raw, err := s.URL("GET", "k/x", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(raw)
	q := u.Query()
	with := func(name, value string) url.Values {
		v := url.Values{}
		for k, vs := range q {
			v[k] = append([]string(nil), vs...)
		}
		v.Set(name, value)
		return v
	}
	other, _ := NewSigner([]byte(strings.Repeat("z", 32)), "", c.now)
	tests := []struct {
		name   string
		s      *Signer
		method string
		key    string
		q      url.Values
		now    time.Time
		ok     bool
	}{
		{"valid", s, "GET", "k/x", q, c.t, true},
		{"last valid second", s, "GET", "k/x", q, time.Unix(1_700_000_010, 999_999_999), true},
		{"expired", s, "GET", "k/x", q, time.Unix(1_700_000_011, 0), false},
		{"wrong method", s, "PUT", "k/x", q, c.t, false},
		{"other key", s, "GET", "k/y", q, c.t, false},
		{"method param changed", s, "PUT", "k/x", with("method", "PUT"), c.t, false},
		{"expiry extended", s, "GET", "k/x", with("expires", "1800000000"), c.t, false},
		{"signature changed", s, "GET", "k/x", with("sig", strings.Repeat("0", 64)), c.t, false},
		{"signature not hex", s, "GET", "k/x", with("sig", "zz"), c.t, false},
		{"signature missing", s, "GET", "k/x", with("sig", ""), c.t, false},
		{"signature twice", s, "GET", "k/x", url.Values{"method": q["method"], "expires": q["expires"], "sig": {q.Get("sig"), q.Get("sig")}}, c.t, false},
		{"other secret", other, "GET", "k/x", q, c.t, false},
	}
	for _, tt := range tests {
		c.t = tt.now
		err := tt.s.Verify(tt.method, tt.key, tt.q)
		if tt.ok && err != nil {
			t.Errorf("%s: Verify = %v, want nil", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, ErrRefused) {
			t.Errorf("%s: Verify = %v, want ErrRefused", tt.name, err)
		}
	}
}

func TestSignerConfig(t *testing.T) {
	t.Parallel()
	if _, err := NewSigner(secret[:31], "", nil); err == nil {
		t.Error("NewSigner with a 31-byte secret: no error")
	}
	s, err := NewSigner(secret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.URL("GET", "k", time.Minute); err == nil {
		t.Error("URL without a base url: no error")
	}
	for _, bad := range []string{"", "ftp://h", "http://", "/path", "http://h/?q=1", "http://u:p@h", "http://h/#f"} {
		if err := s.SetBaseURL(bad); err == nil {
			t.Errorf("SetBaseURL(%q): no error", bad)
		}
	}
	if err := s.SetBaseURL("https://ci.example.com/prefix/"); err != nil {
		t.Fatal(err)
	}
	got, err := s.URL("GET", "k", time.Minute)
	if err != nil || !strings.HasPrefix(got, "https://ci.example.com/prefix/blobs/k?") {
		t.Errorf("URL = %q, %v; want it under https://ci.example.com/prefix/blobs/", got, err)
	}
}
