package expr

import (
	"errors"
	"testing"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

func TestEvalCondition(t *testing.T) {
	pipeline := vars{
		"pipeline.git.branch":          "main",
		"pipeline.parameters.run":      false,
		"pipeline.parameters.run-e2e":  true,
		"pipeline.parameters.nightly":  "",
		"deploy":                       false,
		"pipeline.git.tag":             nil,
		"pipeline.parameters.attempts": int64(3),
	}
	tests := []struct {
		yaml   string
		lookup Lookup
		want   bool
	}{
		// Expression strings, plain or quoted.
		{`when: pipeline.git.branch == "main"`, pipeline.lookup, true},
		{`when: "pipeline.git.branch == 'dev'"`, pipeline.lookup, false},
		{`when: pipeline.git.branch starts-with "ma" and pipeline.parameters.attempts > 2`, pipeline.lookup, true},
		{`when: not pipeline.parameters.run`, pipeline.lookup, true},
		{`when: pipeline.parameters.run`, pipeline.lookup, false},
		{`when: pipeline.parameters.run-e2e`, pipeline.lookup, true},
		{`when: pipeline.parameters.nightly`, pipeline.lookup, false},
		{`when: pipeline.git.tag or pipeline.git.branch`, pipeline.lookup, true},
		{`when: deploy`, pipeline.lookup, false}, // known single word: evaluated
		{"when: >-\n  pipeline.git.branch matches /^ma/\n  and pipeline.parameters.run-e2e", pipeline.lookup, true},
		// Literals and logic statements.
		{`when: deploy`, nil, true}, // unknown single word: a truthy string
		{`when: main`, pipeline.lookup, true},
		{`when: "some words"`, pipeline.lookup, true},
		{`when: "v1.2"`, pipeline.lookup, true},
		{`when: ""`, pipeline.lookup, false},
		{`when: "pipeline.git.branch"`, pipeline.lookup, true}, // quoted: still an expression
		{`when: '"quoted literal"'`, pipeline.lookup, true},
		{`when: true`, pipeline.lookup, true},
		{`when: false`, pipeline.lookup, false},
		{`when: yes`, pipeline.lookup, true},
		{`when: no`, pipeline.lookup, false},
		{`when: 0`, pipeline.lookup, false},
		{`when: ~`, pipeline.lookup, false},
		{`when: {equal: [main, main]}`, pipeline.lookup, true},
		{`when: {not: {equal: [main, dev]}}`, pipeline.lookup, true},
	}
	for _, tt := range tests {
		n := parseYAML(t, tt.yaml).Content[0].Content[1]
		got, err := EvalCondition("config.yml", n, tt.lookup)
		if err != nil {
			t.Errorf("EvalCondition(%q): %v", tt.yaml, err)
			continue
		}
		if got != tt.want {
			t.Errorf("EvalCondition(%q) = %v, want %v", tt.yaml, got, tt.want)
		}
	}
}

func TestEvalConditionErrors(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{`when: pipeline.foo == 1`, `config.yml:1:7: unknown variable pipeline.foo`},
		{`when: "x and pipeline.foo"`, `config.yml:1:8: unknown variable x`},
		{`when: "true and pipeline.foo"`, `config.yml:1:17: unknown variable pipeline.foo`},
		{`when: deploy and ship`, `config.yml:1:7: unknown variable deploy`},
		{`when: pipeline.git.branch = "main"`, `config.yml:1:27: unexpected "=" (use == to compare)`},
		{`when: main == pipeline.git.branch)`, `config.yml:1:34: unexpected ")" after a complete expression`},
		{`when: pipeline.git.branch < 1`, `config.yml:1:27: < needs numbers, got string "main" and integer 1`},
		{"when: |\n  pipeline.git.branch ==\n    \"main\" and", `config.yml:3: expected an operand after "and", found end of expression`},
		{`when: {and: []}`, `config.yml:1:13: and takes a non-empty list`},
		{`when: [pipeline.git.branch]`, `config.yml:1:7: a logic statement cannot be a list (combine statements with and: or or:)`},
	}
	lookup := vars{"pipeline.git.branch": "main"}.lookup
	for _, tt := range tests {
		n := parseYAML(t, tt.yaml).Content[0].Content[1]
		got, err := EvalCondition("config.yml", n, lookup)
		if err == nil {
			t.Errorf("EvalCondition(%q) = %v, want error %q", tt.yaml, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("EvalCondition(%q) error:\n got %q\nwant %q", tt.yaml, err, tt.want)
		}
		var de *diag.Error
		var dl diag.List
		if !errors.As(err, &de) && !errors.As(err, &dl) {
			t.Errorf("EvalCondition(%q) error is %T, want a diag error", tt.yaml, err)
		}
	}
}
