// Package config is Caravan's config engine: it compiles a CircleCI
// `.circleci/config.yml` (version 2, 2.0 or 2.1) offline, exactly as
// CircleCI does, into two outputs:
//
//   - the processed config, a 2.0-style YAML with no reusable keys, as
//     `circleci config process` prints it (Result.Processed, Result.YAML);
//   - a typed plan.Plan for one pipeline: the workflows that run, their jobs
//     with fully resolved steps, executors, environment, parallelism,
//     contexts and requires, and the jobs filters leave out (Result.Plan).
//
// The engine is a pure library: its only input is the source and Options
// (pipeline values, an orb.Registry); it does no other I/O.
//
// # Pipeline
//
// Compile runs these stages, each in its own file:
//
//	yamltree.Parse   YAML with anchors, aliases and merge keys resolved
//	compile.go       version, setup, pipeline parameters, top-level keys
//	namespace.go     orbs (registry, inline, nested) and their definitions
//	workflows.go     workflows: when/unless, triggers, job invocations
//	matrix.go        matrix expansion and job groups
//	jobs.go          one job per invocation: parameters, executor, env
//	steps.go         steps: commands, when/unless steps, built-in steps
//	interp.go        << >> interpolation of parameters, pipeline values, matrix
//	requires.go      names, requires resolution, cycle detection
//	filters.go       legacy and expression filters, schedule triggers
//	lint.go          checks of definitions no workflow uses
//	output.go        the processed 2.0 config
//	planbuild.go     the typed plan for the pipeline values
//
// # Errors
//
// An invalid config yields a diag.List: every problem found, each with
// file:line:column, sorted, with a did-you-mean where a name is close to a
// known one. Compile never panics (a recovered panic becomes an "internal
// error" diagnostic, which the fuzz target treats as a failure) and bounds
// its work: input size, YAML node count after alias expansion, nesting,
// output size (Options.MaxNodes), command depth, matrix size and orb
// import depth.
package config
