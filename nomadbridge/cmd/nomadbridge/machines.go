package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	compute "cloud.google.com/go/compute/apiv1"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/caravan-ci/caravan/nomadbridge"
	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/ec2machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/gcemachine"
)

// machineFlags are the flags of the machine provisioner, which runs machine jobs on cloud VMs instead of on
// the Nomad clients' host driver.
type machineFlags struct {
	provider        string
	ttl             time.Duration
	warm            warmFlag
	images, classes pairFlag
	ec2             ec2machine.Options
	ec2Groups       string // comma-separated
	gce             gcemachine.Options
}

// machineConfig is what the machine flags say, checked.
type machineConfig struct {
	Provider    string          // "" (no provisioner), "ec2" or "gce"
	Provisioner machine.Options // without Cloud and Log
	EC2         ec2machine.Options
	GCE         gcemachine.Options
}

func (m *machineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&m.provider, "machine-provider", "",
		"run machine jobs on VMs of this cloud: ec2 or gce (default: on the Nomad clients' host driver)")
	fs.DurationVar(&m.ttl, "machine-ttl", machine.DefaultTTL,
		"lifetime of a task's VM: it is deleted after this however the task goes")
	fs.Var(&m.warm, "machine-warm",
		"IMAGE/CLASS=N: stopped VMs kept ready for that machine image and resource class (repeatable)")
	fs.Var(&m.images, "machine-image",
		"NAME=CLOUDIMAGE: cloud image of a machine image, over the provider's Ubuntu defaults (repeatable; NAME as "+
			"ubuntu-2204:2024.01.1, ubuntu-2204:*, default, NAME@arm64 or NAME/CLASS)")
	fs.Var(&m.classes, "machine-class",
		"CLASS=INSTANCETYPE: instance type of a resource class, over the provider's defaults (repeatable)")
	fs.StringVar(&m.ec2.SubnetID, "ec2-subnet", "", "subnet of the VMs (default: the default VPC's)")
	fs.StringVar(&m.ec2Groups, "ec2-security-groups", "", "comma-separated security group ids of the VMs")
	fs.StringVar(&m.ec2.KeyName, "ec2-key-name", "", "SSH key pair of the VMs, to debug them")
	fs.StringVar(&m.ec2.IAMInstanceProfile, "ec2-instance-profile", "", "instance profile (name or ARN) of the VMs")
	fs.StringVar(&m.gce.Project, "gce-project", "", "project of the VMs (required with --machine-provider gce)")
	fs.StringVar(&m.gce.Zone, "gce-zone", "", "zone of the VMs, e.g. us-central1-a (required with --machine-provider gce)")
	fs.StringVar(&m.gce.Network, "gce-network", "", "network of the VMs (default: the default network)")
	fs.StringVar(&m.gce.Subnetwork, "gce-subnetwork", "", "subnetwork of the VMs (regions/REGION/subnetworks/NAME)")
	fs.StringVar(&m.gce.ServiceAccount, "gce-service-account", "", "service account email the VMs run as (default: none)")
	fs.BoolVar(&m.gce.NoExternalIP, "gce-no-external-ip", false,
		"no external IP on the VMs (the subnetwork then needs Cloud NAT)")
}

// config checks the machine flags of fs, once parsed.
func (m *machineFlags) config(fs *flag.FlagSet) (machineConfig, error) {
	var errs []error
	var defClasses, defImages map[string]string
	switch m.provider {
	case "":
	case "ec2":
		defClasses, defImages = ec2machine.DefaultClasses(), ec2machine.DefaultImages()
	case "gce":
		defClasses, defImages = gcemachine.DefaultClasses(), gcemachine.DefaultImages()
	default:
		errs = append(errs, fmt.Errorf("--machine-provider %q: want ec2 or gce", m.provider))
	}
	fs.Visit(func(f *flag.Flag) {
		prefix, _, _ := strings.Cut(f.Name, "-")
		switch {
		case f.Name == "machine-provider" || (prefix != "machine" && prefix != "ec2" && prefix != "gce"):
		case m.provider == "":
			errs = append(errs, fmt.Errorf("--%s needs --machine-provider", f.Name))
		case prefix != "machine" && prefix != m.provider:
			errs = append(errs, fmt.Errorf("--%s is a flag of --machine-provider %s", f.Name, prefix))
		}
	})
	if m.provider == "" {
		return machineConfig{}, errors.Join(errs...)
	}
	if m.ttl <= 0 {
		errs = append(errs, fmt.Errorf("--machine-ttl %s: want a positive duration", m.ttl))
	}
	c := machineConfig{Provider: m.provider, Provisioner: machine.Options{TTL: m.ttl,
		Images: merge(defImages, m.images), Classes: merge(defClasses, m.classes)}}
	if len(m.warm) > 0 {
		c.Provisioner.Warm = maps.Clone(map[string]int(m.warm))
	}
	for _, pool := range slices.Sorted(maps.Keys(m.warm)) {
		if class := pool[strings.LastIndexByte(pool, '/')+1:]; c.Provisioner.Classes[class] == "" {
			errs = append(errs, fmt.Errorf("--machine-warm %s: no instance type for resource class %q (give --machine-class)",
				pool, class))
		}
	}
	switch m.provider {
	case "ec2":
		c.EC2 = m.ec2
		for _, g := range strings.Split(m.ec2Groups, ",") {
			if g = strings.TrimSpace(g); g != "" {
				c.EC2.SecurityGroupIDs = append(c.EC2.SecurityGroupIDs, g)
			}
		}
	case "gce":
		c.GCE = m.gce
		if c.GCE.Project == "" || c.GCE.Zone == "" {
			errs = append(errs, errors.New("--machine-provider gce needs --gce-project and --gce-zone"))
		}
	}
	if len(errs) > 0 {
		return machineConfig{}, errors.Join(errs...)
	}
	return c, nil
}

// newMachines returns the bridge's Machines for c (nil without a provider) and what releases its cloud client.
// The provisioner sees only the VMs of the installation whose runners report to apiURL.
func newMachines(ctx context.Context, c machineConfig, apiURL string, log *slog.Logger) (
	nomadbridge.Machines, func(), error) {
	var cloud machine.Cloud
	closeCloud := func() {}
	switch c.Provider {
	case "":
		return nil, closeCloud, nil
	case "ec2":
		// The SDK's standard resolution: AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL(_EC2), the shared config
		// files, then the instance's role.
		cfg, err := config.LoadDefaultConfig(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("machine provider ec2: AWS configuration: %w", err)
		}
		if cfg.Region == "" {
			return nil, nil, errors.New("machine provider ec2: no AWS region (set AWS_REGION or a profile's region)")
		}
		cloud = ec2machine.New(ec2.NewFromConfig(cfg), c.EC2)
	case "gce":
		client, err := compute.NewInstancesRESTClient(ctx) // application default credentials
		if err != nil {
			return nil, nil, fmt.Errorf("machine provider gce: %w", err)
		}
		cloud = gcemachine.New(client, c.GCE)
		closeCloud = func() { _ = client.Close() }
	default:
		return nil, nil, fmt.Errorf("machine provider %q: want ec2 or gce", c.Provider)
	}
	o := c.Provisioner
	o.Cloud, o.Log = nomadbridge.ScopeCloud(cloud, apiURL), log.With("component", "machine", "provider", c.Provider)
	return nomadbridge.NewProvisionerMachines(machine.New(o)), closeCloud, nil
}

// merge returns over laid over base.
func merge(base, over map[string]string) map[string]string {
	m := maps.Clone(base)
	if m == nil {
		m = map[string]string{}
	}
	maps.Copy(m, over)
	return m
}

// pairFlag is a repeatable NAME=VALUE flag.
type pairFlag map[string]string

func (p *pairFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(*p)) {
		parts = append(parts, k+"="+(*p)[k])
	}
	return strings.Join(parts, ",")
}

func (p *pairFlag) Set(v string) error {
	name, value, ok := strings.Cut(v, "=")
	if name, value = strings.TrimSpace(name), strings.TrimSpace(value); !ok || name == "" || value == "" {
		return fmt.Errorf("%q: want NAME=VALUE", v)
	}
	if *p == nil {
		*p = pairFlag{}
	}
	(*p)[name] = value
	return nil
}

// warmFlag is a repeatable IMAGE/CLASS=N flag.
type warmFlag map[string]int

func (w *warmFlag) String() string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(*w)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, (*w)[k]))
	}
	return strings.Join(parts, ",")
}

func (w *warmFlag) Set(v string) error {
	pool, count, ok := strings.Cut(v, "=")
	pool = strings.TrimSpace(pool)
	i := strings.LastIndexByte(pool, '/')
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if !ok || i <= 0 || i == len(pool)-1 || err != nil || n < 0 {
		return fmt.Errorf("%q: want IMAGE/CLASS=N (N ≥ 0), e.g. default/medium=2", v)
	}
	if *w == nil {
		*w = warmFlag{}
	}
	(*w)[pool] = n
	return nil
}
