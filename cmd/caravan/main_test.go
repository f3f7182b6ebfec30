package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validConfig = `version: 2.1
parameters:
  deploy:
    type: boolean
    default: false
jobs:
  build:
    docker: [{image: cimg/base:stable}]
    steps: [checkout, {run: make}]
  ship:
    docker: [{image: cimg/base:stable}]
    steps: [{run: make deploy}]
workflows:
  main:
    jobs:
      - build
      - ship:
          requires: [build]
          filters: {branches: {only: main}}
  release:
    when: << pipeline.parameters.deploy >>
    jobs: [ship]
`

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(good, []byte(validConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("version: 2.1\njobs:\n  build:\n    dokcer: [{image: x}]\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [build]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		outHas string
		errHas string
	}{
		{name: "no arguments", args: nil, code: exitUsage, errHas: "usage"},
		{name: "unknown command", args: []string{"nope"}, code: exitUsage, errHas: "unknown command"},
		{name: "validate valid", args: []string{"config", "validate", good}, code: exitOK, outHas: "is valid"},
		{name: "validate invalid", args: []string{"config", "validate", bad}, code: exitInvalid, errHas: `bad.yml:4:5: unknown key "dokcer"`},
		{name: "did you mean", args: []string{"config", "validate", bad}, code: exitInvalid, errHas: `did you mean "docker"`},
		{name: "stdin", stdin: validConfig, args: []string{"config", "validate", "-"}, code: exitOK, outHas: "<stdin> is valid"},
		{name: "missing file", args: []string{"config", "validate", filepath.Join(dir, "nope.yml")}, code: exitInvalid, errHas: "no such file"},
		{name: "no file argument", args: []string{"config", "validate"}, code: exitUsage, errHas: "usage"},
		{name: "bad flag", args: []string{"config", "validate", "--bogus", good}, code: exitUsage},
		{name: "bad parameters JSON", args: []string{"config", "validate", "--pipeline-parameters", "{", good}, code: exitUsage, errHas: "pipeline-parameters"},
		{name: "unknown pipeline parameter", args: []string{"config", "validate", "--pipeline-parameters", `{"nope": 1}`, good}, code: exitInvalid, errHas: "nope"},
		{name: "wrong parameter type", args: []string{"config", "validate", "--pipeline-parameters", `{"deploy": "maybe"}`, good}, code: exitInvalid, errHas: "expected a boolean"},
		{name: "process", args: []string{"config", "process", good}, code: exitOK, outHas: "version: 2\n"},
		{name: "flags after the file", args: []string{"config", "process", good, "--pipeline-parameters", `{"deploy": true}`}, code: exitOK, outHas: "release:"},
		{name: "orb-dir not a directory", args: []string{"config", "validate", "--orb-dir", good, good}, code: exitUsage, errHas: "not a directory"},
		{name: "directory as config", args: []string{"config", "validate", dir}, code: exitInvalid, errHas: "is a directory"},
		{name: "orb pack usage", args: []string{"orb", "pack"}, code: exitUsage, errHas: "usage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if tt.outHas != "" && !strings.Contains(out, tt.outHas) {
				t.Errorf("stdout lacks %q:\n%s", tt.outHas, out)
			}
			if tt.errHas != "" && !strings.Contains(errOut, tt.errHas) {
				t.Errorf("stderr lacks %q:\n%s", tt.errHas, errOut)
			}
		})
	}
}

func TestCLIPlan(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(good, []byte(validConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		branch string
		jobs   []string
	}{{"main", []string{"build", "ship"}}, {"feature", []string{"build"}}} {
		code, out, errOut := runCLI(t, "", "config", "plan", "--branch", tc.branch, good)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var p struct {
			Workflows []struct {
				Name string
				Jobs []struct{ Name string }
			}
		}
		if err := json.Unmarshal([]byte(out), &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Workflows) != 1 || p.Workflows[0].Name != "main" {
			t.Fatalf("branch %s: want workflow main only, got %+v", tc.branch, p.Workflows)
		}
		var got []string
		for _, j := range p.Workflows[0].Jobs {
			got = append(got, j.Name)
		}
		if strings.Join(got, ",") != strings.Join(tc.jobs, ",") {
			t.Errorf("branch %s: jobs %v, want %v", tc.branch, got, tc.jobs)
		}
	}
}
