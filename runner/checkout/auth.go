package checkout

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// transport is the kind of remote a repository URL names.
type transport int

const (
	transportLocal transport = iota // a path or file://
	transportHTTP                   // http:// or https://
	transportSSH                    // ssh://… or scp-like user@host:path
	transportOther                  // git:// and other remote helpers
)

// classify tells which transport git will use for rawURL, following git's own
// rule for scp-like addresses: a colon with no slash before it.
func classify(rawURL string) transport {
	lower := strings.ToLower(rawURL)
	switch {
	case strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return transportHTTP
	case strings.HasPrefix(lower, "ssh://"), strings.HasPrefix(lower, "git+ssh://"), strings.HasPrefix(lower, "ssh+git://"):
		return transportSSH
	case strings.HasPrefix(lower, "file://"):
		return transportLocal
	case strings.Contains(rawURL, "://"):
		return transportOther
	}
	colon := strings.IndexByte(rawURL, ':')
	slash := strings.IndexByte(rawURL, '/')
	if colon > 0 && (slash < 0 || colon < slash) {
		return transportSSH
	}
	return transportLocal
}

// httpAuth is the credential for an http(s) remote and the URL to store.
type httpAuth struct {
	url    string // remote URL without userinfo
	user   string
	secret string // token or password; empty: no credential
}

// splitHTTPURL strips userinfo from an http(s) URL. A password in the URL is
// used as the secret when spec carries no token.
func splitHTTPURL(spec Spec) (httpAuth, error) {
	u, err := url.Parse(spec.RepoURL)
	if err != nil {
		return httpAuth{}, fmt.Errorf("parse repository url: %w", redactURLError(err))
	}
	a := httpAuth{user: spec.HTTPSUser, secret: spec.HTTPSToken}
	if u.User != nil {
		if pw, ok := u.User.Password(); ok && a.secret == "" {
			a.secret = pw
			if a.user == "" {
				a.user = u.User.Username()
			}
		}
		u.User = nil
	}
	if a.user == "" {
		a.user = "x-access-token"
	}
	a.url = u.String()
	return a, nil
}

// redactURLError drops the URL (which may hold a password) from a parse error.
func redactURLError(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// header is the value of the Authorization header for a.
func (a httpAuth) header() string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(a.user+":"+a.secret))
}

// stripSSHPassword removes a password (never a user name) from an ssh:// URL.
func stripSSHPassword(rawURL string) string {
	if !strings.Contains(rawURL, "://") {
		return rawURL
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.User == nil {
		return rawURL
	}
	if _, ok := u.User.Password(); !ok {
		return rawURL
	}
	u.User = url.User(u.User.Username())
	return u.String()
}

// sshSetup holds the files behind GIT_SSH_COMMAND; cleanup removes them.
type sshSetup struct {
	command string
	dir     string
}

// setupSSH writes the key (if any) and known_hosts files to a fresh private directory
// under tempDir and builds the GIT_SSH_COMMAND that uses them.
func setupSSH(spec Spec, tempDir string) (*sshSetup, error) {
	dir, err := os.MkdirTemp(tempDir, "caravan-ssh-")
	if err != nil {
		return nil, fmt.Errorf("create ssh key directory: %w", err)
	}
	s := &sshSetup{dir: dir}
	args := []string{"ssh"}
	if spec.SSHKey != "" {
		keyFile := filepath.Join(dir, "id_checkout")
		if err := os.WriteFile(keyFile, []byte(withNewline(spec.SSHKey)), 0o600); err != nil {
			s.cleanup()
			return nil, fmt.Errorf("write ssh key: %w", err)
		}
		args = append(args, "-i", shellQuote(keyFile), "-o", "IdentitiesOnly=yes")
	}
	khFile := filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(khFile, []byte(withNewline(spec.KnownHosts)), 0o600); err != nil {
		s.cleanup()
		return nil, fmt.Errorf("write known_hosts: %w", err)
	}
	strict := "accept-new"
	if strings.TrimSpace(spec.KnownHosts) != "" {
		strict = "yes"
	}
	args = append(args, "-o", shellQuote("UserKnownHostsFile="+khFile),
		"-o", "StrictHostKeyChecking="+strict, "-o", "BatchMode=yes")
	s.command = strings.Join(args, " ")
	return s, nil
}

func (s *sshSetup) cleanup() error {
	if s == nil {
		return nil
	}
	return os.RemoveAll(s.dir)
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

// shellQuote quotes s for sh, which git uses to run GIT_SSH_COMMAND.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// gitEnv builds git's environment from base: variables that would redirect
// git or let it prompt are dropped, prompts are disabled, and the extra
// config entries are appended after any GIT_CONFIG_COUNT entries base has.
func gitEnv(base []string, sshCommand string, config [][2]string) []string {
	drop := map[string]bool{
		"GIT_DIR": true, "GIT_WORK_TREE": true, "GIT_INDEX_FILE": true, "GIT_OBJECT_DIRECTORY": true,
		"GIT_ALTERNATE_OBJECT_DIRECTORIES": true, "GIT_NAMESPACE": true, "GIT_CEILING_DIRECTORIES": true,
		"GIT_SSH": true, "GIT_SSH_COMMAND": true, "GIT_ASKPASS": true, "SSH_ASKPASS": true,
		"GIT_TERMINAL_PROMPT": true, "GIT_TRACE_CURL": true, "GIT_CURL_VERBOSE": true, "GIT_TRACE_REDACT": true,
	}
	count := 0
	env := make([]string, 0, len(base)+8)
	for _, kv := range base {
		k, v, _ := strings.Cut(kv, "=")
		if k == "GIT_CONFIG_COUNT" {
			count, _ = strconv.Atoi(v)
			continue
		}
		if !drop[k] {
			env = append(env, kv)
		}
	}
	env = append(env, "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "GIT_TRACE_REDACT=1")
	if sshCommand != "" {
		env = append(env, "GIT_SSH_COMMAND="+sshCommand)
	}
	for _, c := range config {
		env = append(env,
			fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", count, c[0]),
			fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", count, c[1]))
		count++
	}
	if count > 0 {
		env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(count))
	}
	return env
}

// lookGit finds the git program on env's PATH, the PATH git will run with.
func lookGit(env []string) string {
	path := ""
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
		}
	}
	for _, d := range filepath.SplitList(path) {
		if d == "" || !filepath.IsAbs(d) {
			continue
		}
		p := filepath.Join(d, "git")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return "git"
}

// privateTempDir returns the directory for key files, refusing one inside
// the checkout directory.
func privateTempDir(tempDir, dir string) (string, error) {
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	abs, err := filepath.Abs(tempDir)
	if err != nil {
		return "", fmt.Errorf("checkout: temp dir: %w", err)
	}
	if rel, err := filepath.Rel(dir, abs); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("checkout: temp dir %q is inside the checkout directory %q", abs, dir)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("checkout: temp dir: %w", err)
	}
	return abs, nil
}

// setupTransport prepares g's environment for spec's remote: credentials,
// GIT_SSH_COMMAND and the git program. It returns the URL to store as origin
// and a cleanup that removes the ssh key files.
func setupTransport(g *git, spec Spec, opts Options) (remoteURL string, cleanup func() error, err error) {
	cleanup = func() error { return nil }
	base := opts.Env
	if base == nil {
		base = os.Environ()
	}
	remoteURL = spec.RepoURL
	var config [][2]string
	var sshCommand string
	switch classify(spec.RepoURL) {
	case transportHTTP:
		a, err := splitHTTPURL(spec)
		if err != nil {
			return "", nil, fmt.Errorf("checkout: %w", err)
		}
		remoteURL = a.url
		g.authHint = "no HTTPS token given"
		if a.secret != "" {
			g.authHint = "the server rejected the HTTPS token for user " + a.user
			h := a.header()
			config = append(config, [2]string{"http." + a.url + ".extraHeader", "Authorization: " + h})
			g.secrets = append(g.secrets, a.secret, strings.TrimPrefix(h, "Basic "))
		}
	case transportSSH:
		remoteURL = stripSSHPassword(spec.RepoURL)
		g.authHint = "no ssh key given"
		if spec.SSHKey != "" {
			g.authHint = "the server rejected the ssh key, or its host key is not trusted"
		}
		if spec.SSHKey != "" || spec.KnownHosts != "" {
			tmp, err := privateTempDir(opts.TempDir, g.dir)
			if err != nil {
				return "", nil, err
			}
			s, err := setupSSH(spec, tmp)
			if err != nil {
				return "", nil, fmt.Errorf("checkout: %w", err)
			}
			cleanup, sshCommand = s.cleanup, s.command
		}
	case transportLocal:
		if !strings.Contains(remoteURL, "://") && !filepath.IsAbs(remoteURL) {
			if remoteURL, err = filepath.Abs(remoteURL); err != nil {
				return "", nil, fmt.Errorf("checkout: %w", err)
			}
		}
	}
	g.env = gitEnv(base, sshCommand, config)
	g.prog = lookGit(g.env)
	return remoteURL, cleanup, nil
}
