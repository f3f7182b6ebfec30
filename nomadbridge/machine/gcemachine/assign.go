package gcemachine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"

	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
)

// Assign sets a stopped instance's startup-script (SetMetadata) and labels (SetLabels), each with the
// fingerprint Get returned, and starts it.
func (c *Cloud) Assign(ctx context.Context, id string, bootScript string, labels map[string]string) error {
	inst, err := c.get(ctx, id)
	if err != nil {
		return fmt.Errorf("assign instance %q: %w", id, err)
	}
	if s := normState(inst.GetStatus()); s != machine.StateStopped {
		return fmt.Errorf("assign instance %q: instance is %s, not stopped", id, s)
	}
	md := &computepb.Metadata{Fingerprint: inst.GetMetadata().Fingerprint,
		Items: withItems(inst.GetMetadata().GetItems(), bootScript, labels)}
	op, err := c.client.SetMetadata(ctx, &computepb.SetMetadataInstanceRequest{Project: c.o.Project, Zone: c.o.Zone,
		Instance: id, MetadataResource: md})
	if err == nil {
		err = wait(ctx, op)
	}
	if err != nil {
		return fmt.Errorf("set metadata of instance %q: %w", id, err)
	}
	op, err = c.client.SetLabels(ctx, &computepb.SetLabelsInstanceRequest{Project: c.o.Project, Zone: c.o.Zone,
		Instance: id, InstancesSetLabelsRequestResource: &computepb.InstancesSetLabelsRequest{
			Labels: gceLabels(labels), LabelFingerprint: inst.LabelFingerprint}})
	if err == nil {
		err = wait(ctx, op)
	}
	if err != nil {
		return fmt.Errorf("set labels of instance %q: %w", id, err)
	}
	op, err = c.client.Start(ctx, &computepb.StartInstanceRequest{Project: c.o.Project, Zone: c.o.Zone, Instance: id})
	if err == nil {
		err = wait(ctx, op)
	}
	if err != nil {
		return fmt.Errorf("start instance %q: %w", id, err)
	}
	return nil
}

// Delete deletes instances concurrently and waits for them to be gone. Instances that do not exist are not
// an error.
func (c *Cloud) Delete(ctx context.Context, ids ...string) error {
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8) // deletes in flight at once
	for i, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			op, err := c.client.Delete(ctx, &computepb.DeleteInstanceRequest{Project: c.o.Project, Zone: c.o.Zone, Instance: id})
			if err == nil {
				err = wait(ctx, op)
			}
			if err != nil && !hasCode(err, http.StatusNotFound) {
				errs[i] = fmt.Errorf("delete instance %q: %w", id, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}
