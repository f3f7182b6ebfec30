// Package expr implements CircleCI's compile-time expression language and
// its logic statements.
//
// # Values
//
// A Value is nil, bool, int64, float64 or string. Truthy, Format and Equal
// give the language's notions of truthiness, text and equality:
//
//   - false, nil, 0, 0.0, NaN and "" are falsy; every other value is truthy.
//   - Equal is false for operands of different types (int64 1 is not "1"),
//     except that int64 and float64 compare numerically and exactly. NaN
//     equals nothing, itself included.
//   - Format renders strings as is, booleans as true/false, integers in
//     decimal and nil as "". Floats use the shortest text that reads back as
//     the same float64 and still looks like a float, so that interpolating
//     and re-parsing keeps the type: 1.5 -> "1.5", 2.0 -> "2.0",
//     1e21 -> "1e+21", 1e-7 -> "1e-07", NaN -> ".nan", ±Inf -> ".inf" and
//     "-.inf" (the YAML spellings).
//
// Values given by a Lookup may also be any Go integer or float32; they are
// widened to int64 and float64.
//
// # Expressions
//
// Parse compiles an expression; Eval evaluates it against a Lookup that
// resolves dotted identifiers such as pipeline.git.branch or
// pipeline.parameters.run-integration (hyphens belong to names). Literals
// are double- or single-quoted strings, integers (an optional leading
// minus), floats (1.5, 2e3), true, false and null. Inside strings \" \' \\
// \n \r and \t are escapes; any other backslash is kept as written, so
// "^v\d+" is a usable regular expression.
//
// Operators, from lowest to highest precedence:
//
//	or
//	and
//	==  !=  <  <=  >  >=  starts-with  matches
//	not        (unary; binds tighter than comparison: not a == b is (not a) == b)
//	( ... )
//
// and/or short-circuit and yield one of their operand values, as in Python
// or Lua: `x == "main" and 10 or 1` is 10 or 1, and
// `pipeline.git.branch or "unknown"` falls back when the branch is nil or
// "". Comparison operators do not chain: write (a == b) == c.
//
// == and != use Equal. <, <=, > and >= need two numbers. `a starts-with b`
// needs strings; a nil a gives false. `a matches /re/` takes a regular
// expression literal between slashes (\/ stands for a slash) or a quoted
// string, in Go RE2 syntax, compiled by Parse. It has search semantics (the
// pattern may match anywhere; anchor it with ^ and $ for a full match); a
// nil a gives false. An unknown identifier makes Eval fail with an error
// wrapping ErrUnknownVariable.
//
// Errors from Parse and Eval are *Error values carrying the line and column
// (in runes, 1-based) within the expression source; Error.At turns one into
// a diag.Error in the enclosing file.
//
// # Logic statements
//
// EvalLogic evaluates a logic statement held in a YAML node: a literal
// (truthy or not), or a map with exactly one of the keys and, or, not,
// equal and matches. and, or and equal take non-empty lists; a statement
// whose argument is null is false. equal compares values structurally.
// matches takes {pattern, value} and needs the pattern (Java-style, run as
// Go RE2) to match the whole value.
//
// ScalarValue converts YAML scalars with YAML 1.1 leniency, as CircleCI
// reads configs: an unquoted, untagged yes/no/on/off (in lower, Title or
// UPPER case) is a bool, as are the spellings ParseBool accepts under an
// explicit !!bool tag. Quoted scalars stay strings.
//
// EvalCondition evaluates a workflow when/unless or a job filters value,
// which may be either an expression string or a logic statement.
//
// # Limits
//
// Sources and patterns are limited to MaxLen bytes and nesting to MaxDepth
// levels; work on aliased YAML is bounded too. Nothing in the package
// panics or performs I/O.
package expr
