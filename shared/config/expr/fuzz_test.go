package expr

import (
	"errors"
	"hash/fnv"
	"math"
	"testing"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"gopkg.in/yaml.v3"
)

var fuzzSeeds = []string{
	`pipeline.git.branch == "main" and 10 or 1`,
	`pipeline.git.branch or "unknown"`,
	`not (a == b) and c != 1.5e3`,
	`b matches /^release\/.*/ or b starts-with 'v'`,
	`b matches "^v\d+$"`,
	`pipeline.parameters.run-integration and -3 <= x`,
	`((((a))))`, `not not null`, `"unterminated`, `a..b`, `/x/i`,
	`1 == 2 == 3`, "a and\n  b ==", `"é" é`, `12abc`, `99999999999999999999`,
}

// fuzzValues are the values a fuzzing Lookup hands out.
var fuzzValues = []Value{nil, true, false, int64(0), int64(7), 1.5, math.NaN(), "", "main", "release/1"}

func fuzzLookup(name string) (Value, bool) {
	h := fnv.New32a()
	h.Write([]byte(name))
	k := h.Sum32()
	if k%13 == 0 {
		return nil, false
	}
	return fuzzValues[k%uint32(len(fuzzValues))], true
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		x, err := Parse(src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Line < 1 || e.Col < 1 || e.Err == nil {
				t.Fatalf("Parse(%q) error %#v is not a positioned *Error", src, err)
			}
			return
		}
		if x.String() != src {
			t.Fatalf("String() = %q, want %q", x.String(), src)
		}
		seen := map[string]bool{}
		for _, id := range x.Idents() {
			if seen[id] {
				t.Fatalf("Idents(%q) repeats %q", src, id)
			}
			seen[id] = true
		}
		v, err := x.Eval(fuzzLookup)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Eval(%q) error %#v is not an *Error", src, err)
			}
			return
		}
		if _, ok := normalize(v); !ok {
			t.Fatalf("Eval(%q) = %#v, not a Value", src, v)
		}
	})
}

func FuzzEval(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "main", int64(1), 2.5, true)
	}
	f.Fuzz(func(t *testing.T, src, s string, i int64, fl float64, b bool) {
		x, err := Parse(src)
		if err != nil {
			return
		}
		values := []Value{s, i, fl, b, nil}
		lookup := func(name string) (Value, bool) {
			for k, id := range x.Idents() {
				if id == name {
					return values[k%len(values)], true
				}
			}
			return nil, false
		}
		v1, err1 := x.Eval(lookup)
		v2, err2 := x.Eval(lookup)
		if diff := cmp.Diff(v1, v2, cmpopts.EquateNaNs()); diff != "" || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Eval(%q) is not deterministic: %v / %v, %v / %v", src, v1, v2, err1, err2)
		}
		if err1 != nil {
			if errors.Is(err1, ErrUnknownVariable) {
				t.Fatalf("Eval(%q): %v, but every identifier is known", src, err1)
			}
			return
		}
		_ = Truthy(v1)
		_ = Format(v1)
		if f, ok := v1.(float64); !ok || !math.IsNaN(f) {
			if !Equal(v1, v1) {
				t.Fatalf("Equal(%#v, itself) = false", v1)
			}
		}
	})
}

func FuzzLogic(f *testing.F) {
	for _, s := range []string{
		`and: [true, {not: no}]`, `equal: [{a: 1}, {a: 1.0}]`, `matches: {pattern: "a+", value: aaa}`,
		`or: [&x {not: ~}, *x]`, `when: pipeline.git.branch == "main"`, `[1]`, `{}`, `matches: {pattern: "(", value: x}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var doc yaml.Node
		if err := safeUnmarshal([]byte(src), &doc); err != nil {
			return
		}
		check := func(err error) {
			var de *diag.Error
			var dl diag.List
			if err != nil && !errors.As(err, &de) && !errors.As(err, &dl) {
				t.Fatalf("%q: error %#v is not a diag error", src, err)
			}
		}
		_, err := EvalLogic("f.yml", &doc)
		check(err)
		_, err = EvalCondition("f.yml", &doc, fuzzLookup)
		check(err)
		if n := deref(&doc); n != nil && n.Kind == yaml.MappingNode && len(n.Content) == 2 {
			_, err = EvalCondition("f.yml", n.Content[1], fuzzLookup)
			check(err)
		}
	})
}

// safeUnmarshal keeps panics inside the YAML library out of the fuzz
// results: they are not this package's.
func safeUnmarshal(b []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("yaml panic")
		}
	}()
	return yaml.Unmarshal(b, n)
}
