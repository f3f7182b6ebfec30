// Package conductor runs workflows: it creates a workflow's jobs, decides which jobs may start (requires with
// statuses, approvals, serial groups, contexts), queues one run message per task, turns task results into job
// statuses and job statuses into the workflow's, and carries out cancel, approve and rerun.
//
// It is level-triggered: every change (a workflow created, a task finished, an approval, a cancel) is written
// to the store and followed by a WorkflowMsg; Evaluate then reads the whole workflow and moves whatever can
// move, each move a conditional write. A duplicate, late or replayed message therefore does nothing twice,
// and a crash between a write and its message is repaired by Sweep, which re-evaluates every active workflow.
//
// Job states:
//
//	blocked ──requires met──▶ queued ──first task claimed──▶ running ──all tasks ended──▶ success | failed | …
//	   │                         (approval jobs: blocked ──▶ on_hold ──approve──▶ success)
//	   └──a requirement can no longer be met──▶ not_run          cancel: any non-terminal ──▶ canceled
package conductor
