package config

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/caravan-ci/caravan/shared/config/diag"
	"github.com/caravan-ci/caravan/shared/config/orb"
)

// corpusDir is the shared test material beside the checkout.
const corpusDir = "../../../shared/corpus"

func needCorpus(tb testing.TB) string {
	tb.Helper()
	if _, err := os.Stat(filepath.Join(corpusDir, "configs")); err != nil {
		tb.Skipf("corpus not found at %s (it lives in ../shared beside the checkout): %v", corpusDir, err)
	}
	return corpusDir
}

// missingOrbRE is the one error a corpus config may fail with: an orb the
// corpus registry does not hold, named with its version.
var missingOrbRE = regexp.MustCompile(`orb [a-z0-9-]+/[a-z0-9-]+@[^ ]+ not found in the registry`)

// TestCorpusCompiles compiles every real-world config: each must compile, or
// fail only because it imports an orb the registry lacks.
func TestCorpusCompiles(t *testing.T) {
	dir := needCorpus(t)
	files, err := filepath.Glob(filepath.Join(dir, "configs", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus configs: %v", err)
	}
	reg := orb.NewDir(os.DirFS(filepath.Join(dir, "orbs", "registry")))
	compiled := 0
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, pipe := range []Pipeline{
				{Branch: "main", TriggerSource: "webhook"},
				{Tag: "v1.0.0", TriggerSource: "webhook"},
				{Branch: "feature/x", TriggerSource: "api"},
			} {
				res, err := Compile(context.Background(), src, Options{File: name, Registry: reg, Pipeline: pipe})
				if err == nil {
					if res.Processed == nil || res.Plan == nil {
						t.Fatal("compiled with no output")
					}
					compiled++
					continue
				}
				var list diag.List
				if !errors.As(err, &list) {
					t.Fatalf("error is not a diag.List: %v", err)
				}
				for _, e := range list {
					if !missingOrbRE.MatchString(e.Msg) {
						t.Errorf("unexpected error: %v", e)
					}
					if e.Pos.Line == 0 {
						t.Errorf("error without a line: %v", e)
					}
				}
			}
		})
	}
	t.Logf("%d of %d compilations succeeded", compiled, 3*len(files))
}

// TestCorpusMissingOrbNamesVersion checks the missing-orb error names the
// orb, the version asked for and the versions the registry has.
func TestCorpusMissingOrbNamesVersion(t *testing.T) {
	dir := needCorpus(t)
	src, err := os.ReadFile(filepath.Join(dir, "configs", "prometheus__prometheus.yml"))
	if err != nil {
		t.Fatal(err)
	}
	reg := orb.NewDir(os.DirFS(filepath.Join(dir, "orbs", "registry")))
	_, err = Compile(context.Background(), src, Options{File: "p.yml", Registry: reg})
	if err == nil || !strings.Contains(err.Error(), "circleci/go@1.7.0 not found") || !strings.Contains(err.Error(), "1.7.3") {
		t.Fatalf("want an error naming circleci/go@1.7.0 and the versions the registry has, got %v", err)
	}
}
