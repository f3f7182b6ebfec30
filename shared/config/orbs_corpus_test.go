package config

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/orb"
)

// TestCorpusOrbsExpand invokes every job and command of every packed orb in
// the corpus registry whose parameters all have defaults, and expects the
// config to compile: it catches parameter scoping, interpolation and
// section bugs that only real orbs exercise.
func TestCorpusOrbsExpand(t *testing.T) {
	dir := needCorpus(t)
	root := filepath.Join(dir, "orbs", "registry")
	reg := orb.NewDir(os.DirFS(root))
	files, _ := filepath.Glob(filepath.Join(root, "*", "*", "*", "orb.yml"))
	if len(files) == 0 {
		t.Fatal("no orbs in the corpus registry")
	}
	for _, f := range files {
		rel, _ := filepath.Rel(root, filepath.Dir(f))
		parts := strings.Split(filepath.ToSlash(rel), "/")
		ref := fmt.Sprintf("%s/%s@%s", parts[0], parts[1], parts[2])
		t.Run(ref, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var o struct {
				Jobs     map[string]struct{ Parameters map[string]map[string]any }
				Commands map[string]struct{ Parameters map[string]map[string]any }
			}
			if err := yaml.Unmarshal(data, &o); err != nil {
				t.Fatalf("orb does not decode: %v", err)
			}
			allDefaults := func(ps map[string]map[string]any) bool {
				for _, p := range ps {
					if _, ok := p["default"]; !ok {
						return false
					}
				}
				return true
			}
			var cmds, jobs []string
			for name, c := range o.Commands {
				if allDefaults(c.Parameters) {
					cmds = append(cmds, "        - x/"+name)
				}
			}
			for name, j := range o.Jobs {
				if allDefaults(j.Parameters) {
					jobs = append(jobs, "      - x/"+name)
				}
			}
			sort.Strings(cmds)
			sort.Strings(jobs)
			cmds = append(cmds, "        - checkout")
			src := "version: 2.1\norbs:\n  x: " + ref + "\njobs:\n  use:\n    docker: [{image: cimg/base:stable}]\n    steps:\n" +
				strings.Join(cmds, "\n") + "\nworkflows:\n  w:\n    jobs:\n      - use\n" + strings.Join(jobs, "\n") + "\n"
			_, err = Compile(context.Background(), []byte(src), Options{File: "orbs.yml", Registry: reg})
			if err == nil {
				return
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !missingOrbRE.MatchString(line) { // orbs importing orbs the corpus lacks are fine
					t.Errorf("%s: %s\nconfig:\n%s", ref, line, src)
				}
			}
		})
	}
}
