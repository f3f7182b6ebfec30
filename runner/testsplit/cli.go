package testsplit

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/caravan-ci/caravan/shared/junit"
)

// Exit codes of the commands.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

// noTimingsNotice is printed when a split by timings has nothing to go on.
const noTimingsNotice = "testsplit: no timing data found for these items; falling back to splitting by name"

// RunGlob is `circleci tests glob PATTERN...`: it prints the files under dir
// matching any pattern, one per line (see Glob).
func RunGlob(ctx context.Context, args []string, stdout, stderr io.Writer, dir string) int {
	fs := flag.NewFlagSet("circleci tests glob", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: circleci tests glob PATTERN...\n\nPrints the files matching the patterns ('*', '**', '?', '[...]', '{a,b}'), one per line.")
	}
	patterns, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		return exitUsage
	}
	if len(patterns) == 0 {
		fmt.Fprintln(stderr, "tests glob: no pattern given")
		fs.Usage()
		return exitUsage
	}
	files, err := globContext(ctx, dir, patterns)
	if err != nil {
		fmt.Fprintf(stderr, "tests glob: %v\n", err)
		if errors.Is(err, path.ErrBadPattern) {
			return exitUsage
		}
		return exitRuntime
	}
	return writeLines(stdout, stderr, "tests glob", files)
}

// RunSplit is `circleci tests split [flags] [FILE...]`: it reads items
// (whitespace-separated) from the files, or from stdin when none is given,
// and prints the share of node --index out of --total, one per line.
func RunSplit(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer,
	env func(string) string, src Source) int {
	o := &options{name: "tests split"}
	fs := o.flags("circleci tests split", "[flags] [FILE...] (items on stdin when no FILE)", junit.KindFile, stderr)
	fs.BoolVar(&o.showCounts, "show-counts", false, "print how many items each node gets on stderr")
	files, code := o.parse(fs, args, env)
	if code >= 0 {
		return code
	}
	items, err := readItems(files, stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.name, err)
		return exitRuntime
	}
	mine, err := o.split(ctx, items, src, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", o.name, err)
		return exitRuntime
	}
	return writeLines(stdout, stderr, o.name, mine)
}

// options are the flags shared by `tests split` and `tests run`.
type options struct {
	name                 string // command name for messages
	splitBy, timingsType string
	index, total         int
	showCounts, verbose  bool
	command              string
}

func (o *options) flags(name, synopsis, defaultType string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	fs.StringVar(&o.splitBy, "split-by", "name", "weigh items by `name`, filesize or timings")
	fs.StringVar(&o.timingsType, "timings-type", defaultType,
		"with timings, key items by `type`: file (filename), classname, name (testname) or autodetect")
	fs.IntVar(&o.index, "index", 0, "this node's `index`, from 0 (default $CIRCLE_NODE_INDEX, else 0)")
	fs.IntVar(&o.total, "total", 1, "number of `nodes` (default $CIRCLE_NODE_TOTAL, else 1)")
	return fs
}

// parse parses args and validates the options. code is -1 to go on, else
// the exit code to return (usage errors are already reported).
func (o *options) parse(fs *flag.FlagSet, args []string, env func(string) string) (positional []string, code int) {
	positional, err := parseArgs(fs, args)
	if errors.Is(err, flag.ErrHelp) {
		return nil, exitOK
	}
	if err != nil {
		return nil, exitUsage
	}
	if err := o.validate(fs, env); err != nil {
		fmt.Fprintf(fs.Output(), "%s: %v\n", o.name, err)
		return nil, exitUsage
	}
	return positional, -1
}

func (o *options) validate(fs *flag.FlagSet, env func(string) string) error {
	set := make(map[string]bool)
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, v := range []struct {
		flag, env string
		dst       *int
	}{{"index", "CIRCLE_NODE_INDEX", &o.index}, {"total", "CIRCLE_NODE_TOTAL", &o.total}} {
		if set[v.flag] || env == nil || strings.TrimSpace(env(v.env)) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(env(v.env)))
		if err != nil {
			return fmt.Errorf("$%s is not a number: %q", v.env, env(v.env))
		}
		*v.dst = n
	}
	if err := checkNode(o.index, o.total); err != nil {
		return err
	}
	switch o.splitBy {
	case "name", "filesize", "timings":
	default:
		return fmt.Errorf("unknown --split-by %q (want name, filesize or timings)", o.splitBy)
	}
	if _, ok := junit.Kind(o.timingsType); !ok && o.timingsType != autodetect {
		return fmt.Errorf("unknown --timings-type %q (want file, filename, classname, name, testname or autodetect)",
			o.timingsType)
	}
	return nil
}

// split weighs items as --split-by says and returns this node's share.
func (o *options) split(ctx context.Context, items []string, src Source, stderr io.Writer) ([]string, error) {
	var weights []float64
	switch o.splitBy {
	case "filesize":
		weights = FilesizeWeights(items)
	case "timings":
		weights = timingWeights(ctx, src, items, o.timingsType, stderr)
	}
	bins, err := Bins(items, weights, o.total)
	if err != nil {
		return nil, fmt.Errorf("splitting: %w", err)
	}
	if o.showCounts || o.verbose {
		for i, b := range bins {
			fmt.Fprintf(stderr, "%s: node %d: %d items\n", o.name, i, len(b))
		}
	}
	return bins[o.index], nil
}

// timingWeights fetches timings from src for the candidate kinds and returns
// the weights of the first kind that knows any item. Without any, it prints
// a notice and returns nil, which splits by name.
func timingWeights(ctx context.Context, src Source, items []string, timingsType string, stderr io.Writer) []float64 {
	if len(items) == 0 {
		return nil
	}
	if src != nil {
		for _, kind := range candidateKinds(timingsType, items) {
			timings, err := src.Timings(ctx, kind)
			if err != nil {
				fmt.Fprintf(stderr, "testsplit: loading %s timings: %v; falling back to splitting by name\n", kind, err)
				return nil
			}
			if weights, n := TimingWeights(items, timings, kind); n > 0 {
				return weights
			}
		}
	}
	fmt.Fprintln(stderr, noTimingsNotice)
	return nil
}

// parseArgs parses flags placed anywhere among the arguments, as
// `split files.txt --split-by=timings` is common; "--" ends the flags.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		consumed := len(args) - len(rest)
		if len(rest) == 0 || consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// readItems reads whitespace-separated items from the named files ("-" is
// stdin), or from stdin when there are none.
func readItems(files []string, stdin io.Reader) ([]string, error) {
	if len(files) == 0 {
		files = []string{"-"}
	}
	var items []string
	for _, f := range files {
		var b []byte
		var err error
		if f == "-" {
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(f)
		}
		if err != nil {
			return nil, fmt.Errorf("reading items: %w", err)
		}
		items = append(items, strings.Fields(string(b))...)
	}
	return items, nil
}

func writeLines(w, stderr io.Writer, name string, lines []string) int {
	if len(lines) == 0 {
		return exitOK
	}
	if _, err := io.WriteString(w, strings.Join(lines, "\n")+"\n"); err != nil {
		fmt.Fprintf(stderr, "%s: writing output: %v\n", name, err)
		return exitRuntime
	}
	return exitOK
}
