package runner_test

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/caravan-ci/caravan/runner/localapi"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// BenchmarkOutputThroughput streams what a step prints as fast as it can to the task server on loopback (which
// writes it to disk). The baseline is the same command writing to /dev/null.
func BenchmarkOutputThroughput(b *testing.B) {
	const size = 256 << 20
	cmd := "head -c " + strconv.Itoa(size) + " /dev/zero | tr '\\0' 'x'"
	b.Run("baseline-devnull", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			if out, err := exec.Command("bash", "-c", cmd+" > /dev/null").CombinedOutput(); err != nil {
				b.Fatal(err, string(out))
			}
		}
	})
	b.Run("runner-to-server", func(b *testing.B) {
		h := newHarnessTB(b)
		b.SetBytes(size)
		for b.Loop() {
			tk := task(run(cmd))
			if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
				b.Fatalf("%+v", res)
			}
			if fi, err := os.Stat(h.srv.OutputPath(tk.ID, 1)); err != nil || fi.Size() != size {
				b.Fatalf("output stored: %v %v", fi, err)
			}
		}
	})
}

// BenchmarkStepOverhead measures what the runner adds to a trivial step: events, output stream, script file,
// environment. The baseline spawns the same shell on the same kind of script directly.
func BenchmarkStepOverhead(b *testing.B) {
	const steps = 50
	script := filepath.Join(b.TempDir(), "s.sh")
	os.WriteFile(script, []byte("true\n"), 0o644)
	var base time.Duration
	b.Run("baseline-spawn", func(b *testing.B) {
		start := time.Now()
		for b.Loop() {
			for range steps {
				if err := exec.Command("/bin/bash", "-eo", "pipefail", script).Run(); err != nil {
					b.Fatal(err)
				}
			}
		}
		base = time.Since(start) / time.Duration(b.N*steps)
		b.ReportMetric(float64(base.Microseconds())/1000, "ms/step")
	})
	b.Run("runner", func(b *testing.B) {
		h := newHarnessTB(b)
		var all []plan.Step
		for range steps {
			all = append(all, run("true"))
		}
		var total time.Duration
		for b.Loop() {
			tk := task(all...)
			start := time.Now()
			if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
				b.Fatalf("%+v", res)
			}
			total += time.Since(start)
		}
		per := total / time.Duration(b.N*steps)
		b.ReportMetric(float64(per.Microseconds())/1000, "ms/step")
		b.ReportMetric(float64((per-base).Microseconds())/1000, "ms-overhead/step")
	})
}

// BenchmarkCacheSaveRestore saves a large file (half random bytes, half text) as a cache and restores it in
// another task, through presigned URLs to the blob directory.
func BenchmarkCacheSaveRestore(b *testing.B) {
	const size = 256 << 20
	src := b.TempDir()
	data := make([]byte, size)
	rand.Read(data[:size/2])
	for i := size / 2; i < size; i++ {
		data[i] = "the quick brown fox jumps over the lazy dog\n"[i%44]
	}
	if err := os.WriteFile(filepath.Join(src, "big.bin"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	data = nil
	h := newHarnessTB(b)
	var save, restore time.Duration
	n := 0
	for b.Loop() {
		n++
		key := "big-" + strconv.Itoa(n) + "-" + strconv.FormatInt(time.Now().UnixNano(), 10)
		tk := task(plan.Step{Type: plan.StepSaveCache, Key: key, Paths: []string{src}})
		start := time.Now()
		if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
			b.Fatalf("%+v", res)
		}
		save += time.Since(start)
		os.Remove(filepath.Join(src, "big.bin"))
		tk = task(plan.Step{Type: plan.StepRestoreCache, Keys: []string{key}})
		start = time.Now()
		if res := h.exec(tk, localapi.TaskOptions{}); res.Status != taskapi.StatusSuccess {
			b.Fatalf("%+v", res)
		}
		restore += time.Since(start)
		if fi, err := os.Stat(filepath.Join(src, "big.bin")); err != nil || fi.Size() != size {
			b.Fatalf("restored %v %v", fi, err)
		}
	}
	b.ReportMetric(float64(size)*float64(n)/save.Seconds()/1e6, "save-MB/s")
	b.ReportMetric(float64(size)*float64(n)/restore.Seconds()/1e6, "restore-MB/s")
}
