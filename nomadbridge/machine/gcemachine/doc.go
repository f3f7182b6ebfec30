// Package gcemachine is the machine.Cloud adapter for Google Compute Engine, over the REST client of
// cloud.google.com/go/compute/apiv1 (compute.NewInstancesRESTClient). Instances live in one project and zone
// and are addressed by name (Instance.ID is the name).
//
// Create inserts an instance named Spec.Name (or a name derived from the token) with RequestId set to a UUID
// derived from Spec.Token (GCE's idempotency: a retried insert returns the first operation), the boot script as
// the startup-script metadata item, machineType zones/<zone>/machineTypes/<type>, a boot disk from Spec.Image
// (a sourceImage such as projects/ubuntu-os-cloud/global/images/family/ubuntu-2204-lts) deleted with the
// instance, and waits for the operation. An insert that finds the name taken (a retry after GCE forgot the
// request id) returns the existing instance. With Spec.Stopped the instance is then stopped. GCE runs the
// startup-script at every boot, reading it from the metadata server, so Assign (SetMetadata and SetLabels,
// each with the fingerprint read by Get, then Start) is all a warm instance needs. After the script's
// `shutdown -h now` GCE keeps the instance as TERMINATED (reported as stopped) until Collect deletes it.
//
// GCE label keys and values must match [a-z][a-z0-9_-]{0,62} and [a-z0-9_-]{0,63}, so the adapter sanitises
// labels (lowercase, other characters become '_', long ones are shortened with a hash) and also stores the
// original labels as JSON in the metadata item caravan-labels. List filters on the sanitised labels
// (labels.k = "v" AND …, paginated), then checks the originals exactly and returns them, so callers never see
// the sanitised form.
//
// DefaultClasses and DefaultImages are CircleCI-like starting points for machine.Options: n2-standard and
// t2a-standard (Arm) sizes, and Canonical's Ubuntu image families.
package gcemachine
