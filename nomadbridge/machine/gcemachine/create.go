package gcemachine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"cloud.google.com/go/compute/apiv1/computepb"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/google/uuid"
	"google.golang.org/api/googleapi"
)

// Create inserts one instance (idempotent by Spec.Token through the request id and the name) and waits for
// it; with Spec.Stopped it then stops it.
func (c *Cloud) Create(ctx context.Context, s machine.Spec) (machine.Instance, error) {
	if s.Token == "" {
		return machine.Instance{}, fmt.Errorf("insert instance %q: no token", s.Name)
	}
	name := instanceName(s)
	labels := gceLabels(s.Labels)
	ni := &computepb.NetworkInterface{}
	if c.o.Network != "" {
		ni.Network = ptr(c.o.Network)
	}
	if c.o.Subnetwork != "" {
		ni.Subnetwork = ptr(c.o.Subnetwork)
	}
	if c.o.Network == "" && c.o.Subnetwork == "" {
		ni.Network = ptr("global/networks/default")
	}
	if !c.o.NoExternalIP {
		ni.AccessConfigs = []*computepb.AccessConfig{{Name: ptr("External NAT"), Type: ptr("ONE_TO_ONE_NAT")}}
	}
	inst := &computepb.Instance{
		Name:        ptr(name),
		MachineType: ptr(fmt.Sprintf("zones/%s/machineTypes/%s", c.o.Zone, s.InstanceType)),
		Labels:      labels,
		Metadata:    &computepb.Metadata{Items: withItems(nil, s.BootScript, s.Labels)},
		Disks: []*computepb.AttachedDisk{{Boot: ptr(true), AutoDelete: ptr(true),
			InitializeParams: &computepb.AttachedDiskInitializeParams{SourceImage: ptr(s.Image), Labels: labels}}},
		NetworkInterfaces: []*computepb.NetworkInterface{ni},
	}
	if c.o.ServiceAccount != "" {
		inst.ServiceAccounts = []*computepb.ServiceAccount{{Email: ptr(c.o.ServiceAccount),
			Scopes: []string{"https://www.googleapis.com/auth/cloud-platform"}}}
	}
	op, err := c.client.Insert(ctx, &computepb.InsertInstanceRequest{Project: c.o.Project, Zone: c.o.Zone,
		InstanceResource: inst, RequestId: ptr(requestID("insert", s.Token))})
	if err == nil {
		err = wait(ctx, op)
	}
	if err != nil && !hasCode(err, http.StatusConflict) {
		return machine.Instance{}, fmt.Errorf("insert instance %q: %w", name, err)
	}
	if s.Stopped {
		if err := c.stop(ctx, name, requestID("stop", s.Token)); err != nil {
			return machine.Instance{}, fmt.Errorf("stop warm instance %q: %w", name, err)
		}
	}
	got, err := c.get(ctx, name)
	if err != nil {
		return machine.Instance{}, fmt.Errorf("read created instance %q: %w", name, err)
	}
	return toInstance(got), nil
}

// stop stops a new instance, retrying while GCE says it is not ready yet (still being provisioned).
func (c *Cloud) stop(ctx context.Context, name, rid string) error {
	for try := 1; ; try++ {
		op, err := c.client.Stop(ctx, &computepb.StopInstanceRequest{Project: c.o.Project, Zone: c.o.Zone,
			Instance: name, RequestId: ptr(rid)})
		if err == nil {
			return wait(ctx, op)
		}
		if !hasReason(err, "resourceNotReady") || try == 30 {
			return err
		}
		t := time.NewTimer(c.poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (c *Cloud) get(ctx context.Context, name string) (*computepb.Instance, error) {
	return c.client.Get(ctx, &computepb.GetInstanceRequest{Project: c.o.Project, Zone: c.o.Zone, Instance: name})
}

// instanceName is Spec.Name made a valid GCE name ([a-z]([-a-z0-9]{0,61}[a-z0-9])?), or one derived from the
// token when there is no name.
func instanceName(s machine.Spec) string {
	if s.Name == "" {
		sum := sha256.Sum256([]byte(s.Token))
		return "caravan-" + hex.EncodeToString(sum[:10])
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s.Name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := b.String()
	if n[0] < 'a' || n[0] > 'z' {
		n = "c-" + n
	}
	if len(n) > 63 {
		n = n[:63]
	}
	return strings.TrimRight(n, "-")
}

// requestID is the UUID GCE wants as a request id, derived from the token so a retry sends the same one.
func requestID(purpose, token string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("caravan:gcemachine:"+purpose+":"+token)).String()
}

// opError is an operation that ended with errors.
type opError struct {
	op    string
	codes []string
	msgs  []string
}

func (e *opError) Error() string {
	return fmt.Sprintf("operation %s failed: %s (%s)", e.op, strings.Join(e.msgs, "; "), strings.Join(e.codes, ", "))
}

// wait waits for an operation and returns its error, if it ended with one.
func wait(ctx context.Context, op *compute.Operation) error {
	if err := op.Wait(ctx); err != nil {
		return fmt.Errorf("wait for operation %s: %w", op.Name(), err)
	}
	if errs := op.Proto().GetError().GetErrors(); len(errs) > 0 {
		e := &opError{op: op.Name()}
		for _, x := range errs {
			e.codes, e.msgs = append(e.codes, x.GetCode()), append(e.msgs, x.GetMessage())
		}
		return e
	}
	return nil
}

// hasReason reports whether err is an HTTP error with an error item of reason.
func hasReason(err error, reason string) bool {
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		return false
	}
	for _, it := range ge.Errors {
		if it.Reason == reason {
			return true
		}
	}
	return false
}

// hasCode reports whether err is an HTTP error of code, or an operation error meaning the same.
func hasCode(err error, code int) bool {
	var ge *googleapi.Error
	if errors.As(err, &ge) && ge.Code == code {
		return true
	}
	var oe *opError
	if errors.As(err, &oe) {
		for _, c := range oe.codes {
			if code == http.StatusConflict && c == "RESOURCE_ALREADY_EXISTS" || code == http.StatusNotFound && c == "RESOURCE_NOT_FOUND" {
				return true
			}
		}
	}
	return false
}
