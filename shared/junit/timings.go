package junit

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Timing kinds: what a timing is keyed by.
const (
	KindFile      = "file"
	KindClassname = "classname"
	KindName      = "name"
)

// Kind returns the canonical timing kind for by, accepting the aliases
// "filename" (file) and "testname" (name). ok is false for anything else.
func Kind(by string) (kind string, ok bool) {
	switch strings.ToLower(strings.TrimSpace(by)) {
	case "file", "filename":
		return KindFile, true
	case "classname":
		return KindClassname, true
	case "name", "testname":
		return KindName, true
	}
	return "", false
}

// CleanFile normalizes a file path for use as a key: "./a//b.go" and
// "a/b.go" are the same file. The empty path stays empty.
func CleanFile(p string) string {
	if p == "" {
		return ""
	}
	return path.Clean(p)
}

// Key returns the case's key for a timing kind (see Kind); file keys are
// cleaned with CleanFile. It is empty for an unknown kind or a missing value.
func (c Case) Key(kind string) string {
	switch kind {
	case KindFile:
		return CleanFile(c.File)
	case KindClassname:
		return c.Classname
	case KindName:
		return c.Name
	}
	return ""
}

// Timings sums the time of cases per key: by is "file", "classname" or
// "name" (or an alias accepted by Kind). Cases with an empty key are left
// out; an unknown by yields an empty map.
func Timings(cases []Case, by string) map[string]float64 {
	out := make(map[string]float64)
	kind, ok := Kind(by)
	if !ok {
		return out
	}
	for _, c := range cases {
		if k := c.Key(kind); k != "" {
			out[k] += c.Time
		}
	}
	return out
}

// parseTime reads a duration in seconds the way producers actually write
// it: "1.5", "1,234.5" (thousands separators), "0,25" (decimal comma),
// "2.5s", or nothing. Anything unreadable, negative or not finite is 0.
func parseTime(s string) float64 {
	s = strings.TrimSpace(s)
	s = strings.TrimSpace(strings.TrimSuffix(s, "s"))
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return 0
	}
	if strings.Contains(s, ",") {
		s = normalizeCommas(s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
		return 0
	}
	return f
}

// normalizeCommas turns the commas of a number into what ParseFloat reads.
// With a dot present, or several commas, commas group thousands. A single
// comma is a decimal comma unless exactly three digits follow a non-zero
// integer part ("1,234" is 1234, "0,123" and "1,5" are fractions).
func normalizeCommas(s string) string {
	if strings.Contains(s, ".") || strings.Count(s, ",") > 1 {
		return strings.ReplaceAll(s, ",", "")
	}
	whole, frac, _ := strings.Cut(s, ",")
	if len(frac) == 3 && strings.TrimLeft(whole, "+-0") != "" {
		return whole + frac
	}
	return whole + "." + frac
}

// charsetReader lets the decoder read the single-byte encodings some older
// producers declare. ASCII is read as Latin-1, its superset.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1", "us-ascii", "ascii":
		return &latin1Reader{r: bufio.NewReader(input)}, nil
	}
	return nil, fmt.Errorf("junit: unsupported encoding %q", charset)
}

// latin1Reader decodes ISO-8859-1 to UTF-8.
type latin1Reader struct {
	r       *bufio.Reader
	pending []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(l.pending) > 0 {
			c := copy(p[n:], l.pending)
			l.pending = l.pending[c:]
			n += c
			continue
		}
		b, err := l.r.ReadByte()
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, err
		}
		if b < utf8.RuneSelf {
			p[n] = b
			n++
			continue
		}
		l.pending = utf8.AppendRune(l.pending[:0], rune(b))
	}
	return n, nil
}
