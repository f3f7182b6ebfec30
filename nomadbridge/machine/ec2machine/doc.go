// Package ec2machine is the machine.Cloud adapter for Amazon EC2, over aws-sdk-go-v2's service/ec2.
//
// Create is RunInstances with ClientToken = Spec.Token (EC2's own idempotency: a retry returns the same
// reservation), the labels as tags on the instance and its volumes (plus a Name tag), the boot script as user
// data, and InstanceInitiatedShutdownBehavior=terminate, so the script's final `shutdown -h now` terminates
// the VM. With Spec.Stopped the adapter waits for the instance to run, then stops it (a warm instance).
// Instances are addressed by instance id.
//
// User data is a MIME multi-part message: a cloud-config part setting `cloud_final_modules: [[scripts-user,
// always]]` and the boot script (base64 transfer encoding, so no value in it can break the message). With
// that, cloud-init runs the current user data on every boot, which is what lets Assign give a stopped warm
// instance a new script (ModifyInstanceAttribute) before StartInstances; a fresh warm instance has no script
// part and does nothing at its first boot.
//
// List is DescribeInstances with a tag:<key> filter per label (paginated), then checked exactly (EC2 filters
// treat * and ? as wildcards). Labels are the instance's tags except Name and aws:*. States map to the
// machine package's: shutting-down counts as terminated. Assign replaces the caravan labels (DeleteTags of
// tags not in the new set, CreateTags) on the instance and its volumes. Delete is TerminateInstances;
// instances that do not exist (InvalidInstanceID.NotFound) are not an error.
//
// DefaultClasses and DefaultImages are CircleCI-like starting points for machine.Options: general-purpose
// m6i/m6g sizes, and Canonical's Ubuntu images through public SSM parameters (resolve:ssm:…), which
// RunInstances resolves in the instance's region.
package ec2machine
