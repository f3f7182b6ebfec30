package checkout

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeSSH is a stand-in for ssh: the test environment has no sshd, so a real
// ssh connection is impossible. The script records its arguments and the mode
// and first line of the -i key file and the known_hosts file it was given,
// then runs the remote command (git-upload-pack '/path') locally, so git
// still speaks its real protocol, only over a fake transport. With
// FAKE_SSH_DENY set it fails the way ssh does when the key is refused.
const fakeSSH = `log="$FAKE_SSH_LOG"
key= kh= prev=
for a in "$@"; do
	printf 'arg %s\n' "$a" >> "$log"
	[ "$prev" = -i ] && key="$a"
	case "$a" in UserKnownHostsFile=*) kh="${a#UserKnownHostsFile=}";; esac
	prev="$a"
done
[ -n "$key" ] && printf 'key %s %s %s\n' "$key" "$(stat -c %a "$key")" "$(head -n 1 "$key")" >> "$log"
[ -n "$kh" ] && printf 'known_hosts %s\n' "$(cat "$kh")" >> "$log"
if [ -n "$FAKE_SSH_DENY" ]; then
	echo 'git@fakehost: Permission denied (publickey).' >&2
	exit 255
fi
for last; do :; done
exec sh -c "$last"
`

// withFakeSSH puts fakeSSH first on PATH and returns the log's path.
func withFakeSSH(t *testing.T, e *testEnv, extra ...string) (*testEnv, string) {
	t.Helper()
	bin := t.TempDir()
	writeScript(t, filepath.Join(bin, "ssh"), fakeSSH)
	log := filepath.Join(t.TempDir(), "ssh.log")
	env := append([]string{"PATH=" + bin + string(filepath.ListSeparator) + os.Getenv("PATH"), "FAKE_SSH_LOG=" + log}, extra...)
	return e.with(env...), log
}

// genKey creates an ed25519 key pair and returns the private key file's path.
func genKey(t *testing.T, name string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	return path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSSH(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	key := readFile(t, genKey(t, "deploy"))
	const knownHosts = "fakehost ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeHostKeyForTheTest"
	for _, tc := range []struct {
		name, knownHosts, strict string
		scp                      bool
	}{
		{"ssh-url/accept-new", "", "StrictHostKeyChecking=accept-new", false},
		{"scp-like/known-hosts", knownHosts, "StrictHostKeyChecking=yes", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t)
			src := e.newSource()
			head := e.commit(src, "data", "v2")
			url := "ssh://git@fakehost" + src
			if tc.scp {
				url = "git@fakehost:" + src
			}
			se, log := withFakeSSH(t, e)
			tmp := t.TempDir()
			dst := filepath.Join(t.TempDir(), "project")
			out, err := se.run(Spec{RepoURL: url, Revision: head, Branch: "main", SSHKey: key, KnownHosts: tc.knownHosts}, dst, Options{TempDir: tmp})
			if err != nil {
				t.Fatalf("Run: %v\n%s", err, out)
			}
			if sha, branch := e.head(dst); sha != head || branch != "main" {
				t.Errorf("HEAD = %s on %q, want %s on main", sha, branch, head)
			}
			if got := e.config(dst, "remote.origin.url"); got != url {
				t.Errorf("remote.origin.url = %q, want %q", got, url)
			}

			lines := strings.Split(readFile(t, log), "\n")
			for _, want := range []string{"arg -i", "arg IdentitiesOnly=yes", "arg " + tc.strict, "arg BatchMode=yes", "arg git@fakehost"} {
				if !contains(lines, want) {
					t.Errorf("ssh not called with %q; log:\n%s", want, strings.Join(lines, "\n"))
				}
			}
			var keyFile string
			for _, l := range lines {
				if f, ok := strings.CutPrefix(l, "key "); ok {
					fields := strings.Fields(f)
					keyFile = fields[0]
					if fields[1] != "600" || !strings.Contains(f, "BEGIN OPENSSH PRIVATE KEY") {
						t.Errorf("key file seen by ssh: %q, want mode 600 and the key", f)
					}
				}
			}
			if !strings.HasPrefix(keyFile, tmp+string(filepath.Separator)) {
				t.Errorf("key file %q not in TempDir %q", keyFile, tmp)
			}
			if tc.knownHosts != "" && !contains(lines, "known_hosts "+tc.knownHosts) {
				t.Errorf("known_hosts not passed; log:\n%s", strings.Join(lines, "\n"))
			}
			assertGone(t, keyFile, tmp)
		})
	}
}

func TestSSHDenied(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	e := newTestEnv(t)
	src := e.newSource()
	se, log := withFakeSSH(t, e, "FAKE_SSH_DENY=1")
	tmp := t.TempDir()
	_, err := se.run(Spec{RepoURL: "git@fakehost:" + src, Branch: "main", SSHKey: readFile(t, genKey(t, "k"))}, filepath.Join(t.TempDir(), "p"), Options{TempDir: tmp})
	if !errors.Is(err, ErrAuthentication) || !strings.Contains(err.Error(), "Permission denied (publickey)") {
		t.Errorf("err = %v, want ErrAuthentication with ssh's message", err)
	}
	keyFile := ""
	for _, l := range strings.Split(readFile(t, log), "\n") {
		if f, ok := strings.CutPrefix(l, "key "); ok {
			keyFile = strings.Fields(f)[0]
		}
	}
	assertGone(t, keyFile, tmp)
}

func TestTempDirInsideCheckout(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dst := t.TempDir()
	_, err := e.run(Spec{RepoURL: "git@fakehost:repo.git", SSHKey: "k"}, dst, Options{TempDir: filepath.Join(dst, "tmp")})
	if err == nil || !strings.Contains(err.Error(), "is inside the checkout directory") {
		t.Errorf("err = %v, want temp dir refused", err)
	}
}

// assertGone checks the key file is removed and nothing is left in tmp.
func assertGone(t *testing.T, keyFile, tmp string) {
	t.Helper()
	if keyFile == "" {
		t.Fatal("ssh was not given a key file")
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("key file %s still there: %v", keyFile, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("TempDir not cleaned: %v", left)
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
