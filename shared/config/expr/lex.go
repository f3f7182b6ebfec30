package expr

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tRegex
	tTrue
	tFalse
	tNull
	tAnd
	tOr
	tNot
	tStartsWith
	tMatches
	tEq
	tNe
	tLt
	tLe
	tGt
	tGe
	tLParen
	tRParen
)

var keywords = map[string]tokKind{
	"and": tAnd, "or": tOr, "not": tNot,
	"true": tTrue, "false": tFalse, "null": tNull,
	"starts-with": tStartsWith, "matches": tMatches,
}

var opText = map[tokKind]string{
	tAnd: "and", tOr: "or", tNot: "not", tStartsWith: "starts-with",
	tMatches: "matches", tEq: "==", tNe: "!=", tLt: "<", tLe: "<=",
	tGt: ">", tGe: ">=", tLParen: "(", tRParen: ")",
}

// token is one lexeme. pos is its byte offset in the source; text holds
// an identifier's name, a string's or regex's decoded content.
type token struct {
	kind tokKind
	pos  int
	text string
	val  Value
}

// describe names the token for messages.
func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of expression"
	case tIdent:
		return "identifier " + t.text
	case tString:
		return "string " + strconv.Quote(t.text)
	case tInt, tFloat, tTrue, tFalse, tNull:
		return Format(t.val)
	case tRegex:
		return "regular expression /" + t.text + "/"
	}
	return strconv.Quote(opText[t.kind])
}

func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isNameChar(c byte) bool { return isLetter(c) || isDigit(c) || c == '-' }

// lexError is a problem at a byte offset; Parse turns it into an *Error.
type lexError struct {
	pos int
	err error
}

func (e *lexError) Error() string { return e.err.Error() }

func errAt(pos int, format string, args ...any) *lexError {
	return &lexError{pos: pos, err: fmt.Errorf(format, args...)}
}

// lex splits src into tokens, ending with tEOF.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; ; {
		for i < len(src) && strings.IndexByte(" \t\r\n\f\v", src[i]) >= 0 {
			i++
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: i}), nil
		}
		t, next, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = next
	}
}

func lexOne(src string, i int) (token, int, error) {
	c := src[i]
	two := ""
	if i+1 < len(src) {
		two = src[i : i+2]
	}
	switch {
	case isLetter(c):
		return lexWord(src, i)
	case isDigit(c) || c == '-' && i+1 < len(src) && isDigit(src[i+1]):
		return lexNumber(src, i)
	case c == '"' || c == '\'':
		return lexString(src, i)
	case c == '/':
		return lexRegex(src, i)
	case c == '(':
		return token{kind: tLParen, pos: i}, i + 1, nil
	case c == ')':
		return token{kind: tRParen, pos: i}, i + 1, nil
	case two == "==":
		return token{kind: tEq, pos: i}, i + 2, nil
	case two == "!=":
		return token{kind: tNe, pos: i}, i + 2, nil
	case two == "<=":
		return token{kind: tLe, pos: i}, i + 2, nil
	case two == ">=":
		return token{kind: tGe, pos: i}, i + 2, nil
	case c == '<':
		return token{kind: tLt, pos: i}, i + 1, nil
	case c == '>':
		return token{kind: tGt, pos: i}, i + 1, nil
	case c == '=':
		return token{}, 0, errAt(i, "unexpected \"=\" (use == to compare)")
	case c == '!':
		return token{}, 0, errAt(i, "unexpected \"!\" (use not)")
	case c == '&':
		return token{}, 0, errAt(i, "unexpected \"&\" (use and)")
	case c == '|':
		return token{}, 0, errAt(i, "unexpected \"|\" (use or)")
	}
	r, _ := utf8.DecodeRuneInString(src[i:])
	return token{}, 0, errAt(i, "unexpected character %q", r)
}

// lexWord reads a dotted identifier or a keyword.
func lexWord(src string, start int) (token, int, error) {
	i := start
	for {
		if i >= len(src) || !isLetter(src[i]) {
			switch {
			case i < len(src) && src[i] == '.':
				return token{}, 0, errAt(i, "empty segment in identifier %s", src[start:i+1])
			case i >= len(src) || !isNameChar(src[i]):
				return token{}, 0, errAt(i-1, "identifier %s ends with \".\"", src[start:i])
			}
			return token{}, 0, errAt(i, "identifier segment must start with a letter or underscore, not %q", src[i])
		}
		for i < len(src) && isNameChar(src[i]) {
			i++
		}
		if i < len(src) && src[i] == '.' {
			i++
			continue
		}
		break
	}
	name := src[start:i]
	if k, ok := keywords[name]; ok {
		t := token{kind: k, pos: start, text: name}
		switch k {
		case tTrue:
			t.val = true
		case tFalse:
			t.val = false
		}
		return t, i, nil
	}
	return token{kind: tIdent, pos: start, text: name}, i, nil
}

func lexNumber(src string, start int) (token, int, error) {
	i := start + 1
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	float := false
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		float = true
		for i++; i < len(src) && isDigit(src[i]); i++ {
		}
	}
	if i < len(src) && (src[i] == 'e' || src[i] == 'E') {
		j := i + 1
		if j < len(src) && (src[j] == '+' || src[j] == '-') {
			j++
		}
		if j < len(src) && isDigit(src[j]) {
			float = true
			for i = j; i < len(src) && isDigit(src[i]); i++ {
			}
		}
	}
	text := src[start:i]
	if i < len(src) && (isNameChar(src[i]) || src[i] == '.') {
		end := i
		for end < len(src) && (isNameChar(src[end]) || src[end] == '.') {
			end++
		}
		return token{}, 0, errAt(start, "invalid number %s", src[start:end])
	}
	if float {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return token{}, 0, errAt(start, "number %s is out of range", text)
		}
		return token{kind: tFloat, pos: start, val: f}, i, nil
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return token{}, 0, errAt(start, "integer %s is out of range", text)
	}
	return token{kind: tInt, pos: start, val: n}, i, nil
}

var escapes = map[byte]byte{'"': '"', '\'': '\'', '\\': '\\', 'n': '\n', 'r': '\r', 't': '\t'}

// lexString reads a quoted string. Unknown escapes keep their backslash.
func lexString(src string, start int) (token, int, error) {
	q := src[start]
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		c := src[i]
		switch {
		case c == q:
			return token{kind: tString, pos: start, text: b.String()}, i + 1, nil
		case c == '\\' && i+1 < len(src):
			i++
			if e, ok := escapes[src[i]]; ok {
				b.WriteByte(e)
			} else {
				b.WriteByte('\\')
				b.WriteByte(src[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return token{}, 0, errAt(start, "unterminated string")
}

// lexRegex reads /pattern/, where \/ stands for a slash and other
// backslashes are kept for the regexp engine.
func lexRegex(src string, start int) (token, int, error) {
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '/':
			if i+1 < len(src) && isLetter(src[i+1]) {
				return token{}, 0, errAt(i+1, "regular expression flags are not supported (use (?i) inside the pattern)")
			}
			return token{kind: tRegex, pos: start, text: b.String()}, i + 1, nil
		case c == '\\' && i+1 < len(src):
			i++
			if src[i] != '/' {
				b.WriteByte('\\')
			}
			b.WriteByte(src[i])
		default:
			b.WriteByte(c)
		}
	}
	return token{}, 0, errAt(start, "unterminated regular expression")
}
