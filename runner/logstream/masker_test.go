package logstream

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// maskAll feeds writes to a fresh stream of m and flushes it.
func maskAll(m *Masker, writes []string) string {
	m = m.Clone()
	var out []byte
	for _, w := range writes {
		out = m.Mask(out, []byte(w))
	}
	return string(m.Flush(out))
}

func TestMasker(t *testing.T) {
	const M = MaskText
	tests := []struct {
		name    string
		secrets []string
		writes  []string
		want    string
	}{
		{"inside a write", []string{"hunter22"}, []string{"pw=hunter22 ok"}, "pw=" + M + " ok"},
		{"split across 2 writes", []string{"hunter22"}, []string{"pw=hun", "ter22 ok"}, "pw=" + M + " ok"},
		{"split across 3 writes", []string{"hunter22"}, []string{"pw=h", "unte", "r22 ok"}, "pw=" + M + " ok"},
		{"empty writes", []string{"hunter22"}, []string{"", "pw=hunt", "", "er22", ""}, "pw=" + M},
		{"at the very end", []string{"hunter22"}, []string{"pw=", "hunter22"}, "pw=" + M},
		{"prefix at the end is released at flush", []string{"hunter22"}, []string{"pw=hunt"}, "pw=hunt"},
		{"prefix then mismatch", []string{"hunter22"}, []string{"hunt", "er21"}, "hunter21"},
		{"repeated first byte", []string{"aab1"}, []string{"aaa", "aab1a"}, "aaa" + M + "a"},
		{"several occurrences", []string{"tok3n"}, []string{"tok3n tok", "3n tok3ntok3n"}, M + " " + M + " " + M + M},
		{"several secrets", []string{"alpha1", "bravo2", "charlie3"}, []string{"alpha1 bravo2", " charlie3 delta4"}, M + " " + M + " " + M + " delta4"},
		{"overlap: prefix secret, longest wins", []string{"pass", "password"}, []string{"my password!"}, "my " + M + "!"},
		{"overlap: shorter secret held until decided", []string{"secret", "secretive"}, []string{"x secret"}, "x " + M},
		{"overlap: shorter secret, longer mismatches", []string{"secret", "secretive"}, []string{"x secre", "tiv!"}, "x " + M + "iv!"},
		{"overlap: chained secrets form one region", []string{"abcdef", "defghi"}, []string{"xabcdefghix"}, "x" + M + "x"},
		{"overlap: region continues across writes", []string{"abcdef", "defghi"}, []string{"xabcde", "fgh", "ix"}, "x" + M + "x"},
		{"held prefix contains another secret", []string{"abcde", "cdxy"}, []string{"zzabc", "dxy"}, "zzab" + M},
		{"adjacent occurrences", []string{"abcd"}, []string{"abcdabcd"}, M + M},
		{"short secrets are not masked", []string{"abc", "xy", ""}, []string{"abc xy"}, "abc xy"},
		{"booleans are not masked", []string{"true", "True", "false", "False", "TRUE"}, []string{"true True false False TRUE"}, "true True false False " + M},
		{"duplicate secrets", []string{"s3cr3t", "s3cr3t"}, []string{"a s3cr3t b"}, "a " + M + " b"},
		{"multibyte secret", []string{"pässwörd"}, []string{"x päss", "wörd y"}, "x " + M + " y"},
		{"four characters", []string{"äöüß"}, []string{"äöüß"}, M},
		{"no secrets", nil, []string{"hello", " world"}, "hello world"},
		{"many first bytes", []string{"a123", "b123", "c123", "d123", "e123", "f123", "g123", "h123", "i123", "j123"},
			[]string{"xa12", "3 j1", "23 k123"}, "x" + M + " " + M + " k123"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := NewMasker(tt.secrets)
			whole := strings.Join(tt.writes, "")
			var bytewise []string
			for i := range len(whole) {
				bytewise = append(bytewise, whole[i:i+1])
			}
			for _, split := range []struct {
				name   string
				writes []string
			}{{"as given", tt.writes}, {"one write", []string{whole}}, {"byte by byte", bytewise}} {
				if diff := cmp.Diff(tt.want, maskAll(m, split.writes)); diff != "" {
					t.Errorf("%s: output (-want +got):\n%s", split.name, diff)
				}
			}
			if diff := cmp.Diff(tt.want, m.MaskString(whole)); diff != "" {
				t.Errorf("MaskString (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMaskerHeld(t *testing.T) {
	m := NewMasker([]string{"supersecret"})
	out := m.Mask(nil, []byte("log: sup"))
	if got, want := string(out), "log: "; got != want {
		t.Errorf("released %q, want %q", got, want)
	}
	if got := m.Held(); got != 3 {
		t.Errorf("Held() = %d, want 3", got)
	}
	out = m.Mask(out, []byte("ply"))
	if got, want := string(out), "log: supply"; got != want {
		t.Errorf("released %q, want %q", got, want)
	}
	if got := m.Held(); got != 0 {
		t.Errorf("Held() = %d, want 0", got)
	}
}

func TestMaskWriter(t *testing.T) {
	var buf bytes.Buffer
	mw := NewMaskWriter(&buf, NewMasker([]string{"hunter22"}))
	for _, s := range []string{"a hun", "ter22 b hunt"} {
		if n, err := mw.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", s, n, err)
		}
	}
	if got, want := buf.String(), "a "+MaskText+" b "; got != want {
		t.Errorf("before Flush: %q, want %q", got, want)
	}
	if err := mw.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "a "+MaskText+" b hunt"; got != want {
		t.Errorf("after Flush: %q, want %q", got, want)
	}
}

// FuzzMask checks that however the stream is split into writes, the output
// is the same as masking it at once, and no secret is left in it.
//
// Bytes 0x00..0x0b of data stand for a whole secret and 0x10..0x1b for its
// first half, so occurrences and near misses are common; with more than
// eight secrets the scanner takes its byte-by-byte path. Secrets containing '*' are
// left out: they could be found inside MaskText.
func FuzzMask(f *testing.F) {
	f.Add([]byte("x\x00y\x01\x01z\x10\x00"), "hunter22\nhunter\nter22pw", []byte{3, 1, 0, 7})
	f.Add([]byte("\x00\x01\x02\x11\x12"), "abcdef\ndefghi\nghijkl", []byte{1, 2, 3})
	f.Add([]byte("aaaa\x00aa\x10"), "aaab\naab1\ntrue", []byte{5})
	f.Add([]byte("\x09\x00\x19\x08\x1a\x0a"), "a123\nb123\nc123\nd123\ne123\nf123\ng123\nh123\ni123\nj123\nk1234", []byte{2, 9})
	f.Fuzz(fuzzMask)
}

func fuzzMask(t *testing.T, data []byte, secretList string, splits []byte) {
	var secrets []string // at most 12 of at most 64 bytes: keep each run short
	for _, s := range strings.Split(secretList, "\n") {
		if !strings.Contains(s, "*") && len(secrets) < 12 {
			secrets = append(secrets, s[:min(len(s), 64)])
		}
	}
	data = data[:min(len(data), 4096)]
	var in []byte
	for _, b := range data {
		switch {
		case int(b) < len(secrets):
			in = append(in, secrets[b]...)
		case b >= 0x10 && int(b-0x10) < len(secrets):
			s := secrets[b-0x10]
			in = append(in, s[:len(s)/2]...)
		default:
			in = append(in, b)
		}
	}
	m := NewMasker(secrets)
	want := m.MaskString(string(in))

	var out []byte
	rest := in
	for i := 0; len(rest) > 0; i++ {
		k := len(rest)
		if len(splits) > 0 {
			k = min(k, int(splits[i%len(splits)])%19)
		}
		out = m.Mask(out, rest[:k])
		if k == 0 { // an empty write, then one byte to make progress
			k = 1
			out = m.Mask(out, rest[:k])
		}
		rest = rest[k:]
	}
	out = m.Flush(out)
	if string(out) != want {
		t.Fatalf("split masking differs from whole:\n split %q\n whole %q", out, want)
	}
	for _, s := range secrets {
		if maskable(s) && bytes.Contains(out, []byte(s)) {
			t.Fatalf("secret %q left in output %q (input %q)", s, out, in)
		}
	}
}
