package envsubst

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Subst returns s with every $NAME and ${NAME} reference replaced by
// lookup(NAME), or by the empty string when lookup reports the name unset.
func Subst(s string, lookup func(string) (string, bool)) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i:]
		name, n := reference(s)
		if n == 0 {
			b.WriteByte('$')
			s = s[1:]
			continue
		}
		if v, ok := lookup(name); ok {
			b.WriteString(v)
		}
		s = s[n:]
	}
}

// reference parses the reference at the start of s, which begins with `$`,
// and returns the name and the length of the reference; n is 0 when s does
// not start with a reference.
func reference(s string) (name string, n int) {
	if len(s) > 1 && s[1] == '{' {
		l := nameLen(s[2:])
		if l == 0 || len(s) <= 2+l || s[2+l] != '}' {
			return "", 0
		}
		return s[2 : 2+l], l + 3
	}
	l := nameLen(s[1:])
	return s[1 : 1+l], l + min(l, 1)
}

// nameLen is the length of the variable name at the start of s, 0 if none.
func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}

const usage = `usage: circleci env subst [TEXT]

Replaces $NAME and ${NAME} in TEXT, or in standard input when TEXT is not
given, with the values of the environment variables (empty when unset).
`

// Run is the `circleci env subst` command. With one argument it substitutes
// that text and prints it followed by a newline; with none it copies stdin to
// stdout line by line, substituting as it goes. It returns the exit code: 0
// on success, 1 on an I/O error, 2 on a usage error.
func Run(args []string, stdin io.Reader, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	} else if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) > 1 {
		fmt.Fprintf(stderr, "env subst: expected at most one argument, got %d\n%s", len(args), usage)
		return 2
	}
	var err error
	if len(args) == 1 {
		out := Subst(args[0], lookup)
		if !strings.HasSuffix(out, "\n") {
			out += "\n"
		}
		_, err = io.WriteString(stdout, out)
	} else {
		err = stream(stdin, stdout, lookup)
	}
	if err != nil {
		fmt.Fprintf(stderr, "env subst: %v\n", err)
		return 1
	}
	return 0
}

// stream substitutes line by line: a reference never spans a newline, so
// memory use is bounded by the longest line, not by the input.
func stream(in io.Reader, out io.Writer, lookup func(string) (string, bool)) error {
	r := bufio.NewReader(in)
	w := bufio.NewWriter(out)
	for {
		line, rerr := r.ReadString('\n')
		if _, err := w.WriteString(Subst(line, lookup)); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return fmt.Errorf("reading input: %w", rerr)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
