package testsplit

import (
	"fmt"
	"strings"
)

// maxExpansions bounds how many patterns the brace groups of one pattern may
// expand to, so "{a,b}{a,b}{a,b}..." cannot exhaust memory.
const maxExpansions = 4096

// expandBraces expands the {a,b} groups of a pattern, nested groups
// included, in order: "x{a,b{1,2}}" gives "xa", "xb1", "xb2". A `{` without
// a matching `}` is literal, as is any character escaped with a backslash;
// escapes are kept for the matcher.
func expandBraces(pattern string) ([]string, error) {
	var out []string
	var expand func(s string) error
	expand = func(s string) error {
		open, end := findGroup(s)
		if open < 0 {
			if len(out) >= maxExpansions {
				return fmt.Errorf("braces expand to more than %d patterns", maxExpansions)
			}
			out = append(out, s)
			return nil
		}
		pre, post := s[:open], s[end+1:]
		for _, alt := range splitAlternatives(s[open+1 : end]) {
			if err := expand(pre + alt + post); err != nil {
				return err
			}
		}
		return nil
	}
	if err := expand(pattern); err != nil {
		return nil, err
	}
	return out, nil
}

// findGroup returns the positions of the first `{` that has a matching `}`
// and of that `}`, or -1, -1.
func findGroup(s string) (open, end int) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			if j := matchBrace(s, i); j >= 0 {
				return i, j
			}
		}
	}
	return -1, -1
}

// matchBrace returns the index of the `}` closing the `{` at s[open], or -1.
func matchBrace(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitAlternatives splits a group's body at its top-level commas.
func splitAlternatives(body string) []string {
	var alts []string
	depth, start := 0, 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '\\':
			i++
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				alts = append(alts, body[start:i])
				start = i + 1
			}
		}
	}
	return append(alts, body[start:])
}

// hasMeta reports whether a path segment needs matching rather than a
// plain lookup.
func hasMeta(seg string) bool { return strings.ContainsAny(seg, `*?[\`) }
