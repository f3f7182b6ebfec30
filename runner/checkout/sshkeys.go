package checkout

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode"
)

// SSHKey is a project or user key for the add_ssh_keys step.
type SSHKey struct {
	Fingerprint string // MD5 ("aa:bb:…", "MD5:aa:bb:…") or "SHA256:…"; empty: computed
	Hostname    string // host the key is for; empty: every host
	PrivateKey  string // PEM or OpenSSH private key, without passphrase
}

// keyPrints are the fingerprints of one key, computed from its private key.
type keyPrints struct {
	md5    string // "aa:bb:…", lower case
	sha256 string // "SHA256:…"
	err    error
}

// AddSSHKeys installs keys under home/.ssh for later steps: the keys selected
// by fingerprints (all of them when fingerprints is empty) are written to
// ~/.ssh/id_rsa_<md5 hex> and get a Host block in ~/.ssh/config. It returns
// the selected keys' MD5 fingerprints ("aa:bb:…"), also for keys an earlier
// call had already added; repeated calls add no duplicate blocks.
func AddSSHKeys(home string, keys []SSHKey, fingerprints []string) ([]string, error) {
	home, err := filepath.Abs(home)
	if err != nil {
		return nil, fmt.Errorf("add_ssh_keys: %w", err)
	}
	sshDir := filepath.Join(home, ".ssh")
	if err := os.MkdirAll(sshDir, 0o700); err != nil {
		return nil, fmt.Errorf("add_ssh_keys: create ~/.ssh: %w", err)
	}
	if err := os.Chmod(sshDir, 0o700); err != nil {
		return nil, fmt.Errorf("add_ssh_keys: %w", err)
	}
	for i, k := range keys {
		if strings.IndexFunc(k.Hostname, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '"' || r == '#' }) >= 0 {
			return nil, fmt.Errorf("add_ssh_keys: key %d: invalid hostname %q", i, k.Hostname)
		}
	}
	prints := make([]keyPrints, len(keys))
	for i, k := range keys {
		prints[i] = fingerprintKey(sshDir, k)
	}
	selected, err := selectKeys(keys, prints, fingerprints)
	if err != nil {
		return nil, err
	}

	configPath := filepath.Join(sshDir, "config")
	existing, err := os.ReadFile(configPath)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("add_ssh_keys: read ~/.ssh/config: %w", err)
	}
	var add bytes.Buffer
	var added []string
	for _, i := range selected {
		p := prints[i]
		keyPath := filepath.Join(sshDir, "id_rsa_"+strings.ReplaceAll(p.md5, ":", ""))
		if err := os.WriteFile(keyPath, []byte(withNewline(keys[i].PrivateKey)), 0o600); err != nil {
			return nil, fmt.Errorf("add_ssh_keys: write key %s: %w", p.md5, err)
		}
		if err := os.Chmod(keyPath, 0o600); err != nil {
			return nil, fmt.Errorf("add_ssh_keys: %w", err)
		}
		block := configBlock(keys[i].Hostname, keyPath, p.md5)
		if !bytes.Contains(existing, []byte(block)) && !bytes.Contains(add.Bytes(), []byte(block)) {
			add.WriteString(block)
		}
		added = append(added, p.md5)
	}
	if add.Len() > 0 {
		if err := appendConfig(configPath, existing, add.Bytes()); err != nil {
			return nil, err
		}
	}
	return added, nil
}

// configBlock is the ~/.ssh/config block for one key. IdentitiesOnly no is
// what CircleCI writes: default keys and the agent stay usable.
func configBlock(hostname, keyPath, md5 string) string {
	if hostname == "" {
		hostname = "*"
	}
	if strings.ContainsAny(keyPath, " \t") {
		keyPath = `"` + keyPath + `"`
	}
	return fmt.Sprintf("# caravan add_ssh_keys MD5:%s\nHost %s\n  IdentitiesOnly no\n  IdentityFile %s\n\n", md5, hostname, keyPath)
}

func appendConfig(path string, existing, add []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("add_ssh_keys: open ~/.ssh/config: %w", err)
	}
	if len(existing) > 0 && existing[len(existing)-1] != '\n' {
		add = append([]byte("\n"), add...)
	}
	if _, err := f.Write(add); err != nil {
		f.Close()
		return fmt.Errorf("add_ssh_keys: write ~/.ssh/config: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("add_ssh_keys: write ~/.ssh/config: %w", err)
	}
	return nil
}

// selectKeys returns the indexes of the keys fingerprints name, in key order.
func selectKeys(keys []SSHKey, prints []keyPrints, fingerprints []string) ([]int, error) {
	var selected []int
	if len(fingerprints) == 0 {
		for i, p := range prints {
			if p.err != nil {
				return nil, fmt.Errorf("add_ssh_keys: key %d: %w", i, p.err)
			}
			selected = append(selected, i)
		}
		return selected, nil
	}
	want := make([]bool, len(keys))
	for _, fp := range fingerprints {
		n := normalizeFingerprint(fp)
		found := false
		for i, p := range prints {
			switch {
			case p.err == nil && (n == "MD5:"+p.md5 || n == p.sha256):
				want[i], found = true, true
			case p.err != nil && keys[i].Fingerprint != "" && n == normalizeFingerprint(keys[i].Fingerprint):
				return nil, fmt.Errorf("add_ssh_keys: key %s: %w", fp, p.err)
			}
		}
		if !found {
			for i, p := range prints {
				if p.err != nil {
					return nil, fmt.Errorf("add_ssh_keys: no ssh key with fingerprint %q (key %d unreadable: %w)", fp, i, p.err)
				}
			}
			return nil, fmt.Errorf("add_ssh_keys: no ssh key with fingerprint %q", fp)
		}
	}
	for i, w := range want {
		if w {
			selected = append(selected, i)
		}
	}
	return selected, nil
}

// normalizeFingerprint maps "aa:BB:…" and "md5:aa:bb:…" to "MD5:aa:bb:…";
// SHA256 fingerprints (base64, case-sensitive) are kept as they are.
func normalizeFingerprint(fp string) string {
	fp = strings.TrimSpace(fp)
	if len(fp) >= 7 && strings.EqualFold(fp[:7], "SHA256:") {
		return "SHA256:" + fp[7:]
	}
	if len(fp) >= 4 && strings.EqualFold(fp[:4], "MD5:") {
		fp = fp[4:]
	}
	return "MD5:" + strings.ToLower(fp)
}

// fingerprintKey computes both fingerprints of k's private key with
// ssh-keygen and checks them against k.Fingerprint when it is set.
func fingerprintKey(sshDir string, k SSHKey) keyPrints {
	tmp, err := os.MkdirTemp(sshDir, ".caravan-keygen-")
	if err != nil {
		return keyPrints{err: fmt.Errorf("fingerprint: %w", err)}
	}
	defer os.RemoveAll(tmp)
	priv := filepath.Join(tmp, "key")
	if err := os.WriteFile(priv, []byte(withNewline(k.PrivateKey)), 0o600); err != nil {
		return keyPrints{err: fmt.Errorf("fingerprint: %w", err)}
	}
	pub, err := keygen("-y", "-P", "", "-f", priv)
	if err != nil {
		return keyPrints{err: fmt.Errorf("read private key: %w", err)}
	}
	pubPath := priv + ".pub"
	if err := os.WriteFile(pubPath, []byte(pub+"\n"), 0o600); err != nil {
		return keyPrints{err: fmt.Errorf("fingerprint: %w", err)}
	}
	var p keyPrints
	for _, alg := range []string{"md5", "sha256"} {
		out, err := keygen("-l", "-E", alg, "-f", pubPath)
		fields := strings.Fields(out)
		if err != nil || len(fields) < 2 {
			return keyPrints{err: fmt.Errorf("fingerprint %s: %w", alg, errors.Join(err, errors.New("unexpected ssh-keygen output")))}
		}
		if alg == "md5" {
			p.md5 = strings.ToLower(strings.TrimPrefix(fields[1], "MD5:"))
		} else {
			p.sha256 = fields[1]
		}
	}
	if k.Fingerprint != "" {
		n := normalizeFingerprint(k.Fingerprint)
		if n != "MD5:"+p.md5 && n != p.sha256 {
			return keyPrints{err: fmt.Errorf("fingerprint %q does not match the private key (MD5:%s, %s)", k.Fingerprint, p.md5, p.sha256)}
		}
	}
	return p
}

// keygen runs ssh-keygen and returns its trimmed standard output.
func keygen(args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command("ssh-keygen", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := lastLines(stderr.String(), 2); msg != "" {
			return "", fmt.Errorf("ssh-keygen: %w: %s", err, msg)
		}
		return "", fmt.Errorf("ssh-keygen: %w", err)
	}
	return strings.TrimSpace(stdout.String()), nil
}
