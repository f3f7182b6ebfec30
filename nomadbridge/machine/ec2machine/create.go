package ec2machine

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

// Create runs one instance (RunInstances, idempotent by Spec.Token) and, with Spec.Stopped, stops it once it runs.
func (c *Cloud) Create(ctx context.Context, s machine.Spec) (machine.Instance, error) {
	if s.Token == "" || len(s.Token) > 64 {
		return machine.Instance{}, fmt.Errorf("run instance %q: token must have 1 to 64 characters", s.Name)
	}
	tags := toTags(s.Labels)
	if s.Name != "" {
		tags = append(tags, types.Tag{Key: aws.String("Name"), Value: aws.String(s.Name)})
	}
	in := &ec2.RunInstancesInput{
		ImageId:                           aws.String(s.Image),
		InstanceType:                      types.InstanceType(s.InstanceType),
		MinCount:                          aws.Int32(1),
		MaxCount:                          aws.Int32(1),
		ClientToken:                       aws.String(s.Token),
		UserData:                          aws.String(base64.StdEncoding.EncodeToString(userData(s.BootScript))),
		InstanceInitiatedShutdownBehavior: types.ShutdownBehaviorTerminate,
		MetadataOptions: &types.InstanceMetadataOptionsRequest{
			HttpTokens:   types.HttpTokensStateRequired,
			HttpEndpoint: types.InstanceMetadataEndpointStateEnabled,
		},
		TagSpecifications: []types.TagSpecification{
			{ResourceType: types.ResourceTypeInstance, Tags: tags},
			{ResourceType: types.ResourceTypeVolume, Tags: tags},
		},
	}
	if c.o.SubnetID != "" {
		in.SubnetId = aws.String(c.o.SubnetID)
	}
	if len(c.o.SecurityGroupIDs) > 0 {
		in.SecurityGroupIds = slices.Clone(c.o.SecurityGroupIDs)
	}
	if c.o.KeyName != "" {
		in.KeyName = aws.String(c.o.KeyName)
	}
	if p := c.o.IAMInstanceProfile; strings.HasPrefix(p, "arn:") {
		in.IamInstanceProfile = &types.IamInstanceProfileSpecification{Arn: aws.String(p)}
	} else if p != "" {
		in.IamInstanceProfile = &types.IamInstanceProfileSpecification{Name: aws.String(p)}
	}
	out, err := c.api.RunInstances(ctx, in)
	if err != nil {
		return machine.Instance{}, fmt.Errorf("run instance %q: %w", s.Name, err)
	}
	if len(out.Instances) != 1 {
		return machine.Instance{}, fmt.Errorf("run instance %q: got %d instances, want 1", s.Name, len(out.Instances))
	}
	inst := toInstance(out.Instances[0])
	if !s.Stopped {
		return inst, nil
	}
	return c.stopWhenRunning(ctx, inst)
}

// stopWhenRunning waits for a new warm instance to leave pending (EC2 cannot stop a pending instance), then
// stops it. A retried Create finds it stopping or stopped already and leaves it so.
func (c *Cloud) stopWhenRunning(ctx context.Context, inst machine.Instance) (machine.Instance, error) {
	deadline := time.Now().Add(c.wait)
	for inst.State == machine.StatePending {
		if time.Now().After(deadline) {
			return machine.Instance{}, fmt.Errorf("stop warm instance %q: still pending after %s", inst.ID, c.wait)
		}
		got, err := c.describe(ctx, inst.ID)
		switch {
		case isNotFound(err): // not visible yet: EC2 is eventually consistent
		case err != nil:
			return machine.Instance{}, fmt.Errorf("stop warm instance %q: %w", inst.ID, err)
		default:
			inst = got
		}
		if inst.State != machine.StatePending {
			break
		}
		t := time.NewTimer(c.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return machine.Instance{}, fmt.Errorf("stop warm instance %q: %w", inst.ID, ctx.Err())
		case <-t.C:
		}
	}
	switch inst.State {
	case machine.StateStopping, machine.StateStopped:
		return inst, nil
	case machine.StateRunning:
	default:
		return machine.Instance{}, fmt.Errorf("stop warm instance %q: instance is %s", inst.ID, inst.State)
	}
	out, err := c.api.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{inst.ID}})
	if err != nil {
		return machine.Instance{}, fmt.Errorf("stop warm instance %q: %w", inst.ID, err)
	}
	inst.State = machine.StateStopping
	for _, ch := range out.StoppingInstances {
		if aws.ToString(ch.InstanceId) == inst.ID && ch.CurrentState != nil {
			inst.State = normState(ch.CurrentState.Name)
		}
	}
	return inst, nil
}

// userData is the cloud-init user data of a boot script: a MIME multi-part message whose cloud-config makes
// cloud-init run the user data's script on every boot, so a warm instance runs the script Assign gives it.
// The script travels base64-encoded, so nothing in it can end its part early. An empty script (a warm
// instance) gets no script part.
func userData(script string) []byte {
	const boundary = "caravan-user-data-7d1f0c2a"
	var b strings.Builder
	part := func(contentType, filename, encoding, body string) {
		fmt.Fprintf(&b, "--%s\r\nContent-Type: %s; charset=\"us-ascii\"\r\nMIME-Version: 1.0\r\n"+
			"Content-Transfer-Encoding: %s\r\nContent-Disposition: attachment; filename=\"%s\"\r\n\r\n%s\r\n",
			boundary, contentType, encoding, filename, body)
	}
	fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\nMIME-Version: 1.0\r\n\r\n", boundary)
	part("text/cloud-config", "cloud-config.txt", "7bit", "#cloud-config\ncloud_final_modules:\n- [scripts-user, always]\n")
	if script != "" {
		enc := base64.StdEncoding.EncodeToString([]byte(script))
		var lines []string
		for len(enc) > 76 {
			lines, enc = append(lines, enc[:76]), enc[76:]
		}
		part("text/x-shellscript", "caravan-boot.sh", "base64", strings.Join(append(lines, enc), "\r\n"))
	}
	fmt.Fprintf(&b, "--%s--\r\n", boundary)
	return []byte(b.String())
}

func toTags(labels map[string]string) []types.Tag {
	tags := make([]types.Tag, 0, len(labels)+1)
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		tags = append(tags, types.Tag{Key: aws.String(k), Value: aws.String(labels[k])})
	}
	return tags
}

var errNoInstance = errors.New("instance not found")
