package orbstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/caravan-ci/caravan/shared/blob"
	"github.com/caravan-ci/caravan/shared/config/orb"
	"github.com/caravan-ci/caravan/shared/config/yamltree"
)

// MaxOrbBytes bounds one packed orb.yml (the largest public orbs are a few hundred KB).
const MaxOrbBytes = 4 << 20

// prefix is where orbs live in the blob store.
const prefix = "orbs/"

// ErrInvalid is wrapped by Import errors caused by the request: a bad reference or version, or a body that
// is not a packed orb.
var ErrInvalid = errors.New("orbstore: invalid orb")

// Store is an orb.Registry over a blob store.
type Store struct {
	b blob.Store
}

var _ orb.Registry = (*Store)(nil)

// New returns a Store keeping orbs in b.
func New(b blob.Store) *Store { return &Store{b: b} }

func key(ns, name, version string) string {
	return prefix + strings.ToLower(ns) + "/" + strings.ToLower(name) + "/" + version + "/orb.yml"
}

// Import stores a packed orb under ref ("namespace/name@x.y.z" or "…@dev:label"), replacing an earlier
// import of the same version. Volatile and partial versions are refused, as is a body that is not a YAML
// mapping; the errors wrap ErrInvalid.
func (s *Store) Import(ctx context.Context, ref string, src []byte) error {
	r, err := orb.ParseRef(ref)
	if err != nil {
		return fmt.Errorf("import orb: %w: %w", ErrInvalid, err)
	}
	if !concrete(r.Version) {
		return fmt.Errorf("import orb %s: %w: the version must be x.y.z or dev:<label>, not %q",
			r, ErrInvalid, r.Version)
	}
	if len(src) > MaxOrbBytes {
		return fmt.Errorf("import orb %s: %w: orb.yml is %d bytes, over %d", r, ErrInvalid, len(src), MaxOrbBytes)
	}
	root, err := yamltree.Parse("orb.yml", src, yamltree.DefaultLimits)
	if err != nil {
		return fmt.Errorf("import orb %s: %w: %w", r, ErrInvalid, err)
	}
	if root.Kind != yaml.MappingNode || len(root.Content) == 0 {
		return fmt.Errorf("import orb %s: %w: orb.yml must be a non-empty mapping", r, ErrInvalid)
	}
	if err := s.b.Put(ctx, key(r.Namespace, r.Name, r.Version), bytes.NewReader(src)); err != nil {
		return fmt.Errorf("import orb %s: %w", r, err)
	}
	return nil
}

// concrete reports whether v names one release: x.y.z without leading zeros, or dev:<label>.
func concrete(v string) bool {
	if strings.HasPrefix(v, "dev:") {
		return true
	}
	_, ok := orb.Match(v, []string{v})
	return ok && strings.Count(v, ".") == 2 && v != "volatile"
}

// Fetch implements orb.Registry.
func (s *Store) Fetch(ctx context.Context, ref orb.Ref) (orb.Orb, error) {
	for _, part := range []string{ref.Namespace, ref.Name} {
		if part == "" || strings.ContainsAny(part, `/\`) || part == "." || part == ".." {
			return orb.Orb{}, fmt.Errorf("fetch orb %s: invalid name: %w", ref, orb.ErrNotFound)
		}
	}
	if strings.ContainsAny(ref.Version, `/\`) {
		return orb.Orb{}, fmt.Errorf("fetch orb %s: invalid version: %w", ref, orb.ErrNotFound)
	}
	versions, err := s.versions(ctx, ref.Namespace, ref.Name)
	if err != nil {
		return orb.Orb{}, fmt.Errorf("fetch orb %s: %w", ref, err)
	}
	if len(versions) == 0 {
		return orb.Orb{}, fmt.Errorf("fetch orb %s: the registry has no orb %s/%s: %w",
			ref, ref.Namespace, ref.Name, orb.ErrNotFound)
	}
	v, ok := orb.Match(ref.Version, versions)
	if !ok {
		return orb.Orb{}, fmt.Errorf("fetch orb %s: the registry has no version of %s/%s matching %q (it has %s): %w",
			ref, ref.Namespace, ref.Name, ref.Version, strings.Join(versions, ", "), orb.ErrNotFound)
	}
	src, err := s.read(ctx, key(ref.Namespace, ref.Name, v))
	if err != nil {
		if errors.Is(err, blob.ErrNotFound) { // deleted between the listing and the read
			return orb.Orb{}, fmt.Errorf("fetch orb %s: version %s vanished: %w", ref, v, orb.ErrNotFound)
		}
		return orb.Orb{}, fmt.Errorf("fetch orb %s: %w", ref, err)
	}
	resolved := ref
	resolved.Version = v
	return orb.Orb{Ref: resolved, Source: src}, nil
}

func (s *Store) read(ctx context.Context, k string) ([]byte, error) {
	rc, err := s.b.Get(ctx, k)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	src, err := io.ReadAll(io.LimitReader(rc, MaxOrbBytes+1))
	if err != nil {
		return nil, err
	}
	if len(src) > MaxOrbBytes {
		return nil, fmt.Errorf("orb.yml is over %d bytes", MaxOrbBytes)
	}
	return src, nil
}

// versions lists the imported versions of one orb.
func (s *Store) versions(ctx context.Context, ns, name string) ([]string, error) {
	p := prefix + strings.ToLower(ns) + "/" + strings.ToLower(name) + "/"
	objs, err := s.b.List(ctx, p)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range objs {
		v, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, p), "/orb.yml")
		if ok && v != "" && !strings.Contains(v, "/") {
			out = append(out, v)
		}
	}
	return out, nil
}

// List returns every imported orb version, ordered by namespace, name and then version (releases in
// semantic-version order, dev versions after them).
func (s *Store) List(ctx context.Context) ([]orb.Ref, error) {
	objs, err := s.b.List(ctx, prefix)
	if err != nil {
		return nil, fmt.Errorf("list orbs: %w", err)
	}
	var out []orb.Ref
	for _, o := range objs {
		parts := strings.Split(strings.TrimPrefix(o.Key, prefix), "/")
		if len(parts) != 4 || parts[3] != "orb.yml" {
			continue
		}
		out = append(out, orb.Ref{Namespace: parts[0], Name: parts[1], Version: parts[2]})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return versionLess(a.Version, b.Version)
	})
	return out, nil
}

// versionLess orders releases numerically and puts anything else (dev versions) after them, by name.
func versionLess(a, b string) bool {
	va, oka := parse(a)
	vb, okb := parse(b)
	switch {
	case oka && okb:
		for i := range va {
			if va[i] != vb[i] {
				return va[i] < vb[i]
			}
		}
		return false
	case oka != okb:
		return oka
	}
	return a < b
}

func parse(v string) ([3]int, bool) {
	var out [3]int
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return out, false
	}
	for i, p := range parts {
		n := 0
		if p == "" {
			return out, false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return out, false
			}
			n = n*10 + int(c-'0')
		}
		out[i] = n
	}
	return out, true
}
