package pack

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/caravan-ci/caravan/shared/config/yamltree"
)

// TestEncodePiecewise checks that writing a big tree a piece at a time gives
// the same YAML as yaml.v3 encoding it whole.
func TestEncodePiecewise(t *testing.T) {
	var b strings.Builder
	b.WriteString("version: 2.1\njobs:\n")
	long := strings.Repeat("k", 200)
	for j := range 40 {
		fmt.Fprintf(&b, "  job%d:\n    docker: [{image: 'cimg/base:%d'}]\n    steps:\n", j, j)
		for s := range 30 {
			fmt.Fprintf(&b, "      - run:\n          name: \"step %d: it's \\\"quoted\\\"\"\n", s)
			b.WriteString("          command: |2-\n             indented first line\n\n            echo \"<< parameters.x >>\"  \n")
			fmt.Fprintf(&b, "          %s%d: [[1, 2], [], {}, ~, !!binary aGk=, \"\\t\\x01\", 'yes', 0o17, -.inf]\n", long, s)
		}
	}
	b.WriteString("workflows:\n  w:\n    jobs:\n")
	for j := range 40 {
		fmt.Fprintf(&b, "      - job%d: {requires: [job%d], matrix: {parameters: {a: [1, 2]}}}\n", j, max(j-1, 0))
	}
	b.WriteString("nested:\n" + strings.Repeat("- ", 3) + "\n")
	n, err := yamltree.Parse("big.yml", []byte(b.String()), yamltree.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if c := countNodes(n); c < 4*chunkNodes {
		t.Fatalf("tree has %d nodes, too few to be written piecewise", c)
	}
	whole, err := render(n)
	if err != nil {
		t.Fatal(err)
	}
	defer func(c int) { chunkNodes = c }(chunkNodes)
	for _, chunk := range []int{chunkNodes, 100, 3, 0} {
		chunkNodes = chunk
		pieces, err := encode(n)
		if err != nil {
			t.Fatal(err)
		}
		if d := cmp.Diff(decode(t, "whole", []byte(whole)), decode(t, "piecewise", pieces)); d != "" {
			t.Errorf("chunk %d: piecewise output differs (-whole +piecewise):\n%s", chunk, d)
		}
	}
}
