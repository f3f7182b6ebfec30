package nomadbridge

import (
	"flag"
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func parseSettings(t *testing.T, args ...string) (*Settings, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var s Settings
	s.Flags(fs)
	return &s, fs.Parse(args)
}

// A Nomad user's NOMAD_ADDR must not turn a plain `caravan server` into a Nomad one.
func TestSettingsAddressIsExplicit(t *testing.T) {
	t.Setenv("NOMAD_ADDR", "http://nomad.example.com:4646")
	t.Setenv("CARAVAN_NOMAD_ADDR", "")
	s, err := parseSettings(t)
	if err != nil || s.Enabled() {
		t.Fatalf("enabled=%v err=%v with only NOMAD_ADDR set", s.Enabled(), err)
	}
	t.Setenv("CARAVAN_NOMAD_ADDR", "http://127.0.0.1:4646")
	if s, _ = parseSettings(t); !s.Enabled() {
		t.Fatal("CARAVAN_NOMAD_ADDR did not enable the bridge")
	}
}

func TestSettingsApply(t *testing.T) {
	t.Setenv("CARAVAN_NOMAD_ADDR", "")
	s, err := parseSettings(t, "--nomad-addr", "http://n:4646", "--nomad-datacenters", "dc1, dc2",
		"--nomad-resource-class", "medium=100/64", "--nomad-resource-class", "big=4000/8192",
		"--nomad-retention", "20s", "--nomad-docker-jobs", "host", "--nomad-max-pending", "8")
	if err != nil {
		t.Fatal(err)
	}
	var o Options
	s.Apply(&o)
	want := Options{HostDriver: "raw_exec", DockerJobs: "host", Datacenters: []string{"dc1", "dc2"},
		Classes: map[string]Resources{"medium": {100, 64}, "big": {4000, 8192}}, Concurrency: 16, MaxPending: 8,
		Retention: 20 * time.Second, KillGrace: 10 * time.Second, PollInterval: 5 * time.Second,
		Visibility: 2 * time.Minute}
	if diff := cmp.Diff(want, o, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".Now" || p.Last().String() == ".Log"
	}, cmp.Ignore())); diff != "" {
		t.Fatalf("Apply (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"medium", "medium=1", "medium=a/b", "=1/2", "m=0/64"} {
		if _, err := parseSettings(t, "--nomad-resource-class", bad); err == nil {
			t.Errorf("--nomad-resource-class %q accepted", bad)
		}
	}
}
