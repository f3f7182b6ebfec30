package archive

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeLargeFile writes size bytes alternating 1 MiB of random bytes and
// 1 MiB of repetitive text, like a cache of objects and sources.
func writeLargeFile(b *testing.B, path string, size int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.NewChaCha8([32]byte{1})
	chunk := make([]byte, 1<<20)
	for i := 0; i < size/len(chunk); i++ {
		if i%2 == 0 {
			_, _ = rng.Read(chunk)
		} else {
			chunk = chunk[:0]
			for n := 0; len(chunk) < 1<<20; n++ {
				chunk = fmt.Appendf(chunk, "%08d: the quick brown fox jumps over the lazy dog; func main() { return nil }\n", n+i)
			}
			chunk = chunk[:1<<20]
		}
		if _, err := w.Write(chunk); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// roundTrip packs paths of src into a file and unpacks it into target,
// returning the time each half took and the archive size.
func roundTrip(b *testing.B, src string, paths []string, archive, target string, opt Options) (pack, unpack time.Duration, size int64) {
	start := time.Now()
	f, err := os.Create(archive)
	if err != nil {
		b.Fatal(err)
	}
	st, err := Pack(f, src, paths, opt)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	mid := time.Now()
	g, err := os.Open(archive)
	if err != nil {
		b.Fatal(err)
	}
	defer g.Close()
	if _, err := Unpack(g, target, opt); err != nil {
		b.Fatal(err)
	}
	return mid.Sub(start), time.Since(mid), st.Compressed
}

func reportRates(b *testing.B, bytes int64, n int, pack, unpack time.Duration, compressed int64) {
	mb := float64(bytes) * float64(n) / 1e6
	b.ReportMetric(mb/pack.Seconds(), "pack-MB/s")
	b.ReportMetric(mb/unpack.Seconds(), "unpack-MB/s")
	b.ReportMetric(float64(compressed)/float64(bytes), "ratio")
}

// BenchmarkPackUnpackLarge is save_cache then restore_cache of one 256 MiB
// file, half incompressible. MB/s counts both halves; pack-MB/s and
// unpack-MB/s each alone.
func BenchmarkPackUnpackLarge(b *testing.B) {
	const size = 256 << 20
	src, work := b.TempDir(), b.TempDir()
	writeLargeFile(b, filepath.Join(src, "big.bin"), size)
	archive, target := filepath.Join(work, "cache.tar.zst"), filepath.Join(work, "target")
	b.SetBytes(size)
	var pack, unpack time.Duration
	var compressed int64
	n := 0
	for b.Loop() {
		p, u, c := roundTrip(b, src, []string{"big.bin"}, archive, target, Options{})
		pack, unpack, compressed = pack+p, unpack+u, c
		n++
	}
	reportRates(b, size, n, pack, unpack, compressed)
}

// BenchmarkPackManySmall packs 5,000 files of 4 KiB in 50 directories.
func BenchmarkPackManySmall(b *testing.B) {
	src, files, size := manySmall(b)
	archive := filepath.Join(b.TempDir(), "cache.tar.zst")
	b.SetBytes(size)
	for b.Loop() {
		f, err := os.Create(archive)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Pack(f, src, files, Options{}); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnpackManySmall unpacks the archive of BenchmarkPackManySmall
// into a new directory ("fresh", as restore_cache in a new container) or
// over the previous one ("replace", every file unlinked and created again).
func BenchmarkUnpackManySmall(b *testing.B) {
	src, files, size := manySmall(b)
	work := b.TempDir()
	archive := filepath.Join(work, "cache.tar.zst")
	roundTrip(b, src, files, archive, filepath.Join(work, "first"), Options{})
	for _, fresh := range []bool{true, false} {
		name := map[bool]string{true: "fresh", false: "replace"}[fresh]
		b.Run(name, func(b *testing.B) {
			b.SetBytes(size)
			n := 0
			for b.Loop() {
				target := filepath.Join(work, "first")
				if fresh {
					n++
					target = filepath.Join(work, fmt.Sprint(n))
				}
				f, err := os.Open(archive)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Unpack(f, target, Options{}); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
		})
	}
}

func manySmall(b *testing.B) (root string, paths []string, size int64) {
	b.Helper()
	root = b.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 4<<10)
	words := []string{"alpha ", "beta ", "gamma ", "delta ", "func ", "return ", "{\n", "}\n", "nil ", "err "}
	for d := range 50 {
		dir := fmt.Sprintf("pkg%02d", d)
		if err := os.Mkdir(filepath.Join(root, dir), 0o755); err != nil {
			b.Fatal(err)
		}
		paths = append(paths, dir)
		for i := range 100 {
			data = data[:0]
			for len(data) < 4<<10 {
				data = append(data, words[rng.IntN(len(words))]...)
			}
			data = data[:4<<10]
			if err := os.WriteFile(filepath.Join(root, dir, fmt.Sprintf("f%03d.go", i)), data, 0o644); err != nil {
				b.Fatal(err)
			}
			size += int64(len(data))
		}
	}
	return root, paths, size
}
