package checkout

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type testKey struct {
	private, md5, sha256 string
}

// newTestKey generates a key and reads its fingerprints from ssh-keygen.
func newTestKey(t *testing.T, name string) testKey {
	t.Helper()
	path := genKey(t, name)
	k := testKey{private: readFile(t, path)}
	for _, alg := range []string{"md5", "sha256"} {
		out, err := exec.Command("ssh-keygen", "-l", "-E", alg, "-f", path+".pub").Output()
		if err != nil {
			t.Fatalf("ssh-keygen -l: %v", err)
		}
		fp := strings.Fields(string(out))[1]
		if alg == "md5" {
			k.md5 = strings.TrimPrefix(fp, "MD5:")
		} else {
			k.sha256 = fp
		}
	}
	return k
}

// wantKey is a key AddSSHKeys should install: its Host pattern and MD5.
type wantKey struct{ host, md5 string }

func block(home, host, md5 string) string {
	return "# caravan add_ssh_keys MD5:" + md5 + "\nHost " + host + "\n  IdentitiesOnly no\n  IdentityFile " +
		filepath.Join(home, ".ssh", "id_rsa_"+strings.ReplaceAll(md5, ":", "")) + "\n\n"
}

func TestAddSSHKeys(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	k1, k2, k3 := newTestKey(t, "one"), newTestKey(t, "two"), newTestKey(t, "three")
	keys := []SSHKey{
		{Hostname: "github.com", PrivateKey: k1.private},
		{PrivateKey: strings.TrimSuffix(k2.private, "\n"), Fingerprint: "MD5:" + k2.md5},
		{Hostname: "gitlab.example.com", PrivateKey: k3.private, Fingerprint: k3.sha256},
	}

	for _, tc := range []struct {
		name         string
		fingerprints []string
		want         []wantKey // the keys expected in ~/.ssh, in order
	}{
		{"all", nil, []wantKey{{"github.com", k1.md5}, {"*", k2.md5}, {"gitlab.example.com", k3.md5}}},
		{"md5", []string{strings.ToUpper(k3.md5), "MD5:" + k1.md5}, []wantKey{{"github.com", k1.md5}, {"gitlab.example.com", k3.md5}}},
		{"sha256", []string{k2.sha256, k2.md5}, []wantKey{{"*", k2.md5}}},
	} {
		home := t.TempDir()
		// An existing config without a final newline is kept as it is.
		if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte("Host old\n  User me"), 0o600); err != nil {
			t.Fatal(err)
		}
		var wantAdded []string
		wantConfig := "Host old\n  User me\n"
		for _, w := range tc.want {
			wantAdded = append(wantAdded, w.md5)
			wantConfig += block(home, w.host, w.md5)
		}
		for run := 1; run <= 2; run++ { // the second run must change nothing
			added, err := AddSSHKeys(home, keys, tc.fingerprints)
			if err != nil {
				t.Fatalf("%s run %d: %v", tc.name, run, err)
			}
			if diff := cmp.Diff(wantAdded, added); diff != "" {
				t.Errorf("%s run %d: added (-want +got):\n%s", tc.name, run, diff)
			}
			if diff := cmp.Diff(wantConfig, readFile(t, filepath.Join(home, ".ssh", "config"))); diff != "" {
				t.Errorf("%s run %d: config (-want +got):\n%s", tc.name, run, diff)
			}
		}
		assertMode(t, filepath.Join(home, ".ssh"), 0o700)
		for _, w := range tc.want {
			path := filepath.Join(home, ".ssh", "id_rsa_"+strings.ReplaceAll(w.md5, ":", ""))
			assertMode(t, path, 0o600)
			if got := readFile(t, path); !strings.HasSuffix(got, "-----END OPENSSH PRIVATE KEY-----\n") {
				t.Errorf("%s: key file %s lacks the key or its final newline", tc.name, path)
			}
		}
		if entries, _ := os.ReadDir(filepath.Join(home, ".ssh")); len(entries) != len(tc.want)+1 {
			t.Errorf("%s: ~/.ssh holds %d entries, want %d keys and config", tc.name, len(entries), len(tc.want))
		}
	}
}

func TestAddSSHKeysErrors(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen not installed")
	}
	k1, k2 := newTestKey(t, "one"), newTestKey(t, "two")
	const unknown = "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff"
	for _, tc := range []struct {
		name         string
		keys         []SSHKey
		fingerprints []string
		want         string
	}{
		{"unknown", []SSHKey{{PrivateKey: k1.private}}, []string{unknown}, `add_ssh_keys: no ssh key with fingerprint "` + unknown + `"`},
		{"mismatch", []SSHKey{{PrivateKey: k1.private, Fingerprint: k2.md5}}, nil, `fingerprint "` + k2.md5 + `" does not match the private key`},
		{"garbage", []SSHKey{{PrivateKey: "not a key", Fingerprint: k1.md5}}, []string{k1.md5}, "add_ssh_keys: key " + k1.md5 + ": read private key: ssh-keygen: exit status"},
		{"hostname", []SSHKey{{PrivateKey: k1.private, Hostname: "a b"}}, nil, `invalid hostname "a b"`},
	} {
		home := t.TempDir()
		added, err := AddSSHKeys(home, tc.keys, tc.fingerprints)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
		if added != nil {
			t.Errorf("%s: added = %v, want none", tc.name, added)
		}
		if _, err := os.Stat(filepath.Join(home, ".ssh", "config")); err == nil {
			t.Errorf("%s: config written despite the error", tc.name)
		}
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}
