package gitsource

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Auth holds credentials for fetching a repository URL. Only what fits the
// URL is used: the token for https://, the key for ssh:// and user@host:path.
type Auth struct {
	HTTPSUser  string // defaults to "x-access-token" (GitHub; GitLab accepts any name with a token)
	HTTPSToken string // personal, app or deploy token
	SSHKey     []byte // PEM or OpenSSH private key, unencrypted
	// SSHKnownHosts, if set, is the only known_hosts file ssh trusts; without
	// it ssh accepts and remembers a host key it has never seen
	// (StrictHostKeyChecking=accept-new) and refuses a changed one.
	SSHKnownHosts []byte
}

func (a Auth) empty() bool { return a.HTTPSToken == "" && len(a.SSHKey) == 0 }

// env returns the environment that gives git a's credentials for rawURL, and
// a cleanup that removes any key file it wrote. Call cleanup even on error.
func (a Auth) env(rawURL string) (env []string, cleanup func(), err error) {
	cleanup = func() {}
	if a.empty() || strings.HasPrefix(rawURL, "file://") {
		return nil, cleanup, nil
	}
	scheme := "ssh" // scp-like
	var u *url.URL
	if strings.Contains(rawURL, "://") {
		if u, err = url.Parse(rawURL); err != nil {
			return nil, cleanup, fmt.Errorf("parse repository URL: %w", err)
		}
		scheme = u.Scheme
	}
	switch scheme {
	case "https", "http":
		if a.HTTPSToken == "" {
			return nil, cleanup, nil
		}
		if scheme == "http" {
			return nil, cleanup, fmt.Errorf("%w: refusing to send a token over plain http to %s", ErrInvalid, u.Host)
		}
		user := a.HTTPSUser
		if user == "" {
			user = "x-access-token"
		}
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + a.HTTPSToken))
		// http.<url>.extraHeader only applies to requests under that URL.
		key := "http." + (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/"}).String() + ".extraHeader"
		return []string{
			"GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=" + key,
			"GIT_CONFIG_VALUE_0=Authorization: Basic " + basic,
		}, cleanup, nil
	case "ssh", "git+ssh", "ssh+git":
		if len(a.SSHKey) == 0 {
			return nil, cleanup, nil
		}
		return a.sshEnv()
	}
	return nil, cleanup, nil
}

// sshEnv writes the key (and known hosts) to a private temporary directory
// and points GIT_SSH_COMMAND at it.
func (a Auth) sshEnv() (env []string, cleanup func(), err error) {
	dir, err := os.MkdirTemp("", "gitsource-ssh-*")
	if err != nil {
		return nil, func() {}, fmt.Errorf("create ssh key directory: %w", err)
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	key := a.SSHKey
	if len(key) > 0 && key[len(key)-1] != '\n' {
		key = append(append([]byte(nil), key...), '\n') // ssh rejects a key file without the final newline
	}
	keyFile := filepath.Join(dir, "id")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		return nil, cleanup, fmt.Errorf("write ssh key: %w", err)
	}
	cmd := []string{"ssh", "-i", shellQuote(keyFile), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes"}
	if len(a.SSHKnownHosts) > 0 {
		hosts := filepath.Join(dir, "known_hosts")
		if err := os.WriteFile(hosts, a.SSHKnownHosts, 0o600); err != nil {
			return nil, cleanup, fmt.Errorf("write ssh known hosts: %w", err)
		}
		cmd = append(cmd, "-o", shellQuote("UserKnownHostsFile="+hosts), "-o", "StrictHostKeyChecking=yes")
	} else {
		cmd = append(cmd, "-o", "StrictHostKeyChecking=accept-new")
	}
	// git runs GIT_SSH_COMMAND through sh: the paths are quoted.
	return []string{"GIT_SSH_COMMAND=" + strings.Join(cmd, " ")}, cleanup, nil
}

// shellQuote quotes s for sh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
