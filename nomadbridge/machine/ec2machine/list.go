package ec2machine

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

// List returns the instances (terminated ones EC2 still lists included) tagged with every label of match.
func (c *Cloud) List(ctx context.Context, match map[string]string) ([]machine.Instance, error) {
	in := &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1000)}
	for _, k := range slices.Sorted(maps.Keys(match)) {
		in.Filters = append(in.Filters, types.Filter{Name: aws.String("tag:" + k), Values: []string{match[k]}})
	}
	var out []machine.Instance
	pages := ec2.NewDescribeInstancesPaginator(c.api, in)
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("describe instances tagged %v: %w", match, err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				inst := toInstance(i)
				if matches(inst, match) {
					out = append(out, inst)
				}
			}
		}
	}
	return out, nil
}

// describe returns one instance by id.
func (c *Cloud) describe(ctx context.Context, id string) (machine.Instance, error) {
	i, err := c.describeRaw(ctx, id)
	if err != nil {
		return machine.Instance{}, err
	}
	return toInstance(i), nil
}

func (c *Cloud) describeRaw(ctx context.Context, id string) (types.Instance, error) {
	out, err := c.api.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
	if err != nil {
		return types.Instance{}, fmt.Errorf("describe instance %q: %w", id, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.InstanceId) == id {
				return i, nil
			}
		}
	}
	return types.Instance{}, fmt.Errorf("describe instance %q: %w", id, errNoInstance)
}

func matches(in machine.Instance, match map[string]string) bool {
	for k, v := range match {
		if got, ok := in.Labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}

func toInstance(i types.Instance) machine.Instance {
	in := machine.Instance{ID: aws.ToString(i.InstanceId), Labels: map[string]string{}, Created: aws.ToTime(i.LaunchTime)}
	if i.State != nil {
		in.State = normState(i.State.Name)
	}
	for _, t := range i.Tags {
		k := aws.ToString(t.Key)
		switch {
		case k == "Name":
			in.Name = aws.ToString(t.Value)
		case !strings.HasPrefix(k, "aws:"):
			in.Labels[k] = aws.ToString(t.Value)
		}
	}
	return in
}

func normState(s types.InstanceStateName) string {
	switch s {
	case types.InstanceStateNamePending:
		return machine.StatePending
	case types.InstanceStateNameRunning:
		return machine.StateRunning
	case types.InstanceStateNameStopping:
		return machine.StateStopping
	case types.InstanceStateNameStopped:
		return machine.StateStopped
	case types.InstanceStateNameShuttingDown, types.InstanceStateNameTerminated:
		return machine.StateTerminated
	}
	return machine.StatePending
}

// isNotFound reports whether err says an instance does not exist.
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.Is(err, errNoInstance) || (errors.As(err, &ae) && ae.ErrorCode() == "InvalidInstanceID.NotFound")
}
