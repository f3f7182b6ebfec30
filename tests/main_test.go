package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// caravanBin is the caravan binary built once for the suite; junitBin converts go test output to JUnit
// (go-junit-report, pinned in go.mod as a tool); bridgeBin is the standalone nomadbridge.
var caravanBin, junitBin, bridgeBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "caravan-tests-")
	if err != nil {
		panic(err)
	}
	caravanBin = filepath.Join(dir, "caravan")
	junitBin = filepath.Join(dir, "go-junit-report")
	bridgeBin = filepath.Join(dir, "nomadbridge")
	for _, b := range [][]string{{caravanBin, "../cmd/caravan"}, {junitBin, "github.com/jstemmer/go-junit-report/v2"},
		{bridgeBin, "../nomadbridge/cmd/nomadbridge"}} {
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Stderr.Write(out)
			panic(err)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
