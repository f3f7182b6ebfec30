package notifier

import (
	"strings"
	"testing"
)

func TestSign(t *testing.T) {
	// RFC-independent well-known vector: HMAC-SHA256("key", "The quick brown fox jumps over the lazy dog").
	got := Sign([]byte("key"), []byte("The quick brown fox jumps over the lazy dog"))
	want := "v1=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret, body := []byte("s3cr3t"), []byte(`{"id":"x"}`)
	good := Sign(secret, body)
	tests := []struct {
		name   string
		secret []byte
		header string
		body   []byte
		want   bool
	}{
		{"valid", secret, good, body, true},
		{"uppercase hex", secret, "v1=" + strings.ToUpper(good[3:]), body, true},
		{"among other versions", secret, "v0=abcd, " + good + ",v2=ff", body, true},
		{"one of two v1", secret, "v1=00ff," + good, body, true},
		{"wrong secret", []byte("other"), good, body, false},
		{"tampered body", secret, good, []byte(`{"id":"y"}`), false},
		{"other version only", secret, "v2=" + good[3:], body, false},
		{"not hex", secret, "v1=zz", body, false},
		{"truncated", secret, good[:20], body, false},
		{"empty", secret, "", body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.header, tt.body); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}
