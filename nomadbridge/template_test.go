package nomadbridge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"text/template"

	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/google/go-cmp/cmp"
)

// TestRegistryTemplateRendersEnvFile renders the registry template of a docker job as Nomad would
// (consul-template's nomadVar and JSON functions, reimplemented) and reads the result back with the
// escapes Nomad's env file parser (go-envparse) accepts: \\ \" \n \t inside double quotes, nothing else.
func TestRegistryTemplateRendersEnvFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	spec := jobSpec{TaskID: "tpl-0", Attempt: 1, Token: "tok", Auth: []bool{true},
		Executor: plan.Executor{Kind: plan.ExecDocker, Images: []plan.Image{{Image: "registry.example.com/a:1"}}}}
	job := e.b.buildJob(spec)
	tmpls := job.TaskGroups[0].Tasks[0].Templates
	if len(tmpls) != 1 || !*tmpls[0].Envvars {
		t.Fatalf("want one env template on the runner, got %+v", tmpls)
	}
	for _, pass := range []string{"plain", `a&b<c>d`, `quote"back\slash`, "sp ace#hash$dollar'single"} {
		vars := map[string]map[string]string{VariablePath(JobID("tpl-0", 1)): {"user_0": "bot", "password_0": pass}}
		out, err := renderTemplate(*tmpls[0].EmbeddedTmpl, vars)
		if err != nil {
			t.Fatalf("render with password %q: %v", pass, err)
		}
		got, err := parseEnvFile(out)
		if err != nil {
			t.Errorf("password %q renders an env file Nomad cannot read: %v\n%s", pass, err, out)
			continue
		}
		want := map[string]string{"CARAVAN_REGISTRY_USER_0": "bot", "CARAVAN_REGISTRY_PASSWORD_0": pass}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("password %q (-want +got):\n%s", pass, diff)
		}
	}
}

// varItem is consul-template's NomadVarItem.
type varItem struct{ Key, Value string }

func renderTemplate(src string, vars map[string]map[string]string) (string, error) {
	funcs := template.FuncMap{
		"nomadVar": func(path string) (*map[string]varItem, error) {
			items := map[string]varItem{}
			for k, v := range vars[path] {
				items[k] = varItem{k, v}
			}
			return &items, nil
		},
		"toJSON": func(v any) (string, error) {
			b, err := json.Marshal(v)
			return string(bytes.TrimSpace(b)), err
		},
		"toUnescapedJSON": func(v any) (string, error) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			err := enc.Encode(v)
			return strings.TrimSpace(buf.String()), err
		},
	}
	tmpl, err := template.New("registry").Funcs(funcs).Parse(src)
	if err != nil {
		return "", fmt.Errorf("parse template: %w", err)
	}
	var out strings.Builder
	if err := tmpl.Execute(&out, nil); err != nil {
		return "", fmt.Errorf("execute template: %w", err)
	}
	return out.String(), nil
}

// parseEnvFile reads KEY="value" lines with go-envparse's escapes.
func parseEnvFile(s string) (map[string]string, error) {
	env := map[string]string{}
	for i, line := range strings.Split(s, "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return nil, fmt.Errorf("line %d: want KEY=\"value\": %q", i+1, line)
		}
		var b strings.Builder
		body := v[1 : len(v)-1]
		for j := 0; j < len(body); j++ {
			c := body[j]
			if c == '"' {
				return nil, fmt.Errorf("line %d: unescaped quote", i+1)
			}
			if c != '\\' {
				b.WriteByte(c)
				continue
			}
			if j++; j == len(body) {
				return nil, fmt.Errorf("line %d: incomplete escape", i+1)
			}
			switch body[j] {
			case '\\', '"':
				b.WriteByte(body[j])
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return nil, fmt.Errorf("line %d: invalid escape sequence \\%c", i+1, body[j])
			}
		}
		env[k] = b.String()
	}
	return env, nil
}
