package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/config/orb"
)

// FuzzCompile feeds arbitrary bytes to the compiler: it must never panic
// and fail only with positioned diagnostics (the fuzzer itself reports an
// input that hangs).
func FuzzCompile(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/golden/*.yml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"version: 2.1\njobs:\n  a:\n    docker: [{image: x}]\n    steps: [checkout]\nworkflows:\n  w:\n    jobs: [a]\n",
		"version: 2.1\nx: &a [*a]\n",
		"a: &a [1]\nb: &b [*a, *a]\nc: &c [*b, *b]\nversion: 2.1\n",
		"version: 2.1\ncommands:\n  c:\n    steps: [c]\njobs:\n  j:\n    machine: true\n    steps: [c]\nworkflows:\n  w:\n    jobs: [j]\n",
		"version: 2.1\nparameters:\n  p: {type: boolean, default: yes}\nworkflows:\n  w:\n    when: << pipeline.parameters.p >>\n    jobs: [{j: {matrix: {parameters: {x: [1, 2]}}}}]\n",
	} {
		f.Add([]byte(s))
	}
	reg := orb.NewDir(os.DirFS("testdata/orbs"))
	f.Fuzz(func(t *testing.T, src []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := Compile(ctx, src, Options{File: "fuzz.yml", Registry: reg, MaxNodes: 200_000,
			Pipeline: Pipeline{Branch: "main", Parameters: map[string]any{}}})
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatalf("compiler panicked: %v", err)
			}
			var list diag.List
			var one *diag.Error
			if !errors.As(err, &list) && !errors.As(err, &one) {
				t.Fatalf("error is not a diagnostic: %T %v", err, err)
			}
			return
		}
		_ = res.YAML()
	})
}
