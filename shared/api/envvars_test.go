package api

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/domain"
	"github.com/caravan-ci/caravan/shared/repo"
)

func TestProjectEnvVars(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	const base = "/api/v2/project/gh/acme/api/envvar"
	secret := f.secret("project-secret-value-4321")
	created := settingsCall[envVarView](f, "POST", base, "alice", map[string]string{"name": "TOKEN", "value": secret}, 201)
	if created.Name != "TOKEN" || created.Value != "xxxx4321" || created.CreatedAt.IsZero() {
		t.Errorf("created = %+v", created)
	}
	short := f.secret("shorty")
	if v := settingsCall[envVarView](f, "POST", base, "alice", map[string]string{"name": "SHORT", "value": short}, 201); v.Value != "xxxx" {
		t.Errorf("short value masked as %q, want xxxx", v.Value)
	}
	settingsCall[envVarView](f, "POST", base, "root", map[string]string{"name": "CIRCLE_BRANCH", "value": ""}, 201)

	stored, err := repo.Get[domain.Variable](ctx, f.repo, repo.EnvVarKey(f.project.ID, "TOKEN"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(f.stored(stored.Key), []byte(secret)) {
		t.Errorf("the stored variable holds its value in clear")
	}
	if pt, err := f.env.Open(ctx, stored.V.Sealed, repo.EnvVarAAD(f.project.ID, "TOKEN")); err != nil || string(pt) != secret {
		t.Errorf("open = %q, %v", pt, err)
	}
	// Overwriting keeps created_at and changes the value.
	settingsCall[envVarView](f, "POST", base, "alice", map[string]string{"name": "TOKEN", "value": f.secret("another-secret-0000")}, 201)
	again, _ := repo.Get[domain.Variable](ctx, f.repo, repo.EnvVarKey(f.project.ID, "TOKEN"))
	if again.V.Hint != "0000" || !again.V.CreatedAt.Equal(stored.V.CreatedAt) {
		t.Errorf("after overwrite: %+v", again.V)
	}

	list := settingsCall[page[envVarView]](f, "GET", base, "bob", nil, 200)
	if len(list.Items) != 3 || list.Items[0].Name != "CIRCLE_BRANCH" || list.Items[2].Value != "xxxx0000" {
		t.Errorf("list = %+v", list)
	}
	if got := settingsCall[envVarView](f, "GET", base+"/SHORT", "bob", nil, 200); got.Value != "xxxx" {
		t.Errorf("get = %+v", got)
	}
	runSettingsCases(t, f, []settingsCase{
		{"member creates", "POST", base, "bob", map[string]string{"name": "X", "value": "v"}, 403},
		{"viewer lists", "GET", base, "vic", nil, 403},
		{"non-member lists", "GET", base, "eve", nil, 404},
		{"no token", "GET", base, "", nil, 401},
		{"bad name", "POST", base, "alice", map[string]string{"name": "A B", "value": "v"}, 400},
		{"no name", "POST", base, "alice", map[string]string{"value": "v"}, 400},
		{"no value", "POST", base, "alice", map[string]string{"name": "X"}, 400},
		{"too big", "POST", base, "alice", map[string]string{"name": "X", "value": strings.Repeat("v", 70<<10)}, 413},
		{"unknown project", "POST", "/api/v2/project/gh/acme/nope/envvar", "root", map[string]string{"name": "X", "value": "v"}, 404},
		{"missing", "GET", base + "/NOPE", "bob", nil, 404},
		{"member deletes", "DELETE", base + "/SHORT", "bob", nil, 403},
		{"delete", "DELETE", base + "/SHORT", "alice", nil, 200},
		{"deleted", "GET", base + "/SHORT", "bob", nil, 404},
		{"delete again", "DELETE", base + "/SHORT", "alice", nil, 404},
	})
}

func TestCheckoutKeys(t *testing.T) {
	f := newSettingsFixture(t)
	ctx := context.Background()
	const base = "/api/v2/project/gh/acme/api/checkout-key"
	first := settingsCall[checkoutKeyView](f, "POST", base, "alice", map[string]string{"type": "deploy-key"}, 201)
	if !strings.HasPrefix(first.PublicKey, "ssh-ed25519 AAAA") || !strings.HasPrefix(first.Fingerprint, "SHA256:") ||
		first.Type != "deploy-key" || !first.Preferred || first.CreatedAt.IsZero() {
		t.Errorf("created = %+v", first)
	}
	second := settingsCall[checkoutKeyView](f, "POST", base, "alice", map[string]string{"type": "user-key"}, 201)
	list := settingsCall[page[checkoutKeyView]](f, "GET", base, "bob", nil, 200)
	if len(list.Items) != 2 {
		t.Fatalf("list = %+v", list)
	}
	for _, k := range list.Items {
		if k.Preferred != (k.Fingerprint == second.Fingerprint) {
			t.Errorf("only the newest key should be preferred: %+v", list.Items)
		}
	}

	// The sealed private key is a valid OpenSSH key for the public key shown.
	rec, err := repo.Get[domain.CheckoutKey](ctx, f.repo, repo.CheckoutKeyKey(f.project.ID, first.Fingerprint))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := f.env.Open(ctx, rec.V.Sealed, repo.CheckoutKeyAAD(f.project.ID, first.Fingerprint))
	if err != nil || !bytes.HasPrefix(priv, []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n")) {
		t.Fatalf("open private key: %v", err)
	}
	if bytes.Contains(f.stored(rec.Key), priv[40:80]) {
		t.Errorf("the stored key holds the private key in clear")
	}
	f.secret(string(priv[40:100]))
	checkWithSSHKeygen(t, priv, first)

	esc := "/" + url.PathEscape(first.Fingerprint)
	first.Preferred = false // the second key took over
	if got := settingsCall[checkoutKeyView](f, "GET", base+esc, "bob", nil, 200); got != first {
		t.Errorf("get = %+v, want %+v", got, first)
	}
	blob, _ := publicBlob(first.PublicKey)
	md5fp := fingerprintMD5(blob)
	for _, fp := range []string{md5fp, "MD5:" + md5fp, strings.TrimPrefix(first.Fingerprint, "SHA256:")} {
		if got := settingsCall[checkoutKeyView](f, "GET", base+"/"+url.PathEscape(fp), "bob", nil, 200); got.Fingerprint != first.Fingerprint {
			t.Errorf("get by %q = %+v", fp, got)
		}
	}
	runSettingsCases(t, f, []settingsCase{
		{"member creates", "POST", base, "bob", map[string]string{"type": "deploy-key"}, 403},
		{"bad type", "POST", base, "alice", map[string]string{"type": "rsa"}, 400},
		{"malformed", "POST", base, "alice", `{`, 400},
		{"viewer lists", "GET", base, "vic", nil, 403},
		{"non-member", "GET", base, "eve", nil, 404},
		{"unknown", "GET", base + "/SHA256:nope", "bob", nil, 404},
		{"unknown md5", "GET", base + "/00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff", "bob", nil, 404},
		{"member deletes", "DELETE", base + esc, "bob", nil, 403},
		{"delete preferred", "DELETE", base + "/" + url.PathEscape(second.Fingerprint), "alice", nil, 200},
		{"deleted", "GET", base + "/" + url.PathEscape(second.Fingerprint), "bob", nil, 404},
	})
	if got := settingsCall[checkoutKeyView](f, "GET", base+esc, "bob", nil, 200); !got.Preferred {
		t.Errorf("the remaining key should become preferred: %+v", got)
	}
}

// checkWithSSHKeygen has ssh-keygen read the private key back: it must derive the same public key and
// fingerprint.
func checkWithSSHKeygen(t *testing.T, priv []byte, k checkoutKeyView) {
	t.Helper()
	bin, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Log("ssh-keygen not installed; the OpenSSH key format is not checked")
		return
	}
	path := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(path, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-y", "-f", path).Output()
	if err != nil {
		t.Fatalf("ssh-keygen -y: %v", err)
	}
	if f := strings.Fields(string(out)); len(f) < 2 || f[0]+" "+f[1] != k.PublicKey {
		t.Errorf("ssh-keygen -y = %q, want %q", out, k.PublicKey)
	}
	out, err = exec.Command(bin, "-l", "-E", "sha256", "-f", path).Output()
	if err != nil || !strings.Contains(string(out), " "+k.Fingerprint+" ") {
		t.Errorf("ssh-keygen -l = %q, %v; want fingerprint %s", out, err, k.Fingerprint)
	}
}

func TestSSHKeyFormat(t *testing.T) {
	k, err := newSSHKey("comment")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(k.Private)), "\n") {
		if len(line) > 70 {
			t.Errorf("PEM line of %d characters", len(line))
		}
	}
	blob, err := publicBlob(k.Public)
	if err != nil || fingerprintSHA256(blob) != k.Fingerprint {
		t.Errorf("fingerprint of the public key = %v, want %s", err, k.Fingerprint)
	}
	if got := fingerprintMD5(blob); len(got) != 47 || strings.Count(got, ":") != 15 {
		t.Errorf("md5 fingerprint = %q", got)
	}
	checkWithSSHKeygen(t, k.Private, checkoutKeyView{PublicKey: k.Public, Fingerprint: k.Fingerprint})
}
