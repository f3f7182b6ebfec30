package pack

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// files builds a MapFS from name/content pairs; a name ending in / is an
// empty directory.
func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i+1 < len(kv); i += 2 {
		if strings.HasSuffix(kv[i], "/") {
			m[strings.TrimSuffix(kv[i], "/")] = &fstest.MapFile{Mode: 0o755 | 1<<31}
			continue
		}
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

func TestPackRules(t *testing.T) {
	tests := []struct {
		name string
		orb  bool
		fsys fstest.MapFS
		want string
	}{
		{"file becomes key, .yaml too", false,
			files("jobs/a.yml", "x: 1", "jobs/b.yaml", "y: 2"),
			"jobs: {a: {x: 1}, b: {y: 2}}"},
		{"root files merge into the root", false,
			files("config.yml", "version: 2.1", "build.yml", "jobs: {a: {x: 1}}"),
			"{version: 2.1, jobs: {a: {x: 1}}}"},
		{"@-file merges into its directory, united with siblings", false,
			files("orbs/o/@orb.yml", "description: d\ncommands: {a: {steps: []}}", "orbs/o/commands/b.yml", "steps: []"),
			"orbs: {o: {description: d, commands: {a: {steps: []}, b: {steps: []}}}}"},
		{"root file and directory unite one level", false,
			files("build.yml", "commands: {foo: {steps: []}}", "commands/say.yml", "steps: []"),
			"commands: {foo: {steps: []}, say: {steps: []}}"},
		{"file and directory of one name unite", false,
			files("o/jobs.yml", "a: {x: 1}", "o/jobs/b.yml", "y: 2"),
			"o: {jobs: {a: {x: 1}, b: {y: 2}}}"},
		{"equal scalars in two root files are fine", false,
			files("a.yml", "version: 2.1", "b.yml", "version: 2.1"),
			"version: 2.1"},
		{"null merges like an empty map", false,
			files("@x.yml", "jobs:", "jobs/a.yml", "x: 1"),
			"jobs: {a: {x: 1}}"},
		{"empty file and empty directory give {}", false,
			files("jobs/a.yml", "", "commands/", ""),
			"{jobs: {a: {}}, commands: {}}"},
		{"empty root and @ files merge nothing", false,
			files("config.yml", "", "o/@orb.yml", "# nothing\n"),
			"o: {}"},
		{"dotfiles, dotfolders and non-YAML files are skipped", false,
			files(".hidden.yml", "a: 1", ".git/x.yml", "b: 1", "README.md", "# hi", "jobs/.x.yml", "c: 1", "jobs/a.yml", "d: 1", "jobs/run.sh", "echo"),
			"jobs: {a: {d: 1}}"},
		{"key is the name without its last extension", false,
			files("jobs/a.b.yml", "x: 1", "v1.2/c.yml", "y: 2"),
			"{jobs: {a.b: {x: 1}}, v1: {c: {y: 2}}}"},
		{"anchors and merge keys resolve within a file", false,
			files("config.yml", "refs: &r {image: a}\njobs: {b: {docker: [*r], <<: {x: 1}}}"),
			"{refs: {image: a}, jobs: {b: {docker: [{image: a}], x: 1}}}"},
		{"orb reads only the section directories", true,
			files("@orb.yml", "version: 2.1", "commands/c.yml", "steps: []", "commands/other/d.yml", "steps: []",
				"scripts/s.yml", "a: 1", "jobs/j.yml", "steps: []", "executors/e.yml", "docker: []", "examples/x.yml", "usage: {}"),
			"{version: 2.1, commands: {c: {steps: []}}, jobs: {j: {steps: []}}, executors: {e: {docker: []}}, examples: {x: {usage: {}}}}"},
		{"orb keeps only the orb schema's top-level keys", true,
			files("@orb.yml", "version: 2.1\ndescription: d\ndisplay: {home_url: u}\norbs: {n: o/n@1}\nparameters: {p: {type: string}}\nfoo: 1"),
			"{version: 2.1, description: d, display: {home_url: u}, orbs: {n: o/n@1}}"},
		{"include escapes << and keeps multi-line text", true,
			files("@orb.yml", "version: 2.1", "commands/c.yml", "steps: [{run: {command: <<include(scripts/s.sh)>>}}]",
				"scripts/s.sh", "#!/bin/sh\necho \"<< parameters.x >>\"\n"),
			"commands: {c: {steps: [{run: {command: \"#!/bin/sh\\necho \\\"\\\\<< parameters.x >>\\\"\\n\"}}]}}\nversion: 2.1"},
		{"include tolerates spaces, a missing ) and an inner ..", true,
			files("@orb.yml", "jobs: {j: {a: '<< include(s/../t.txt) >>', b: <<include(t.txt>>}}", "t.txt", "true"),
			"jobs: {j: {a: 'true', b: 'true'}}"},
		{"include works in keys", true,
			files("@orb.yml", "executors: {e: {environment: {<<include(k.txt)>>: v}}}", "k.txt", "KEY"),
			"executors: {e: {environment: {KEY: v}}}"},
		{"no include outside commands, executors and jobs", true,
			files("@orb.yml", "description: <<include(d.txt)>>\nexamples: {e: {usage: <<include(d.txt)>>}}"),
			"{description: <<include(d.txt)>>, examples: {e: {usage: <<include(d.txt)>>}}}"},
		{"parameters are not includes", true,
			files("@orb.yml", "commands: {c: {steps: [{run: << parameters.x >>}, {run: 'echo <<include >>'}]}}"),
			"commands: {c: {steps: [{run: << parameters.x >>}, {run: 'echo <<include >>'}]}}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack := Config
			if tt.orb {
				pack = Orb
			}
			got, err := pack(tt.fsys, ".")
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(decode(t, "want", []byte(tt.want)), decode(t, "output", got)); d != "" {
				t.Errorf("(-want +got):\n%s\noutput:\n%s", d, got)
			}
		})
	}
}

func TestOrbKeyOrder(t *testing.T) {
	got, err := Orb(files("@orb.yml", "jobs: {b: {}, a: {}}\nversion: 2.1\ncommands: {}\ndescription: d"), ".")
	if err != nil {
		t.Fatal(err)
	}
	want := "version: 2.1\ndescription: d\ncommands: {}\njobs:\n  a: {}\n  b: {}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDirArgument(t *testing.T) {
	fsys := files("a/b/src/@orb.yml", "description: d", "a/b/src/x.sh", "x", "a/b/src/commands/c.yml", "steps: [{run: <<include(x.sh)>>}]")
	got, err := Orb(fsys, "a/b/src")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(decode(t, "want", []byte("{description: d, commands: {c: {steps: [{run: x}]}}}")), decode(t, "got", got)); d != "" {
		t.Error(d)
	}
	if _, err := Config(fsys, ""); err != nil {
		t.Errorf(`Config(fsys, "") = %v, want "." to be used`, err)
	}
}

func TestSymlinks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("shared/common.yml", "machine: true")
	write("c/jobs/own.yml", "docker: []")
	for link, target := range map[string]string{"c/jobs/linked.yml": "../../shared/common.yml", "c/loop": ".", "c/gone.yml": "nowhere.yml"} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("cannot make symlinks here: %v", err)
		}
	}
	got, err := Config(os.DirFS(dir), "c")
	if err != nil {
		t.Fatal(err)
	}
	want := "jobs: {linked: {machine: true}, own: {docker: []}}"
	if d := cmp.Diff(decode(t, "want", []byte(want)), decode(t, "got", got)); d != "" {
		t.Errorf("links to files are followed, links to directories and dangling links skipped (-want +got):\n%s", d)
	}
}
