package gcemachine

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/machinetest"
	"github.com/google/go-cmp/cmp"
	"google.golang.org/api/option"
)

func newTestCloud(t *testing.T, o Options) (*Cloud, *fakeGCE) {
	t.Helper()
	if o.Project == "" {
		o.Project, o.Zone = "proj-1", "us-central1-a"
	}
	fake := newFakeGCE(t, o.Project, o.Zone)
	srv := httptest.NewServer(fake.handler())
	t.Cleanup(srv.Close)
	// The REST client appends /compute/v1/… to the endpoint's path, so the endpoint is the bare server URL.
	client, err := compute.NewInstancesRESTClient(t.Context(), option.WithEndpoint(srv.URL), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("NewInstancesRESTClient: %v", err)
	}
	t.Cleanup(func() { _ = client.Close() })
	c := New(client, o)
	c.poll = time.Millisecond
	return c, fake
}

func TestConformance(t *testing.T) {
	t.Parallel()
	machinetest.Run(t, func(t *testing.T) machine.Cloud {
		c, _ := newTestCloud(t, Options{})
		return c
	})
}

func TestInsertRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		o    Options
		nic  gNIC
		sa   []gServiceAccount
	}{
		{"defaults", Options{}, gNIC{Network: "global/networks/default"}, nil},
		{"network options", Options{Project: "p", Zone: "europe-west1-b", Subnetwork: "regions/europe-west1/subnetworks/ci",
			ServiceAccount: "runner@p.iam.gserviceaccount.com", NoExternalIP: true},
			gNIC{Subnetwork: "regions/europe-west1/subnetworks/ci"},
			[]gServiceAccount{{"runner@p.iam.gserviceaccount.com", []string{"https://www.googleapis.com/auth/cloud-platform"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake := newTestCloud(t, tt.o)
			labels := map[string]string{machine.LabelManaged: "true", machine.LabelPool: "ubuntu-2204:2024.01.1/arm.medium",
				machine.LabelTask: "Task-ABC", "Team.Name": "CI"}
			script := "#!/bin/bash\necho 'hi' \"$(x)\"\n"
			in, err := c.Create(t.Context(), machine.Spec{Name: "caravan-abc", Image: "projects/x/global/images/family/f",
				InstanceType: "t2a-standard-2", BootScript: script, Token: "run-1", Labels: labels})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if diff := cmp.Diff(machine.Instance{ID: "caravan-abc", Name: "caravan-abc", State: machine.StateRunning,
				Labels: labels, Created: in.Created}, in); diff != "" || in.Created.IsZero() {
				t.Errorf("Create returned (-want +got):\n%s", diff)
			}
			body := fake.inserts[0]
			wantLabels := map[string]string{"caravan-managed": "true", "caravan-pool": "ubuntu-2204_2024_01_1_arm_medium",
				"caravan-task": "task-abc", "team_name": "ci"}
			if diff := cmp.Diff(wantLabels, body.Labels); diff != "" {
				t.Errorf("GCE labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantLabels, body.Disks[0].InitializeParams.Labels); diff != "" {
				t.Errorf("disk labels (-want +got):\n%s", diff)
			}
			zone := c.o.Zone
			if body.MachineType != "zones/"+zone+"/machineTypes/t2a-standard-2" || body.Disks[0].InitializeParams.SourceImage != "projects/x/global/images/family/f" || !body.Disks[0].AutoDelete {
				t.Errorf("machine type %q, disk %+v", body.MachineType, body.Disks[0])
			}
			items := map[string]string{}
			for _, it := range body.Metadata.Items {
				items[it.Key] = it.Value
			}
			if items["startup-script"] != script || !strings.Contains(items["caravan-labels"], `"Team.Name":"CI"`) {
				t.Errorf("metadata items %q, want the startup-script and the original labels", items)
			}
			nic := body.NetworkInterfaces[0]
			wantNIC := tt.nic
			if !tt.o.NoExternalIP {
				wantNIC.AccessConfigs = nic.AccessConfigs
				if len(nic.AccessConfigs) != 1 || nic.AccessConfigs[0].Type != "ONE_TO_ONE_NAT" {
					t.Errorf("access configs %+v, want one ONE_TO_ONE_NAT", nic.AccessConfigs)
				}
			}
			if diff := cmp.Diff(wantNIC, nic); diff != "" {
				t.Errorf("network interface (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.sa, body.ServiceAccounts); diff != "" {
				t.Errorf("service accounts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateIdempotent(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	spec := machine.Spec{Name: "caravan-x", Image: "img", InstanceType: "n2-standard-2", Token: "run-1", BootScript: "#!/bin/sh\n"}
	a, err := c.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	fake.requests = map[string]string{} // GCE forgot the request id: the name still finds the instance
	d, err := c.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || a.ID != d.ID || len(fake.insts) != 1 {
		t.Errorf("ids %q %q %q and %d instances: want one instance", a.ID, b.ID, d.ID, len(fake.insts))
	}
	if requestID("insert", "run-1") != requestID("insert", "run-1") || requestID("insert", "run-1") == requestID("insert", "run-2") {
		t.Error("request ids are not derived from the token")
	}
	if !uuidRE.MatchString(requestID("insert", "run-1")) {
		t.Errorf("request id %q is not a UUID", requestID("insert", "run-1"))
	}
}

func TestAssignOnTheWire(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	ctx := t.Context()
	in, err := c.Create(ctx, machine.Spec{Name: "caravan-w", Image: "img", InstanceType: "n2-standard-2", Token: "warm-1",
		Labels: map[string]string{machine.LabelManaged: "true", machine.LabelWarm: "true"}, Stopped: true})
	if err != nil {
		t.Fatal(err)
	}
	fake.insts[in.ID].Metadata.Items = append(fake.insts[in.ID].Metadata.Items, gItem{"ssh-keys", "ops:ssh-ed25519 AAAA"})
	fake.calls = nil
	labels := map[string]string{machine.LabelManaged: "true", machine.LabelTask: "T1"}
	if err := c.Assign(ctx, in.ID, "#!/bin/bash\necho run\n", labels); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	want := []string{"GET instances/caravan-w", "POST instances/caravan-w/setMetadata", "GET operations/",
		"POST instances/caravan-w/setLabels", "GET operations/", "POST instances/caravan-w/start", "GET operations/"}
	var got []string
	for _, call := range fake.calls {
		op, _, _ := strings.Cut(call, "operation-")
		got = append(got, op)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	inst := fake.insts[in.ID]
	items := map[string]string{}
	for _, it := range inst.Metadata.Items {
		items[it.Key] = it.Value
	}
	if items["startup-script"] != "#!/bin/bash\necho run\n" || items["ssh-keys"] == "" {
		t.Errorf("metadata after Assign: %q, want the script and the other items kept", items)
	}
	if diff := cmp.Diff(map[string]string{"caravan-managed": "true", "caravan-task": "t1"}, inst.Labels); diff != "" {
		t.Errorf("GCE labels after Assign (-want +got):\n%s", diff)
	}
	if inst.Status != "STAGING" {
		t.Errorf("status %q, want STAGING (started)", inst.Status)
	}
	if err := c.Assign(ctx, in.ID, "x", labels); err == nil || !strings.Contains(err.Error(), "not stopped") {
		t.Errorf("Assign of a started instance = %v, want a not-stopped error", err)
	}
}

func TestListFilterAndPages(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	for i, task := range []string{"A", "b", "a", "a", "a"} {
		_, err := c.Create(t.Context(), machine.Spec{Name: "caravan-" + string(rune('a'+i)), Image: "img", InstanceType: "t",
			Token: "tok" + string(rune('a'+i)), Labels: map[string]string{machine.LabelManaged: "true", machine.LabelTask: task}})
		if err != nil {
			t.Fatal(err)
		}
	}
	fake.calls = nil
	got, err := c.List(t.Context(), map[string]string{machine.LabelManaged: "true", machine.LabelTask: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 { // "A" shares the GCE label value but not the original
		t.Errorf("List returned %d instances, want 3", len(got))
	}
	if len(fake.calls) != 2 {
		t.Errorf("calls %q, want two pages", fake.calls)
	}
	if f := filter(map[string]string{machine.LabelTask: "a", machine.LabelManaged: "true"}); f != `labels.caravan-managed = "true" AND labels.caravan-task = "a"` {
		t.Errorf("filter = %s", f)
	}
}

func TestDeleteMissing(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	in, err := c.Create(t.Context(), machine.Spec{Name: "caravan-d", Image: "img", InstanceType: "t", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context(), "caravan-missing", in.ID, in.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if len(fake.insts) != 0 {
		t.Errorf("%d instances left", len(fake.insts))
	}
}

func TestCreateErrors(t *testing.T) {
	t.Parallel()
	c, _ := newTestCloud(t, Options{})
	_, err := c.Create(t.Context(), machine.Spec{Name: "caravan-e", Image: "", InstanceType: "t", Token: "tok"})
	if err == nil || !strings.Contains(err.Error(), `insert instance "caravan-e"`) || !strings.Contains(err.Error(), "sourceImage") {
		t.Errorf("Create without an image = %v, want the API's error wrapped", err)
	}
}

func TestLabelSanitising(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 70)
	tests := []struct{ in, key, value string }{
		{"caravan-task", "caravan-task", "caravan-task"},
		{"Ubuntu-2204:2024.01.1/Medium", "ubuntu-2204_2024_01_1_medium", "ubuntu-2204_2024_01_1_medium"},
		{"1abc", "k1abc", "1abc"},
		{"", "k", ""},
		{long, labelValue(long), labelValue(long)},
	}
	for _, tt := range tests {
		if k, v := labelKey(tt.in), labelValue(tt.in); k != tt.key || v != tt.value || !keyRE.MatchString(k) || !valueRE.MatchString(v) {
			t.Errorf("labelKey/Value(%q) = %q, %q; want %q, %q and valid", tt.in, k, v, tt.key, tt.value)
		}
	}
	if labelValue(long) == labelValue(long+"y") {
		t.Error("long values that differ sanitise to the same value")
	}
}

func TestCreateStoppedRetriesNotReady(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	fake.stopNotReady = 2
	in, err := c.Create(t.Context(), machine.Spec{Name: "caravan-w", Image: "img", InstanceType: "t", Token: "warm-1", Stopped: true})
	if err != nil {
		t.Fatalf("Create(Stopped): %v", err)
	}
	if in.State != machine.StateStopped {
		t.Errorf("state %q, want stopped", in.State)
	}
	stops := 0
	for _, call := range fake.calls {
		if strings.HasSuffix(call, "/stop") {
			stops++
		}
	}
	if stops != 3 {
		t.Errorf("%d stop requests, want 3 (two refused)", stops)
	}
}
