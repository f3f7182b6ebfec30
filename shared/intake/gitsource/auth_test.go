package gitsource

import (
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAuthEnvHTTPS(t *testing.T) {
	basic := func(user, tok string) string {
		return "GIT_CONFIG_VALUE_0=Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+tok))
	}
	tests := []struct {
		name string
		auth Auth
		url  string
		want []string
		is   error
	}{
		{"github token", Auth{HTTPSToken: "ghs_abc"}, "https://github.com/acme/api.git", []string{
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.https://github.com/.extraHeader", basic("x-access-token", "ghs_abc"),
		}, nil},
		{"user and port", Auth{HTTPSUser: "oauth2", HTTPSToken: "glpat-x"}, "https://gitlab.example.com:8443/g/sub/p.git", []string{
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.https://gitlab.example.com:8443/.extraHeader", basic("oauth2", "glpat-x"),
		}, nil},
		{"plain http refused", Auth{HTTPSToken: "t"}, "http://example.com/r.git", nil, ErrInvalid},
		{"no token", Auth{SSHKey: []byte("k")}, "https://example.com/r.git", nil, nil},
		{"token for ssh ignored", Auth{HTTPSToken: "t"}, "git@github.com:acme/api.git", nil, nil},
		{"file url", Auth{HTTPSToken: "t", SSHKey: []byte("k")}, "file:///srv/r.git", nil, nil},
		{"none", Auth{}, "https://example.com/r.git", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, cleanup, err := tt.auth.env(tt.url)
			defer cleanup()
			if !errors.Is(err, tt.is) {
				t.Fatalf("env error = %v, want %v", err, tt.is)
			}
			if diff := cmp.Diff(tt.want, env); diff != "" {
				t.Errorf("env (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuthEnvSSH(t *testing.T) {
	key := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----") // no final newline
	for _, tt := range []struct {
		name, url string
		hosts     []byte
		wantOpt   string
	}{
		{"scp-like", "git@github.com:acme/api.git", nil, "StrictHostKeyChecking=accept-new"},
		{"ssh url with known hosts", "ssh://git@gitlab.example.com:2222/g/p.git",
			[]byte("gitlab.example.com ssh-ed25519 AAAA\n"), "StrictHostKeyChecking=yes"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, cleanup, err := Auth{SSHKey: key, SSHKnownHosts: tt.hosts}.env(tt.url)
			if err != nil {
				cleanup()
				t.Fatal(err)
			}
			if len(env) != 1 || !strings.HasPrefix(env[0], "GIT_SSH_COMMAND=ssh -i '") {
				cleanup()
				t.Fatalf("env = %q, want one GIT_SSH_COMMAND", env)
			}
			cmd := strings.TrimPrefix(env[0], "GIT_SSH_COMMAND=")
			keyFile := strings.SplitN(cmd, "'", 3)[1]
			info, err := os.Stat(keyFile)
			if err != nil {
				cleanup()
				t.Fatal(err)
			}
			if info.Mode().Perm() != 0o600 {
				t.Errorf("key file mode = %v, want 0600", info.Mode().Perm())
			}
			if b, _ := os.ReadFile(keyFile); string(b) != string(key)+"\n" {
				t.Errorf("key file = %q, want the key with a final newline", b)
			}
			for _, opt := range []string{"IdentitiesOnly=yes", "BatchMode=yes", tt.wantOpt} {
				if !strings.Contains(cmd, opt) {
					t.Errorf("GIT_SSH_COMMAND %q lacks %s", cmd, opt)
				}
			}
			if tt.hosts != nil && !strings.Contains(cmd, "UserKnownHostsFile="+filepath.Join(filepath.Dir(keyFile), "known_hosts")) {
				t.Errorf("GIT_SSH_COMMAND %q does not use the given known hosts", cmd)
			}
			cleanup()
			if _, err := os.Stat(filepath.Dir(keyFile)); !os.IsNotExist(err) {
				t.Errorf("key directory still there after cleanup: %v", err)
			}
		})
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/tmp/a b/id": `'/tmp/a b/id'`,
		"it's":        `'it'\''s'`,
		"$(x)":        `'$(x)'`,
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestSSHEndToEnd fetches over scp-like ssh through a fake ssh on PATH that
// records the key it was given and runs the remote command locally.
func TestSSHEndToEnd(t *testing.T) {
	f := newFixture(t)
	bin := t.TempDir()
	seen := filepath.Join(t.TempDir(), "seen")
	script := `#!/bin/sh
key=
while [ $# -gt 1 ]; do
	if [ "$1" = -i ]; then key=$2; shift; fi
	shift
done
{ echo "$key"; cat "$key"; } > "$FAKE_SSH_SEEN"
exec sh -c "$1"
`
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("FAKE_SSH_SEEN", seen)

	key := "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n"
	s := &Source{CacheDir: t.TempDir()}
	url := "git@fakehost:" + f.dir
	c, err := s.ResolveAuth(testContext(t), url, "main", Auth{SSHKey: []byte(key)})
	if err != nil {
		t.Fatal(err)
	}
	if c.SHA != f.second {
		t.Errorf("Resolve(main) = %s, want %s", c.SHA, f.second)
	}
	b, err := os.ReadFile(seen)
	if err != nil {
		t.Fatalf("the fake ssh never ran: %v", err)
	}
	keyFile, got, _ := strings.Cut(string(b), "\n")
	if got != key {
		t.Errorf("ssh was given key %q, want %q", got, key)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("key file %s still exists after the call: %v", keyFile, err)
	}
}
