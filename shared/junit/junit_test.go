package junit

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// firstLines keeps only the first line of each message, so sample tests do
// not spell out whole tracebacks.
func firstLines(cases []Case) []Case {
	out := make([]Case, len(cases))
	for i, c := range cases {
		c.Message, _, _ = strings.Cut(c.Message, "\n")
		out[i] = c
	}
	return out
}

func parseFile(t *testing.T, name string) []Case {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cases, err := Parse(f)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return cases
}

func TestParseSamples(t *testing.T) {
	const calc, strs = "example.com/gosample/calc", "example.com/gosample/strs"
	goCase := func(suite, name string, time float64, result, msg string) Case {
		return Case{Suite: suite, Classname: suite, Name: name, Time: time, Result: result, Message: msg}
	}
	py := func(class, name, file string, time float64, result, msg string) Case {
		return Case{Suite: "pytest", Classname: class, Name: name, File: file, Time: time, Result: result, Message: msg}
	}
	const math, str = "tests.test_math", "tests.unit.test_strings.TestStrings"
	const mathPy, strPy = "tests/test_math.py", "tests/unit/test_strings.py"
	pytest := func(withFile bool, times ...float64) []Case {
		f := func(file string) string {
			if withFile {
				return file
			}
			return ""
		}
		return []Case{
			py(math, "test_add", f(mathPy), times[0], "success", ""),
			py(math, "test_slow", f(mathPy), times[1], "success", ""),
			py(math, "test_wrong", f(mathPy), times[2], "failure", "AssertionError: multiplication is off"),
			py(math, "test_gpu", f(mathPy), 0, "skipped", "needs a GPU"),
			py(math, "test_uses_broken", f(mathPy), 0, "error",
				`failed on setup with "RuntimeError: fixture setup failed"`),
			py(math, "test_param[1]", f(mathPy), times[3], "success", ""),
			py(math, "test_param[2]", f(mathPy), 0, "success", ""),
			py(str, "test_upper", f(strPy), 0, "success", ""),
			py(str, "test_split", f(strPy), times[4], "failure", "AssertionError: assert ['a', 'b'] == ['a', 'c']"),
		}
	}
	tests := []struct {
		file string
		want []Case
	}{
		{"go-junit-report.xml", []Case{
			goCase(calc, "TestAdd", 0, "success", ""),
			goCase(calc, "TestSlow", 0.12, "success", ""),
			goCase(calc, "TestDivide", 0, "failure", "Failed"),
			goCase(calc, "TestDivide/by_one", 0, "success", ""),
			goCase(calc, "TestDivide/by_zero", 0, "failure", "Failed"),
			goCase(calc, "TestSkipped", 0, "skipped", "Skipped"),
			goCase(strs, "TestUpper", 0, "success", ""),
			goCase(strs, "TestPanics", 0, "failure", "Failed"),
		}},
		{"go-junit-report-build-failed.xml", []Case{
			goCase("example.com/gosample/broken", "[build failed]", 0, "error", "Build error"),
		}},
		{"pytest-xunit2.xml", pytest(false, 0, 0.151, 0.001, 0.001, 0.001)},
		{"pytest-xunit1.xml", pytest(true, 0, 0.151, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := firstLines(parseFile(t, tt.file))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSampleMessages(t *testing.T) {
	cases := parseFile(t, "go-junit-report.xml")
	if got, want := cases[4].Message, "Failed\ncalc_test.go:18: got 0, want error"; got != want {
		t.Errorf("go-junit-report message = %q, want %q", got, want)
	}
	cases = parseFile(t, "pytest-xunit1.xml")
	if got := cases[2].Message; !strings.HasSuffix(got, "tests/test_math.py:14: AssertionError") {
		t.Errorf("pytest message does not end with the traceback location: %q", got)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		want     []Case
	}{
		{"root testsuite", `<testsuite name="s"><testcase classname="c" name="n" time="2"/></testsuite>`,
			[]Case{{Suite: "s", Classname: "c", Name: "n", Time: 2, Result: "success"}}},
		{"nested suites inherit file and name",
			`<?xml version="1.0"?><!-- c --><!DOCTYPE x><testsuites name="all">
			  <testsuite name="outer" file="./spec/a_spec.rb">
			    <properties><property name="k" value="v"/></properties>
			    <testsuite><testcase name="inherits" time="1,234.5"/></testsuite>
			    <testcase name="own" file="spec/b_spec.rb" time=""/>
			  </testsuite>
			  <testcase name="loose" time="0,25"/>
			  <system-out>ignored <testcase name="not a case"/></system-out>
			</testsuites>`,
			[]Case{
				{Suite: "outer", Name: "inherits", File: "./spec/a_spec.rb", Time: 1234.5, Result: "success"},
				{Suite: "outer", Name: "own", File: "spec/b_spec.rb", Result: "success"},
				{Suite: "all", Name: "loose", Time: 0.25, Result: "success"},
			}},
		{"most severe outcome wins",
			`<testsuite><testcase name="a"><skipped/><failure message="boom">trace</failure><error message="later"/></testcase></testsuite>`,
			[]Case{{Name: "a", Result: "failure", Message: "boom\ntrace"}}},
		{"message from body only",
			`<testsuite><testcase name="a"><error>  <![CDATA[line 1]]>&nbsp;<b>x</b></error></testcase></testsuite>`,
			[]Case{{Name: "a", Result: "error", Message: "line 1\u00a0x"}}},
		{"namespaces and trailing garbage",
			`<j:testsuite xmlns:j="urn:x"><j:testcase j:name="a" time="3s"/></j:testsuite><<<garbage`,
			[]Case{{Name: "a", Time: 3, Result: "success"}}},
		{"latin-1", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><testsuite><testcase name=\"caf\xe9\"/></testsuite>",
			[]Case{{Name: "café", Result: "success"}}},
		{"empty report", `<testsuites/>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
		notJUnit          bool
		wantCases         int
	}{
		{"html root", `<html><body/></html>`, "root element is <html>", true, 0},
		{"empty input", ``, "no root element", true, 0},
		{"only a comment", `<!-- nothing -->`, "no root element", true, 0},
		{"plain text", `hello world`, "no root element", true, 0},
		{"bad syntax", `<testsuite><testcase name="a"></testsuite>`, "syntax error", false, 0},
		{"truncated keeps earlier cases", `<testsuite><testcase name="a"/><testcase name="b">`, "unexpected EOF", false, 1},
		{"unsupported encoding", `<?xml version="1.0" encoding="EBCDIC"?><testsuite/>`, "unsupported encoding", false, 0},
		{"too deep", strings.Repeat("<testsuite>", maxDepth+2), "nested deeper", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Parse error = %v, want one containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrNotJUnit) != tt.notJUnit {
				t.Errorf("errors.Is(err, ErrNotJUnit) = %v, want %v", !tt.notJUnit, tt.notJUnit)
			}
			if len(got) != tt.wantCases {
				t.Errorf("got %d cases, want %d", len(got), tt.wantCases)
			}
		})
	}
}

func TestParseLargeStreams(t *testing.T) {
	const n = 20000
	pr, pw := io.Pipe()
	go func() {
		io.WriteString(pw, `<testsuites><testsuite name="big" file="big_test.go">`)
		io.WriteString(pw, `<testcase name="long"><failure>`+strings.Repeat("y", 3*maxMessage)+`</failure></testcase>`)
		for i := range n - 1 {
			io.WriteString(pw, `<testcase name="t" time="0.001"><system-out>`+
				strings.Repeat("x", i%500)+`</system-out></testcase>`)
		}
		io.WriteString(pw, `</testsuite></testsuites>`)
		pw.Close()
	}()
	cases, err := Parse(pr)
	pr.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != n {
		t.Fatalf("got %d cases, want %d", len(cases), n)
	}
	if got := cases[n-1]; got.File != "big_test.go" || got.Time != 0.001 {
		t.Errorf("last case = %+v", got)
	}
	if l := len(cases[0].Message); l > maxMessage {
		t.Errorf("message is %d bytes, want at most %d", l, maxMessage)
	}
	if !strings.HasSuffix(cases[0].Message, "[truncated]") {
		t.Errorf("long message not marked as truncated")
	}
}
