package gitsource

import (
	"errors"
	"testing"
)

func TestIsRemote(t *testing.T) {
	for repo, want := range map[string]bool{
		"/srv/git/api":                    false,
		"./api":                           false,
		"api":                             false,
		"/srv/odd:name":                   false,
		`C:\repos\api`:                    false,
		"file:///srv/git/api":             true,
		"https://github.com/acme/api.git": true,
		"ssh://git@host:22/acme/api.git":  true,
		"git@github.com:acme/api.git":     true,
		"host:api.git":                    true,
	} {
		if got := isRemote(repo); got != want {
			t.Errorf("isRemote(%q) = %v, want %v", repo, got, want)
		}
	}
}

func TestCheckRef(t *testing.T) {
	for _, ok := range []string{"", "main", "feature/x", "v1.0.0", "refs/heads/main", "release-1.2", "HEAD", "a1b2c3d"} {
		if err := checkRef(ok); err != nil {
			t.Errorf("checkRef(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"-x", "--upload-pack=x", "a..b", "..", "main@{1}", "@", "/main", "main/", "a//b", "x.lock", "x.",
		"a b", "a~1", "a^", "a:b", "a?", "a*", "a[", `a\b`, "a\x00b", "a\nb", ".hidden", "feature/.x",
	} {
		if err := checkRef(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("checkRef(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCheckPath(t *testing.T) {
	for in, want := range map[string]string{
		".circleci/config.yml":    ".circleci/config.yml",
		"./.circleci/config.yml":  ".circleci/config.yml",
		"a//b/./c":                "a/b/c",
		"dir/file with space.yml": "dir/file with space.yml",
		"a..b/c":                  "a..b/c",
	} {
		got, err := checkPath(in)
		if err != nil || got != want {
			t.Errorf("checkPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "-p", "/etc/passwd", "../x", "a/../../x", "a/..", ".", "./", "a\x00b", `a\b`} {
		if _, err := checkPath(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("checkPath(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{
		"https://github.com/acme/api.git", "https://user@example.com/r.git", "ssh://git@host:2222/r.git",
		"git@github.com:acme/api.git", "file:///srv/r.git", "git://example.com/r.git",
	} {
		if err := checkURL(ok); err != nil {
			t.Errorf("checkURL(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{
		"https://u:p@example.com/r.git", "ext::sh -c id", "fd::3", "-oProxyCommand=x:r", "ssh://-oProxyCommand=x/r",
		"ftp://example.com/r", "https:///nohost", "@:r", "https://example.com/r\n.git",
	} {
		if err := checkURL(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("checkURL(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://u:secret@example.com/r.git": "https://u:xxxxx@example.com/r.git",
		"https://example.com/r.git":          "https://example.com/r.git",
		"git@github.com:acme/api.git":        "git@github.com:acme/api.git",
		"https://u:se%zz@example.com/r":      "https://xxxxx@example.com/r",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSHAShapes(t *testing.T) {
	full := "0123456789abcdef0123456789abcdef01234567"
	tests := []struct {
		s            string
		full, abbrev bool
	}{
		{full, true, true},
		{full + full[:24], true, true}, // SHA-256
		{full[:7], false, true},
		{full[:4], false, true},
		{full[:3], false, false},
		{"main", false, false},
		{"g123456", false, false},
		{full + "0", false, true},
	}
	for _, tt := range tests {
		if isFullSHA(tt.s) != tt.full || isAbbrevSHA(tt.s) != tt.abbrev {
			t.Errorf("%q: isFullSHA %v isAbbrevSHA %v, want %v %v", tt.s, isFullSHA(tt.s), isAbbrevSHA(tt.s), tt.full, tt.abbrev)
		}
	}
}
