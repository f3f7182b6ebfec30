package gitsource

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// ErrInvalid is wrapped when a repository, ref, commit id or path is refused
// before any git runs: option-like, escaping, malformed or carrying a password.
var ErrInvalid = errors.New("invalid argument")

// isRemote reports whether repo is a URL rather than a local path. Like git,
// it takes "host:path" with no slash before the colon for scp-like ssh.
func isRemote(repo string) bool {
	if strings.Contains(repo, "://") {
		return true
	}
	colon := strings.IndexByte(repo, ':')
	if colon <= 1 { // none, or a Windows drive letter
		return false
	}
	return !strings.ContainsAny(repo[:colon], `/\`)
}

var allowedSchemes = map[string]bool{
	"https": true, "http": true, "ssh": true, "git": true, "file": true, "git+ssh": true, "ssh+git": true,
}

// checkURL rejects URLs git could turn into option injection or a transport
// helper, and ones that carry a password.
func checkURL(raw string) error {
	if strings.HasPrefix(raw, "-") || strings.Contains(raw, "::") || strings.ContainsAny(raw, "\x00\n\r") {
		return fmt.Errorf("%w: repository URL %q", ErrInvalid, raw)
	}
	if !strings.Contains(raw, "://") { // scp-like user@host:path
		host := raw[:strings.IndexByte(raw, ':')]
		if _, h, ok := strings.Cut(host, "@"); ok {
			host = h
		}
		if host == "" || strings.HasPrefix(host, "-") {
			return fmt.Errorf("%w: repository URL %q has no usable host", ErrInvalid, raw)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: repository URL: %w", ErrInvalid, err)
	}
	if !allowedSchemes[u.Scheme] {
		return fmt.Errorf("%w: repository URL scheme %q is not supported", ErrInvalid, u.Scheme)
	}
	if u.Scheme != "file" && (u.Host == "" || strings.HasPrefix(u.Host, "-")) {
		return fmt.Errorf("%w: repository URL %q has no usable host", ErrInvalid, u.Redacted())
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		return fmt.Errorf("%w: repository URL %q embeds a password; pass credentials in Auth", ErrInvalid, u.Redacted())
	}
	return nil
}

// redact hides a password in a repository URL, for messages.
func redact(repo string) string {
	scheme, rest, ok := strings.Cut(repo, "://")
	if !ok {
		return repo
	}
	if u, err := url.Parse(repo); err == nil {
		return u.Redacted()
	}
	if at := strings.LastIndexByte(rest, '@'); at >= 0 {
		return scheme + "://xxxxx@" + rest[at+1:]
	}
	return repo
}

// checkRef rejects refs that could be read as options or are not valid ref
// names or object ids: git check-ref-format's rules, plus no leading '-'.
func checkRef(ref string) error {
	bad := func(why string) error { return fmt.Errorf("%w: ref %q %s", ErrInvalid, ref, why) }
	switch {
	case ref == "":
		return nil
	case strings.HasPrefix(ref, "-"):
		return bad("starts with '-'")
	case strings.Contains(ref, ".."):
		return bad("contains '..'")
	case strings.Contains(ref, "@{"), ref == "@":
		return bad("contains a reflog expression")
	case strings.HasPrefix(ref, "/"), strings.HasSuffix(ref, "/"), strings.Contains(ref, "//"):
		return bad("has an empty path component")
	case strings.HasSuffix(ref, ".lock"), strings.HasSuffix(ref, "."):
		return bad("ends with '.lock' or '.'")
	}
	for _, r := range ref {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return bad(fmt.Sprintf("contains %q", r))
		}
	}
	for part := range strings.SplitSeq(ref, "/") {
		if strings.HasPrefix(part, ".") {
			return bad("has a component starting with '.'")
		}
	}
	return nil
}

// checkPath cleans a repository-relative file path and rejects ones that
// leave the tree or could be read as options.
func checkPath(p string) (string, error) {
	bad := func(why string) (string, error) { return "", fmt.Errorf("%w: path %q %s", ErrInvalid, p, why) }
	switch {
	case p == "":
		return bad("is empty")
	case strings.HasPrefix(p, "-"):
		return bad("starts with '-'")
	case strings.HasPrefix(p, "/"):
		return bad("is absolute")
	case strings.ContainsAny(p, "\x00\\"):
		return bad("contains a NUL or a backslash")
	}
	for part := range strings.SplitSeq(p, "/") {
		if part == ".." {
			return bad("escapes with '..'")
		}
	}
	clean := path.Clean(p)
	if clean == "." {
		return bad("names the root")
	}
	return clean, nil
}

// isHex reports whether s is lower- or upper-case hexadecimal of a length
// between lo and hi.
func isHex(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// isFullSHA reports whether s is a whole SHA-1 or SHA-256 object id.
func isFullSHA(s string) bool { return (len(s) == 40 || len(s) == 64) && isHex(s, 40, 64) }

// isAbbrevSHA reports whether s can be an abbreviated object id (git's minimum is 4).
func isAbbrevSHA(s string) bool { return isHex(s, 4, 64) }
