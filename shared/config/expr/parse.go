package expr

import (
	"errors"
	"fmt"
	"regexp"
)

// Expr is a parsed expression.
type Expr struct {
	src    string
	root   node
	idents []string
}

// node is an expression AST node; at is its byte offset in the source.
type node interface{ offset() int }

type (
	litNode struct {
		at int
		v  Value
	}
	identNode struct {
		at   int
		name string
	}
	notNode struct {
		at int
		x  node
	}
	// logicNode is a run of and (or of or) operands: a and b and c.
	logicNode struct {
		at   int
		or   bool
		args []node
	}
	// cmpNode is a comparison or starts-with; at is the operator's offset.
	cmpNode struct {
		at   int
		op   tokKind
		l, r node
	}
	matchNode struct {
		at int
		l  node
		re *regexp.Regexp
	}
)

func (n *litNode) offset() int   { return n.at }
func (n *identNode) offset() int { return n.at }
func (n *notNode) offset() int   { return n.at }
func (n *logicNode) offset() int { return n.at }
func (n *cmpNode) offset() int   { return n.at }
func (n *matchNode) offset() int { return n.at }

// Parse compiles src. Syntax errors are *Error values giving the column
// of the problem within src.
func Parse(src string) (*Expr, error) {
	if len(src) > MaxLen {
		return nil, &Error{Line: 1, Col: 1, Err: fmt.Errorf("expression is longer than %d bytes", MaxLen)}
	}
	toks, err := lex(src)
	if err != nil {
		var le *lexError
		if errors.As(err, &le) {
			return nil, newError(src, le.pos, le.err)
		}
		return nil, err
	}
	p := &parser{src: src, toks: toks, seen: map[string]bool{}}
	if p.peek().kind == tEOF {
		return nil, newError(src, 0, errors.New("empty expression"))
	}
	root, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errorf(t.pos, "unexpected %s after a complete expression", t.describe())
	}
	return &Expr{src: src, root: root, idents: p.idents}, nil
}

// String returns the source text.
func (e *Expr) String() string {
	if e == nil {
		return ""
	}
	return e.src
}

// Idents returns every identifier referenced, in source order, without
// duplicates.
func (e *Expr) Idents() []string {
	if e == nil || len(e.idents) == 0 {
		return nil
	}
	return append([]string(nil), e.idents...)
}

type parser struct {
	src    string
	toks   []token
	i      int
	depth  int
	idents []string
	seen   map[string]bool
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errorf(pos int, format string, args ...any) error {
	return newError(p.src, pos, fmt.Errorf(format, args...))
}

// enter guards recursion at pos; every enter is paired with a leave.
func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errorf(pos, "expression nests deeper than %d levels", MaxDepth)
	}
	return nil
}

func (p *parser) leave() { p.depth-- }

func (p *parser) parseOr() (node, error)  { return p.parseLogic(tOr) }
func (p *parser) parseAnd() (node, error) { return p.parseLogic(tAnd) }

// parseLogic parses operands joined by op (tOr or tAnd).
func (p *parser) parseLogic(op tokKind) (node, error) {
	operand := p.parseAnd
	if op == tAnd {
		operand = p.parseCmp
	}
	first, err := operand()
	if err != nil {
		return nil, err
	}
	if p.peek().kind != op {
		return first, nil
	}
	n := &logicNode{at: first.offset(), or: op == tOr, args: []node{first}}
	for p.peek().kind == op {
		t := p.next()
		x, err := p.operand(operand, t)
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, x)
	}
	return n, nil
}

// operand parses the right side of operator t, saying so when it is
// missing.
func (p *parser) operand(parse func() (node, error), t token) (node, error) {
	if n := p.peek(); n.kind == tEOF || n.kind == tRParen || isBinary(n.kind) {
		return nil, p.errorf(n.pos, "expected an operand after %s, found %s", t.describe(), n.describe())
	}
	return parse()
}

func isBinary(k tokKind) bool { return k == tAnd || k == tOr || isCmp(k) }

func isCmp(k tokKind) bool {
	switch k {
	case tEq, tNe, tLt, tLe, tGt, tGe, tStartsWith, tMatches:
		return true
	}
	return false
}

func (p *parser) parseCmp() (node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if !isCmp(op.kind) {
		return l, nil
	}
	p.next()
	var n node
	if op.kind == tMatches {
		n, err = p.parseMatch(l, op)
	} else {
		var r node
		r, err = p.operand(p.parseUnary, op)
		n = &cmpNode{at: op.pos, op: op.kind, l: l, r: r}
	}
	if err != nil {
		return nil, err
	}
	if t := p.peek(); isCmp(t.kind) {
		return nil, p.errorf(t.pos, "comparisons do not chain: add parentheses around the %s comparison", op.describe())
	}
	return n, nil
}

func (p *parser) parseMatch(l node, op token) (node, error) {
	t := p.next()
	if t.kind != tRegex && t.kind != tString {
		return nil, p.errorf(t.pos, "expected a /regular expression/ or a quoted string after matches, found %s", t.describe())
	}
	if len(t.text) > MaxLen {
		return nil, p.errorf(t.pos, "regular expression is longer than %d bytes", MaxLen)
	}
	re, err := regexp.Compile(t.text)
	if err != nil {
		return nil, newError(p.src, t.pos, fmt.Errorf("invalid regular expression: %w", err))
	}
	return &matchNode{at: op.pos, l: l, re: re}, nil
}

func (p *parser) parseUnary() (node, error) {
	t := p.peek()
	if t.kind != tNot {
		return p.parsePrimary()
	}
	p.next()
	if err := p.enter(t.pos); err != nil {
		return nil, err
	}
	defer p.leave()
	x, err := p.operand(p.parseUnary, t)
	if err != nil {
		return nil, err
	}
	return &notNode{at: t.pos, x: x}, nil
}

func (p *parser) parsePrimary() (node, error) {
	t := p.next()
	switch t.kind {
	case tInt, tFloat, tTrue, tFalse, tNull:
		return &litNode{at: t.pos, v: t.val}, nil
	case tString:
		return &litNode{at: t.pos, v: t.text}, nil
	case tIdent:
		if !p.seen[t.text] {
			p.seen[t.text] = true
			p.idents = append(p.idents, t.text)
		}
		return &identNode{at: t.pos, name: t.text}, nil
	case tLParen:
		if err := p.enter(t.pos); err != nil {
			return nil, err
		}
		defer p.leave()
		x, err := p.operand(p.parseOr, t)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, p.errorf(c.pos, "expected \")\" to close \"(\" at column %d, found %s", column(p.src, t.pos), c.describe())
		}
		return x, nil
	case tRegex:
		return nil, p.errorf(t.pos, "a regular expression may only follow matches")
	}
	return nil, p.errorf(t.pos, "expected an operand, found %s", t.describe())
}
