package runner

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/caravan-ci/caravan/runner/archive"
	"github.com/caravan-ci/caravan/shared/plan"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// workspaceHeader starts every workspace layer, so a layer is recognised before it is unpacked.
const workspaceHeader = "caravan-workspace/1\n"

// persist uploads this step's layer of the workflow's workspace: the paths (globs) under root.
func (j *job) persist(ctx context.Context, st plan.Step, out io.Writer) error {
	root := j.resolve(orDefault(st.Root, "."))
	paths, err := archive.Glob(root, st.Paths)
	if err != nil {
		return fmt.Errorf("persist to workspace: %w", err)
	}
	start := time.Now()
	f, stats, err := j.packTemp(workspaceHeader, root, paths)
	if err != nil {
		return fmt.Errorf("persist to workspace: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	idx := j.curStep
	res, err := j.api.Blob(ctx, taskapi.BlobRequest{Kind: taskapi.BlobWorkspace, Op: taskapi.OpPut, Step: idx})
	if err != nil {
		return fmt.Errorf("persist to workspace: %w", err)
	}
	if err := j.api.Upload(ctx, res.URL, f); err != nil {
		return fmt.Errorf("upload workspace layer: %w", err)
	}
	fmt.Fprintf(out, "Persisted %d files (%s) from %s: %s in %s\n", stats.Files, humanBytes(stats.Bytes), root,
		strings.Join(paths, ", "), time.Since(start).Round(time.Millisecond))
	return nil
}

// attach downloads every upstream layer, oldest first, into at: a later layer's file replaces an earlier one's.
func (j *job) attach(ctx context.Context, st plan.Step, out io.Writer) error {
	at := j.resolve(orDefault(st.At, "."))
	res, err := j.api.Blob(ctx, taskapi.BlobRequest{Kind: taskapi.BlobWorkspace, Op: taskapi.OpGet})
	if err != nil {
		return fmt.Errorf("attach workspace: %w", err)
	}
	if len(res.URLs) == 0 {
		fmt.Fprintf(out, "No upstream job persisted to the workspace; nothing to attach\n")
		return nil
	}
	if err := os.MkdirAll(at, 0o755); err != nil {
		return fmt.Errorf("attach workspace: %w", err)
	}
	for _, u := range res.URLs {
		// Layers come from other jobs: none may write through a link an earlier layer left in the target.
		stats, err := j.unpackURL(ctx, u.URL, archive.Options{StrictLinks: true},
			func(h string) (string, bool) { return at, h == workspaceHeader })
		if err != nil {
			return fmt.Errorf("attach workspace layer %s: %w", u.Path, err)
		}
		fmt.Fprintf(out, "Applied layer %s: %d files (%s)\n", u.Path, stats.Files, humanBytes(stats.Bytes))
	}
	fmt.Fprintf(out, "Attached the workspace at %s\n", at)
	return nil
}

// unpackURL downloads an archive written by packTemp and unpacks it where targetFor says its header line
// belongs; an unknown header means the blob is not an archive of that kind.
func (j *job) unpackURL(ctx context.Context, url string, opt archive.Options,
	targetFor func(header string) (string, bool)) (archive.Stats, error) {
	body, err := j.api.Download(ctx, url)
	if err != nil {
		return archive.Stats{}, err
	}
	defer body.Close()
	br := bufio.NewReaderSize(body, 1<<20)
	h, err := br.ReadString('\n')
	if err != nil {
		return archive.Stats{}, fmt.Errorf("read archive header: %w", err)
	}
	target, ok := targetFor(h)
	if !ok {
		return archive.Stats{}, fmt.Errorf("not a caravan archive of this kind (header %q)", strings.TrimSpace(h))
	}
	return archive.Unpack(br, target, opt)
}

// storeArtifacts uploads a file or a directory tree; destination is the prefix shown by the artifacts API.
func (j *job) storeArtifacts(ctx context.Context, st plan.Step, out io.Writer) error {
	src := j.resolve(st.Path)
	dest := st.Destination
	if dest == "" {
		dest = strings.TrimPrefix(filepath.ToSlash(st.Path), "~/")
	}
	files, err := listFiles(src, func(string) bool { return true })
	if err != nil {
		return fmt.Errorf("store artifacts: %w", err)
	}
	if len(files) == 0 {
		fmt.Fprintf(out, "No artifact files found at %s\n", src)
		return nil
	}
	return j.uploadFiles(ctx, out, taskapi.BlobArtifact, src, dest, files)
}

// storeTestResults uploads the JUnit XML files under path (a directory or one file).
func (j *job) storeTestResults(ctx context.Context, st plan.Step, out io.Writer) error {
	src := j.resolve(st.Path)
	files, err := listFiles(src, func(p string) bool { return strings.EqualFold(filepath.Ext(p), ".xml") })
	if err != nil {
		return fmt.Errorf("store test results: %w", err)
	}
	if len(files) == 0 {
		fmt.Fprintf(out, "No test result files (*.xml) found at %s\n", src)
		return nil
	}
	return j.uploadFiles(ctx, out, taskapi.BlobTestResults, src, filepath.Base(src), files)
}

// listFiles returns the regular files at src (a file, or a tree), relative to src ("." for src itself).
func listFiles(src string, keep func(string) bool) ([]string, error) {
	st, err := os.Stat(src)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{"."}, nil
	}
	var files []string
	err = filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() && keep(p) {
			rel, _ := filepath.Rel(src, p)
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	return files, err
}

// uploadFiles asks for one URL per file and uploads them four at a time.
func (j *job) uploadFiles(ctx context.Context, out io.Writer, kind, src, dest string, files []string) error {
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = strings.TrimLeft(path.Clean(path.Join(dest, f)), "/")
	}
	res, err := j.api.Blob(ctx, taskapi.BlobRequest{Kind: kind, Op: taskapi.OpPut, Paths: names})
	if err != nil {
		return fmt.Errorf("upload %s: %w", kind, err)
	}
	if len(res.URLs) != len(files) {
		return fmt.Errorf("upload %s: asked for %d URLs, got %d", kind, len(files), len(res.URLs))
	}
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i, f := range files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			err := j.uploadOne(ctx, filepath.Join(src, filepath.FromSlash(f)), res.URLs[i].URL)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("upload %s: %w", names[i], err)
			}
			if err == nil {
				fmt.Fprintf(out, "Uploaded %s\n", names[i])
			}
		}()
	}
	wg.Wait()
	return first
}

func (j *job) uploadOne(ctx context.Context, file, url string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	return j.api.Upload(ctx, url, f)
}
