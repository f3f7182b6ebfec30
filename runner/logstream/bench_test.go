package logstream

import (
	"bytes"
	"fmt"
	"testing"
)

// benchSecrets look like real tokens; their first bytes are common in
// build output, so the masker stops often.
var benchSecrets = []string{
	"ghp_R2d2C3poBb8Ll4Xw9Zq0Ue7Tt6Yy5Ii1Oo3Pp",
	"AKIAIOSFODNN7EXAMPLE",
	"s3cr3t-p@ssw0rd!",
	"xoxb-1234-5678-abcdefghij",
	"9f86d081884c7d659a2feaa0c55ad015",
}

// buildOutput returns n bytes of log-like text with a secret now and then.
func buildOutput(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "#%d [build 3/7] RUN go test -count=1 ./services/%d/... status=ok time=0.%03ds sha=9f86d0%x\n", i, i%17, i%1000, i)
		if i%50 == 0 {
			fmt.Fprintf(&b, "export GITHUB_TOKEN=%s AWS_KEY=%s\n", benchSecrets[0], benchSecrets[1])
		}
	}
	return b.Bytes()[:n]
}

func BenchmarkMasker(b *testing.B) {
	in := buildOutput(32 << 10)
	m := NewMasker(benchSecrets)
	out := make([]byte, 0, 2*len(in))
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		out = m.Mask(out[:0], in)
	}
	if !bytes.Contains(out, []byte(MaskText)) {
		b.Fatal("nothing masked")
	}
}

func BenchmarkStreamer(b *testing.B) {
	for _, bc := range []struct {
		name    string
		secrets []string
	}{{"plain", nil}, {"5secrets", benchSecrets}} {
		b.Run(bc.name, func(b *testing.B) {
			in := buildOutput(32 << 10)
			sender := &countingSender{}
			s := New(b.Context(), sender, Config{Secrets: bc.secrets})
			w := s.Step(0)
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(in); err != nil {
					b.Fatal(err)
				}
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			if got, want := sender.n.Load(), w.Offset(); got != want {
				b.Fatalf("sent %d bytes, accepted %d", got, want)
			}
		})
	}
}
