package plan

// Step types.
const (
	StepRun                = "run"
	StepCheckout           = "checkout"
	StepSetupRemoteDocker  = "setup_remote_docker"
	StepSaveCache          = "save_cache"
	StepRestoreCache       = "restore_cache"
	StepStoreArtifacts     = "store_artifacts"
	StepStoreTestResults   = "store_test_results"
	StepPersistToWorkspace = "persist_to_workspace"
	StepAttachWorkspace    = "attach_workspace"
	StepAddSSHKeys         = "add_ssh_keys"
)

// When values of a step.
const (
	WhenOnSuccess = "on_success"
	WhenAlways    = "always"
	WhenOnFail    = "on_fail"
)

// Step is one built-in step with every option resolved. Only the fields of
// its Type are set.
type Step struct {
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
	When string `json:"when,omitempty"` // on_success (default), always, on_fail

	// run
	Command         string            `json:"command,omitempty"`
	Shell           string            `json:"shell,omitempty"`
	Environment     map[string]string `json:"environment,omitempty"`
	Background      bool              `json:"background,omitempty"`
	WorkingDir      string            `json:"working_directory,omitempty"`
	NoOutputTimeout string            `json:"no_output_timeout,omitempty"`
	MaxAutoReruns   int               `json:"max_auto_reruns,omitempty"`
	AutoRerunDelay  string            `json:"auto_rerun_delay,omitempty"`

	// checkout
	Method string `json:"method,omitempty"`
	Depth  int    `json:"depth,omitempty"`

	// checkout, store_artifacts, store_test_results
	Path        string `json:"path,omitempty"`
	Destination string `json:"destination,omitempty"`

	// save_cache, restore_cache
	Key   string   `json:"key,omitempty"`
	Keys  []string `json:"keys,omitempty"`
	Paths []string `json:"paths,omitempty"` // also persist_to_workspace

	// persist_to_workspace, attach_workspace
	Root string `json:"root,omitempty"`
	At   string `json:"at,omitempty"`

	// add_ssh_keys
	Fingerprints []string `json:"fingerprints,omitempty"`

	// setup_remote_docker
	DockerLayerCaching bool   `json:"docker_layer_caching,omitempty"`
	Version            string `json:"version,omitempty"`
}
