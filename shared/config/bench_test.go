package config

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"testing/fstest"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/config/orb"
)

type corpusConfig struct {
	name string
	src  []byte
}

// loadCorpus reads every corpus config, and the orb registry into memory so
// the benchmark measures compilation, not the disk.
func loadCorpus(b *testing.B) ([]corpusConfig, orb.Registry) {
	dir := needCorpus(b)
	files, _ := filepath.Glob(filepath.Join(dir, "configs", "*.yml"))
	var out []corpusConfig
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		out = append(out, corpusConfig{filepath.Base(f), src})
	}
	mem := fstest.MapFS{}
	root := filepath.Join(dir, "orbs", "registry")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		mem[filepath.ToSlash(rel)] = &fstest.MapFile{Data: data}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out, orb.NewDir(mem)
}

// BenchmarkCorpus compiles the whole corpus once per iteration (configs that
// import orbs the registry lacks stop at that error, as they would in
// production). It reports configs/s and the slowest config's time.
func BenchmarkCorpus(b *testing.B) {
	configs, reg := loadCorpus(b)
	ctx := context.Background()
	slowest := map[string]time.Duration{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range configs {
			start := time.Now()
			_, _ = Compile(ctx, c.src, Options{File: c.name, Registry: reg, Pipeline: Pipeline{Branch: "main"}})
			if d := time.Since(start); d > slowest[c.name] {
				slowest[c.name] = d
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(configs)*b.N)/b.Elapsed().Seconds(), "configs/s")
	names := make([]string, 0, len(slowest))
	for n := range slowest {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool { return slowest[names[i]] > slowest[names[j]] })
	if len(names) > 0 {
		b.ReportMetric(float64(slowest[names[0]].Microseconds())/1000, "slowest-ms")
		b.Logf("slowest: %s %v; then %s %v", names[0], slowest[names[0]], names[1], slowest[names[1]])
	}
}

// BenchmarkConfig compiles each corpus config on its own.
func BenchmarkConfig(b *testing.B) {
	configs, reg := loadCorpus(b)
	ctx := context.Background()
	for _, c := range configs {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				_, _ = Compile(ctx, c.src, Options{File: c.name, Registry: reg, Pipeline: Pipeline{Branch: "main"}})
			}
		})
	}
}

// BenchmarkCorpusBaseline only decodes every corpus config with yaml.v3 into
// a yaml.Node: the floor any YAML-based engine pays, to read
// BenchmarkCorpus against (compile time / this time).
func BenchmarkCorpusBaseline(b *testing.B) {
	configs, _ := loadCorpus(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range configs {
			var n yaml.Node
			_ = yaml.Unmarshal(c.src, &n)
		}
	}
	b.ReportMetric(float64(len(configs)*b.N)/b.Elapsed().Seconds(), "configs/s")
}
