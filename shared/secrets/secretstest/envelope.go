package secretstest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/secrets"
)

func seal(t *testing.T, e *secrets.Envelope, value, aad string) []byte {
	t.Helper()
	sealed, err := e.Seal(context.Background(), []byte(value), []byte(aad))
	if err != nil {
		t.Fatalf("Seal(%q): %v", aad, err)
	}
	return sealed
}

func open(t *testing.T, e *secrets.Envelope, sealed []byte, aad, want string) {
	t.Helper()
	got, err := e.Open(context.Background(), sealed, []byte(aad))
	if err != nil {
		t.Fatalf("Open(%q): %v", aad, err)
	}
	if string(got) != want {
		t.Errorf("Open(%q) = %q, want %q", aad, got, want)
	}
}

func expectOpenError(t *testing.T, e *secrets.Envelope, what string, sealed []byte, aad string) {
	t.Helper()
	got, err := e.Open(context.Background(), sealed, []byte(aad))
	if !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("Open(%s) = %q, %v; want ErrDecrypt", what, got, err)
	}
}

// wrappedKey returns the wrapped data key inside a sealed value.
func wrappedKey(sealed []byte) []byte {
	n := int(binary.BigEndian.Uint16(sealed[1:3]))
	return sealed[3 : 3+n]
}

func testWrongAAD(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	e := secrets.NewEnvelope(ks)
	sealed := seal(t, e, "value", "project/1/envvar/A")
	for _, env := range []*secrets.Envelope{e, secrets.NewEnvelope(ks)} {
		for _, aad := range []string{"project/1/envvar/B", "", "project/1/envvar/A ", "project/1/envvar/a"} {
			expectOpenError(t, env, fmt.Sprintf("with aad %q", aad), sealed, aad)
		}
	}
	open(t, e, sealed, "project/1/envvar/A", "value")
}

// testTamperedCiphertext flips a bit in every byte of a sealed value, and truncates it to every shorter
// length: all must fail with ErrDecrypt, with the data key cached by the Envelope or not.
func testTamperedCiphertext(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	e := secrets.NewEnvelope(ks)
	const aad = "project/1/envvar/TOKEN"
	sealed := seal(t, e, "value", aad)
	for i := range sealed {
		bad := bytes.Clone(sealed)
		bad[i] ^= 0x80
		expectOpenError(t, e, fmt.Sprintf("with byte %d of %d flipped", i, len(sealed)), bad, aad)
		bad[i] ^= 0x81
		expectOpenError(t, secrets.NewEnvelope(ks), fmt.Sprintf("with byte %d of %d flipped, new envelope", i, len(sealed)), bad, aad)
	}
	for n := range len(sealed) {
		expectOpenError(t, e, fmt.Sprintf("truncated to %d of %d bytes", n, len(sealed)), sealed[:n], aad)
	}
	expectOpenError(t, e, "with a byte appended", append(bytes.Clone(sealed), 0), aad)
	open(t, e, sealed, aad, "value")
}

// testOtherEnvelope opens values with an Envelope that has never seen their data key, as another process
// (or the same one after a restart) would.
func testOtherEnvelope(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	e1, e2 := secrets.NewEnvelope(ks), secrets.NewEnvelope(ks)
	a := seal(t, e1, "from one", "aad/1")
	b := seal(t, e1, "", "aad/2")
	open(t, e2, a, "aad/1", "from one")
	open(t, e2, b, "aad/2", "")
	c := seal(t, e2, "from two", "aad/3")
	open(t, e1, c, "aad/3", "from two")
}

func testRotation(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	e := secrets.NewEnvelope(ks)
	first := seal(t, e, "one", "aad")
	second := seal(t, e, "two", "aad")
	if !bytes.Equal(wrappedKey(first), wrappedKey(second)) {
		t.Errorf("an Envelope used two data keys within RotateAfter")
	}
	e.RotateAfter = time.Nanosecond
	time.Sleep(time.Millisecond)
	third := seal(t, e, "three", "aad")
	if bytes.Equal(wrappedKey(first), wrappedKey(third)) {
		t.Errorf("an Envelope kept its data key past RotateAfter")
	}
	fresh := secrets.NewEnvelope(ks)
	for _, c := range []struct {
		sealed []byte
		want   string
	}{{first, "one"}, {second, "two"}, {third, "three"}} {
		open(t, e, c.sealed, "aad", c.want)
		open(t, fresh, c.sealed, "aad", c.want)
	}
}

func testNoPlaintext(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	e := secrets.NewEnvelope(newKS(t))
	const value = "correct horse battery staple 0123456789"
	for range 3 {
		if sealed := seal(t, e, value, "aad"); bytes.Contains(sealed, []byte(value)) ||
			bytes.Contains(sealed, []byte(value[:16])) {
			t.Fatalf("sealed value contains its plaintext")
		}
	}
}

// testConcurrent seals and opens from several goroutines with two Envelopes over one key service, rotating
// data keys often.
func testConcurrent(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	e1, e2 := secrets.NewEnvelope(ks), secrets.NewEnvelope(ks)
	e1.RotateAfter = time.Millisecond
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				value := fmt.Appendf(nil, "value %d/%d", g, i)
				aad := fmt.Appendf(nil, "aad/%d/%d", g, i)
				sealed, err := e1.Seal(ctx, value, aad)
				if err != nil {
					t.Errorf("concurrent Seal: %v", err)
					return
				}
				for _, e := range []*secrets.Envelope{e1, e2} {
					got, err := e.Open(ctx, sealed, aad)
					if err != nil || !bytes.Equal(got, value) {
						t.Errorf("concurrent Open = %q, %v; want %q", got, err, value)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
