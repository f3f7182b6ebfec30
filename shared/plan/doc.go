// Package plan is the typed, runtime-neutral description of what a compiled
// config runs: the workflows for one pipeline, their jobs with fully
// resolved steps and executors, and the jobs filters leave out. The config
// engine produces it; the conductor, the executors and the runner read it.
// It depends on the standard library only and every type marshals to JSON.
package plan
