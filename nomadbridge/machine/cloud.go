package machine

import (
	"context"
	"time"
)

// Cloud is the port a provider adapter implements.
type Cloud interface {
	// Create starts (or, with Spec.Stopped, creates then leaves stopped for a warm pool) one instance. It must be
	// idempotent by Spec.Token: a retry with the same token returns the same instance, never a second one.
	Create(ctx context.Context, s Spec) (Instance, error)
	// List returns the instances carrying every label in match (pass {"caravan-managed":"true"} for all of ours).
	List(ctx context.Context, match map[string]string) ([]Instance, error)
	// Assign gives a stopped warm instance its boot script (user data / startup-script metadata), replaces its
	// labels with labels and starts it.
	Assign(ctx context.Context, id string, bootScript string, labels map[string]string) error
	// Delete terminates instances (already-gone ones are not an error).
	Delete(ctx context.Context, ids ...string) error
}

// Spec describes an instance to create.
type Spec struct {
	Name         string            // instance name, [a-z][a-z0-9-]* and at most 63 characters when made by the core
	Image        string            // cloud image (AMI id or resolve:ssm:…, GCE image URL)
	InstanceType string            // cloud instance type (m6i.large, n2-standard-2)
	BootScript   string            // script run at boot; empty for a warm instance
	Token        string            // idempotency token, at most 64 ASCII characters
	Labels       map[string]string // labels (tags) on the instance and its disks
	Stopped      bool              // create, then stop: a warm instance waiting for Assign
}

// Instance is an instance as a cloud lists it.
type Instance struct {
	ID      string // the id the cloud addresses the instance by (EC2 instance id, GCE instance name)
	Name    string
	State   string // one of the State* constants
	Labels  map[string]string
	Created time.Time // creation (GCE) or last launch (EC2) time; zero when unknown
}

// Normalised instance states.
const (
	StatePending    = "pending"
	StateRunning    = "running"
	StateStopping   = "stopping"
	StateStopped    = "stopped"
	StateTerminated = "terminated"
)

// Labels the provisioner puts on instances.
const (
	LabelManaged = "caravan-managed" // "true" on every instance the provisioner made; nothing else is touched
	LabelPool    = "caravan-pool"    // pool key: machine image + "/" + resource class
	LabelTask    = "caravan-task"    // task id
	LabelAttempt = "caravan-attempt" // attempt number of the task
	LabelExpires = "caravan-expires" // unix seconds after which Collect deletes the instance
	LabelWarm    = "caravan-warm"    // "true" on a stopped warm instance not yet assigned to a task
)
