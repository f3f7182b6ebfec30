package expr

import (
	"errors"
	"regexp"
	"strings"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"gopkg.in/yaml.v3"
)

// EvalCondition evaluates a workflow-level when/unless value or a job
// filters string. A string scalar (quoted or not) that parses as an
// expression with an operator or an identifier is evaluated with lookup
// and its truthiness returned; anything else is a logic statement for
// EvalLogic.
//
// Two rules keep plain words working as the truthy literals they are in
// CircleCI: a lone undotted identifier (when: deploy) is an expression only
// if lookup knows it, and a string that does not parse is a literal unless
// it looks like a broken expression (it starts with a dotted name, or
// contains == or !=), in which case the syntax error is returned.
func EvalCondition(file string, n *yaml.Node, lookup Lookup) (bool, error) {
	m := deref(n)
	if m != nil && m.Kind == yaml.ScalarNode {
		if s, ok := ScalarValue(m).(string); ok {
			x, err := Parse(s)
			switch {
			case err != nil:
				if looksLikeExpr(s) {
					return false, exprError(file, m, err)
				}
			case isCondition(x, lookup):
				v, err := x.Eval(lookup)
				if err != nil {
					return false, exprError(file, m, err)
				}
				return Truthy(v), nil
			}
		}
	}
	return EvalLogic(file, n)
}

// isCondition reports whether x is to be evaluated rather than taken as a
// literal string.
func isCondition(x *Expr, lookup Lookup) bool {
	switch r := x.root.(type) {
	case *litNode:
		return false
	case *identNode:
		if strings.Contains(r.name, ".") {
			return true
		}
		if lookup == nil {
			return false
		}
		_, ok := lookup(r.name)
		return ok
	}
	return true
}

var dottedStart = regexp.MustCompile(`^\s*(?:not\s+|\(\s*)*[A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_]`)

func looksLikeExpr(s string) bool {
	return dottedStart.MatchString(s) || strings.Contains(s, "==") || strings.Contains(s, "!=")
}

// exprError places an expression error within the scalar n.
func exprError(file string, n *yaml.Node, err error) error {
	start := diag.Pos{File: file, Line: n.Line, Col: n.Column}
	switch {
	case n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0:
		start.Col++
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0:
		start.Line++
		start.Col = 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.At(start)
	}
	return &diag.Error{Pos: start, Msg: err.Error()}
}
