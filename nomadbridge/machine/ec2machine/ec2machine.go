package ec2machine

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// Options configure where instances are launched. Empty fields are left to the account's defaults.
type Options struct {
	SubnetID           string   // subnet (and so VPC and availability zone) of the instances
	SecurityGroupIDs   []string // security groups of the instances
	KeyName            string   // SSH key pair name, for debugging a VM
	IAMInstanceProfile string   // instance profile name, or its ARN (arn:…)
}

// api is the part of *ec2.Client the adapter uses.
type api interface {
	RunInstances(ctx context.Context, in *ec2.RunInstancesInput, opts ...func(*ec2.Options)) (*ec2.RunInstancesOutput, error)
	DescribeInstances(ctx context.Context, in *ec2.DescribeInstancesInput, opts ...func(*ec2.Options)) (*ec2.DescribeInstancesOutput, error)
	StopInstances(ctx context.Context, in *ec2.StopInstancesInput, opts ...func(*ec2.Options)) (*ec2.StopInstancesOutput, error)
	StartInstances(ctx context.Context, in *ec2.StartInstancesInput, opts ...func(*ec2.Options)) (*ec2.StartInstancesOutput, error)
	TerminateInstances(ctx context.Context, in *ec2.TerminateInstancesInput, opts ...func(*ec2.Options)) (*ec2.TerminateInstancesOutput, error)
	ModifyInstanceAttribute(ctx context.Context, in *ec2.ModifyInstanceAttributeInput, opts ...func(*ec2.Options)) (*ec2.ModifyInstanceAttributeOutput, error)
	CreateTags(ctx context.Context, in *ec2.CreateTagsInput, opts ...func(*ec2.Options)) (*ec2.CreateTagsOutput, error)
	DeleteTags(ctx context.Context, in *ec2.DeleteTagsInput, opts ...func(*ec2.Options)) (*ec2.DeleteTagsOutput, error)
}

// Cloud is a machine.Cloud on EC2. It is safe for concurrent use.
type Cloud struct {
	api  api
	o    Options
	poll time.Duration // pause between looks at a starting warm instance
	wait time.Duration // how long a warm instance may take to start before it is stopped
}

// New returns a Cloud launching instances with client, in the client's region.
func New(client *ec2.Client, o Options) *Cloud {
	return &Cloud{api: client, o: o, poll: 5 * time.Second, wait: 10 * time.Minute}
}

// DefaultClasses maps CircleCI's Linux machine resource classes to EC2 instance types of about the same size.
func DefaultClasses() map[string]string {
	return map[string]string{
		"medium":      "m6i.large",   // 2 vCPU, 8 GiB
		"large":       "m6i.xlarge",  // 4 vCPU, 16 GiB
		"xlarge":      "m6i.2xlarge", // 8 vCPU, 32 GiB
		"2xlarge":     "m6i.4xlarge", // 16 vCPU, 64 GiB
		"2xlarge+":    "m6i.8xlarge", // 32 vCPU, 128 GiB
		"arm.medium":  "m6g.large",   // 2 vCPU, 8 GiB
		"arm.large":   "m6g.xlarge",  // 4 vCPU, 16 GiB
		"arm.xlarge":  "m6g.2xlarge", // 8 vCPU, 32 GiB
		"arm.2xlarge": "m6g.4xlarge", // 16 vCPU, 64 GiB
	}
}

// DefaultImages maps machine images to Canonical's current Ubuntu AMIs (resolved by RunInstances from public
// SSM parameters). They are stock Ubuntu: an image with Docker and CircleCI's tools preinstalled is closer to
// CircleCI's own; map it in machine.Options.Images.
func DefaultImages() map[string]string {
	ssm := func(release, arch, disk string) string {
		return fmt.Sprintf("resolve:ssm:/aws/service/canonical/ubuntu/server/%s/stable/current/%s/hvm/%s/ami-id",
			release, arch, disk)
	}
	return map[string]string{
		"default":             ssm("22.04", "amd64", "ebs-gp2"),
		"default@arm64":       ssm("22.04", "arm64", "ebs-gp2"),
		"ubuntu-2004:*":       ssm("20.04", "amd64", "ebs-gp2"),
		"ubuntu-2004:*@arm64": ssm("20.04", "arm64", "ebs-gp2"),
		"ubuntu-2204:*":       ssm("22.04", "amd64", "ebs-gp2"),
		"ubuntu-2204:*@arm64": ssm("22.04", "arm64", "ebs-gp2"),
		"ubuntu-2404:*":       ssm("24.04", "amd64", "ebs-gp3"),
		"ubuntu-2404:*@arm64": ssm("24.04", "arm64", "ebs-gp3"),
	}
}
