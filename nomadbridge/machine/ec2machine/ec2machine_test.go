package ec2machine

import (
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/machinetest"
	"github.com/google/go-cmp/cmp"
)

func newTestCloud(t *testing.T, o Options) (*Cloud, *fakeEC2) {
	t.Helper()
	fake := newFakeEC2(t)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	client := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
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

// parts decodes base64 user data into its MIME parts (content type → decoded body).
func parts(t *testing.T, b64 string) map[string]string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("user data is not base64: %v", err)
	}
	head, body, ok := strings.Cut(string(raw), "\r\n\r\n")
	if !ok {
		t.Fatalf("user data has no MIME header: %q", raw)
	}
	ct := strings.TrimPrefix(strings.Split(head, "\r\n")[0], "Content-Type: ")
	media, params, err := mime.ParseMediaType(ct)
	if err != nil || media != "multipart/mixed" {
		t.Fatalf("user data content type %q (%v), want multipart/mixed", ct, err)
	}
	out := map[string]string{}
	r := multipart.NewReader(strings.NewReader(body), params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("read user data part: %v", err)
		}
		b, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "base64" {
			if b, err = base64.StdEncoding.DecodeString(strings.ReplaceAll(string(b), "\r\n", "")); err != nil {
				t.Fatalf("part is not base64: %v", err)
			}
		}
		media, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out[media] = string(b)
	}
	return out
}

func TestCreateRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		o       Options
		want    map[string]string
		missing []string
	}{
		{"all options", Options{SubnetID: "subnet-1", SecurityGroupIDs: []string{"sg-1", "sg-2"}, KeyName: "ops",
			IAMInstanceProfile: "caravan-runner"}, map[string]string{"SubnetId": "subnet-1", "SecurityGroupId.1": "sg-1",
			"SecurityGroupId.2": "sg-2", "KeyName": "ops", "IamInstanceProfile.Name": "caravan-runner"}, nil},
		{"profile arn", Options{IAMInstanceProfile: "arn:aws:iam::1:instance-profile/p"},
			map[string]string{"IamInstanceProfile.Arn": "arn:aws:iam::1:instance-profile/p"}, []string{"SubnetId", "KeyName"}},
	}
	hostile := "#!/bin/bash\necho '--caravan-user-data-7d1f0c2a--' \"$(x)\" ü\n"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, fake := newTestCloud(t, tt.o)
			labels := map[string]string{machine.LabelManaged: "true", machine.LabelPool: "ubuntu-2204:2024.01.1/large"}
			in, err := c.Create(t.Context(), machine.Spec{Name: "caravan-abc", Image: "ami-1", InstanceType: "m6i.large",
				BootScript: hostile, Token: "run-123", Labels: labels})
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			if in.State != machine.StatePending || in.Name != "caravan-abc" || in.Created.IsZero() {
				t.Errorf("Create returned %+v, want a pending caravan-abc with a launch time", in)
			}
			form := fake.runs[0]
			want := map[string]string{"ClientToken": "run-123", "ImageId": "ami-1", "InstanceType": "m6i.large",
				"MinCount": "1", "MaxCount": "1", "InstanceInitiatedShutdownBehavior": "terminate",
				"MetadataOptions.HttpTokens": "required"}
			for k, v := range tt.want {
				want[k] = v
			}
			for k, v := range want {
				if got := form.Get(k); got != v {
					t.Errorf("RunInstances %s = %q, want %q", k, got, v)
				}
			}
			for _, k := range tt.missing {
				if _, ok := form[k]; ok {
					t.Errorf("RunInstances has %s, want none", k)
				}
			}
			wantTags := map[string]string{"Name": "caravan-abc", machine.LabelManaged: "true", machine.LabelPool: "ubuntu-2204:2024.01.1/large"}
			for _, spec := range members(form, "TagSpecification") {
				got := map[string]string{}
				for _, tag := range members(spec, "Tag") {
					got[tag.Get("Key")] = tag.Get("Value")
				}
				if diff := cmp.Diff(wantTags, got); diff != "" {
					t.Errorf("%s tags (-want +got):\n%s", spec.Get("ResourceType"), diff)
				}
			}
			if n := len(members(form, "TagSpecification")); n != 2 {
				t.Errorf("%d tag specifications, want instance and volume", n)
			}
			p := parts(t, form.Get("UserData"))
			if p["text/x-shellscript"] != hostile {
				t.Errorf("script part = %q, want the boot script", p["text/x-shellscript"])
			}
			if !strings.Contains(p["text/cloud-config"], "- [scripts-user, always]") {
				t.Errorf("cloud-config part = %q, want scripts-user always", p["text/cloud-config"])
			}
		})
	}
}

func TestCreateIdempotentOnTheWire(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	spec := machine.Spec{Name: "n", Image: "ami-1", InstanceType: "m6i.large", Token: "tok", BootScript: "#!/bin/sh\n"}
	a, err := c.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Create(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || len(fake.insts) != 1 || len(fake.runs) != 2 || fake.runs[1].Get("ClientToken") != "tok" {
		t.Errorf("ids %q %q, %d instances, %d RunInstances: want one instance for two calls with one token", a.ID, b.ID, len(fake.insts), len(fake.runs))
	}
	spec.Image = "ami-2"
	_, err = c.Create(t.Context(), spec)
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "IdempotentParameterMismatch" || !strings.Contains(err.Error(), `run instance "n"`) {
		t.Errorf("Create with a reused token = %v, want a wrapped IdempotentParameterMismatch", err)
	}
	if _, err := c.Create(t.Context(), machine.Spec{Name: "n"}); err == nil {
		t.Error("Create without a token succeeded")
	}
}

func TestCreateStoppedWaitsForRunning(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	in, err := c.Create(t.Context(), machine.Spec{Name: "w", Image: "ami-1", InstanceType: "m6i.large", Token: "warm-1",
		Labels: map[string]string{machine.LabelWarm: "true"}, Stopped: true})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if in.State != machine.StateStopping {
		t.Errorf("state %q, want stopping", in.State)
	}
	if diff := cmp.Diff([]string{"RunInstances", "DescribeInstances", "StopInstances"}, fake.actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	if p := parts(t, fake.runs[0].Get("UserData")); p["text/x-shellscript"] != "" || p["text/cloud-config"] == "" {
		t.Errorf("warm user data parts %q, want only the cloud-config", p)
	}
}

func TestAssignOnTheWire(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	ctx := t.Context()
	in, err := c.Create(ctx, machine.Spec{Name: "w", Image: "ami-1", InstanceType: "m6i.large", Token: "warm-1",
		Labels: map[string]string{machine.LabelManaged: "true", machine.LabelWarm: "true", "keep": "old"}, Stopped: true})
	if err != nil {
		t.Fatal(err)
	}
	running, err := c.Create(ctx, machine.Spec{Name: "r", Image: "ami-1", InstanceType: "m6i.large", Token: "run-1"})
	if err != nil {
		t.Fatal(err)
	}
	err = c.Assign(ctx, running.ID, "#!/bin/bash\n", map[string]string{machine.LabelTask: "t0"})
	if err == nil || !strings.Contains(err.Error(), "not stopped") {
		t.Errorf("Assign of a running instance = %v, want a not-stopped error", err)
	}
	if err := c.Assign(ctx, in.ID, "#!/bin/bash\necho run\n", map[string]string{machine.LabelManaged: "true", machine.LabelTask: "t1"}); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	inst := fake.insts[in.ID]
	if p := parts(t, inst.userData); p["text/x-shellscript"] != "#!/bin/bash\necho run\n" {
		t.Errorf("user data after Assign: %q", p)
	}
	want := map[string]string{"Name": "w", machine.LabelManaged: "true", machine.LabelTask: "t1"}
	if diff := cmp.Diff(want, inst.tags); diff != "" {
		t.Errorf("instance tags (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, fake.volumes[inst.volume]); diff != "" {
		t.Errorf("volume tags (-want +got):\n%s", diff)
	}
	if inst.state != "pending" {
		t.Errorf("state %q, want pending (started)", inst.state)
	}
	if err := c.Assign(ctx, "i-00000000000000bad", "x", nil); err == nil {
		t.Error("Assign of an unknown instance succeeded")
	}
}

func TestListPaginatesAndFilters(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	for i, pool := range []string{"a", "b", "a", "a", "a"} {
		_, err := c.Create(t.Context(), machine.Spec{Name: "n", Image: "ami-1", InstanceType: "t", Token: "tok" + string(rune('0'+i)),
			Labels: map[string]string{machine.LabelManaged: "true", machine.LabelPool: pool}})
		if err != nil {
			t.Fatal(err)
		}
	}
	fake.actions = nil
	got, err := c.List(t.Context(), map[string]string{machine.LabelManaged: "true", machine.LabelPool: "a"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Errorf("List returned %d instances, want 4", len(got))
	}
	if diff := cmp.Diff([]string{"DescribeInstances", "DescribeInstances"}, fake.actions); diff != "" {
		t.Errorf("actions (-want +got), pages of 2:\n%s", diff)
	}
}

func TestDelete(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	in, err := c.Create(t.Context(), machine.Spec{Name: "n", Image: "ami-1", InstanceType: "t", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(t.Context(), "i-00000000000000bad", in.ID); err != nil {
		t.Fatalf("Delete with an unknown id: %v", err)
	}
	if s := fake.insts[in.ID].state; s != "shutting-down" {
		t.Errorf("known instance is %s, want shutting-down", s)
	}
	if err := c.Delete(t.Context(), "i-00000000000000bad"); err != nil {
		t.Errorf("Delete of an unknown id: %v", err)
	}
}

func TestProvisionerWithDefaults(t *testing.T) {
	t.Parallel()
	c, fake := newTestCloud(t, Options{})
	p := machine.New(machine.Options{Cloud: c, Images: DefaultImages(), Classes: DefaultClasses()})
	l := machine.Launch{TaskID: "job-0", Attempt: 1, Image: "ubuntu-2204:2024.01.1",
		ResourceClass: "arm.large", APIURL: "https://ci", Token: "secret", RunnerURL: "https://ci/runner.tar.gz"}
	if _, err := p.Run(t.Context(), l); err != nil {
		t.Fatalf("Run: %v", err)
	}
	form := fake.runs[0]
	want := url.Values{"ImageId": {"resolve:ssm:/aws/service/canonical/ubuntu/server/22.04/stable/current/arm64/hvm/ebs-gp2/ami-id"},
		"InstanceType": {"m6g.xlarge"}}
	for k, v := range want {
		if form.Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, form.Get(k), v[0])
		}
	}
	if script := parts(t, form.Get("UserData"))["text/x-shellscript"]; script != machine.BootScript(l) {
		t.Errorf("script part = %q, want BootScript(launch)", script)
	}
}
