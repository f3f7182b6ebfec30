package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func TestVerifyGitHub(t *testing.T) {
	secret := []byte("It's a Secret to Everybody")
	body := readTestdata(t, "github-push.json")
	tampered := []byte(strings.Replace(string(body), `"main"`, `"evil"`, 1))
	good := sign(secret, body)
	tests := []struct {
		name   string
		secret []byte
		sig    string // "" leaves the header out
		body   []byte
		ok     bool
		msg    string
	}{
		{"good", secret, good, body, true, ""},
		{"known vector", secret, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
			[]byte("Hello, World!"), true, ""},
		{"wrong secret", []byte("guess"), good, body, false, "does not match"},
		{"tampered body", secret, good, tampered, false, "does not match"},
		{"forged with other key", secret, sign([]byte("attacker"), tampered), tampered, false, "does not match"},
		{"missing", secret, "", body, false, "missing"},
		{"sha1 prefix", secret, "sha1=" + strings.TrimPrefix(good, "sha256="), body, false, "sha256="},
		{"not hex", secret, "sha256=zz", body, false, "not a hex"},
		{"truncated", secret, good[:len(good)-2], body, false, "not a hex"},
		{"upper-case hex", secret, "sha256=" + strings.ToUpper(strings.TrimPrefix(good, "sha256=")), body, true, ""},
		{"no secret", nil, good, body, false, "no webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.sig != "" {
				h.Set("X-Hub-Signature-256", tt.sig)
			}
			err := VerifyGitHub(tt.secret, h, tt.body)
			if tt.ok {
				if err != nil {
					t.Fatalf("VerifyGitHub: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("VerifyGitHub = %v, want an error wrapping ErrSignature", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}

func TestVerifyGitLab(t *testing.T) {
	tests := []struct {
		name   string
		secret string
		token  string // "" leaves the header out
		ok     bool
		msg    string
	}{
		{"good", "s3cret", "s3cret", true, ""},
		{"wrong", "s3cret", "s3cre7", false, "does not match"},
		{"prefix", "s3cret", "s3c", false, "does not match"},
		{"longer", "s3cret", "s3cret!", false, "does not match"},
		{"missing", "s3cret", "", false, "missing"},
		{"no secret", "", "s3cret", false, "no webhook secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.token != "" {
				h.Set("X-Gitlab-Token", tt.token)
			}
			err := VerifyGitLab([]byte(tt.secret), h)
			if tt.ok {
				if err != nil {
					t.Fatalf("VerifyGitLab: %v", err)
				}
				return
			}
			if !errors.Is(err, ErrSignature) {
				t.Fatalf("VerifyGitLab = %v, want an error wrapping ErrSignature", err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not mention %q", err, tt.msg)
			}
		})
	}
}
