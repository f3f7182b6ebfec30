package envsubst

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var env = map[string]string{"HOME": "/home/ci", "A": "x", "A_1": "y", "_u": "under", "EMPTY": ""}

func lookup(k string) (string, bool) { v, ok := env[k]; return v, ok }

func TestSubst(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"no refs", "no refs"},
		{"$HOME/bin", "/home/ci/bin"},
		{"${HOME}bin", "/home/cibin"},
		{"$A_1 $A-1 ${A}_1", "y x-1 x_1"},
		{"$_u$A", "underx"},
		{"[$UNSET][${UNSET}][$EMPTY]", "[][][]"},
		{"$", "$"},
		{"a$", "a$"},
		{"$$", "$$"},
		{"$$A", "$x"},
		{"$1 $ x $-", "$1 $ x $-"},
		{"${", "${"},
		{"${A", "${A"},
		{"${}", "${}"},
		{"${1A}", "${1A}"},
		{"${A:-d}", "${A:-d}"},
		{"${A }", "${A }"},
		{"${${A}}", "${x}"},
		{"é$A€", "éx€"},
		{"line1\n$A\n", "line1\nx\n"},
	}
	for _, tt := range tests {
		if got := Subst(tt.in, lookup); got != tt.want {
			t.Errorf("Subst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRun(t *testing.T) {
	tests := []struct {
		name             string
		args             []string
		stdin            string
		code             int
		stdout, inStderr string
	}{
		{"argument", []string{"home=$HOME"}, "ignored", 0, "home=/home/ci\n", ""},
		{"argument with newline", []string{"$A\n"}, "", 0, "x\n", ""},
		{"dash dash", []string{"--", "-$A"}, "", 0, "-x\n", ""},
		{"stdin", nil, "a=$A\nb=${A_1}", 0, "a=x\nb=y", ""},
		{"empty stdin", nil, "", 0, "", ""},
		{"help", []string{"-h"}, "", 0, usage, ""},
		{"too many", []string{"a", "b"}, "", 2, "", "at most one argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Run(tt.args, strings.NewReader(tt.stdin), &out, &errb, lookup)
			if code != tt.code {
				t.Errorf("code = %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if diff := cmp.Diff(tt.stdout, out.String()); diff != "" {
				t.Errorf("stdout mismatch (-want +got):\n%s", diff)
			}
			if !strings.Contains(errb.String(), tt.inStderr) {
				t.Errorf("stderr %q does not contain %q", errb.String(), tt.inStderr)
			}
		})
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestRunReadError(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Run(nil, failingReader{}, &out, &errb, lookup); code != 1 {
		t.Errorf("code = %d, want 1", code)
	}
	if !strings.Contains(errb.String(), "reading input: disk on fire") {
		t.Errorf("stderr = %q", errb.String())
	}
}

func TestStreamLongInput(t *testing.T) {
	in := strings.Repeat("$A ${HOME}\n", 20000)
	var out, errb bytes.Buffer
	if code := Run(nil, strings.NewReader(in), &out, &errb, lookup); code != 0 {
		t.Fatalf("code = %d: %s", code, errb.String())
	}
	if want := strings.Repeat("x /home/ci\n", 20000); out.String() != want {
		t.Errorf("output differs from expected (%d bytes vs %d)", out.Len(), len(want))
	}
}
