package repo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/caravan-ci/caravan/shared/store"
)

// Entity kinds, as used in refs.
const (
	KindOrg      = "org"
	KindProject  = "project"
	KindPipeline = "pipeline"
	KindWorkflow = "workflow"
	KindJob      = "job"
	KindContext  = "context"
	KindSchedule = "schedule"
	KindUser     = "user"
	KindWebhook  = "webhook"
)

func num(n int64) string { return fmt.Sprintf("%012d", n) }

// Home keys of each aggregate.
func OrgKey(slug string) store.Key     { return store.Key{PK: "orgs", SK: slug} }
func ProjectKey(slug string) store.Key { return store.Key{PK: "projects", SK: slug} }
func OrgProjectKey(orgID, slug string) store.Key {
	return store.Key{PK: "org#" + orgID + "#projects", SK: slug}
}
func PipelineKey(projectID string, number int64) store.Key {
	return store.Key{PK: PipelinesPK(projectID), SK: num(number)}
}
func WorkflowKey(pipelineID, id string) store.Key {
	return store.Key{PK: WorkflowsPK(pipelineID), SK: id}
}
func JobKey(workflowID, name string) store.Key { return store.Key{PK: JobsPK(workflowID), SK: name} }
func JobNumberKey(projectID string, n int64) store.Key {
	return store.Key{PK: "project#" + projectID + "#jobnums", SK: num(n)}
}
func TaskKey(jobID string, index int) store.Key {
	return store.Key{PK: TasksPK(jobID), SK: fmt.Sprintf("%04d", index)}
}
func StepKey(taskID string, index int) store.Key {
	return store.Key{PK: "task#" + taskID + "#steps", SK: fmt.Sprintf("%04d", index)}
}
func ContextKey(orgID, name string) store.Key { return store.Key{PK: ContextsPK(orgID), SK: name} }
func ContextVarKey(ctxID, name string) store.Key {
	return store.Key{PK: ContextVarsPK(ctxID), SK: name}
}
func EnvVarKey(projectID, name string) store.Key {
	return store.Key{PK: EnvVarsPK(projectID), SK: name}
}
func CheckoutKeyKey(projectID, fp string) store.Key {
	return store.Key{PK: CheckoutKeysPK(projectID), SK: fp}
}
func ScheduleKey(projectID, id string) store.Key {
	return store.Key{PK: SchedulesPK(projectID), SK: id}
}
func WebhookKey(projectID, id string) store.Key { return store.Key{PK: WebhooksPK(projectID), SK: id} }
func UserKey(login string) store.Key            { return store.Key{PK: "users", SK: login} }
func TokenKey(hash string) store.Key            { return store.Key{PK: "token#" + hash, SK: "token"} }
func MemberKey(orgID, userID string) store.Key {
	return store.Key{PK: "org#" + orgID + "#members", SK: userID}
}
func UserOrgKey(userID, orgID string) store.Key {
	return store.Key{PK: "user#" + userID + "#orgs", SK: orgID}
}
func DeliveryKey(provider, id string) store.Key {
	return store.Key{PK: "delivery#" + provider + "#" + id, SK: "-"}
}
func ActiveWorkflowKey(id string) store.Key { return store.Key{PK: ActivePK, SK: id} }
func SerialGroupKey(projectID, group string) store.Key {
	return store.Key{PK: "project#" + projectID + "#serial", SK: group}
}
func ScheduleSlotKey(scheduleID string, slot int64) store.Key {
	return store.Key{PK: "schedule#" + scheduleID + "#fired", SK: num(slot)}
}
func AllSchedulesKey(id string) store.Key { return store.Key{PK: "schedules", SK: id} }

// Counters.
func PipelineCounter(projectID string) store.Key {
	return store.Key{PK: "counter#project#" + projectID, SK: "pipeline"}
}
func JobCounter(projectID string) store.Key {
	return store.Key{PK: "counter#project#" + projectID, SK: "job"}
}

// Partitions.
const ActivePK = "active"

func PipelinesPK(projectID string) string  { return "project#" + projectID + "#pipelines" }
func WorkflowsPK(pipelineID string) string { return "pipeline#" + pipelineID + "#workflows" }
func JobsPK(workflowID string) string      { return "workflow#" + workflowID + "#jobs" }
func TasksPK(jobID string) string          { return "job#" + jobID + "#tasks" }
func StepsPK(taskID string) string         { return "task#" + taskID + "#steps" }
func ContextsPK(orgID string) string       { return "org#" + orgID + "#contexts" }
func ContextVarsPK(ctxID string) string    { return "context#" + ctxID + "#vars" }
func EnvVarsPK(projectID string) string    { return "project#" + projectID + "#envvars" }
func CheckoutKeysPK(projectID string) string {
	return "project#" + projectID + "#checkoutkeys"
}
func SchedulesPK(projectID string) string { return "project#" + projectID + "#schedules" }
func WebhooksPK(projectID string) string  { return "project#" + projectID + "#webhooks" }

// TaskID is the id of a job's task with index i.
func TaskID(jobID string, i int) string { return jobID + "-" + strconv.Itoa(i) }

// ParseTaskID splits a task id into its job id and index.
func ParseTaskID(id string) (jobID string, index int, err error) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, fmt.Errorf("task id %q: %w", id, ErrNotFound)
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil || n < 0 || n > 9999 {
		return "", 0, fmt.Errorf("task id %q: %w", id, ErrNotFound)
	}
	return id[:i], n, nil
}
