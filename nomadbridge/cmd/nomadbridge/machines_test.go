package main

import (
	"context"
	"flag"
	"io"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/ec2machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/gcemachine"
	"github.com/google/go-cmp/cmp"
)

// parseMachineFlags parses args as a flag set holding the machine flags and one other flag.
func parseMachineFlags(args []string) (machineConfig, error) {
	fs := flag.NewFlagSet("nomadbridge", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Bool("v", false, "")
	var m machineFlags
	m.register(fs)
	if err := fs.Parse(args); err != nil {
		return machineConfig{}, err
	}
	return m.config(fs)
}

// over returns base with the pairs of kv laid over it.
func over(base map[string]string, kv ...string) map[string]string {
	m := maps.Clone(base)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func TestMachineFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		want    machineConfig
		wantErr string
	}{
		{name: "no provider", args: []string{"-v"}},
		{name: "ec2 with defaults", args: []string{"--machine-provider", "ec2"},
			want: machineConfig{Provider: "ec2", Provisioner: machine.Options{TTL: 2 * time.Hour,
				Images: ec2machine.DefaultImages(), Classes: ec2machine.DefaultClasses()}}},
		{name: "ec2 with everything", args: []string{"--machine-provider=ec2", "--machine-ttl=90m",
			"--machine-warm", "default/medium=2", "--machine-warm", "ubuntu-2204:2024.01.1/arm.large=1",
			"--machine-warm", "default/medium=3", "--machine-image", "default=ami-1", "--machine-image",
			"android:*=ami-2", "--machine-class", "medium=c7i.large", "--machine-class", "gpu.small=g5.xlarge",
			"--ec2-subnet", "subnet-1", "--ec2-security-groups", "sg-1, sg-2,", "--ec2-key-name", "debug",
			"--ec2-instance-profile", "caravan-vm"},
			want: machineConfig{Provider: "ec2", Provisioner: machine.Options{TTL: 90 * time.Minute,
				Warm:    map[string]int{"default/medium": 3, "ubuntu-2204:2024.01.1/arm.large": 1},
				Images:  over(ec2machine.DefaultImages(), "default", "ami-1", "android:*", "ami-2"),
				Classes: over(ec2machine.DefaultClasses(), "medium", "c7i.large", "gpu.small", "g5.xlarge")},
				EC2: ec2machine.Options{SubnetID: "subnet-1", SecurityGroupIDs: []string{"sg-1", "sg-2"},
					KeyName: "debug", IAMInstanceProfile: "caravan-vm"}}},
		{name: "gce", args: []string{"--machine-provider", "gce", "--gce-project", "p", "--gce-zone", "europe-west1-b",
			"--gce-network", "global/networks/ci", "--gce-subnetwork", "regions/europe-west1/subnetworks/ci",
			"--gce-service-account", "vm@p.iam.gserviceaccount.com", "--gce-no-external-ip"},
			want: machineConfig{Provider: "gce", Provisioner: machine.Options{TTL: 2 * time.Hour,
				Images: gcemachine.DefaultImages(), Classes: gcemachine.DefaultClasses()},
				GCE: gcemachine.Options{Project: "p", Zone: "europe-west1-b", Network: "global/networks/ci",
					Subnetwork: "regions/europe-west1/subnetworks/ci", ServiceAccount: "vm@p.iam.gserviceaccount.com",
					NoExternalIP: true}}},
		{name: "unknown provider", args: []string{"--machine-provider", "azure"},
			wantErr: `--machine-provider "azure": want ec2 or gce`},
		{name: "machine flag without a provider", args: []string{"--machine-warm", "default/medium=1"},
			wantErr: "--machine-warm needs --machine-provider"},
		{name: "cloud flag without a provider", args: []string{"--gce-project", "p"},
			wantErr: "--gce-project needs --machine-provider"},
		{name: "flag of the other provider", args: []string{"--machine-provider", "gce", "--gce-project", "p",
			"--gce-zone", "z", "--ec2-subnet", "subnet-1"},
			wantErr: "--ec2-subnet is a flag of --machine-provider ec2"},
		{name: "gce without project and zone", args: []string{"--machine-provider", "gce"},
			wantErr: "--machine-provider gce needs --gce-project and --gce-zone"},
		{name: "zero ttl", args: []string{"--machine-provider", "ec2", "--machine-ttl", "0s"},
			wantErr: "--machine-ttl 0s: want a positive duration"},
		{name: "warm pool without a class", args: []string{"--machine-provider", "ec2", "--machine-warm", "default=1"},
			wantErr: `"default=1": want IMAGE/CLASS=N`},
		{name: "warm pool with a negative count", args: []string{"--machine-provider", "ec2", "--machine-warm",
			"default/medium=-1"}, wantErr: `"default/medium=-1": want IMAGE/CLASS=N`},
		{name: "warm pool of an unknown class", args: []string{"--machine-provider", "ec2", "--machine-warm",
			"default/gpu.small=1"}, wantErr: `--machine-warm default/gpu.small: no instance type for resource class "gpu.small"`},
		{name: "image without a cloud image", args: []string{"--machine-provider", "ec2", "--machine-image", "default="},
			wantErr: `"default=": want NAME=VALUE`},
		{name: "class without an instance type", args: []string{"--machine-provider", "ec2", "--machine-class", "medium"},
			wantErr: `"medium": want NAME=VALUE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := parseMachineFlags(tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("config: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunMachineFlagErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "bad provider", args: []string{"--machine-provider", "azure"}, wantErr: "want ec2 or gce"},
		{name: "VMs cannot use a runner path", args: []string{"--machine-provider", "ec2", "--nomad-runner-path",
			"/usr/local/bin/caravan"}, wantErr: "give --runner-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out strings.Builder
			args := append([]string{"--data", t.TempDir(), "--api-url", "http://ci.internal:8080",
				"--nomad-addr", "http://127.0.0.1:1"}, tt.args...)
			if code := run(context.Background(), args, &out); code != 2 {
				t.Errorf("exit status %d, want 2 (output %q)", code, out.String())
			}
			if !strings.Contains(out.String(), tt.wantErr) {
				t.Errorf("output %q, want it to contain %q", out.String(), tt.wantErr)
			}
		})
	}
}
