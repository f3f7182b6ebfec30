package secretstest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"testing"

	"github.com/caravan-ci/caravan/shared/secrets"
)

// Run runs the conformance suite. newKS is called once per subtest (twice in ForeignWrappedKey), possibly
// from parallel subtests; two calls must return key services with different master keys, which share no
// wrapped keys. It should register its own cleanup with t.Cleanup.
func Run(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	tests := []struct {
		name string
		fn   func(t *testing.T, newKS func(t *testing.T) secrets.KeyService)
	}{
		{"DataKey", testDataKey},
		{"UnwrapRoundTrip", testUnwrapRoundTrip},
		{"TamperedWrappedKey", testTamperedWrappedKey},
		{"ForeignWrappedKey", testForeignWrappedKey},
		{"SealOpen", testSealOpen},
		{"WrongAAD", testWrongAAD},
		{"TamperedCiphertext", testTamperedCiphertext},
		{"OtherEnvelope", testOtherEnvelope},
		{"Rotation", testRotation},
		{"NoPlaintext", testNoPlaintext},
		{"Concurrent", testConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, newKS)
		})
	}
}

func generate(t *testing.T, ks secrets.KeyService) (plaintext, wrapped []byte) {
	t.Helper()
	pt, wrapped, err := ks.GenerateDataKey(context.Background())
	if err != nil {
		t.Fatalf("GenerateDataKey: %v", err)
	}
	return pt, wrapped
}

func testDataKey(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	pt1, w1 := generate(t, ks)
	pt2, w2 := generate(t, ks)
	if len(pt1) != 32 || len(pt2) != 32 {
		t.Fatalf("data keys of %d and %d bytes, want 32", len(pt1), len(pt2))
	}
	if bytes.Equal(pt1, pt2) {
		t.Errorf("two GenerateDataKey calls returned the same key")
	}
	if bytes.Equal(w1, w2) {
		t.Errorf("two GenerateDataKey calls returned the same wrapped key")
	}
	if bytes.Equal(pt1, make([]byte, 32)) {
		t.Errorf("data key is all zeros")
	}
	for _, w := range [][]byte{w1, w2} {
		if len(w) == 0 || len(w) > 0xffff {
			t.Errorf("wrapped key of %d bytes, want 1..65535 (Envelope stores its length in 16 bits)", len(w))
		}
	}
	if bytes.Contains(w1, pt1) || bytes.Contains(w2, pt2) {
		t.Errorf("a wrapped key contains its plaintext")
	}
}

func testUnwrapRoundTrip(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	pt1, w1 := generate(t, ks)
	pt2, w2 := generate(t, ks)
	for _, c := range []struct{ pt, w []byte }{{pt1, w1}, {pt2, w2}, {pt1, w1}} {
		got, err := ks.DecryptDataKey(context.Background(), c.w)
		if err != nil {
			t.Fatalf("DecryptDataKey: %v", err)
		}
		if !bytes.Equal(got, c.pt) {
			t.Errorf("DecryptDataKey returned another key than GenerateDataKey")
		}
	}
}

func expectDecryptError(t *testing.T, ks secrets.KeyService, what string, wrapped []byte) {
	t.Helper()
	if _, err := ks.DecryptDataKey(context.Background(), wrapped); !errors.Is(err, secrets.ErrDecrypt) {
		t.Errorf("DecryptDataKey(%s) error = %v, want ErrDecrypt", what, err)
	}
}

func testTamperedWrappedKey(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks := newKS(t)
	_, w := generate(t, ks)
	for _, i := range []int{0, 1, len(w) / 2, len(w) - 1} {
		bad := bytes.Clone(w)
		bad[i] ^= 0x01
		expectDecryptError(t, ks, "with a bit flipped", bad)
	}
	expectDecryptError(t, ks, "truncated by a byte", w[:len(w)-1])
	expectDecryptError(t, ks, "with a byte appended", append(bytes.Clone(w), 0))
	expectDecryptError(t, ks, "nil", nil)
	expectDecryptError(t, ks, "one byte", w[:1])
	random := make([]byte, len(w))
	rand.Read(random)
	expectDecryptError(t, ks, "random bytes", random)
}

func testForeignWrappedKey(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	ks, other := newKS(t), newKS(t)
	_, w := generate(t, other)
	expectDecryptError(t, ks, "from another key service", w)
	if _, err := other.DecryptDataKey(context.Background(), w); err != nil {
		t.Errorf("DecryptDataKey on its own key service: %v", err)
	}
}

func testSealOpen(t *testing.T, newKS func(t *testing.T) secrets.KeyService) {
	e := secrets.NewEnvelope(newKS(t))
	big := make([]byte, 64<<10)
	rand.Read(big)
	tests := []struct {
		name       string
		value, aad []byte
	}{
		{"empty value", nil, []byte("project/1/envvar/EMPTY")},
		{"empty value and aad", []byte{}, nil},
		{"short", []byte("s3cr3t"), []byte("project/1/envvar/TOKEN")},
		{"binary", []byte{0, 1, 2, 0xff, 0}, []byte("context/2/key")},
		{"64 KiB", big, []byte("checkout/3")},
	}
	for _, tt := range tests {
		sealed, err := e.Seal(context.Background(), tt.value, tt.aad)
		if err != nil {
			t.Fatalf("Seal(%s): %v", tt.name, err)
		}
		again, err := e.Seal(context.Background(), tt.value, tt.aad)
		if err != nil {
			t.Fatalf("Seal(%s) again: %v", tt.name, err)
		}
		if bytes.Equal(sealed, again) {
			t.Errorf("Seal(%s) twice gave the same bytes: nonces must be fresh", tt.name)
		}
		got, err := e.Open(context.Background(), sealed, tt.aad)
		if err != nil {
			t.Fatalf("Open(%s): %v", tt.name, err)
		}
		if !bytes.Equal(got, tt.value) {
			t.Errorf("Open(Seal(%s)) = %d bytes, want %d", tt.name, len(got), len(tt.value))
		}
	}
}
