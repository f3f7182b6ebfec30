// Package domain holds Caravan's entities (orgs, projects, pipelines, workflows, jobs, tasks, steps, contexts,
// variables, schedules, users, tokens, webhooks) with CircleCI's status values exactly, and the messages the
// services pass over the queue. It has no behaviour beyond status predicates and depends on the standard
// library and the plan only.
package domain
