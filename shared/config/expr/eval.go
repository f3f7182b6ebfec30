package expr

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// ErrUnknownVariable is wrapped by the error Eval returns for an
// identifier its Lookup does not know.
var ErrUnknownVariable = errors.New("unknown variable")

// Error is a problem in an expression, at a position within its source.
type Error struct {
	Line int // 1-based line within the source
	Col  int // 1-based column within the line, in runes
	Err  error
}

func (e *Error) Error() string {
	if e.Line > 1 {
		return fmt.Sprintf("line %d, column %d: %v", e.Line, e.Col, e.Err)
	}
	return fmt.Sprintf("column %d: %v", e.Col, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// At places the error in a file, given the position where the expression
// source starts there. With start.Col zero (unknown) the column stays
// unknown; a line after the first gets the column within that line.
func (e *Error) At(start diag.Pos) *diag.Error {
	pos := start
	switch {
	case e.Line > 1:
		pos.Line += e.Line - 1
		if pos.Col > 0 {
			pos.Col = e.Col
		}
	case pos.Col > 0:
		pos.Col += e.Col - 1
	}
	return &diag.Error{Pos: pos, Msg: e.Err.Error()}
}

// newError builds an Error at byte offset off of src.
func newError(src string, off int, err error) *Error {
	off = min(max(off, 0), len(src))
	line := 1 + strings.Count(src[:off], "\n")
	return &Error{Line: line, Col: column(src, off), Err: err}
}

// column is the 1-based rune column of byte offset off within its line.
func column(src string, off int) int {
	start := strings.LastIndexByte(src[:off], '\n') + 1
	return utf8.RuneCountInString(src[start:off]) + 1
}

// Eval evaluates the expression, resolving identifiers with lookup.
func (e *Expr) Eval(lookup Lookup) (Value, error) {
	if e == nil || e.root == nil {
		return nil, errors.New("empty expression")
	}
	return e.eval(e.root, lookup)
}

func (e *Expr) errorf(n node, format string, args ...any) error {
	return newError(e.src, n.offset(), fmt.Errorf(format, args...))
}

func (e *Expr) eval(n node, lookup Lookup) (Value, error) {
	switch n := n.(type) {
	case *litNode:
		return n.v, nil
	case *identNode:
		return e.lookup(n, lookup)
	case *notNode:
		v, err := e.eval(n.x, lookup)
		if err != nil {
			return nil, err
		}
		return !Truthy(v), nil
	case *logicNode:
		var v Value
		for _, a := range n.args {
			var err error
			if v, err = e.eval(a, lookup); err != nil {
				return nil, err
			}
			if Truthy(v) == n.or {
				break
			}
		}
		return v, nil
	case *cmpNode:
		return e.evalCmp(n, lookup)
	case *matchNode:
		v, err := e.eval(n.l, lookup)
		if err != nil || v == nil {
			return false, err
		}
		s, ok := v.(string)
		if !ok {
			return nil, e.errorf(n, "matches needs a string on the left, got %s", describe(v))
		}
		return n.re.MatchString(s), nil
	}
	return nil, fmt.Errorf("internal error: unknown node %T", n)
}

func (e *Expr) lookup(n *identNode, lookup Lookup) (Value, error) {
	if lookup == nil {
		return nil, newError(e.src, n.at, fmt.Errorf("%w %s", ErrUnknownVariable, n.name))
	}
	raw, ok := lookup(n.name)
	if !ok {
		return nil, newError(e.src, n.at, fmt.Errorf("%w %s", ErrUnknownVariable, n.name))
	}
	v, ok := normalize(raw)
	if !ok {
		return nil, e.errorf(n, "variable %s has type %T, which expressions cannot use", n.name, raw)
	}
	return v, nil
}

func (e *Expr) evalCmp(n *cmpNode, lookup Lookup) (Value, error) {
	l, err := e.eval(n.l, lookup)
	if err != nil {
		return nil, err
	}
	r, err := e.eval(n.r, lookup)
	if err != nil {
		return nil, err
	}
	switch n.op {
	case tEq:
		return Equal(l, r), nil
	case tNe:
		return !Equal(l, r), nil
	case tStartsWith:
		if l == nil {
			return false, nil
		}
		ls, lok := l.(string)
		rs, rok := r.(string)
		if !lok || !rok {
			return nil, e.errorf(n, "starts-with needs strings, got %s and %s", describe(l), describe(r))
		}
		return strings.HasPrefix(ls, rs), nil
	}
	if !isNumber(l) || !isNumber(r) {
		return nil, e.errorf(n, "%s needs numbers, got %s and %s", opText[n.op], describe(l), describe(r))
	}
	c, ok := compareNum(l, r)
	if !ok { // NaN is unordered
		return false, nil
	}
	switch n.op {
	case tLt:
		return c < 0, nil
	case tLe:
		return c <= 0, nil
	case tGt:
		return c > 0, nil
	}
	return c >= 0, nil
}

func isNumber(v Value) bool {
	switch v.(type) {
	case int64, float64:
		return true
	}
	return false
}
