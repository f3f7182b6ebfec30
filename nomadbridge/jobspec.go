package nomadbridge

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/hashicorp/nomad/api"
)

// JobPrefix starts the id of every Nomad job the bridge registers.
const JobPrefix = "caravan-"

// Meta keys of a bridge job.
const (
	metaTask    = "caravan_task"
	metaAttempt = "caravan_attempt"
	// metaInstall names the Caravan installation (its API URL, hashed) that registered the job, so bridges
	// of several installations sharing a cluster leave each other's jobs alone.
	metaInstall = "caravan_install"
)

// JobID is the Nomad job id of one attempt of a task: derived, so a redelivered message finds the job it
// registered before instead of registering another.
func JobID(taskID string, attempt int) string {
	return JobPrefix + taskID + "-a" + strconv.Itoa(max(attempt, 1))
}

// parseJobID reads the task id and attempt back from a job id; ok is false for other jobs.
func parseJobID(id string) (taskID string, attempt int, ok bool) {
	rest, found := strings.CutPrefix(id, JobPrefix)
	i := strings.LastIndex(rest, "-a")
	if !found || i <= 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(rest[i+2:])
	if err != nil || n < 1 {
		return "", 0, false
	}
	return rest[:i], n, true
}

// VariablePath is where a job's registry credentials live: nomad/jobs/<job id> is readable by the job's
// own workload identity and nothing else without an ACL policy.
func VariablePath(jobID string) string { return "nomad/jobs/" + jobID }

// jobSpec is everything a Nomad job of one task is built from.
type jobSpec struct {
	TaskID   string
	Attempt  int
	Executor plan.Executor
	Token    string
	// Auth[i] tells whether image i has registry credentials (stored in the job's variable).
	Auth []bool
}

// Driver names.
const (
	driverDocker = "docker"
)

// driverFor is the Nomad driver a task of executor kind runs with.
func (b *Bridge) driverFor(kind string) string {
	if kind == plan.ExecDocker && b.o.DockerJobs == "docker" {
		return driverDocker
	}
	return b.o.HostDriver
}

// buildJob turns a task into its Nomad batch job.
func (b *Bridge) buildJob(s jobSpec) *api.Job {
	id := JobID(s.TaskID, s.Attempt)
	job := api.NewBatchJob(id, id, "", b.o.Priority)
	job.Region = nil // the client's region applies
	job.Datacenters = append([]string(nil), b.o.Datacenters...)
	job.Meta = map[string]string{metaTask: s.TaskID, metaAttempt: strconv.Itoa(s.Attempt), metaInstall: b.install}
	arch := "amd64"
	if strings.HasPrefix(s.Executor.ResourceClass, "arm.") {
		arch = "arm64"
	}
	job.Constraints = []*api.Constraint{
		api.NewConstraint("${attr.kernel.name}", "=", "linux"),
		api.NewConstraint("${attr.cpu.arch}", "=", arch),
	}
	tg := api.NewTaskGroup("task", 1)
	// The bridge decides retries (one, after an infrastructure failure): Nomad must not rerun a runner.
	tg.RestartPolicy = &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")}
	tg.ReschedulePolicy = &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)}
	tg.EphemeralDisk = &api.EphemeralDisk{SizeMB: ptr(300)}
	res := b.resources(s.Executor.ResourceClass)
	driver := b.driverFor(s.Executor.Kind)
	runner := api.NewTask("runner", driver)
	runner.Env = map[string]string{TokenEnv: s.Token}
	runner.Resources = &api.Resources{CPU: ptr(res.CPU), MemoryMB: ptr(res.MemoryMB)}
	runner.KillTimeout = ptr(30 * time.Second)
	runner.Meta = map[string]string{metaTask: s.TaskID}
	args := []string{"runner", "--api-url", b.o.APIURL, "--task-id", s.TaskID,
		"--work-dir", "${NOMAD_TASK_DIR}/work"}
	if s.Executor.Kind == plan.ExecDocker || driver == driverDocker {
		// Inside the primary container, or on the host by the operator's choice: steps run where the runner is.
		args = append(args, "--docker-mode", "host")
	}
	if driver == driverDocker {
		b.dockerGroup(tg, runner, s, args)
	} else {
		command := b.o.RunnerPath
		if command == "" || driver == "exec" {
			runner.Artifacts = []*api.TaskArtifact{b.artifact()}
			command = "${NOMAD_TASK_DIR}/caravan"
		}
		runner.Config = map[string]any{"command": command, "args": args}
		tg.Tasks = append(tg.Tasks, runner)
	}
	job.TaskGroups = []*api.TaskGroup{tg}
	return job
}

// artifact is the runner download.
func (b *Bridge) artifact() *api.TaskArtifact {
	a := &api.TaskArtifact{GetterSource: ptr(b.o.RunnerURL), RelativeDest: ptr("local/")}
	if b.o.RunnerSHA256 != "" {
		a.GetterOptions = map[string]string{"checksum": "sha256:" + b.o.RunnerSHA256}
	}
	return a
}

// dockerGroup makes a docker group: the runner in the primary image, services as prestart sidecars, all
// sharing the group's network so services answer on localhost.
func (b *Bridge) dockerGroup(tg *api.TaskGroup, runner *api.Task, s jobSpec, args []string) {
	tg.Networks = []*api.NetworkResource{{Mode: "bridge"}}
	images := s.Executor.Images
	if len(images) == 0 {
		images = []plan.Image{{Image: "cimg/base:stable"}}
	}
	runner.Artifacts = []*api.TaskArtifact{b.artifact()}
	primary := images[0]
	cfg := map[string]any{"image": primary.Image, "entrypoint": []string{"/local/caravan"},
		"args": args}
	b.dockerCommon(cfg, runner, s, 0)
	if primary.User != "" {
		runner.User = primary.User
	}
	for k, v := range primary.Environment {
		if k != TokenEnv { // the image's environment never replaces the task token
			runner.Env[k] = v
		}
	}
	// CircleCI's service names resolve to the shared network, as localhost does.
	var hosts []string
	for _, im := range images[1:] {
		if im.Name != "" {
			hosts = append(hosts, im.Name+":127.0.0.1")
		}
	}
	if len(hosts) > 0 {
		cfg["extra_hosts"] = hosts
	}
	runner.Config = cfg
	tg.Tasks = append(tg.Tasks, runner)
	for i, im := range images[1:] {
		name := fmt.Sprintf("service-%d", i+1)
		t := api.NewTask(name, driverDocker)
		t.Lifecycle = &api.TaskLifecycle{Hook: api.TaskLifecycleHookPrestart, Sidecar: true}
		t.Resources = &api.Resources{CPU: ptr(b.o.ServiceResources.CPU), MemoryMB: ptr(b.o.ServiceResources.MemoryMB)}
		t.KillTimeout = ptr(10 * time.Second)
		t.Env = map[string]string{}
		for k, v := range im.Environment {
			t.Env[k] = v
		}
		c := map[string]any{"image": im.Image}
		if len(im.Entrypoint) > 0 {
			c["entrypoint"] = im.Entrypoint
		}
		if len(im.Command) > 0 {
			c["args"] = im.Command
		}
		if im.User != "" {
			t.User = im.User
		}
		b.dockerCommon(c, t, s, i+1)
		t.Config = c
		tg.Tasks = append(tg.Tasks, t)
	}
}

// dockerCommon adds registry credentials for image i: a template reads them from the job's variable
// into the task's environment, and the driver's auth block interpolates them. The job spec itself
// holds only variable references.
func (b *Bridge) dockerCommon(cfg map[string]any, t *api.Task, s jobSpec, i int) {
	if i >= len(s.Auth) || !s.Auth[i] {
		return
	}
	user, pass := fmt.Sprintf("CARAVAN_REGISTRY_USER_%d", i), fmt.Sprintf("CARAVAN_REGISTRY_PASSWORD_%d", i)
	// toUnescapedJSON, not toJSON: Nomad's env file parser knows only the escapes \\ \" \n \t, not the
	// \u0026 toJSON writes for & < >.
	tmpl := fmt.Sprintf(`{{ with nomadVar %q }}%s={{ (index . "user_%d").Value | toUnescapedJSON }}
%s={{ (index . "password_%d").Value | toUnescapedJSON }}{{ end }}`, VariablePath(JobID(s.TaskID, s.Attempt)), user, i, pass, i)
	t.Templates = append(t.Templates, &api.Template{EmbeddedTmpl: ptr(tmpl),
		DestPath: ptr(fmt.Sprintf("secrets/registry-%d.env", i)), Envvars: ptr(true)})
	cfg["auth"] = []map[string]any{{"username": "${" + user + "}", "password": "${" + pass + "}"}}
}

func ptr[T any](v T) *T { return &v }
