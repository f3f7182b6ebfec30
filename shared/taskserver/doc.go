// Package taskserver is the server side of the runner protocol ([taskapi.Backend]) over the engine's ports: the
// store (through repo), the conductor's task transitions, the blob store and the secrets envelope. Mount it with
// taskapi.Handler(taskserver.New(deps), log).
//
// It is stateless apart from a small per-instance cache of output lengths, so any number of instances may serve
// the same runners: tokens are verified with a shared key ([tasktoken]), task state lives in the store, bytes in
// the blob store. Every method is idempotent, because a runner repeats any call whose answer it did not see.
//
// What it adds to the store and blob layouts of [repo] and [taskblobs]:
//
//	store  task#<task id>#steps / <%04d>                      domain.Step, from step events
//	blob   output/<task id>/<step %04d>/<offset %016d>-<ms>   a chunk of a step's output (see ReadOutput)
//	blob   timings/<project id>/<base64url(job name)>         id of the last job of that name with test results
//
// Secrets leave the server only in a claim: project variables, then the job's contexts' variables, the project's
// checkout keys, opened with the associated data of repo.EnvVarAAD, repo.ContextVarAAD and repo.CheckoutKeyAAD.
// A forked pull request gets none of them (but its checkout key) unless the project's settings say forks receive
// secrets, as on CircleCI.
package taskserver
