package pack

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

func TestErrors(t *testing.T) {
	cmd := func(run string) string { return "commands:\n  c:\n    steps:\n      - run: " + run + "\n" }
	tests := []struct {
		name string
		orb  bool
		dir  string
		fsys fstest.MapFS
		want string // the whole error text
	}{
		{"include not the whole string", true, "src",
			files("src/@orb.yml", cmd("include <<include(script.sh)>>"), "src/script.sh", "echo"),
			"src/@orb.yml:4:14: entire string must be include statement: 'include <<include(script.sh)>>'"},
		{"two includes", true, "src",
			files("src/@orb.yml", cmd("<<include(a.sh)>><<include(a.sh)>>"), "src/a.sh", "echo"),
			"src/@orb.yml:4:14: multiple include statements: '<<include(a.sh)>><<include(a.sh)>>'"},
		{"missing include file, positioned in the file holding it", true, "src",
			files("src/@orb.yml", "description: d", "src/commands/c.yml", "steps:\n  - run: <<include(scripts/x.sh)>>\n"),
			"src/commands/c.yml:2:10: could not open src/scripts/x.sh for inclusion"},
		{"include of a directory", true, ".",
			files("@orb.yml", cmd("<<include(scripts)>>"), "scripts/a.sh", "echo"),
			"@orb.yml:4:14: could not open scripts for inclusion: is a directory"},
		{"include escaping with ..", true, "src",
			files("src/@orb.yml", cmd("<<include(../secret)>>"), "secret", "x"),
			`src/@orb.yml:4:14: include path "../secret" leaves the orb directory src`},
		{"include escaping through a subdirectory", true, ".",
			files("@orb.yml", cmd("<<include(a/../../x)>>")),
			`@orb.yml:4:14: include path "a/../../x" leaves the orb directory .`},
		{"include of ..", true, ".",
			files("@orb.yml", cmd("<<include(..)>>")),
			`@orb.yml:4:14: include path ".." leaves the orb directory .`},
		{"absolute include path", true, ".",
			files("@orb.yml", cmd("<<include(/etc/passwd)>>")),
			`@orb.yml:4:14: include path "/etc/passwd" is absolute: it must be relative to the orb directory .`},
		{"binary include", true, ".",
			files("@orb.yml", cmd("<<include(b.bin)>>"), "b.bin", "a\x00b"),
			"@orb.yml:4:14: could not include b.bin: not a UTF-8 text file"},
		{"included key repeats a key", true, ".",
			files("@orb.yml", "jobs:\n  j:\n    KEY: 1\n    <<include(k)>>: 2\n", "k", "KEY"),
			"@orb.yml:4:5: an included key repeats the key at @orb.yml:3:5"},
		{"invalid YAML names its file", false, ".",
			files("jobs/ok.yml", "a: 1", "jobs/bad.yml", "a: 1\nsteps: [\n"),
			"jobs/bad.yml:2: invalid YAML: did not find expected node content"},
		{"invalid YAML in @orb.yml", true, "src",
			files("src/@orb.yml", "description: d\n  x: : y\n"),
			"src/@orb.yml:2: invalid YAML: mapping values are not allowed in this context"},
		{"two YAML documents", false, ".",
			files("a/b.yml", "x: 1\n---\ny: 2\n"),
			"a/b.yml:2:1: config holds more than one YAML document"},
		{"@orb.yml and a section file define one command", true, ".",
			files("@orb.yml", "commands:\n  zomg: {steps: []}\n", "commands/zomg.yml", "steps: []"),
			"commands/zomg.yml: commands.zomg is defined twice: here and at @orb.yml:2:3; the CLI would silently keep one of them"},
		{"two @-files give different values", false, ".",
			files("o/@a.yml", "description: a", "o/@b.yml", "description: b"),
			"o/@b.yml:1:1: o.description is defined twice: here and at o/@a.yml:1:1; the CLI would silently keep one of them"},
		{"@-file scalar against a directory", true, ".",
			files("@orb.yml", "commands: none", "commands/c.yml", "steps: []"),
			"commands: commands is defined twice: here and at @orb.yml:1:1; the CLI would silently keep one of them"},
		{"root files define one job twice", false, ".",
			files("a.yml", "jobs:\n  j: {machine: true}\n", "b.yml", "jobs:\n  j: {docker: []}\n"),
			"b.yml:2:3: jobs.j is defined twice: here and at a.yml:2:3; the CLI would silently keep one of them"},
		{"@-file holding a list", false, ".",
			files("o/@orb.yml", "- a\n- b\n"),
			"o/@orb.yml:1:1: expected a map, got a list: @orb.yml is merged into its directory's map"},
		{"section file holding a scalar", true, ".",
			files("@orb.yml", "description: d", "jobs/j.yml", "just text"),
			"jobs/j.yml:1:1: expected a map, got a string: a packed file must hold a map"},
		{"value its explicit tag cannot hold", false, ".",
			files("a/b.yml", "x: !!binary 0"),
			"a/b.yml:1:4: invalid !!binary value: !!binary value contains invalid base64 data"},
		{"NUL byte", false, ".",
			files("x/y.yml", "a: \x00"),
			"x/y.yml: config contains a NUL byte: not a text file"},
		{"missing @orb.yml", true, "src",
			files("src/commands/c.yml", "steps: []"),
			"src: @orb.yml file not found, are you sure this is the Orb root?"},
		{"@orb.yml is a directory", true, ".",
			files("@orb.yml/x.yml", "a: 1"),
			".: @orb.yml file not found, are you sure this is the Orb root?"},
		{"directory climbing out", false, "../x", files(),
			`../x: invalid directory "../x": want an unrooted, slash-separated path without . or .. elements`},
		{"absolute directory", false, "/etc", files(),
			`/etc: invalid directory "/etc": want an unrooted, slash-separated path without . or .. elements`},
		{"missing directory", false, "nope", files("a.yml", "a: 1"),
			"nope: cannot read directory: file does not exist"},
		{"directory is a file", false, "a.yml", files("a.yml", "a: 1"),
			"a.yml: not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack := Config
			if tt.orb {
				pack = Orb
			}
			got, err := pack(tt.fsys, tt.dir)
			if err == nil {
				t.Fatalf("no error; output:\n%s", got)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got %s\nwant %s", err, tt.want)
			}
			var d *diag.Error
			if !errors.As(err, &d) {
				t.Errorf("error is a %T, want a *diag.Error", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	big := strings.Repeat("# padding\n", maxFileBytes/10+1)
	deep := strings.Repeat("d/", maxDirDepth+1) + "x.yml"
	many := fstest.MapFS{}
	for i := range maxEntries + 1 {
		many[fmt.Sprintf("jobs/j%05d.yml", i)] = &fstest.MapFile{Data: []byte("a: 1")}
	}
	total := fstest.MapFS{}
	for i := range 5 {
		total[fmt.Sprintf("f%d.yml", i)] = &fstest.MapFile{Data: []byte(big[:maxFileBytes-1])}
	}
	include := files("@orb.yml", "jobs:\n  j:\n    a: <<include(x)>>\n    b: <<include(x)>>\n    c: <<include(x)>>\n    d: <<include(x)>>\n    e: <<include(x)>>\n", "x", big[:maxFileBytes-1])
	bomb := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	for i, prev := 0, "a"; i < 8; i++ {
		name := fmt.Sprintf("b%d", i)
		bomb += fmt.Sprintf("%s: &%s [*%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s, *%s]\n", name, name, prev, prev, prev, prev, prev, prev, prev, prev, prev, prev)
		prev = name
	}
	tests := []struct {
		name string
		orb  bool
		fsys fstest.MapFS
		want string
	}{
		{"file too big", false, files("a.yml", big), "a.yml: cannot read file: file is larger than the limit of 4 MiB"},
		{"too deep", false, files(deep, "a: 1"), "directories nest deeper than 64 levels"},
		{"too many entries", false, many, "jobs: the tree has more than 10000 files and directories"},
		{"too many bytes", false, total, "f4.yml: cannot read file: the files read add up to more than the limit of 16 MiB"},
		{"includes count toward the bytes", true, include, "@orb.yml:6:8: could not open x for inclusion: the files read add up to more than the limit of 16 MiB"},
		{"alias bomb", false, files("a.yml", bomb), "a.yml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pack := Config
			if tt.orb {
				pack = Orb
			}
			_, err := pack(tt.fsys, ".")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
