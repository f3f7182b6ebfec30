package junit

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	samples, _ := filepath.Glob(filepath.Join("testdata", "*.xml"))
	for _, s := range samples {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `<testsuite/>`, `<testsuites><testsuite file="x"><testcase time="1,5"><failure/></testcase></testsuite></testsuites>`,
		`<testsuite><testcase><error>&nbsp;</error></testcase>`, `<a>`, "\xff\xfe<",
	} {
		f.Add([]byte(s))
	}
	results := map[string]bool{ResultSuccess: true, ResultFailure: true, ResultError: true, ResultSkipped: true}
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, _ := Parse(bytes.NewReader(data))
		for _, c := range cases {
			if !results[c.Result] {
				t.Errorf("unexpected result %q", c.Result)
			}
			if c.Time < 0 || math.IsNaN(c.Time) || math.IsInf(c.Time, 0) {
				t.Errorf("bad time %v", c.Time)
			}
			if len(c.Message) > maxMessage {
				t.Errorf("message of %d bytes", len(c.Message))
			}
		}
		for _, by := range []string{"file", "classname", "name"} {
			Timings(cases, by)
		}
	})
}
