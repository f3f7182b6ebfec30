package gcemachine

import (
	"time"

	compute "cloud.google.com/go/compute/apiv1"
)

// Options say where instances are created.
type Options struct {
	Project        string // project id
	Zone           string // zone, e.g. us-central1-a
	Network        string // network (URL or global/networks/<name>); default network when it and Subnetwork are empty
	Subnetwork     string // subnetwork (URL or regions/<region>/subnetworks/<name>)
	ServiceAccount string // service account email the VM runs as (cloud-platform scope); none when empty
	NoExternalIP   bool   // no ephemeral external IP (the subnetwork then needs Cloud NAT or private access)
}

// Cloud is a machine.Cloud on Compute Engine. It is safe for concurrent use.
type Cloud struct {
	client *compute.InstancesClient
	o      Options
	poll   time.Duration // pause before asking again to stop an instance GCE is still provisioning
}

// New returns a Cloud over client (from compute.NewInstancesRESTClient).
func New(client *compute.InstancesClient, o Options) *Cloud {
	return &Cloud{client: client, o: o, poll: 5 * time.Second}
}

// DefaultClasses maps CircleCI's Linux machine resource classes to GCE machine types of about the same size.
func DefaultClasses() map[string]string {
	return map[string]string{
		"medium":      "n2-standard-2",  // 2 vCPU, 8 GB
		"large":       "n2-standard-4",  // 4 vCPU, 16 GB
		"xlarge":      "n2-standard-8",  // 8 vCPU, 32 GB
		"2xlarge":     "n2-standard-16", // 16 vCPU, 64 GB
		"2xlarge+":    "n2-standard-32", // 32 vCPU, 128 GB
		"arm.medium":  "t2a-standard-2", // 2 vCPU, 8 GB
		"arm.large":   "t2a-standard-4",
		"arm.xlarge":  "t2a-standard-8",
		"arm.2xlarge": "t2a-standard-16",
	}
}

// DefaultImages maps machine images to Canonical's Ubuntu image families. They are stock Ubuntu: an image with
// Docker and CircleCI's tools preinstalled is closer to CircleCI's own; map it in machine.Options.Images.
func DefaultImages() map[string]string {
	family := func(f string) string { return "projects/ubuntu-os-cloud/global/images/family/" + f }
	return map[string]string{
		"default":             family("ubuntu-2204-lts"),
		"default@arm64":       family("ubuntu-2204-lts-arm64"),
		"ubuntu-2004:*":       family("ubuntu-2004-lts"),
		"ubuntu-2004:*@arm64": family("ubuntu-2004-lts-arm64"),
		"ubuntu-2204:*":       family("ubuntu-2204-lts"),
		"ubuntu-2204:*@arm64": family("ubuntu-2204-lts-arm64"),
		"ubuntu-2404:*":       family("ubuntu-2404-lts-amd64"),
		"ubuntu-2404:*@arm64": family("ubuntu-2404-lts-arm64"),
	}
}
