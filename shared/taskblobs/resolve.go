package taskblobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/taskapi"
)

// Layout places one task in the blob store.
type Layout struct {
	// CachePrefix is where the task's caches live, e.g. "caches/<project id>/" (ends in "/").
	CachePrefix string
	// WorkspaceID is the workflow's workspace (shared by reruns); JobID and Node name the task.
	WorkspaceID string
	JobID       string
	Node        int
	// Upstream lists the job ids whose workspace layers attach, oldest first.
	Upstream []string
}

// Resolve answers a runner's blob request with presigned URLs valid for ttl:
//
//	cache get         the first of req.Keys with a prefix match; among its matches the most recent cache
//	                  (taskapi.ErrNotFound when nothing matches)
//	cache put         req.Key; Exists instead of a URL when the key is taken (caches are immutable)
//	workspace put     the layer of step req.Step
//	workspace get     every layer of the Upstream jobs, oldest job first, layers in step order
//	artifact put      one URL per req.Paths entry, under the task's artifacts
//	test_results put  one URL per req.Paths entry, under the task's uploaded test files
//
// A malformed request is taskapi.ErrInvalid; any other error is a storage failure worth retrying.
func Resolve(ctx context.Context, b blob.Store, l Layout, req taskapi.BlobRequest, ttl time.Duration) (*taskapi.BlobResponse, error) {
	if err := validID("job id", l.JobID); err != nil {
		return nil, err
	}
	switch req.Kind + " " + req.Op {
	case "cache get":
		return cacheGet(ctx, b, l.CachePrefix, req.Keys, ttl)
	case "cache put":
		return cachePut(ctx, b, l.CachePrefix, req.Key, ttl)
	case "workspace put":
		if err := validID("workspace id", l.WorkspaceID); err != nil {
			return nil, err
		}
		if req.Step < 0 || req.Step > 9999 {
			return nil, fmt.Errorf("workspace layer of step %d: %w", req.Step, taskapi.ErrInvalid)
		}
		return presign(ctx, b, "PUT", WorkspaceKey(l.WorkspaceID, l.JobID, req.Step), "", ttl)
	case "workspace get":
		return workspaceGet(ctx, b, l, ttl)
	case "artifact put":
		return putPaths(ctx, b, ArtifactPrefix(l.JobID, l.Node), req.Paths, ttl)
	case "test_results put":
		return putPaths(ctx, b, TestsPrefix(l.JobID, l.Node), req.Paths, ttl)
	}
	return nil, fmt.Errorf("unknown blob request %q %q: %w", req.Kind, req.Op, taskapi.ErrInvalid)
}

func presign(ctx context.Context, b blob.Store, method, key, name string, ttl time.Duration) (*taskapi.BlobResponse, error) {
	u, err := b.Presign(ctx, method, key, ttl)
	if err != nil {
		return nil, keyErr(fmt.Errorf("presign %s %s: %w", method, key, err))
	}
	return &taskapi.BlobResponse{Key: name, URL: u}, nil
}

// keyErr makes an invalid key a bad request rather than a storage failure.
func keyErr(err error) error {
	if errors.Is(err, blob.ErrInvalidKey) {
		return fmt.Errorf("%w: %w", taskapi.ErrInvalid, err)
	}
	return err
}

func cachePut(ctx context.Context, b blob.Store, prefix, name string, ttl time.Duration) (*taskapi.BlobResponse, error) {
	if name == "" {
		return nil, fmt.Errorf("cache put needs a key: %w", taskapi.ErrInvalid)
	}
	key := CacheKey(prefix, name)
	if err := blob.ValidKey(key); err != nil {
		return nil, fmt.Errorf("cache key %q: %w: %w", name, taskapi.ErrInvalid, err)
	}
	objs, err := b.List(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("look up cache %q: %w", name, err)
	}
	for _, o := range objs {
		if o.Key == key {
			return &taskapi.BlobResponse{Key: name, Exists: true}, nil
		}
	}
	return presign(ctx, b, "PUT", key, name, ttl)
}

// cacheGet finds the first key with a prefix match; among its matches the most recent cache wins.
func cacheGet(ctx context.Context, b blob.Store, prefix string, keys []string, ttl time.Duration) (*taskapi.BlobResponse, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("cache get needs keys: %w", taskapi.ErrInvalid)
	}
	objs, err := b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list caches: %w", err)
	}
	type cache struct {
		name, key string
		mod       time.Time
	}
	all := make([]cache, 0, len(objs))
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, prefix)
		if strings.Contains(rest, "/") {
			continue
		}
		if name, err := b64.DecodeString(rest); err == nil {
			all = append(all, cache{string(name), o.Key, o.Modified})
		}
	}
	for _, k := range keys {
		var best *cache
		for i := range all {
			if strings.HasPrefix(all[i].name, k) && (best == nil || all[i].mod.After(best.mod)) {
				best = &all[i]
			}
		}
		if best != nil {
			return presign(ctx, b, "GET", best.key, best.name, ttl)
		}
	}
	return nil, fmt.Errorf("no cache matches %q: %w", keys, taskapi.ErrNotFound)
}

func workspaceGet(ctx context.Context, b blob.Store, l Layout, ttl time.Duration) (*taskapi.BlobResponse, error) {
	res := &taskapi.BlobResponse{}
	if len(l.Upstream) == 0 {
		return res, nil
	}
	if err := validID("workspace id", l.WorkspaceID); err != nil {
		return nil, err
	}
	for _, up := range l.Upstream {
		if err := validID("upstream job id", up); err != nil {
			return nil, err
		}
		objs, err := b.List(ctx, WorkspacePrefix(l.WorkspaceID, up))
		if err != nil {
			return nil, fmt.Errorf("list workspace layers of job %s: %w", up, err)
		}
		for _, o := range objs {
			u, err := b.Presign(ctx, "GET", o.Key, ttl)
			if err != nil {
				return nil, fmt.Errorf("presign workspace layer %s: %w", o.Key, err)
			}
			res.URLs = append(res.URLs, taskapi.BlobURL{Path: o.Key, URL: u})
		}
	}
	return res, nil
}

func putPaths(ctx context.Context, b blob.Store, prefix string, paths []string, ttl time.Duration) (*taskapi.BlobResponse, error) {
	res := &taskapi.BlobResponse{URLs: make([]taskapi.BlobURL, 0, len(paths))}
	for _, p := range paths {
		if err := CleanPath(p); err != nil {
			return nil, err
		}
		key := prefix + p
		if err := blob.ValidKey(key); err != nil {
			return nil, fmt.Errorf("path %q: %w: %w", p, taskapi.ErrInvalid, err)
		}
		u, err := b.Presign(ctx, "PUT", key, ttl)
		if err != nil {
			return nil, fmt.Errorf("presign %s: %w", key, err)
		}
		res.URLs = append(res.URLs, taskapi.BlobURL{Path: p, URL: u})
	}
	return res, nil
}
