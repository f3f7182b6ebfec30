package archive

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
)

// Glob expands the paths of a persist_to_workspace step under the absolute
// directory root. Each pattern is relative to root, or absolute inside root,
// and matches as filepath.Match does, one path element per "/" ("*" does not
// cross directories; leading dots are matched like any character). A pattern
// without metacharacters names one path, which must exist; "." is root
// itself. A pattern that leaves root, or matches nothing (an error wrapping
// ErrNoMatch), is an error naming the pattern. The result holds clean
// slash-separated paths relative to root, sorted and without duplicates; a
// path may lie below another one, which Pack handles.
func Glob(root string, patterns []string) ([]string, error) {
	root, err := checkRoot("glob root", root)
	if err != nil {
		return nil, err
	}
	if len(patterns) == 0 {
		return nil, fmt.Errorf("glob under %q: %w", root, errors.New("no patterns given"))
	}
	var out []string
	for _, pat := range patterns {
		rel, err := relPath(root, pat)
		if err != nil {
			return nil, fmt.Errorf("glob pattern %q: %w", pat, err)
		}
		if !hasMeta(rel) {
			if _, err := os.Lstat(filepath.Join(root, rel)); err != nil {
				if errors.Is(err, os.ErrNotExist) {
					err = ErrNoMatch
				}
				return nil, fmt.Errorf("glob pattern %q under %q: %w", pat, root, err)
			}
			out = append(out, filepath.ToSlash(rel))
			continue
		}
		matches, err := filepath.Glob(filepath.Join(escapeMeta(root), rel))
		if err != nil {
			return nil, fmt.Errorf("glob pattern %q: %w", pat, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("glob pattern %q under %q: %w", pat, root, ErrNoMatch)
		}
		for _, m := range matches {
			r, err := filepath.Rel(root, m)
			if err != nil {
				return nil, fmt.Errorf("glob pattern %q: %w", pat, err)
			}
			out = append(out, filepath.ToSlash(r))
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// metaChars are the characters filepath.Match gives a meaning to.
func metaChars() string {
	if runtime.GOOS == "windows" {
		return `*?[`
	}
	return `*?[\`
}

func hasMeta(p string) bool { return strings.ContainsAny(p, metaChars()) }

// escapeMeta quotes p so that filepath.Match matches it literally. Windows
// has no escape character; a root there must not contain metacharacters.
func escapeMeta(p string) string {
	if runtime.GOOS == "windows" {
		return p
	}
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(metaChars(), r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
