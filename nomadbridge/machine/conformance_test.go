package machine_test

import (
	"testing"

	"github.com/caravan-ci/caravan/nomadbridge/machine"
	"github.com/caravan-ci/caravan/nomadbridge/machine/machinetest"
)

// The in-memory fake the provisioner's tests use must behave like the adapters, or those tests prove nothing.
func TestFakeCloudConformance(t *testing.T) {
	t.Parallel()
	machinetest.Run(t, func(t *testing.T) machine.Cloud { return newFakeCloud() })
}
