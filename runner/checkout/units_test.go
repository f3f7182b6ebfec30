package checkout

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestClassify(t *testing.T) {
	for url, want := range map[string]transport{
		"https://github.com/org/repo.git": transportHTTP,
		"HTTP://host/repo":                transportHTTP,
		"ssh://git@host:2222/org/repo":    transportSSH,
		"git@github.com:org/repo.git":     transportSSH,
		"host:repo":                       transportSSH,
		"file:///srv/repo.git":            transportLocal,
		"/srv/repo.git":                   transportLocal,
		"./dir:with/colon":                transportLocal,
		"git://host/repo":                 transportOther,
	} {
		if got := classify(url); got != want {
			t.Errorf("classify(%q) = %d, want %d", url, got, want)
		}
	}
}

func TestSplitHTTPURL(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		want httpAuth
	}{
		{Spec{RepoURL: "https://h/r.git", HTTPSToken: "t"}, httpAuth{"https://h/r.git", "x-access-token", "t"}},
		{Spec{RepoURL: "https://h/r.git", HTTPSToken: "t", HTTPSUser: "oauth2"}, httpAuth{"https://h/r.git", "oauth2", "t"}},
		{Spec{RepoURL: "https://u:p@h/r.git"}, httpAuth{"https://h/r.git", "u", "p"}},
		{Spec{RepoURL: "https://u:p@h/r.git", HTTPSToken: "t"}, httpAuth{"https://h/r.git", "x-access-token", "t"}},
		{Spec{RepoURL: "https://u@h/r.git"}, httpAuth{"https://h/r.git", "x-access-token", ""}},
	} {
		got, err := splitHTTPURL(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(httpAuth{})); diff != "" {
			t.Errorf("splitHTTPURL(%+v) (-want +got):\n%s", tc.spec, diff)
		}
	}
	if _, err := splitHTTPURL(Spec{RepoURL: "https://u:s3cret@h/%zz"}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad url: err = %v, want an error without the password", err)
	}
	if got := stripSSHPassword("ssh://git:pw@host/r"); got != "ssh://git@host/r" {
		t.Errorf("stripSSHPassword = %q", got)
	}
}

func TestGitEnv(t *testing.T) {
	base := []string{"PATH=/bin", "GIT_DIR=/elsewhere", "GIT_ASKPASS=/bin/askpass",
		"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=core.x", "GIT_CONFIG_VALUE_0=y"}
	got := gitEnv(base, "ssh -i 'k'", [][2]string{{"http.https://h/r.extraHeader", "Authorization: Basic eA=="}})
	want := []string{"PATH=/bin", "GIT_CONFIG_KEY_0=core.x", "GIT_CONFIG_VALUE_0=y",
		"GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "GIT_TRACE_REDACT=1", "GIT_SSH_COMMAND=ssh -i 'k'",
		"GIT_CONFIG_KEY_1=http.https://h/r.extraHeader", "GIT_CONFIG_VALUE_1=Authorization: Basic eA==",
		"GIT_CONFIG_COUNT=2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gitEnv (-want +got):\n%s", diff)
	}
}

func TestLastLines(t *testing.T) {
	in := "From x\nremote: Counting\rremote: done\n\nssh: denied\nfatal: Could not read from remote repository.\n\n" +
		"Please make sure you have the correct access rights\nand the repository exists.\n"
	if got, want := lastLines(in, 3), "remote: done; ssh: denied; fatal: Could not read from remote repository."; got != want {
		t.Errorf("lastLines = %q, want %q", got, want)
	}
	if got := shellQuote("/tmp/it's"); got != `'/tmp/it'\''s'` {
		t.Errorf("shellQuote = %s", got)
	}
}
