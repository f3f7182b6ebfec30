package store

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ValidKey reports whether k is acceptable to every adapter.
func ValidKey(k Key) error {
	for _, s := range []string{k.PK, k.SK} {
		if s == "" || len(s) > MaxKeyLen || !utf8.ValidString(s) || strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("key %q/%q: %w", k.PK, k.SK, ErrInvalid)
		}
	}
	return nil
}

// ValidOps checks a Write's operations the way every adapter must before touching anything.
func ValidOps(ops []Op) error {
	if len(ops) == 0 || len(ops) > MaxOps {
		return fmt.Errorf("write of %d ops (1 to %d allowed): %w", len(ops), MaxOps, ErrInvalid)
	}
	seen := make(map[Key]bool, len(ops))
	for _, op := range ops {
		if err := ValidKey(op.Item.Key); err != nil {
			return err
		}
		if seen[op.Item.Key] {
			return fmt.Errorf("key %q/%q appears twice in one write: %w", op.Item.PK, op.Item.SK, ErrInvalid)
		}
		seen[op.Item.Key] = true
		if op.Kind == Put && len(op.Item.Data) > MaxItemSize {
			return fmt.Errorf("item %q/%q of %d bytes exceeds %d: %w", op.Item.PK, op.Item.SK, len(op.Item.Data),
				MaxItemSize, ErrInvalid)
		}
		if op.Kind < Put || op.Kind > Check || op.Cond < Any || op.Cond > Exists {
			return fmt.Errorf("op on %q/%q: unknown kind or condition: %w", op.Item.PK, op.Item.SK, ErrInvalid)
		}
	}
	return nil
}

// PageSize returns the page size a Query asks for, within adapters' bounds.
func (q Query) PageSize() int {
	switch {
	case q.Limit <= 0:
		return 100
	case q.Limit > 1000:
		return 1000
	}
	return q.Limit
}

// IsNotFound reports whether err wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsConflict reports whether err wraps ErrConflict.
func IsConflict(err error) bool { return errors.Is(err, ErrConflict) }
