package domain

// Queue topics and the messages on them. Messages carry ids only: never a secret, never a config.
const (
	// TopicPipelines carries PipelineMsg: a created pipeline whose config intake must fetch and compile.
	TopicPipelines = "pipelines"
	// TopicWorkflows carries WorkflowMsg: "look at this workflow again" for the conductor (level-triggered,
	// so a duplicate or late message is harmless).
	TopicWorkflows = "workflows"
	// TopicRuns carries RunMsg: one task to execute, for the local executor or the nomadbridge.
	TopicRuns = "runs"
	// TopicNotify carries outbound webhook deliveries (package notifier).
	TopicNotify = "notify"
)

// PipelineMsg asks intake to process a pipeline.
type PipelineMsg struct {
	PipelineID string `json:"pipeline_id"`
}

// WorkflowMsg asks the conductor to evaluate a workflow.
type WorkflowMsg struct {
	WorkflowID string `json:"workflow_id"`
}

// RunMsg asks an executor to run a task. The executor mints the task token; the runner fetches the rest.
type RunMsg struct {
	TaskID        string `json:"task_id"`
	JobID         string `json:"job_id"`
	WorkflowID    string `json:"workflow_id"`
	Attempt       int    `json:"attempt"`
	ResourceClass string `json:"resource_class,omitempty"`
	ExecutorType  string `json:"executor_type,omitempty"` // docker, machine, macos, shell
}
