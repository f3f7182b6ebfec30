package ec2machine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

// Assign gives a stopped instance its boot script as user data, replaces its labels (on the instance and its
// volumes) and starts it.
func (c *Cloud) Assign(ctx context.Context, id string, bootScript string, labels map[string]string) error {
	raw, err := c.describeRaw(ctx, id)
	if err != nil {
		return fmt.Errorf("assign instance %q: %w", id, err)
	}
	cur := toInstance(raw)
	if cur.State != machine.StateStopped {
		return fmt.Errorf("assign instance %q: instance is %s, not stopped", id, cur.State)
	}
	_, err = c.api.ModifyInstanceAttribute(ctx, &ec2.ModifyInstanceAttributeInput{InstanceId: aws.String(id),
		UserData: &types.SecureBlobAttributeValue{Value: userData(bootScript)}}) // the SDK base64-encodes it
	if err != nil {
		return fmt.Errorf("set user data of instance %q: %w", id, err)
	}
	resources := []string{id}
	for _, m := range raw.BlockDeviceMappings {
		if m.Ebs != nil && m.Ebs.VolumeId != nil {
			resources = append(resources, *m.Ebs.VolumeId)
		}
	}
	var stale []types.Tag
	for k := range cur.Labels {
		if _, ok := labels[k]; !ok {
			stale = append(stale, types.Tag{Key: aws.String(k)})
		}
	}
	if len(stale) > 0 {
		slices.SortFunc(stale, func(a, b types.Tag) int { return strings.Compare(*a.Key, *b.Key) })
		if _, err := c.api.DeleteTags(ctx, &ec2.DeleteTagsInput{Resources: resources, Tags: stale}); err != nil {
			return fmt.Errorf("delete tags of instance %q: %w", id, err)
		}
	}
	if len(labels) > 0 {
		if _, err := c.api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: resources, Tags: toTags(labels)}); err != nil {
			return fmt.Errorf("tag instance %q: %w", id, err)
		}
	}
	if _, err := c.api.StartInstances(ctx, &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		return fmt.Errorf("start instance %q: %w", id, err)
	}
	return nil
}

// Delete terminates instances. Instances EC2 does not know (any more) are not an error.
func (c *Cloud) Delete(ctx context.Context, ids ...string) error {
	for batch := range slices.Chunk(ids, 100) {
		_, err := c.api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: batch})
		if err == nil {
			continue
		}
		if !isNotFound(err) {
			return fmt.Errorf("terminate instances %q: %w", batch, err)
		}
		// One unknown id fails the whole call: terminate the others one by one.
		for _, id := range batch {
			if len(batch) == 1 {
				break
			}
			_, err := c.api.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
			if err != nil && !isNotFound(err) {
				return fmt.Errorf("terminate instance %q: %w", id, err)
			}
		}
	}
	return nil
}
