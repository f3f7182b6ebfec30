package expr

import (
	"errors"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/google/go-cmp/cmp"
)

func TestParseErrors(t *testing.T) {
	tests := []struct {
		src  string
		want string
	}{
		{``, `column 1: empty expression`},
		{`   `, `column 1: empty expression`},
		{`a ==`, `column 5: expected an operand after "==", found end of expression`},
		{`a == )`, `column 6: expected an operand after "==", found ")"`},
		{`a b`, `column 3: unexpected identifier b after a complete expression`},
		{`a "b"`, `column 3: unexpected string "b" after a complete expression`},
		{`(a`, `column 3: expected ")" to close "(" at column 1, found end of expression`},
		{`(a or b) )`, `column 10: unexpected ")" after a complete expression`},
		{`()`, `column 2: expected an operand after "(", found ")"`},
		{`)`, `column 1: expected an operand, found ")"`},
		{`== a`, `column 1: expected an operand, found "=="`},
		{`a or or b`, `column 6: expected an operand after "or", found "or"`},
		{`a and`, `column 6: expected an operand after "and", found end of expression`},
		{`not`, `column 4: expected an operand after "not", found end of expression`},
		{`a = b`, `column 3: unexpected "=" (use == to compare)`},
		{`a && b`, `column 3: unexpected "&" (use and)`},
		{`a || b`, `column 3: unexpected "|" (use or)`},
		{`!a`, `column 1: unexpected "!" (use not)`},
		{`a # b`, `column 3: unexpected character '#'`},
		{`"é" é`, `column 5: unexpected character 'é'`},
		{`"abc`, `column 1: unterminated string`},
		{`'abc\'`, `column 1: unterminated string`},
		{`a matches /abc`, `column 11: unterminated regular expression`},
		{`a matches /abc\/`, `column 11: unterminated regular expression`},
		{`a matches /(/`, "column 11: invalid regular expression: error parsing regexp: missing closing ): `(`"},
		{`a matches "(?<name"`, "column 11: invalid regular expression: error parsing regexp: invalid named capture: `(?<name`"},
		{`a matches b`, `column 11: expected a /regular expression/ or a quoted string after matches, found identifier b`},
		{`a matches`, `column 10: expected a /regular expression/ or a quoted string after matches, found end of expression`},
		{`a matches /x/i`, `column 14: regular expression flags are not supported (use (?i) inside the pattern)`},
		{`/x/`, `column 1: a regular expression may only follow matches`},
		{`a..b`, `column 3: empty segment in identifier a..`},
		{`a.`, `column 2: identifier a. ends with "."`},
		{`a. b`, `column 2: identifier a. ends with "."`},
		{`a.1b`, `column 3: identifier segment must start with a letter or underscore, not '1'`},
		{`a.-b`, `column 3: identifier segment must start with a letter or underscore, not '-'`},
		{`.a`, `column 1: unexpected character '.'`},
		{`1 == 2 == 3`, `column 8: comparisons do not chain: add parentheses around the "==" comparison`},
		{`a < b starts-with c`, `column 7: comparisons do not chain: add parentheses around the "<" comparison`},
		{`12abc`, `column 1: invalid number 12abc`},
		{`1.2.3`, `column 1: invalid number 1.2.3`},
		{`1.`, `column 1: invalid number 1.`},
		{`99999999999999999999`, `column 1: integer 99999999999999999999 is out of range`},
		{`1e999`, `column 1: number 1e999 is out of range`},
		{"a and\n  b ==", `line 2, column 7: expected an operand after "==", found end of expression`},
		{strings.Repeat("(", 101) + "1" + strings.Repeat(")", 101), `column 101: expression nests deeper than 100 levels`},
		{strings.Repeat("not ", 101) + "x", `column 401: expression nests deeper than 100 levels`},
		{strings.Repeat(" ", MaxLen+1), `column 1: expression is longer than 65536 bytes`},
	}
	for _, tt := range tests {
		x, err := Parse(tt.src)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want error %q", tt.src, x, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%.60q) error:\n got %q\nwant %q", tt.src, err, tt.want)
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%.60q) error is %T, want *Error", tt.src, err)
		}
	}
}

func TestParseLimits(t *testing.T) {
	deep := strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100)
	nots := strings.Repeat("not ", 100) + "0"
	long := `"` + strings.Repeat("x", MaxLen-2) + `"`
	wide := "a" + strings.Repeat(" or a", 10000)
	for _, src := range []string{deep, nots, long, wide} {
		x, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%.40q...): %v", src, err)
			continue
		}
		if _, err := x.Eval(vars{"a": false}.lookup); err != nil {
			t.Errorf("Eval(%.40q...): %v", src, err)
		}
	}
}

func TestIdentsAndString(t *testing.T) {
	tests := []struct {
		src  string
		want []string
	}{
		{`1 == 1`, nil},
		{`"pipeline.git.branch"`, nil},
		{`b == "x" and a or b and pipeline.git.branch`, []string{"b", "a", "pipeline.git.branch"}},
		{`not (pipeline.parameters.run-e2e) or matrix.os matches /linux/`, []string{"pipeline.parameters.run-e2e", "matrix.os"}},
		{`true and null or false`, nil},
	}
	for _, tt := range tests {
		x, err := Parse(tt.src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.src, err)
		}
		if diff := cmp.Diff(tt.want, x.Idents()); diff != "" {
			t.Errorf("Idents(%q) mismatch (-want +got):\n%s", tt.src, diff)
		}
		if x.String() != tt.src {
			t.Errorf("String() = %q, want %q", x.String(), tt.src)
		}
	}
	x, _ := Parse(`a or b`)
	x.Idents()[0] = "changed"
	if x.Idents()[0] != "a" {
		t.Error("Idents returned the Expr's own slice")
	}
}

func TestErrorAt(t *testing.T) {
	tests := []struct {
		err   *Error
		start diag.Pos
		want  string
	}{
		{&Error{Line: 1, Col: 5, Err: errors.New("bad")}, diag.Pos{File: "c.yml", Line: 3, Col: 10}, "c.yml:3:14: bad"},
		{&Error{Line: 2, Col: 3, Err: errors.New("bad")}, diag.Pos{File: "c.yml", Line: 3, Col: 10}, "c.yml:4:3: bad"},
		{&Error{Line: 1, Col: 5, Err: errors.New("bad")}, diag.Pos{File: "c.yml", Line: 3}, "c.yml:3: bad"},
		{&Error{Line: 3, Col: 5, Err: errors.New("bad")}, diag.Pos{File: "c.yml", Line: 3}, "c.yml:5: bad"},
	}
	for _, tt := range tests {
		if got := tt.err.At(tt.start).Error(); got != tt.want {
			t.Errorf("At(%v) = %q, want %q", tt.start, got, tt.want)
		}
	}
	wrapped := &Error{Line: 1, Col: 1, Err: ErrUnknownVariable}
	if !errors.Is(wrapped, ErrUnknownVariable) {
		t.Error("Error does not unwrap")
	}
}
