package blob_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/blob"
)

func TestValidKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"simple", "a", true},
		{"nested", "artifacts/p/12/job/out.txt", true},
		{"dots inside segments", "a/.hidden/b..c/...", true},
		{"unicode", "résumé/日本.txt", true},
		{"spaces and symbols", "a b/c@d/e%20f?g#h", true},
		{"max length", strings.Repeat("k", blob.MaxKeyLen), true},
		{"empty", "", false},
		{"too long", strings.Repeat("k", blob.MaxKeyLen+1), false},
		{"absolute", "/abs", false},
		{"trailing slash", "a/", false},
		{"double slash", "a//b", false},
		{"dot segment", "a/./b", false},
		{"lone dot", ".", false},
		{"dot dot first", "../x", false},
		{"dot dot inside", "a/../b", false},
		{"dot dot last", "a/..", false},
		{"newline", "a\nb", false},
		{"nul", "a\x00b", false},
		{"del", "a\x7fb", false},
		{"backslash", `a\b`, false},
		{"invalid utf-8", "a\xffb", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := blob.ValidKey(tt.key)
			if tt.ok && err != nil {
				t.Fatalf("ValidKey(%q) = %v, want nil", tt.key, err)
			}
			if !tt.ok && !errors.Is(err, blob.ErrInvalidKey) {
				t.Fatalf("ValidKey(%q) = %v, want ErrInvalidKey", tt.key, err)
			}
		})
	}
}
