package expr

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"gopkg.in/yaml.v3"
)

func parseYAML(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml %q: %v", src, err)
	}
	return &doc
}

func TestEvalLogic(t *testing.T) {
	tests := []struct {
		yaml string
		want bool
	}{
		// Literals.
		{`true`, true}, {`false`, false}, {`42`, true}, {`0`, false},
		{`0.0`, false}, {`.nan`, false}, {`.inf`, true}, {`""`, false},
		{`"a string"`, true}, {`~`, false}, {`"false"`, true},
		// YAML 1.1 booleans.
		{`yes`, true}, {`On`, true}, {`no`, false}, {`OFF`, false},
		{`"no"`, true}, {`!!bool n`, false}, {`!!bool Y`, true}, {`y`, true},
		// and / or / not.
		{`and: [true, true]`, true},
		{`and: [true, false]`, false},
		{`and: [yes, 1, "x"]`, true},
		{`or: [false, 0, ""]`, false},
		{`or: [false, yes]`, true},
		{`not: true`, false},
		{`not: no`, true},
		{`not: {and: [true, false]}`, true},
		{"or:\n  - and: [true, {not: false}]\n  - false", true},
		{"and:\n  - or: [false, {not: {or: [false, 0]}}]\n  - not: {equal: [1, 2]}", true},
		// equal.
		{`equal: [42, 42]`, true},
		{`equal: [42]`, true},
		{`equal: [42, "42"]`, false},
		{`equal: [1, 1.0]`, true},
		{`equal: [a, a, a]`, true},
		{`equal: [a, a, b]`, false},
		{`equal: [0x10, 16]`, true},
		{`equal: [~, null]`, true},
		{`equal: [yes, true]`, true},
		{`equal: [.nan, .nan]`, false},
		{`equal: [[1, 2], [1, 2]]`, true},
		{`equal: [[1, 2], [2, 1]]`, false},
		{`equal: [[1], [1, 2]]`, false},
		{`equal: [{a: 1, b: 2}, {b: 2, a: 1}]`, true},
		{`equal: [{a: 1, b: 2}, {a: 1, b: 3}]`, false},
		{`equal: [{a: 1}, {b: 1}]`, false},
		{`equal: [{a: 1}, [a, 1]]`, false},
		{`equal: [[], ~]`, false},
		// matches: a full match of the value's text.
		{`matches: {pattern: "^feature-.+$", value: feature-x}`, true},
		{`matches: {pattern: "feature-.+", value: feature-x}`, true},
		{`matches: {pattern: "feature", value: feature-x}`, false},
		{`matches: {pattern: "a|b", value: ab}`, false},
		{`matches: {pattern: "release/.*", value: release/1.2}`, true},
		{`matches: {pattern: "no", value: no}`, true},
		{`matches: {pattern: "\\d+", value: 42}`, true},
		{`matches: {pattern: ".*", value: ~}`, false},
		{`matches: {pattern: "(?i)MAIN", value: main}`, true},
		// A null argument makes a statement false.
		{`and: ~`, false}, {`or:`, false}, {`not: ~`, false},
		{`equal: ~`, false}, {`matches: ~`, false},
		// Aliases.
		{`and: [&t true, *t]`, true},
	}
	for _, tt := range tests {
		got, err := EvalLogic("config.yml", parseYAML(t, tt.yaml))
		if err != nil {
			t.Errorf("EvalLogic(%q): %v", tt.yaml, err)
			continue
		}
		if got != tt.want {
			t.Errorf("EvalLogic(%q) = %v, want %v", tt.yaml, got, tt.want)
		}
	}
}

func TestEvalLogicAliasStatement(t *testing.T) {
	doc := parseYAML(t, "defs:\n  - &s {not: false}\nwhen: {and: [*s, *s]}\n")
	when := doc.Content[0].Content[3]
	got, err := EvalLogic("config.yml", when)
	if err != nil || !got {
		t.Errorf("EvalLogic(aliased statements) = %v, %v; want true", got, err)
	}
}

func TestEvalLogicErrors(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{`and: []`, `config.yml:1:6: and takes a non-empty list`},
		{`or: []`, `config.yml:1:5: or takes a non-empty list`},
		{`equal: []`, `config.yml:1:8: equal takes a non-empty list`},
		{`and: true`, `config.yml:1:6: and takes a non-empty list`},
		{`equal: 5`, `config.yml:1:8: equal takes a non-empty list`},
		{`andd: [true]`, `config.yml:1:1: unknown logic operator "andd" (did you mean "and"?); want one of and, or, not, equal, matches`},
		{`equals: [1, 1]`, `config.yml:1:1: unknown logic operator "equals" (did you mean "equal"?); want one of and, or, not, equal, matches`},
		{`when: x`, `config.yml:1:1: unknown logic operator "when"; want one of and, or, not, equal, matches`},
		{`{and: [true], or: [true]}`, `config.yml:1:1: a logic statement must have exactly one key, found 2 (and, or)`},
		{`{}`, `config.yml:1:1: empty logic statement: want one of and, or, not, equal, matches`},
		{`[true]`, `config.yml:1:1: a logic statement cannot be a list (combine statements with and: or or:)`},
		{`and: [[true]]`, `config.yml:1:7: a logic statement cannot be a list (combine statements with and: or or:)`},
		{`not: [true]`, `config.yml:1:6: not takes a single logic statement, not a list`},
		{"matches:\n  pattern: \"[a-\"\n  value: x", "config.yml:2:12: invalid matches pattern: error parsing regexp: missing closing ]: `[a-`"},
		{`matches: {pattern: "(?=x)", value: x}`, "config.yml:1:20: invalid matches pattern: error parsing regexp: invalid or unsupported Perl syntax: `(?=`"},
		{`matches: {pattern: "a)|(b", value: x}`, "config.yml:1:20: invalid matches pattern: error parsing regexp: unexpected ): `a)|(b`"},
		{`matches: {patern: x, value: y}`, `config.yml:1:11: unknown matches key "patern" (did you mean "pattern"?); want pattern and value`},
		{`matches: {value: x}`, `config.yml:1:10: matches needs a pattern`},
		{`matches: {pattern: x}`, `config.yml:1:10: matches needs a value`},
		{`matches: [a]`, `config.yml:1:10: matches takes a map with pattern and value`},
		{`matches: {pattern: ~, value: x}`, `config.yml:1:20: matches pattern must be a string`},
		{`matches: {pattern: a, value: [x]}`, `config.yml:1:30: matches value must be a single value, not a list or map`},
		{"and:\n  - {bogus: 1}\n  - or: []\n", "config.yml:2:6: unknown logic operator \"bogus\"; want one of and, or, not, equal, matches\nconfig.yml:3:9: or takes a non-empty list"},
		{"or: [true, {nott: x}]", `config.yml:1:13: unknown logic operator "nott" (did you mean "not"?); want one of and, or, not, equal, matches`},
		{nested("not: ", 101, "true"), "config.yml:1:607: logic statement nests deeper than 100 levels"},
	}
	for _, tt := range tests {
		got, err := EvalLogic("config.yml", parseYAML(t, tt.yaml))
		if err == nil {
			t.Errorf("EvalLogic(%.60q) = %v, want error %q", tt.yaml, got, tt.want)
			continue
		}
		if got {
			t.Errorf("EvalLogic(%.60q) returned true with an error", tt.yaml)
		}
		if err.Error() != tt.want {
			t.Errorf("EvalLogic(%.60q) error:\n got %q\nwant %q", tt.yaml, err, tt.want)
		}
		var list diag.List
		if !errors.As(err, &list) {
			t.Errorf("EvalLogic(%.60q) error is %T, want diag.List", tt.yaml, err)
		}
	}
}

// nested wraps leaf in n levels of prefix, as flow maps: {not: {not: leaf}}.
func nested(prefix string, n int, leaf string) string {
	return strings.Repeat("{"+prefix, n) + leaf + strings.Repeat("}", n)
}

func TestEvalLogicDepth(t *testing.T) {
	if got, err := EvalLogic("c.yml", parseYAML(t, nested("not: ", 100, "true"))); err != nil || !got {
		t.Errorf("100 nested nots = %v, %v; want true, nil", got, err)
	}
	ands := func(n int) string {
		return strings.Repeat("{and: [", n) + "true" + strings.Repeat("]}", n)
	}
	if got, err := EvalLogic("c.yml", parseYAML(t, ands(50))); err != nil || !got {
		t.Errorf("50 nested ands = %v, %v; want true, nil", got, err)
	}
	if _, err := EvalLogic("c.yml", parseYAML(t, ands(101))); err == nil || !strings.Contains(err.Error(), "deeper than 100") {
		t.Errorf("101 nested ands: error = %v, want nesting error", err)
	}
}

// TestEvalLogicAliasBomb checks that aliases cannot make evaluation
// exponential.
func TestEvalLogicAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("defs:\n  - &a0 {equal: [[1, 2, 3], [1, 2, 3]]}\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "  - &a%d {and: [*a%d, *a%d, *a%d, *a%d]}\n", i, i-1, i-1, i-1, i-1)
	}
	b.WriteString("when: *a30\n")
	doc := parseYAML(t, b.String())
	when := doc.Content[0].Content[3]
	// Refused before the work explodes: bounded by what it allocates, not by
	// the clock (an unbounded walk would need 5^30 visits).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := EvalLogic("c.yml", when)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too large") {
		t.Errorf("alias bomb error = %v, want too large", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("alias bomb allocated %d bytes before being refused", got)
	}
}

func TestEvalLogicBuiltNodes(t *testing.T) {
	loop := &yaml.Node{Kind: yaml.AliasNode}
	loop.Alias = loop
	if _, err := EvalLogic("c.yml", loop); err == nil {
		t.Error("alias loop accepted")
	}
	if got, err := EvalLogic("c.yml", nil); got || err != nil {
		t.Errorf("EvalLogic(nil) = %v, %v; want false, nil", got, err)
	}
	if got, err := EvalLogic("c.yml", &yaml.Node{}); got || err != nil {
		t.Errorf("EvalLogic(zero node) = %v, %v; want false, nil", got, err)
	}
	odd := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: "and"}}}
	if _, err := EvalLogic("c.yml", odd); err == nil {
		t.Error("mapping without a value accepted")
	}
}
