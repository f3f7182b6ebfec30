// Package repo gives the domain's aggregates a home in the store port: their key layout, typed reads and the
// write operations services compose into atomic, conditional store.Writes.
//
// Layout. A child entity lives in its parent's partition, so one Query lists it (a project's pipelines by
// number, a pipeline's workflows, a workflow's jobs, a job's tasks, a task's steps). Entities that clients
// address by id alone also get an immutable "ref" item (<kind>#<id> / ref) pointing at their home key; refs
// never change, so they are cached in memory safely by every instance. Every entity carries the store
// version it was read at (Rec), and services write it back with store.AtVersion: that conditional write is
// what makes every state transition safe against a concurrent instance or a redelivered message.
//
//	orgs / <slug>                          Org             ref org#<id>
//	projects / <slug>                      Project         ref project#<id>; listed in org#<id>#projects
//	project#<id>#pipelines / <number>      Pipeline        ref pipeline#<id>; counter project#<id>/pipeline
//	pipeline#<id>#workflows / <id>         Workflow        ref workflow#<id>; active / <id> while running
//	workflow#<id>#jobs / <name>            Job             ref job#<id>; project#<id>#jobnums / <number>
//	job#<id>#tasks / <index>               Task            (task id = <job id>-<index>)
//	task#<id>#steps / <index>              Step
//	org#<id>#contexts / <name>             Context         ref context#<id>; variables in context#<id>#vars
//	project#<id>#envvars / <name>          Variable        project#<id>#checkoutkeys, #schedules, #webhooks
//	users / <login>, token#<sha256>/token  User, Token     memberships in org#<id>#members and user#<id>#orgs
//	delivery#<provider>#<id> / -           webhook delivery (TTL 7 days) → pipeline id
package repo
