package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds real-world configs (../shared/corpus beside the repository).
const corpusDir = "../../shared/corpus/configs"

// TestCorpusConfigsRunLocally runs the corpus configs whose jobs need nothing this host lacks (no ruby, no
// Heroku, no private services), unchanged, through `caravan local execute`.
func TestCorpusConfigsRunLocally(t *testing.T) {
	if _, err := os.Stat(corpusDir); err != nil {
		t.Skipf("corpus not found at %s (the shared corpus sits beside the repository): %v", corpusDir, err)
	}
	runnable := []struct {
		file string
		want []string // lines the run must print
	}{
		// version 2 without workflows: the job named build runs, and checks out the repository.
		{"helm__helm.v2-no-workflows-2024.yml", []string{"[build] ✔ Checkout code", "build", "success"}},
		{"argoproj__argo-cd.stub-2020-10.yml", []string{"This is a dummy step to satisfy CircleCI", "dummy"}},
	}
	for _, tc := range runnable {
		t.Run(tc.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(corpusDir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			dir := repo(t, map[string]string{".circleci/config.yml": string(src), "README.md": "corpus run\n"})
			out, code := localExecute(t, dir, t.TempDir())
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}
