package blob

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyLen is the longest key, in bytes (the S3 and GCS limit).
const MaxKeyLen = 1024

// ValidKey reports whether key may name an object, returning an error
// wrapping ErrInvalidKey if not. A valid key:
//
//   - is 1 to MaxKeyLen bytes of valid UTF-8;
//   - is relative: no leading "/";
//   - is a "/"-separated list of segments, none empty (no "a//b", no
//     trailing "/") and none "." or "..";
//   - holds no control characters (U+0000–U+001F, U+007F) and no "\".
//
// These rules keep keys portable: any valid key is a safe relative file path
// on every platform and an S3 or GCS object name with the same meaning.
func ValidKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: %d bytes, more than %d", ErrInvalidKey, len(key), MaxKeyLen)
	case !utf8.ValidString(key):
		return fmt.Errorf("%w %q: not valid UTF-8", ErrInvalidKey, key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("%w %q: character %U not allowed", ErrInvalidKey, key, r)
		}
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("%w %q: empty segment (leading, trailing or double slash)", ErrInvalidKey, key)
		case ".", "..":
			return fmt.Errorf("%w %q: %q segment", ErrInvalidKey, key, seg)
		}
	}
	return nil
}
