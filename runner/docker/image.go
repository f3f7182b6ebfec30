package docker

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// PullPolicy says when Start pulls an image.
type PullPolicy string

const (
	// PullMissing pulls an image only when the daemon does not have it
	// (GET /images/{name}/json answers 404). It is the default.
	PullMissing PullPolicy = "missing"
	// PullAlways pulls every image, as CircleCI does.
	PullAlways PullPolicy = "always"
)

// Image is one container of a docker executor, as configured under a
// job's `docker:` key. The first image of an environment is the primary
// container, the others are service containers.
type Image struct {
	Image       string            // reference, e.g. "cimg/go:1.22"
	Name        string            // hostname the services are reachable by
	Entrypoint  []string          // overrides the image's ENTRYPOINT
	Command     []string          // overrides the image's CMD
	User        string            // user the container (and steps) run as
	Environment map[string]string // container environment
	Auth        *Auth             // registry credentials, nil for none
}

// Auth is a registry login.
type Auth struct {
	Username, Password string
}

// imageRef is an image reference split the way POST /images/create wants
// it: fromImage=repo, tag=tag (or digest).
type imageRef struct {
	repo     string // "cimg/go", "registry.example.com:5000/team/app"
	tag      string // "1.22", "latest" or "sha256:..."
	registry string // "docker.io" or the reference's registry host
}

// parseRef splits an image reference. It does not validate it beyond what
// is needed: the daemon reports malformed references itself.
func parseRef(ref string) (imageRef, error) {
	if ref == "" || strings.ContainsAny(ref, " \t\n") {
		return imageRef{}, fmt.Errorf("invalid image reference %q", ref)
	}
	name, digest, hasDigest := strings.Cut(ref, "@")
	tag, hasTag := "", false
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag, hasTag = name[:i], name[i+1:], true
	}
	if name == "" || hasTag && tag == "" || hasDigest && digest == "" {
		return imageRef{}, fmt.Errorf("invalid image reference %q", ref)
	}
	if hasDigest {
		tag = digest
	}
	if tag == "" {
		tag = "latest"
	}
	r := imageRef{repo: name, tag: tag, registry: "docker.io"}
	if first, _, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.registry = first
	}
	return r, nil
}

// registryAuthHeader encodes an X-Registry-Auth value: base64url of
// {"username","password","serveraddress"}.
func registryAuthHeader(a *Auth, server string) string {
	b, _ := json.Marshal(struct {
		Username      string `json:"username"`
		Password      string `json:"password"`
		ServerAddress string `json:"serveraddress"`
	}{a.Username, a.Password, server})
	return base64.URLEncoding.EncodeToString(b)
}

// ensureImage makes img available on the daemon according to policy.
func (c *Client) ensureImage(ctx context.Context, img Image, policy PullPolicy, out io.Writer) error {
	if policy != PullAlways {
		err := c.doJSON(ctx, http.MethodGet, "/images/"+img.Image+"/json", nil, nil, nil)
		if err == nil {
			fmt.Fprintf(out, "Using %s (present locally)\n", img.Image)
			return nil
		}
		if !IsNotFound(err) {
			return fmt.Errorf("inspect image %q: %w", img.Image, err)
		}
	}
	fmt.Fprintf(out, "Pulling %s ...", img.Image)
	if err := c.pull(ctx, img); err != nil {
		fmt.Fprintln(out, " failed")
		return fmt.Errorf("pull image %q: %w", img.Image, err)
	}
	fmt.Fprintln(out, " done")
	return nil
}

// pullMessage is one line of the JSON progress stream of POST
// /images/create.
type pullMessage struct {
	Status      string `json:"status"`
	ID          string `json:"id"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
}

// pull runs POST /images/create and reads its progress stream to the end.
// The daemon reports most failures (bad credentials, unknown manifest) in
// the stream after a 200, so the stream's error lines are errors too.
func (c *Client) pull(ctx context.Context, img Image) error {
	ref, err := parseRef(img.Image)
	if err != nil {
		return err
	}
	q := url.Values{"fromImage": {ref.repo}, "tag": {ref.tag}}
	var hdr http.Header
	if img.Auth != nil {
		hdr = http.Header{"X-Registry-Auth": {registryAuthHeader(img.Auth, ref.registry)}}
	}
	resp, err := c.do(ctx, http.MethodPost, "/images/create", q, nil, hdr)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	dec := json.NewDecoder(resp.Body)
	for {
		var m pullMessage
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("read pull progress: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(m.ErrorDetail.Message)
		}
		if m.Error != "" {
			return errors.New(m.Error)
		}
	}
}
