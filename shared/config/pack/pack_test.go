package pack

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"
)

// decode reads YAML into plain Go values for comparison.
func decode(t *testing.T, what string, b []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s is not valid YAML: %v\n%s", what, err, b)
	}
	return v
}

// TestCLIFixtures packs the circleci-cli v0 cmd/testdata trees (copied
// verbatim into testdata/cli) and compares with their result.yml as YAML.
func TestCLIFixtures(t *testing.T) {
	tests := []struct {
		fixture string
		orb     bool
		dir     string
	}{
		{"myorb", true, "test"},
		{"nested-orbs-and-local-commands-etc", false, "test"},
		{"test-with-large-nested-rails-orb", false, "test"},
		{"hugo-pack", false, ".circleci"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			root := filepath.Join("testdata", "cli", tt.fixture)
			pack := Config
			if tt.orb {
				pack = Orb
			}
			got, err := pack(os.DirFS(root), tt.dir)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(root, "result.yml"))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(decode(t, "result.yml", want), decode(t, "output", got)); d != "" {
				t.Errorf("packed output differs from result.yml (-want +got):\n%s", d)
			}
			again, err := pack(os.DirFS(root), tt.dir)
			if err != nil || string(again) != string(got) {
				t.Errorf("packing twice gave different output or %v", err)
			}
		})
	}
}

// scenario is one Cucumber scenario of orb_pack.feature.
type scenario struct {
	name   string
	files  fstest.MapFS
	args   []string
	output string
	status int
}

var (
	fileWithRE   = regexp.MustCompile(`^Given a file named "([^"]+)" with:$`)
	fileInlineRE = regexp.MustCompile(`^Given a file named "([^"]+)" with "(.*)"$`)
	runRE        = regexp.MustCompile("^When I run `([^`]+)`$")
	statusRE     = regexp.MustCompile(`^And the exit status should be (\d+)$`)
)

// parseFeature reads the few step forms the pack scenarios use.
func parseFeature(t *testing.T, file string) []scenario {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	for s := bufio.NewScanner(f); s.Scan(); {
		lines = append(lines, s.Text())
	}
	docString := func(i int) (string, int) { // lines[i] is the opening """
		indent := len(lines[i]) - len(strings.TrimLeft(lines[i], " "))
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != `"""`; i++ {
			l := lines[i]
			body = append(body, l[min(indent, len(l)-len(strings.TrimLeft(l, " "))):])
		}
		return strings.Join(body, "\n") + "\n", i
	}
	var out []scenario
	var sc *scenario
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		switch {
		case strings.HasPrefix(l, "Scenario:"):
			out = append(out, scenario{name: strings.TrimSpace(strings.TrimPrefix(l, "Scenario:")), files: fstest.MapFS{}})
			sc = &out[len(out)-1]
		case sc == nil:
		case fileWithRE.MatchString(l):
			var body string
			body, i = docString(i + 1)
			sc.files[fileWithRE.FindStringSubmatch(l)[1]] = &fstest.MapFile{Data: []byte(body)}
		case fileInlineRE.MatchString(l):
			m := fileInlineRE.FindStringSubmatch(l)
			sc.files[m[1]] = &fstest.MapFile{Data: []byte(m[2])}
		case runRE.MatchString(l):
			sc.args = strings.Fields(runRE.FindStringSubmatch(l)[1])
		case l == "Then the output should contain:":
			sc.output, i = docString(i + 1)
		case statusRE.MatchString(l):
			sc.status, _ = strconv.Atoi(statusRE.FindStringSubmatch(l)[1])
		}
	}
	return out
}

// TestOrbPackFeature runs every scenario of the CLI's orb_pack.feature
// (copied into testdata/features). Successful output is compared as YAML.
// Errors are compared loosely: the CLI prints "Error: " and wraps most
// errors in "An unexpected error occurred: "; we leave both out and put a
// file:line:col position in front, so the test wants the rest of the
// message as a substring of ours.
func TestOrbPackFeature(t *testing.T) {
	scenarios := parseFeature(t, filepath.Join("testdata", "features", "orb_pack.feature"))
	if len(scenarios) != 5 {
		t.Fatalf("parsed %d scenarios, want 5", len(scenarios))
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			if len(sc.args) != 4 || strings.Join(sc.args[:3], " ") != "circleci orb pack" {
				t.Fatalf("unexpected command %q", sc.args)
			}
			got, err := Orb(sc.files, sc.args[3])
			if sc.status == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if d := cmp.Diff(decode(t, "expected output", []byte(sc.output)), decode(t, "output", got)); d != "" {
					t.Errorf("output differs (-want +got):\n%s", d)
				}
				return
			}
			if err == nil {
				t.Fatalf("got output, want an error:\n%s", got)
			}
			want := strings.TrimSpace(sc.output)
			want = strings.TrimPrefix(want, "Error: ")
			want = strings.TrimPrefix(want, "An unexpected error occurred: ")
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not contain %q", err, want)
			}
		})
	}
}
