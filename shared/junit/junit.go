package junit

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Results a Case can have.
const (
	ResultSuccess = "success"
	ResultFailure = "failure"
	ResultError   = "error"
	ResultSkipped = "skipped"
)

// Case is one <testcase> of a report.
type Case struct {
	Suite     string  `json:"suite"`
	Classname string  `json:"classname"`
	Name      string  `json:"name"`
	File      string  `json:"file"`
	Time      float64 `json:"time"` // seconds
	Result    string  `json:"result"`
	Message   string  `json:"message,omitempty"`
}

// Failed reports whether the case failed or errored.
func (c Case) Failed() bool { return c.Result == ResultFailure || c.Result == ResultError }

// ErrNotJUnit is wrapped by Parse's error when the document is XML but its
// root element is neither <testsuites> nor <testsuite>.
var ErrNotJUnit = errors.New("not a JUnit report")

const (
	// maxMessage caps Case.Message, in bytes.
	maxMessage = 4096
	// maxDepth caps the nesting of suites, so hostile input cannot grow the
	// call stack without bound.
	maxDepth = 512
)

// suiteCtx is what a test case inherits from its enclosing suites.
type suiteCtx struct {
	name, file string
	depth      int
}

type parser struct {
	d     *xml.Decoder
	cases []Case
}

// Parse reads a JUnit XML report and returns its test cases in document
// order. The root must be <testsuites> or <testsuite>; suites may nest. A
// case without a `file` attribute takes the nearest enclosing suite's.
// Elements Parse does not know (properties, system-out, ...) are skipped.
//
// On malformed XML Parse returns the cases read before the error together
// with the error, so a report truncated by a killed test run is still
// usable by callers that choose to.
func Parse(r io.Reader) ([]Case, error) {
	d := xml.NewDecoder(r)
	d.Entity = xml.HTMLEntity
	d.CharsetReader = charsetReader
	p := &parser{d: d}
	err := p.run()
	return p.cases, err
}

func (p *parser) run() error {
	for {
		tok, err := p.d.Token()
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("junit: no root element: %w", ErrNotJUnit)
		}
		if err != nil {
			return fmt.Errorf("junit: reading report: %w", err)
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue // prolog: declaration, comments, doctype, whitespace
		}
		switch start.Name.Local {
		case "testsuites", "testsuite":
			return p.container(child(suiteCtx{}, start))
		default:
			return fmt.Errorf("junit: root element is <%s>, want <testsuites> or <testsuite>: %w",
				start.Name.Local, ErrNotJUnit)
		}
	}
}

// child is the context of a suite element nested in parent.
func child(parent suiteCtx, start xml.StartElement) suiteCtx {
	c := suiteCtx{name: parent.name, file: parent.file, depth: parent.depth + 1}
	if v := attr(start, "name"); v != "" {
		c.name = v
	}
	if v := attr(start, "file"); v != "" {
		c.file = v
	}
	return c
}

// container reads the children of a suite element up to its end tag.
func (p *parser) container(ctx suiteCtx) error {
	if ctx.depth > maxDepth {
		return fmt.Errorf("junit: suites nested deeper than %d levels", maxDepth)
	}
	for {
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "testsuite", "testsuites":
				err = p.container(child(ctx, t))
			case "testcase":
				err = p.testcase(ctx, t)
			default:
				err = p.skip()
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// outcomeRank orders the outcome elements: the most severe one wins, and
// among equals the first one.
var outcomeRank = map[string]int{ResultSkipped: 1, ResultFailure: 2, ResultError: 2}

func (p *parser) testcase(ctx suiteCtx, start xml.StartElement) error {
	c := Case{
		Suite:     ctx.name,
		Classname: attr(start, "classname"),
		Name:      attr(start, "name"),
		File:      attr(start, "file"),
		Time:      parseTime(attr(start, "time")),
		Result:    ResultSuccess,
	}
	if c.File == "" {
		c.File = ctx.file
	}
	for {
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			rank, ok := outcomeRank[t.Name.Local]
			if !ok {
				if err := p.skip(); err != nil {
					return err
				}
				continue
			}
			msg, err := p.message(t)
			if err != nil {
				return err
			}
			if rank > outcomeRank[c.Result] {
				c.Result, c.Message = t.Name.Local, msg
			}
		case xml.EndElement:
			p.cases = append(p.cases, c)
			return nil
		}
	}
}

// message consumes an outcome element and returns its message attribute
// followed by its text body when they differ, capped at maxMessage bytes.
func (p *parser) message(start xml.StartElement) (string, error) {
	var body strings.Builder
	for depth := 1; depth > 0; {
		tok, err := p.token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if body.Len() <= maxMessage {
				body.Write(t[:min(len(t), maxMessage+1-body.Len())])
			}
		}
	}
	msg := strings.TrimSpace(attr(start, "message"))
	if text := strings.TrimSpace(body.String()); text != "" && text != msg {
		if msg != "" {
			msg += "\n"
		}
		msg += text
	}
	return truncate(msg, maxMessage), nil
}

// token returns the next token; running out of input inside the root
// element is an error.
func (p *parser) token() (xml.Token, error) {
	tok, err := p.d.Token()
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		return nil, fmt.Errorf("junit: reading report: %w", err)
	}
	return tok, nil
}

func (p *parser) skip() error {
	if err := p.d.Skip(); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("junit: reading report: %w", err)
	}
	return nil
}

func attr(e xml.StartElement, name string) string {
	for _, a := range e.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = " [truncated]"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}
