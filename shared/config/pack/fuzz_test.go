package pack

import (
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"gopkg.in/yaml.v3"
)

// FuzzOrb packs an in-memory orb whose @orb.yml and one command file are
// fuzzed: it must never panic, must be deterministic, and any output must be
// YAML holding only the orb schema's top-level keys.
func FuzzOrb(f *testing.F) {
	for _, p := range []string{"myorb/test/@orb.yml", "myorb/test/commands/zomg.yml", "hugo-pack/.circleci/orbs/hugo/jobs/build.yml"} {
		b, err := os.ReadFile(filepath.Join("testdata", "cli", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, []byte("steps: [{run: <<include(scripts/s.sh)>>}]"))
	}
	f.Add([]byte("commands: {c: {steps: [x]}}\nversion: 2.1"), []byte("steps: [{run: 'a <<include(s)>>'}]"))
	f.Add([]byte("jobs: &j {a: *j}"), []byte("<<: {x: 1}\nsteps: !!binary aGk="))
	f.Add([]byte("jobs:\n  k: {<<include(scripts/s.sh)>>: 1}"), []byte("- 1\n- 2"))
	f.Add([]byte("commands:\n  c: null\n"), []byte(""))
	f.Fuzz(func(t *testing.T, orb, command []byte) {
		fsys := fstest.MapFS{
			"src/@orb.yml":       {Data: orb},
			"src/commands/c.yml": {Data: command},
			"src/jobs/j.yml":     {Data: []byte("steps:\n  - run: <<include(scripts/s.sh)>>\n")},
			"src/scripts/s.sh":   {Data: []byte("echo \"<< parameters.x >>\"\n")},
		}
		out, err := Orb(fsys, "src")
		chunk := chunkNodes
		chunkNodes = 0 // write every map and list piecewise
		pieces, err2 := Orb(fsys, "src")
		chunkNodes = chunk
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("errors differ: %v / %v", err, err2)
		}
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		var doc, doc2 map[string]any
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("output is not YAML: %v\n%s", err, out)
		}
		if err := yaml.Unmarshal(pieces, &doc2); err != nil {
			t.Fatalf("piecewise output is not YAML: %v\n%s", err, pieces)
		}
		if d := cmp.Diff(doc, doc2, cmpopts.EquateNaNs()); d != "" {
			t.Fatalf("piecewise output differs (-whole +piecewise):\n%s\n%s\n%s", d, out, pieces)
		}
		allowed := map[string]bool{}
		for _, k := range orbKeys {
			allowed[k] = true
		}
		for k := range doc {
			if !allowed[k] {
				t.Fatalf("unexpected top-level key %q in\n%s", k, out)
			}
		}
	})
}
