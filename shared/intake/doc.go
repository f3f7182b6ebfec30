// Package intake turns triggers into pipelines: API calls (Trigger), VCS webhooks (Webhook), due schedules
// (Tick) and setup-workflow continuations (Continue).
//
// A trigger only writes the pipeline (state created, the project's next number from an atomic counter) and
// sends a PipelineMsg; Handle, the consumer of domain.TopicPipelines, does the slow part: it resolves the
// branch or tag to a commit, reads the config at that commit, compiles it and creates the workflows through
// the conductor. Every step is idempotent, as the queue is at-least-once:
//
//	created ──Handle──▶ created (config stored, workflows created)
//	   │         ├─────▶ created, no workflows ([ci skip] / [skip ci] in a webhook commit's message)
//	   │         ├─────▶ errored (errors: config-fetch or config)
//	   │         └─────▶ setup-pending ──Continue (once)──▶ created (continued config, its workflows)
//
// The pipeline's processed state is written with one conditional write (repo.Update) before any workflow is
// created, and workflow ids derive from the pipeline, so a redelivered message only re-creates the workflows
// a crash left missing (recompiling the stored config). Continue claims a setup pipeline with a conditional
// write too, so it succeeds exactly once even under concurrent calls.
//
// Continuation keys are never stored: a key is "<pipeline id>.<hex HMAC-SHA256(secret, pipeline id)>"
// (ContinuationKey), which the task server recomputes for the setup job's CIRCLE_CONTINUATION_KEY and
// Continue verifies in constant time. Only its SHA-256 is kept, for the record.
//
// Webhooks are verified with the project's webhook secret before anything is written; each delivery id is
// claimed once (a 7-day record holding the pipeline id), and a push and a pull-request event for the same
// branch and commit make one pipeline. Auto-cancel (a project setting) cancels the running workflows of older
// pipelines on the same non-default branch. Schedules (API timetables and a config's legacy
// triggers.schedule, kept in sync by SyncLegacySchedules) fire each slot once, claimed with a conditional
// create, whichever instance's Tick sees it first.
//
// Extra keys this package keeps beside repo's layout: pipeline#<id> / continuation (the parameters a
// pipeline was continued with, to recompile it after a crash), delivery#commit#<project>#branch/<name>#<sha> / -
// (or tag/<name>: the webhook claim of one commit on one ref, 1 hour) and the schedule index schedules / <id> (ScheduleOps).
package intake
