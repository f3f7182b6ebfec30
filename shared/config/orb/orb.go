package orb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// ErrNotFound is returned (wrapped) by a Registry that has no orb or no
// version matching a Ref.
var ErrNotFound = errors.New("orb not found")

// Ref names an orb and the version a config asks for.
type Ref struct {
	Namespace string
	Name      string
	Version   string // "1.2.3", "1.2", "1", "volatile" or "dev:..."
}

func (r Ref) String() string { return r.Namespace + "/" + r.Name + "@" + r.Version }

// Orb is a packed orb as a registry returns it.
type Orb struct {
	Ref    Ref    // the concrete version chosen
	Source []byte // the packed orb.yml
}

// Registry finds packed orbs. Implementations must be safe for concurrent
// use; Fetch returns an error wrapping ErrNotFound when the orb or the
// version does not exist, and resolves partial versions and "volatile" to the
// highest matching release.
type Registry interface {
	Fetch(ctx context.Context, ref Ref) (Orb, error)
}

var (
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
	versionRE = regexp.MustCompile(`^(volatile|dev:[A-Za-z0-9._-]+|\d+(\.\d+(\.\d+)?)?)$`)
)

// ParseRef parses "namespace/name@version".
func ParseRef(s string) (Ref, error) {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return Ref{}, fmt.Errorf("orb reference %q needs a version: namespace/name@version", s)
	}
	path, ver := s[:at], s[at+1:]
	ns, name, ok := strings.Cut(path, "/")
	if !ok || strings.Contains(name, "/") {
		return Ref{}, fmt.Errorf("orb reference %q must be namespace/name@version", s)
	}
	if !nameRE.MatchString(strings.ToLower(ns)) || !nameRE.MatchString(strings.ToLower(name)) {
		return Ref{}, fmt.Errorf("orb reference %q has an invalid namespace or name", s)
	}
	if !versionRE.MatchString(ver) {
		return Ref{}, fmt.Errorf("orb reference %q has an invalid version %q: use x.y.z, x.y, x or volatile", s, ver)
	}
	return Ref{Namespace: ns, Name: name, Version: ver}, nil
}

// semver is a parsed release version.
type semver [3]int

func parseSemver(s string) (semver, bool) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return semver{}, false
	}
	var v semver
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || (len(p) > 1 && p[0] == '0') {
			return semver{}, false
		}
		v[i] = n
	}
	return v, true
}

func (a semver) less(b semver) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// Match picks the version a request resolves to among the available ones:
// the exact version, or the highest release matching a partial version or
// "volatile". ok is false when nothing matches.
func Match(request string, available []string) (string, bool) {
	if strings.HasPrefix(request, "dev:") {
		for _, a := range available {
			if a == request {
				return a, true
			}
		}
		return "", false
	}
	var prefix []int
	if request != "volatile" {
		parts := strings.Split(request, ".")
		if len(parts) > len(semver{}) {
			return "", false
		}
		for _, p := range parts {
			n, err := strconv.Atoi(p)
			if err != nil {
				return "", false
			}
			prefix = append(prefix, n)
		}
	}
	best, found := semver{}, false
	bestName := ""
	for _, a := range available {
		v, ok := parseSemver(a)
		if !ok {
			continue
		}
		match := true
		for i, p := range prefix {
			if v[i] != p {
				match = false
				break
			}
		}
		if match && (!found || best.less(v)) {
			best, bestName, found = v, a, true
		}
	}
	return bestName, found
}
