// Package procexec is the local executor of the embedded server: it consumes run messages (domain.TopicRuns)
// and starts one runner per task as a child process of the server.
//
// Handle decodes a domain.RunMsg, waits for a free slot (Options.Concurrency), records the dispatch with
// Tasks.Dispatch (false means a duplicate or canceled message: no second runner is ever started), mints a task
// token and starts Options.Command with
//
//	--api-url URL --task-id ID --work-dir <WorkRoot>/<ID> [--docker-mode MODE]
//
// The token is passed only in the child's environment (CARAVAN_TASK_TOKEN), never on its command line. The
// child's environment is the server's minus every CARAVAN_* variable, plus Options.Env. Its output goes to
// <WorkRoot>/<ID>.log. The child leads its own process group, so it (and its children in that group) outlives
// a crash of the server: a restarted server sees the runner keep reporting. Handle returns as soon as the
// child has started; it does not hold the message for the whole job.
//
// A watcher goroutine per child polls Tasks.Task every CancelPoll. When the task is canceled it gives the
// runner KillGrace to stop by itself (the runner sees the cancel in its heartbeat), then sends SIGTERM to the
// process group and SIGKILL after another KillGrace. When the child exits and the task has not ended, the
// watcher ends it as infrastructure_fail with the exit status and the last lines of the runner's log (the
// runner masks secrets before they reach its output).
//
// Shutdown stops taking messages. Running children are left alone by default: they finish and report to
// the next server (whose sweeper also ends tasks whose runner vanished). With Options.KillOnShutdown the
// children's process groups are terminated and Shutdown waits for them.
//
// The package is for Unix hosts (process groups).
package procexec
