package runner

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/caravan-ci/caravan/runner/archive"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// A cache archive starts with one header line saying what its entries are relative to: the job's home (so a
// cache of ~/.cache restores into the next job's home even though homes differ between tasks on a host) or
// the file system root.
const (
	cacheHeaderHome = "caravan-cache/1 root=home\n"
	cacheHeaderRoot = "caravan-cache/1 root=/\n"
)

// cacheKey renders a save_cache or restore_cache key template, as CircleCI does with Go templates:
// {{ .Branch }}, {{ .Revision }}, {{ .BuildNum }}, {{ .CheckoutKey }}, {{ .Environment.NAME }},
// {{ checksum "file" }}, {{ epoch }} and {{ arch }}.
func (j *job) cacheKey(tmpl string) (string, error) {
	funcs := template.FuncMap{
		"checksum": func(name string) (string, error) { return j.checksum(name) },
		"epoch":    func() string { return strconv.FormatInt(time.Now().Unix(), 10) },
		"arch":     func() string { return runtime.GOOS + " " + runtime.GOARCH },
	}
	t, err := template.New("key").Funcs(funcs).Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("cache key %q: %w", tmpl, err)
	}
	env := map[string]string{}
	for _, k := range j.env.order {
		env[k] = j.env.vals[k]
	}
	data := map[string]any{
		"Branch": j.task.Pipeline.Branch, "Revision": j.task.Pipeline.Revision,
		"BuildNum": strconv.FormatInt(j.task.BuildNum, 10), "CheckoutKey": j.checkoutKeyFingerprint(),
		"Environment": env,
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("cache key %q: %w", tmpl, err)
	}
	key := strings.TrimSpace(b.String())
	if key == "" {
		return "", fmt.Errorf("cache key %q renders empty", tmpl)
	}
	return key, nil
}

// checksum is the base64 SHA-256 of a file, relative to the working directory.
func (j *job) checksum(name string) (string, error) {
	f, err := os.Open(j.resolve(name))
	if err != nil {
		return "", fmt.Errorf("checksum: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("checksum %s: %w", name, err)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)), nil
}

func (j *job) checkoutKeyFingerprint() string {
	if len(j.task.SSHKeys) > 0 {
		return j.task.SSHKeys[0].Fingerprint
	}
	return ""
}

// resolve expands ~ and makes a path absolute against the working directory.
func (j *job) resolve(p string) string {
	p = expandHome(p, j.home)
	if !filepath.IsAbs(p) {
		p = filepath.Join(j.workDir, p)
	}
	return filepath.Clean(p)
}

func (j *job) saveCache(ctx context.Context, st plan.Step, out io.Writer) error {
	key, err := j.cacheKey(st.Key)
	if err != nil {
		return err
	}
	res, err := j.api.Blob(ctx, taskapi.BlobRequest{Kind: taskapi.BlobCache, Op: taskapi.OpPut, Key: key})
	if err != nil {
		return fmt.Errorf("save cache %q: %w", key, err)
	}
	if res.Exists {
		fmt.Fprintf(out, "Skipping cache generation: a cache already exists for key %s (caches are immutable)\n", key)
		return nil
	}
	var paths []string
	inHome := true
	for _, p := range st.Paths {
		abs := j.resolve(p)
		if _, err := os.Lstat(abs); err != nil {
			fmt.Fprintf(out, "Warning: %s does not exist; not cached\n", abs)
			continue
		}
		paths = append(paths, abs)
		if !within(abs, j.home) {
			inHome = false
		}
	}
	if len(paths) == 0 {
		fmt.Fprintf(out, "None of the paths exist; no cache saved for key %s\n", key)
		return nil
	}
	root, header := "/", cacheHeaderRoot
	if inHome {
		root, header = j.home, cacheHeaderHome
	}
	rel := make([]string, len(paths))
	for i, p := range paths {
		rel[i], _ = filepath.Rel(root, p)
		fmt.Fprintf(out, "Adding %s\n", p)
	}
	start := time.Now()
	f, stats, err := j.packTemp(header, root, rel)
	if err != nil {
		return fmt.Errorf("save cache %q: %w", key, err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := j.api.Upload(ctx, res.URL, f); err != nil {
		return fmt.Errorf("upload cache %q: %w", key, err)
	}
	size, _ := f.Seek(0, io.SeekEnd)
	fmt.Fprintf(out, "Stored cache %s: %d files, %s (%s compressed) in %s\n", key, stats.Files,
		humanBytes(stats.Bytes), humanBytes(size), time.Since(start).Round(time.Millisecond))
	return nil
}

// packTemp writes header + a tar.zst of paths under root to a temporary file, rewound for upload.
func (j *job) packTemp(header, root string, paths []string) (*os.File, archive.Stats, error) {
	f, err := os.CreateTemp(j.tmp, "archive-*.tar.zst")
	if err != nil {
		return nil, archive.Stats{}, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	_, err = bw.WriteString(header)
	var stats archive.Stats
	if err == nil {
		stats, err = archive.Pack(bw, root, paths, archive.Options{})
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, stats, err
	}
	return f, stats, nil
}

func (j *job) restoreCache(ctx context.Context, st plan.Step, out io.Writer) error {
	var keys []string
	templates := st.Keys
	if st.Key != "" {
		templates = append([]string{st.Key}, templates...)
	}
	for _, t := range templates {
		k, err := j.cacheKey(t)
		if err != nil {
			return err
		}
		keys = append(keys, k)
	}
	res, err := j.api.Blob(ctx, taskapi.BlobRequest{Kind: taskapi.BlobCache, Op: taskapi.OpGet, Keys: keys})
	if errors.Is(err, taskapi.ErrNotFound) {
		fmt.Fprintf(out, "No cache found for keys:\n  %s\n", strings.Join(keys, "\n  "))
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore cache: %w", err)
	}
	fmt.Fprintf(out, "Found a cache for key %s\n", res.Key)
	start := time.Now()
	stats, err := j.unpackURL(ctx, res.URL, archive.Options{}, func(h string) (string, bool) {
		switch h {
		case cacheHeaderHome:
			return j.home, true
		case cacheHeaderRoot:
			return "/", true
		}
		return "", false
	})
	if err != nil {
		return fmt.Errorf("restore cache %q: %w", res.Key, err)
	}
	fmt.Fprintf(out, "Restored %d files (%s) in %s\n", stats.Files, humanBytes(stats.Bytes),
		time.Since(start).Round(time.Millisecond))
	return nil
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
