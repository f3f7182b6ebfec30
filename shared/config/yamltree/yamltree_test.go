package yamltree

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/diag"
)

// flat renders a resolved tree as compact text: maps as {k: v, ...} in
// order, lists as [a, b], scalars as written, null as ~.
func flat(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		parts := []string{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, n.Content[i].Value+": "+flat(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case yaml.SequenceNode:
		parts := []string{}
		for _, c := range n.Content {
			parts = append(parts, flat(c))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	if n.ShortTag() == "!!null" {
		return "~"
	}
	return n.Value
}

func TestParse(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"empty document", "", "~"},
		{"only comments", "# nothing\n", "~"},
		{"flow style", "{a: [1, {b: c}], d: ~}", "{a: [1, {b: c}], d: ~}"},
		{"alias of a map and of a list", "x: &x {k: v}\ny: &y [1, 2]\nz: [*x, *y]", "{x: {k: v}, y: [1, 2], z: [{k: v}, [1, 2]]}"},
		{"anchor defined twice: later aliases see the later one", "a: &v 1\nb: *v\nc: &v 2\nd: *v", "{a: 1, b: 1, c: 2, d: 2}"},
		{"merge a map", "base: &b {x: 1, y: 2}\nm: {<<: *b, z: 3}", "{base: {x: 1, y: 2}, m: {x: 1, y: 2, z: 3}}"},
		{"explicit key before a merge wins", "b: &b {x: merged}\nm: {x: explicit, <<: *b}", "{b: {x: merged}, m: {x: explicit}}"},
		{"explicit key after a merge wins, in the merged key's place", "b: &b {x: merged, y: 1}\nm: {<<: *b, x: explicit}", "{b: {x: merged, y: 1}, m: {x: explicit, y: 1}}"},
		{"several merge keys: the first source wins", "a: &a {k: a}\nb: &b {k: b, l: b}\nm:\n  <<: *a\n  <<: *b", "{a: {k: a}, b: {k: b, l: b}, m: {k: a, l: b}}"},
		{"merge of a list of maps: the first map wins", "a: &a {k: a}\nb: &b {k: b, l: b}\nm: {<<: [*a, *b]}", "{a: {k: a}, b: {k: b, l: b}, m: {k: a, l: b}}"},
		{"merge of an inline map", "m: {<<: {k: v}, l: w}", "{m: {k: v, l: w}}"},
		{"merge of null is nothing", "m: {<<: ~, k: v}", "{m: {k: v}}"},
		{"nested merges", "a: &a {x: 1}\nb: &b {<<: *a, y: 2}\nc: {<<: *b, z: 3}", "{a: {x: 1}, b: {x: 1, y: 2}, c: {x: 1, y: 2, z: 3}}"},
		{"quoted << is a plain key", "m: {\"<<\": {k: v}}", "{m: {<<: {k: v}}}"},
		{"explicit !!merge tag", "a: &a {k: v}\nm: {!!merge <<: *a}", "{a: {k: v}, m: {k: v}}"},
		{"duplicate keys: the later value wins in place", "a: 1\nb: 2\na: 3", "{a: 3, b: 2}"},
		{"YAML 1.1 words stay strings", "a: yes\nb: on\nc: 0777", "{a: yes, b: on, c: 0777}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n, err := Parse("c.yml", []byte(tc.src), DefaultLimits)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := flat(n); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			checkResolved(t, n)
		})
	}
}

func TestParsePositions(t *testing.T) {
	src := "base: &b\n  image: x\njob:\n  <<: *b\n  steps: [a]\nlist: [*b]\n"
	n, err := Parse("c.yml", []byte(src), DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	job := n.Content[3]
	if k := job.Content[0]; k.Value != "image" || k.Line != 2 || k.Column != 3 {
		t.Errorf("merged key %q at %d:%d, want image at the anchor's 2:3", k.Value, k.Line, k.Column)
	}
	if k := job.Content[2]; k.Value != "steps" || k.Line != 5 || k.Column != 3 {
		t.Errorf("own key %q at %d:%d, want steps at 5:3", k.Value, k.Line, k.Column)
	}
	if item := n.Content[5].Content[0]; item.Line != 1 || item.Column != 7 {
		t.Errorf("alias copy at %d:%d, want the anchor's 1:7", item.Line, item.Column)
	}
}

func TestParseErrors(t *testing.T) {
	small := Limits{MaxBytes: 1000, MaxNodes: 100, MaxDepth: 10}
	cases := []struct {
		name, src string
		lim       Limits
		want, pos string
	}{
		{"syntax error", "a: [1, 2\nb: c\n", DefaultLimits, "invalid YAML", "c.yml:1"},
		{"tab indentation", "a:\n\tb: c\n", DefaultLimits, "invalid YAML", "c.yml:2"},
		{"unknown anchor", "a: 1\nb: [x, *nope]\n", DefaultLimits, "unknown anchor 'nope' referenced", "c.yml:2:8"},
		{"two documents", "a: 1\n---\nb: 2\n", DefaultLimits, "more than one YAML document", "c.yml:2:1"},
		{"NUL byte", "a: \x00", DefaultLimits, "NUL byte", "c.yml"},
		{"too many bytes", strings.Repeat("#", 1001), small, "config is 1001 bytes, over the limit of 1000 bytes", "c.yml"},
		{"too deep", "a: [[[[[[[[[[[[1]]]]]]]]]]]]", small, "config nests deeper than 10 levels", "c.yml:1:14"},
		{"too many nodes without aliases", "a: [" + strings.Repeat("1, ", 120) + "]", small, "this value expands to more than 100 YAML nodes", "c.yml:1:4"},
		{"aliases over the node limit", "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: &b [*a, *a, *a, *a, *a]\nc: [*b, *b, *b]\n", small, "this value expands to more than 100 YAML nodes", "c.yml:3:4"},
		{"a whole config over the node limit", "a: [" + strings.Repeat("1, ", 50) + "]\nb: [" + strings.Repeat("1, ", 50) + "]\n", small, "config expands to more than 100 YAML nodes", "c.yml:1:1"},
		{"alias cycle", "a: &a [*a]\n", DefaultLimits, "alias *a refers to itself", "c.yml:1:8"},
		{"merge cycle", "a: &a {<<: *a}\n", DefaultLimits, "alias *a refers to itself", "c.yml:1:12"},
		{"merge of a scalar", "a: {<<: x}\n", DefaultLimits, "merge key << takes a map or a list of maps, not a string", "c.yml:1:9"},
		{"merge of a list holding a scalar", "a: {<<: [{k: v}, x]}\n", DefaultLimits, "not a list holding a string", "c.yml:1:18"},
		{"non-scalar key", "? [a]\n: b\n", DefaultLimits, "mapping keys must be scalars, not a list", "c.yml:1:3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("c.yml", []byte(tc.src), tc.lim)
			var de *diag.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *diag.Error", err, err)
			}
			if !strings.Contains(de.Msg, tc.want) || de.Pos.String() != tc.pos {
				t.Errorf("got %v\nwant %q at %s", err, tc.want, tc.pos)
			}
		})
	}
}

// TestBillionLaughs checks that an alias bomb is refused quickly, before
// it is expanded.
func TestBillionLaughs(t *testing.T) {
	var b strings.Builder
	b.WriteString("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 30; i++ {
		prev := "*l" + itoa(i-1)
		b.WriteString("l" + itoa(i) + ": &l" + itoa(i) + " [" + strings.Repeat(prev+", ", 9) + prev + "]\n")
	}
	// Refused before expansion: bounded by what it allocates, not by the
	// clock (expanding it would take 10^31 nodes).
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Parse("c.yml", []byte(b.String()), DefaultLimits)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "expands to more than 2000000 YAML nodes") {
		t.Fatalf("got %v", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("allocated %d bytes before refusing the bomb", got)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// checkResolved asserts the invariants of a resolved tree: no aliases, no
// anchors, no merge keys left unresolved, scalar and unique mapping keys,
// block style, positions everywhere.
func checkResolved(t *testing.T, n *yaml.Node) {
	t.Helper()
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if depth > 1000 {
			t.Fatal("tree deeper than 1000")
		}
		switch {
		case n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode:
			t.Fatalf("%v node left at %d:%d", n.Kind, n.Line, n.Column)
		case n.Anchor != "":
			t.Fatalf("anchor %q left at %d:%d", n.Anchor, n.Line, n.Column)
		case n.Style&yaml.FlowStyle != 0:
			t.Fatalf("flow style left at %d:%d", n.Line, n.Column)
		case n.Line == 0:
			t.Fatalf("node %q has no position", n.Value)
		case n.Tag == "!!merge":
			t.Fatalf("merge tag left at %d:%d", n.Line, n.Column)
		}
		if n.Kind == yaml.MappingNode {
			seen := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode {
					t.Fatalf("non-scalar key at %d:%d", k.Line, k.Column)
				}
				if seen[k.Value] {
					t.Fatalf("duplicate key %q at %d:%d", k.Value, k.Line, k.Column)
				}
				seen[k.Value] = true
			}
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
}

func FuzzParse(f *testing.F) {
	seeds := []string{
		"", "a: 1", "{a: [1, {b: c}]}", "x: &x {k: v}\ny: {<<: *x, l: w}", "a: &a [*a]", "a: &a {<<: *a}",
		"a: &a 1\nb: *a\na: &a 2\nc: *a", "m: {<<: [{a: 1}, {a: 2, b: 3}], b: 4}", "? [a]\n: b", "a: !!merge b",
		"a: &a [1,2]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]", "- - - - [1]", "a: |\n  cat << EOF\n  x\n  EOF\n",
		"--- \na: 1\n---\nb: 2", "version: 2.1\njobs:\n  a:\n    <<: &d {docker: [{image: x}]}\n    steps: [checkout]",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	lim := Limits{MaxBytes: 1 << 16, MaxNodes: 20000, MaxDepth: 64}
	f.Fuzz(func(t *testing.T, src []byte) {
		n, err := Parse("f.yml", src, lim)
		if err != nil {
			var de *diag.Error
			if !errors.As(err, &de) || de.Pos.File != "f.yml" {
				t.Fatalf("error %v (%T) is not a positioned *diag.Error", err, err)
			}
			return
		}
		if n == nil {
			t.Fatal("nil tree without an error")
		}
		count := 0
		var walk func(*yaml.Node)
		walk = func(n *yaml.Node) {
			count++
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(n)
		if count > lim.MaxNodes {
			t.Fatalf("%d nodes, over the limit of %d", count, lim.MaxNodes)
		}
		checkResolvedFuzz(t, n)
		if _, err := yaml.Marshal(n); err != nil {
			t.Fatalf("resolved tree does not encode: %v", err)
		}
	})
}

// checkResolvedFuzz is checkResolved without the position and style
// checks, which arbitrary input (an empty document, say) need not meet.
func checkResolvedFuzz(t *testing.T, n *yaml.Node) {
	t.Helper()
	if n.Kind == yaml.AliasNode || n.Kind == yaml.DocumentNode || n.Anchor != "" {
		t.Fatalf("unresolved %v node at %d:%d", n.Kind, n.Line, n.Column)
	}
	if n.Kind == yaml.MappingNode {
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || seen[k.Value] {
				t.Fatalf("bad or duplicate key %q at %d:%d", k.Value, k.Line, k.Column)
			}
			seen[k.Value] = true
		}
	}
	for _, c := range n.Content {
		checkResolvedFuzz(t, c)
	}
}
