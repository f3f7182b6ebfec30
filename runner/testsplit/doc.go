// Package testsplit implements the in-job test splitting commands:
// `circleci tests glob`, `circleci tests split` and `circleci tests run`.
//
// # Globbing
//
// Glob matches slash-separated patterns against the file tree: `*` matches
// any run of characters within one path element, `?` one character,
// `[abc]`, `[a-z]` and `[!a-z]` (or `[^a-z]`) one character of a class,
// `**` as a whole element any number of directories (zero included), and
// `{a,b}` expands to each alternative before matching (groups may nest). A
// backslash escapes the next character. As in the shell, an element
// starting with a dot is only matched by a pattern element that starts with
// a dot, so `**/*.py` does not descend into `.git` or `.venv`. Literal
// leading elements are looked up directly, so only the directories the
// pattern can reach are listed.
//
// # Splitting
//
// Bins packs items onto nodes greedily by weight (see its documentation for
// the exact, deterministic order). Weights come from --split-by:
//
//	name      every item weighs the same
//	filesize  the size of the file the item names
//	timings   seconds recorded in earlier runs, fetched from a Source and
//	          keyed per --timings-type (file, classname or name)
//
// Items with no size or timing weigh the average of those that have one.
// When a timings split finds no timing for any item it prints a notice on
// stderr and splits by name. With --timings-type=autodetect, items that look
// like file paths are looked up by file first, others by classname first,
// and the other kinds are tried in turn.
//
// # Running
//
// RunTests adds the selection of previously failed tests on a rerun of
// failed tests and runs the test command with the node's items on stdin.
//
// The Run* functions are the command-line entry points: flags may be
// written --flag=value or --flag value and placed anywhere among the
// arguments. They return 0 on success, 1 on a runtime error and 2 on a
// usage error, with messages on stderr; RunTests otherwise returns the
// command's exit code.
package testsplit
