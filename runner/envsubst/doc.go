// Package envsubst implements `circleci env subst`, the in-job command that
// replaces environment variable references in a text with their values.
//
// A reference is $NAME or ${NAME}, where NAME matches
// [A-Za-z_][A-Za-z0-9_]*. An unset variable becomes the empty string. Any
// other use of `$` is copied through unchanged: a `$` before a character that
// cannot start a name ("$1", "$ ", "$$"), at the end of the input, or
// opening a brace that does not hold exactly one name followed by `}`
// ("${1}", "${A:-b}", "${A"). There is no escape syntax and no default or
// alternative values, as in GNU envsubst.
package envsubst
