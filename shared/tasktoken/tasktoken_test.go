package tasktoken_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/tasktoken"
)

func issuer(t *testing.T, fill byte) *tasktoken.Issuer {
	t.Helper()
	i, err := tasktoken.New(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return i
}

func TestNewRejectsShortKeys(t *testing.T) {
	if _, err := tasktoken.New(make([]byte, 31)); err == nil {
		t.Error("a 31-byte key was accepted")
	}
}

func TestMintVerify(t *testing.T) {
	i := issuer(t, 1)
	for _, id := range []string{"0b7c-4f1e-8d2a-1", "with.dots.and/slashes", "ü"} {
		got, err := i.Verify(i.Mint(id, time.Minute))
		if err != nil || got != id {
			t.Errorf("Verify(Mint(%q)) = %q, %v", id, got, err)
		}
	}
}

func TestVerifyRejects(t *testing.T) {
	i := issuer(t, 1)
	now := time.Now()
	i.Now = func() time.Time { return now }
	tok := i.Mint("job-1", time.Minute)
	parts := strings.Split(tok, ".")
	other := issuer(t, 2)
	other.Now = i.Now
	flip := func(s string, at int) string {
		b := []byte(s)
		if b[at] == 'A' {
			b[at] = 'B'
		} else {
			b[at] = 'A'
		}
		return string(b)
	}
	tests := []struct{ name, token string }{
		{"empty", ""},
		{"two parts", parts[0] + "." + parts[1]},
		{"four parts", tok + ".x"},
		{"bad base64 id", "!!." + parts[1] + "." + parts[2]},
		{"empty id", "." + parts[1] + "." + parts[2]},
		{"non-numeric expiry", parts[0] + ".soon." + parts[2]},
		{"signed expiry", parts[0] + ".+" + parts[1] + "." + parts[2]},
		{"tampered id", flip(parts[0], 0) + "." + parts[1] + "." + parts[2]},
		{"extended expiry", parts[0] + "." + parts[1] + "9." + parts[2]},
		{"tampered mac", parts[0] + "." + parts[1] + "." + flip(parts[2], 3)},
		{"truncated mac", parts[0] + "." + parts[1] + "." + parts[2][:10]},
		{"another key", other.Mint("job-1", time.Minute)},
		{"expired", i.Mint("job-1", -time.Millisecond)},
		{"expires now", i.Mint("job-1", 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := i.Verify(tc.token)
			if !errors.Is(err, tasktoken.ErrInvalidToken) || id != "" {
				t.Errorf("Verify(%q) = %q, %v; want ErrInvalidToken", tc.token, id, err)
			}
		})
	}
	now = now.Add(time.Minute)
	if _, err := i.Verify(tok); !errors.Is(err, tasktoken.ErrInvalidToken) {
		t.Errorf("token accepted after its TTL: %v", err)
	}
}

func TestVerifyAcrossIssuersWithTheSameKey(t *testing.T) {
	tok := issuer(t, 7).Mint("t-0", time.Minute)
	if id, err := issuer(t, 7).Verify(tok); err != nil || id != "t-0" {
		t.Errorf("another instance with the same key: %q, %v", id, err)
	}
}
