package nomadbridge

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Settings are the operator's choices for a bridge, as flags of `caravan server` and `nomadbridge`.
// Apply copies them into Options; the wiring fills in the queue, tasks, tokens and URLs.
type Settings struct {
	Client                           Config
	RunnerPath, HostDriver           string
	DockerJobs                       string
	Datacenters                      string // comma-separated
	Classes                          classFlag
	Concurrency, MaxPending          int
	Retention, KillGrace, PollPeriod time.Duration
	Visibility                       time.Duration
}

// Flags registers the settings on fs, each with a --nomad- prefix and the NOMAD_* environment variables
// of Nomad's own CLI as defaults where they exist (the address excepted: it is CARAVAN_NOMAD_ADDR).
func (s *Settings) Flags(fs *flag.FlagSet) {
	// Not NOMAD_ADDR: a Nomad user's shell has it set, and it must not switch the executor silently.
	fs.StringVar(&s.Client.Address, "nomad-addr", os.Getenv("CARAVAN_NOMAD_ADDR"),
		"run tasks on this Nomad cluster instead of as child processes (env CARAVAN_NOMAD_ADDR)")
	fs.StringVar(&s.Client.Region, "nomad-region", os.Getenv("NOMAD_REGION"), "Nomad region (env NOMAD_REGION)")
	fs.StringVar(&s.Client.Namespace, "nomad-namespace", os.Getenv("NOMAD_NAMESPACE"),
		"Nomad namespace of the task jobs (env NOMAD_NAMESPACE)")
	fs.StringVar(&s.Client.Token, "nomad-token", "", "Nomad ACL token (default: env NOMAD_TOKEN)")
	fs.StringVar(&s.Client.CACert, "nomad-ca-cert", os.Getenv("NOMAD_CACERT"), "CA certificate file for Nomad's TLS (env NOMAD_CACERT)")
	fs.StringVar(&s.Client.ClientCert, "nomad-client-cert", os.Getenv("NOMAD_CLIENT_CERT"), "client certificate file for mTLS (env NOMAD_CLIENT_CERT)")
	fs.StringVar(&s.Client.ClientKey, "nomad-client-key", os.Getenv("NOMAD_CLIENT_KEY"), "client key file for mTLS (env NOMAD_CLIENT_KEY)")
	fs.StringVar(&s.Client.TLSServerName, "nomad-tls-server-name", os.Getenv("NOMAD_TLS_SERVER_NAME"), "server name checked in Nomad's certificate")
	fs.StringVar(&s.RunnerPath, "nomad-runner-path", "",
		"path of the caravan binary on every Nomad client (raw_exec; default: clients download it from the server)")
	fs.StringVar(&s.HostDriver, "nomad-host-driver", "raw_exec", "driver of host (machine) jobs: raw_exec or exec")
	fs.StringVar(&s.DockerJobs, "nomad-docker-jobs", "docker",
		"where docker-executor jobs run: docker (the docker driver) or host (the host driver)")
	fs.StringVar(&s.Datacenters, "nomad-datacenters", "*", "comma-separated datacenters of the task jobs")
	fs.Var(&s.Classes, "nomad-resource-class",
		"NAME=CPU_MHZ/MEMORY_MB: resources of a resource class (repeatable; CircleCI's sizes by default)")
	fs.IntVar(&s.Concurrency, "nomad-concurrency", 16, "run messages handled at once")
	fs.IntVar(&s.MaxPending, "nomad-max-pending", 64, "registered jobs waiting for placement before the bridge stops taking messages")
	fs.DurationVar(&s.Retention, "nomad-retention", time.Hour, "how long finished jobs stay in Nomad before they are purged")
	fs.DurationVar(&s.KillGrace, "nomad-kill-grace", 10*time.Second, "how long a canceled task may take to stop before its job is deregistered")
	fs.DurationVar(&s.Visibility, "nomad-visibility", 2*time.Minute,
		"lease on a run message while it is handled (a bridge that dies holding one hands it back after this)")
	fs.DurationVar(&s.PollPeriod, "nomad-poll", 5*time.Second, "reconcile period (the fallback of the event stream)")
}

// Enabled reports whether a Nomad address was given.
func (s *Settings) Enabled() bool { return s.Client.Address != "" }

// Apply copies the settings into o.
func (s *Settings) Apply(o *Options) {
	o.RunnerPath, o.HostDriver, o.DockerJobs = s.RunnerPath, s.HostDriver, s.DockerJobs
	o.Datacenters = nil
	for _, dc := range strings.Split(s.Datacenters, ",") {
		if dc = strings.TrimSpace(dc); dc != "" {
			o.Datacenters = append(o.Datacenters, dc)
		}
	}
	if len(s.Classes) > 0 {
		o.Classes = map[string]Resources(s.Classes)
	}
	o.Concurrency, o.MaxPending = s.Concurrency, s.MaxPending
	o.Retention, o.KillGrace, o.PollInterval, o.Visibility = s.Retention, s.KillGrace, s.PollPeriod, s.Visibility
}

// classFlag is a repeatable NAME=CPU/MEMORY flag.
type classFlag map[string]Resources

func (c *classFlag) String() string {
	parts := make([]string, 0, len(*c))
	for k, v := range *c {
		parts = append(parts, fmt.Sprintf("%s=%d/%d", k, v.CPU, v.MemoryMB))
	}
	return strings.Join(parts, ",")
}

func (c *classFlag) Set(v string) error {
	name, spec, ok := strings.Cut(v, "=")
	cpu, mem, ok2 := strings.Cut(spec, "/")
	if !ok || !ok2 || name == "" {
		return fmt.Errorf("resource class %q: want NAME=CPU_MHZ/MEMORY_MB", v)
	}
	cpuN, err1 := strconv.Atoi(cpu)
	memN, err2 := strconv.Atoi(mem)
	if err1 != nil || err2 != nil || cpuN <= 0 || memN <= 0 {
		return fmt.Errorf("resource class %q: CPU and memory must be positive integers", v)
	}
	if *c == nil {
		*c = classFlag{}
	}
	(*c)[name] = Resources{CPU: cpuN, MemoryMB: memN}
	return nil
}
