package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/caravan-ci/caravan/shared/config"
	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/config/pack"
)

const maxConfigBytes = 4 << 20

func configCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	sub := args[0]
	if sub == "pack" {
		return packCmd("config pack", args[1:], stdout, stderr, pack.Config)
	}
	if sub != "validate" && sub != "process" && sub != "plan" {
		fmt.Fprintf(stderr, "caravan config: unknown command %q\n\n%s", sub, usage)
		return exitUsage
	}
	fs := flag.NewFlagSet("caravan config "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	orbDir := fs.String("orb-dir", os.Getenv("CARAVAN_ORB_DIR"), "directory of packed orbs laid out as `DIR`/<namespace>/<orb>/<version>/orb.yml")
	params := fs.String("pipeline-parameters", "", "pipeline parameters as a JSON object, or @FILE")
	branch := fs.String("branch", "", "pipeline.git.branch")
	tag := fs.String("tag", "", "pipeline.git.tag")
	revision := fs.String("revision", "", "pipeline.git.revision")
	trigger := fs.String("trigger-source", "", "pipeline.trigger_source (webhook, api, schedule)")
	slug := fs.String("project-slug", "", "pipeline.project.slug, e.g. gh/org/repo")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: caravan config %s [flags] FILE\n\nFILE - reads standard input. Exit status: 0 valid, 1 invalid, 2 usage.\n\n", sub)
		fs.PrintDefaults()
	}
	if err := fs.Parse(interleave(args[1:])); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return exitUsage
	}
	file := fs.Arg(0)
	src, name, err := readConfig(file, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "caravan: %v\n", err)
		return exitInvalid
	}
	opts := config.Options{File: name}
	if *orbDir != "" {
		st, err := os.Stat(*orbDir)
		if err != nil || !st.IsDir() {
			fmt.Fprintf(stderr, "caravan: --orb-dir %s is not a directory\n", *orbDir)
			return exitUsage
		}
		opts.Registry = orb.NewDir(os.DirFS(*orbDir))
	}
	opts.Pipeline = config.Pipeline{Branch: *branch, Tag: *tag, Revision: *revision, TriggerSource: *trigger, ProjectSlug: *slug}
	if *params != "" {
		p, err := parseParams(*params)
		if err != nil {
			fmt.Fprintf(stderr, "caravan: --pipeline-parameters: %v\n", err)
			return exitUsage
		}
		opts.Pipeline.Parameters = p
	}
	res, err := config.Compile(ctx, src, opts)
	if err != nil {
		fmt.Fprintf(stderr, "%s is invalid:\n", name)
		fmt.Fprintln(stderr, indent(err.Error()))
		return exitInvalid
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(stderr, "warning: %v\n", w)
	}
	switch sub {
	case "validate":
		fmt.Fprintf(stdout, "%s is valid.\n", name)
	case "process":
		stdout.Write(res.YAML())
	case "plan":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res.Plan); err != nil {
			fmt.Fprintf(stderr, "caravan: %v\n", err)
			return exitInvalid
		}
	}
	return exitOK
}

// interleave moves flags after positional arguments to the front, so
// `caravan config validate FILE --branch x` works as users expect.
func interleave(args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) > 1 && a[0] == '-' {
			flags = append(flags, a)
			if !bytes.Contains([]byte(a), []byte("=")) && i+1 < len(args) {
				flags = append(flags, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	return append(flags, pos...)
}

func readConfig(file string, stdin io.Reader) ([]byte, string, error) {
	if file == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, maxConfigBytes+1))
		if err != nil {
			return nil, "", fmt.Errorf("read standard input: %w", err)
		}
		if len(b) > maxConfigBytes {
			return nil, "", fmt.Errorf("standard input is over %d bytes", maxConfigBytes)
		}
		return b, "<stdin>", nil
	}
	st, err := os.Stat(file)
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	if st.IsDir() {
		return nil, "", fmt.Errorf("read config: %s is a directory (to pack a .circleci tree use `caravan config pack`)", file)
	}
	if st.Size() > maxConfigBytes {
		return nil, "", fmt.Errorf("read config: %s is %d bytes, over the limit of %d", file, st.Size(), maxConfigBytes)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, "", fmt.Errorf("read config: %w", err)
	}
	return b, filepath.ToSlash(file), nil
}

func parseParams(s string) (map[string]any, error) {
	data := []byte(s)
	if len(s) > 0 && s[0] == '@' {
		b, err := os.ReadFile(s[1:])
		if err != nil {
			return nil, err
		}
		data = b
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				m[k] = i
			} else {
				f, _ := n.Float64()
				m[k] = f
			}
		}
	}
	return m, nil
}

func indent(s string) string {
	var b bytes.Buffer
	for _, line := range bytes.Split([]byte(s), []byte("\n")) {
		b.WriteString("  ")
		b.Write(line)
		b.WriteByte('\n')
	}
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}
