package expr

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type vars map[string]Value

func (m vars) lookup(name string) (Value, bool) {
	v, ok := m[name]
	return v, ok
}

func TestEval(t *testing.T) {
	main := vars{"pipeline.git.branch": "main"}
	tests := []struct {
		src  string
		vars vars
		want Value
	}{
		// Literals.
		{`42`, nil, int64(42)},
		{`-5`, nil, int64(-5)},
		{`1.5`, nil, 1.5},
		{`1e3 == 1000`, nil, true},
		{`"a\"b" == 'a"b'`, nil, true},
		{`'it\'s'`, nil, "it's"},
		{`"tab\there\\"`, nil, "tab\there\\"},
		{`"\d"`, nil, `\d`},
		{`null`, nil, nil},
		{`true`, nil, true},

		// Precedence: or < and < comparison < not < parentheses.
		{`true or false and false`, nil, true},
		{`false and true or true`, nil, true},
		{`(true or false) and false`, nil, false},
		{`1 < 2 and 3 > 2`, nil, true},
		{`not 1 == 2`, nil, false}, // (not 1) == 2
		{`not (1 == 2)`, nil, true},
		{`not false == true`, nil, true},
		{`not not "x"`, nil, true},
		{`(1 == 1) == true`, nil, true},
		{`1 == not 0`, nil, false},

		// and/or yield operand values and short-circuit.
		{`pipeline.git.branch == "main" and 10 or 1`, main, int64(10)},
		{`pipeline.git.branch == "main" and 10 or 1`, vars{"pipeline.git.branch": "dev"}, int64(1)},
		{`pipeline.git.branch or "unknown"`, vars{"pipeline.git.branch": nil}, "unknown"},
		{`pipeline.git.branch or "unknown"`, vars{"pipeline.git.branch": ""}, "unknown"},
		{`pipeline.git.branch or "unknown"`, main, "main"},
		{`a and b`, vars{"a": int64(0), "b": "x"}, int64(0)},
		{`a and b`, vars{"a": int64(1), "b": "x"}, "x"},
		{`a or b or c`, vars{"a": "", "b": 0.0, "c": nil}, nil},
		{`a and b and c`, vars{"a": 1, "b": "y", "c": 2.5}, 2.5},
		{`false and missing`, nil, false},
		{`true or missing`, nil, true},
		{`"" and missing or "fallback"`, nil, "fallback"},

		// Equality across types and nil.
		{`null == null`, nil, true},
		{`x == null`, vars{"x": nil}, true},
		{`x != null`, vars{"x": ""}, true},
		{`1 == "1"`, nil, false},
		{`1 != "1"`, nil, true},
		{`1 == 1.0`, nil, true},
		{`true == 1`, nil, false},
		{`n == 3`, vars{"n": 3}, true}, // Go int from a Lookup is widened

		// Ordering.
		{`2 >= 2.0`, nil, true},
		{`1.5 < 2`, nil, true},
		{`-1 < 0`, nil, true},
		{`3 <= 2`, nil, false},
		{`n > 5`, vars{"n": uint16(7)}, true},
		{`x < 1`, vars{"x": nanValue()}, false},

		// starts-with.
		{`b starts-with "release/"`, vars{"b": "release/1.2"}, true},
		{`b starts-with "release/"`, vars{"b": "main"}, false},
		{`b starts-with "release/"`, vars{"b": nil}, false},

		// matches: regex literals with \/, quoted patterns, search semantics.
		{`b matches /^release\/.*/`, vars{"b": "release/1.2"}, true},
		{`b matches /^release\/.*/`, vars{"b": "feature/release/x"}, false},
		{`b matches /feature/`, vars{"b": "my-feature-x"}, true},
		{`b matches "^v\d+$"`, vars{"b": "v12"}, true},
		{`b matches '^v\\d+$'`, vars{"b": "v12"}, true},
		{`b matches /a\\\/b/`, vars{"b": `a\/b`}, true},
		{`b matches /x/`, vars{"b": nil}, false},
		{`not (b matches /x/)`, vars{"b": "x"}, false},

		// Identifiers.
		{`pipeline.parameters.run-integration`, vars{"pipeline.parameters.run-integration": true}, true},
		{`parameters.not and matrix.version`, vars{"parameters.not": 1, "matrix.version": "3.12"}, "3.12"},
		{`_x`, vars{"_x": "u"}, "u"},
		{"a\n\tand\n b", vars{"a": true, "b": "multi-line"}, "multi-line"},
	}
	for _, tt := range tests {
		x, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		got, err := x.Eval(tt.vars.lookup)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.src, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got, cmpopts.EquateNaNs()); diff != "" {
			t.Errorf("Eval(%q) mismatch (-want +got):\n%s", tt.src, diff)
		}
	}
}

func nanValue() Value { return math.NaN() }

func TestEvalErrors(t *testing.T) {
	tests := []struct {
		src     string
		vars    vars
		want    string
		unknown bool
	}{
		{`missing`, nil, "column 1: unknown variable missing", true},
		{`true and pipeline.foo`, nil, "column 10: unknown variable pipeline.foo", true},
		{`missing or true`, nil, "column 1: unknown variable missing", true},
		{`1 < "a"`, nil, `column 3: < needs numbers, got integer 1 and string "a"`, false},
		{`x >= 1`, vars{"x": nil}, `column 3: >= needs numbers, got null and integer 1`, false},
		{`true > false`, nil, `column 6: > needs numbers, got boolean true and boolean false`, false},
		{`x starts-with 1`, vars{"x": "a"}, `column 3: starts-with needs strings, got string "a" and integer 1`, false},
		{`1 starts-with "1"`, nil, `column 3: starts-with needs strings, got integer 1 and string "1"`, false},
		{`not b matches /x/`, vars{"b": "x"}, `column 7: matches needs a string on the left, got boolean false`, false},
		{`1.5 matches /1/`, nil, `column 5: matches needs a string on the left, got float 1.5`, false},
		{`x`, vars{"x": []string{"a"}}, `column 1: variable x has type []string, which expressions cannot use`, false},
		{"a and\n  b < 1", vars{"a": true, "b": "s"}, `line 2, column 5: < needs numbers, got string "s" and integer 1`, false},
	}
	for _, tt := range tests {
		x, err := Parse(tt.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.src, err)
			continue
		}
		_, err = x.Eval(tt.vars.lookup)
		if err == nil {
			t.Errorf("Eval(%q) succeeded, want error %q", tt.src, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Eval(%q) error = %q, want %q", tt.src, err, tt.want)
		}
		if errors.Is(err, ErrUnknownVariable) != tt.unknown {
			t.Errorf("Eval(%q): errors.Is(err, ErrUnknownVariable) = %v", tt.src, !tt.unknown)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Eval(%q) error is %T, want *Error", tt.src, err)
		}
	}
}

func TestEvalNilLookupAndNilExpr(t *testing.T) {
	x, err := Parse(`a`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := x.Eval(nil); !errors.Is(err, ErrUnknownVariable) {
		t.Errorf("Eval(nil lookup) error = %v, want unknown variable", err)
	}
	var nilExpr *Expr
	if _, err := nilExpr.Eval(nil); err == nil {
		t.Error("nil Expr evaluated without error")
	}
	if nilExpr.String() != "" || nilExpr.Idents() != nil {
		t.Error("nil Expr has text or identifiers")
	}
	var zero Expr
	if _, err := zero.Eval(nil); err == nil {
		t.Error("zero Expr evaluated without error")
	}
}
