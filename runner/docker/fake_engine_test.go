package docker

// A fake Docker Engine API server for the tests of this package.
//
// It is a fake because no Docker engine can run where these tests run (no
// daemon, no privileges to create namespaces, no registry access). It
// follows the wire formats documented for Engine API v1.41 and later
// (https://docs.docker.com/engine/api/v1.41/): GET /_ping with the
// Api-Version header, versioned paths (/v1.45/...), {"message": "..."}
// error bodies, the JSON-lines progress stream of POST /images/create
// (errors included, after a 200), X-Registry-Auth as base64url JSON, and
// POST /exec/{id}/start answered with "101 UPGRADED" (or, as older daemons
// do, "200 OK" and a raw stream) followed by stdcopy frames. It listens on
// a unix socket in t.TempDir(), like the real daemon. Containers are only
// records; an exec runs its command on the host with os/exec, in its own
// process group, so tests see real output, exit codes and signals.

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

type fakeEngine struct {
	t          *testing.T
	sock       string
	apiVersion string // Api-Version of /_ping; "" leaves the header out
	rawExec    bool   // answer exec start with 200 and a raw stream
	lateExit   bool   // record an exec's exit 50ms after its stream ends

	mu          sync.Mutex
	images      map[string]bool       // local images, "repo:tag"
	remote      map[string]fakeRemote // pullable images, "repo:tag"
	failCreate  map[string]string     // image → 500 message on create
	exitOnStart map[string]bool       // image → container exits at once
	failRemove  map[string]string     // container ID → 500 message, once
	requests    []string              // "METHOD /path?query"
	pullAuth    []fakeAuth            // decoded X-Registry-Auth headers
	creates     []fakeCreate
	containers  map[string]*fakeContainer
	execs       map[string]*fakeExec
	execOrder   []string
	nextID      int
}

type fakeRemote struct{ streamError string }

type fakeAuth struct {
	Image         string
	Username      string `json:"username"`
	Password      string `json:"password"`
	ServerAddress string `json:"serveraddress"`
}

// createBody is POST /containers/create's body as the daemon reads it.
type createBody struct {
	Image      string
	Entrypoint []string
	Cmd        []string
	Env        []string
	User       string
	Labels     map[string]string
	HostConfig struct {
		Binds       []string
		NetworkMode string
		ExtraHosts  []string
	}
}

type fakeCreate struct {
	ID, Name string
	Body     createBody
}

type fakeContainer struct {
	id, name, image string
	running         bool
	exitCode        int
	body            createBody
}

func newFakeEngine(t *testing.T) *fakeEngine {
	t.Helper()
	f := &fakeEngine{
		t:           t,
		sock:        filepath.Join(t.TempDir(), "docker.sock"),
		apiVersion:  "1.45",
		images:      map[string]bool{},
		remote:      map[string]fakeRemote{},
		failCreate:  map[string]string{},
		exitOnStart: map[string]bool{},
		failRemove:  map[string]string{},
		containers:  map[string]*fakeContainer{},
		execs:       map[string]*fakeExec{},
	}
	ln, err := net.Listen("unix", f.sock)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	srv := &http.Server{Handler: f}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = srv.Close()
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, ex := range f.execs {
			if ex.running && ex.pid > 0 {
				_ = syscall.Kill(-ex.pid, syscall.SIGKILL)
			}
		}
	})
	return f
}

// client returns a Client for the fake.
func (f *fakeEngine) client() *Client {
	f.t.Helper()
	c, err := New("unix://" + f.sock)
	if err != nil {
		f.t.Fatalf("New: %v", err)
	}
	return c
}

// locked runs fn with the fake's lock held: tests configure and inspect
// the fake through it, as its handlers run on other goroutines.
func (f *fakeEngine) locked(fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn()
}

func (f *fakeEngine) containerCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.containers)
}

func (f *fakeEngine) requestLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.requests...)
}

func fakeError(w http.ResponseWriter, code int, format string, args ...any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": fmt.Sprintf(format, args...)})
}

func fakeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.RequestURI())
	apiVersion := f.apiVersion
	f.mu.Unlock()
	if r.URL.Path == "/_ping" {
		if apiVersion != "" {
			w.Header().Set("Api-Version", apiVersion)
		}
		w.Header().Set("OSType", "linux")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("OK"))
		return
	}
	ver, p, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/v"), "/")
	p = "/" + p
	maxVer := apiVersion
	if maxVer == "" {
		maxVer = "1.41"
	}
	if _, valid := parseVersion(ver); !ok || !valid || !strings.HasPrefix(r.URL.Path, "/v") {
		fakeError(w, http.StatusBadRequest, "fake engine: unversioned path %s", r.URL.Path)
		return
	}
	if versionLess(maxVer, ver) {
		fakeError(w, http.StatusBadRequest, "client version %s is too new. Maximum supported API version is %s", ver, maxVer)
		return
	}
	rest, verb := p, ""
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		rest, verb = p[:i], p[i+1:]
	}
	switch {
	case r.Method == http.MethodPost && p == "/images/create":
		f.pull(w, r)
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/images/") && verb == "json":
		f.imageInspect(w, strings.TrimPrefix(rest, "/images/"))
	case r.Method == http.MethodPost && p == "/containers/create":
		f.create(w, r)
	case r.Method == http.MethodDelete && strings.HasPrefix(p, "/containers/"):
		f.remove(w, r, strings.TrimPrefix(p, "/containers/"))
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/containers/") && verb == "start":
		f.start(w, strings.TrimPrefix(rest, "/containers/"))
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/containers/") && verb == "json":
		f.inspect(w, strings.TrimPrefix(rest, "/containers/"))
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/containers/") && verb == "exec":
		f.execCreate(w, r, strings.TrimPrefix(rest, "/containers/"))
	case r.Method == http.MethodPost && strings.HasPrefix(p, "/exec/") && verb == "start":
		f.execStart(w, r, strings.TrimPrefix(rest, "/exec/"))
	case r.Method == http.MethodGet && strings.HasPrefix(p, "/exec/") && verb == "json":
		f.execInspect(w, strings.TrimPrefix(rest, "/exec/"))
	default:
		fakeError(w, http.StatusNotFound, "page not found")
	}
}

// normalizeImage adds the implicit ":latest" tag.
func normalizeImage(ref string) string {
	last := ref[strings.LastIndexByte(ref, '/')+1:]
	if strings.ContainsAny(last, ":@") {
		return ref
	}
	return ref + ":latest"
}

func (f *fakeEngine) pull(w http.ResponseWriter, r *http.Request) {
	from, tag := r.URL.Query().Get("fromImage"), r.URL.Query().Get("tag")
	ref := from + ":" + tag
	if h := r.Header.Get("X-Registry-Auth"); h != "" {
		a := fakeAuth{Image: ref}
		b, err := base64.URLEncoding.DecodeString(h)
		if err != nil || json.Unmarshal(b, &a) != nil {
			fakeError(w, http.StatusBadRequest, "invalid X-Registry-Auth header")
			return
		}
		f.mu.Lock()
		f.pullAuth = append(f.pullAuth, a)
		f.mu.Unlock()
	}
	f.mu.Lock()
	rem, ok := f.remote[ref]
	f.mu.Unlock()
	if !ok {
		fakeError(w, http.StatusNotFound, "pull access denied for %s, repository does not exist or may require 'docker login': denied: requested access to the resource is denied", from)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	enc := json.NewEncoder(w)
	_ = enc.Encode(map[string]any{"status": "Pulling from " + from, "id": tag})
	_ = enc.Encode(map[string]any{"status": "Pulling fs layer", "progressDetail": map[string]any{}, "id": "a1b2c3d4e5f6"})
	_ = enc.Encode(map[string]any{"status": "Downloading", "progressDetail": map[string]int{"current": 512, "total": 1024}, "progress": "[=========================>                         ]     512B/1.024kB", "id": "a1b2c3d4e5f6"})
	if rem.streamError != "" {
		_ = enc.Encode(map[string]any{"errorDetail": map[string]string{"message": rem.streamError}, "error": rem.streamError})
		return
	}
	_ = enc.Encode(map[string]any{"status": "Pull complete", "progressDetail": map[string]any{}, "id": "a1b2c3d4e5f6"})
	_ = enc.Encode(map[string]any{"status": "Digest: sha256:" + strings.Repeat("ab", 32)})
	_ = enc.Encode(map[string]any{"status": "Status: Downloaded newer image for " + ref})
	f.mu.Lock()
	f.images[ref] = true
	f.mu.Unlock()
}

func (f *fakeEngine) imageInspect(w http.ResponseWriter, name string) {
	f.mu.Lock()
	ok := f.images[normalizeImage(name)]
	f.mu.Unlock()
	if !ok {
		fakeError(w, http.StatusNotFound, "No such image: %s", name)
		return
	}
	fakeJSON(w, http.StatusOK, map[string]any{"Id": "sha256:" + strings.Repeat("cd", 32), "RepoTags": []string{normalizeImage(name)}})
}

// newID returns a 64-hex-digit ID; f.mu must be held.
func (f *fakeEngine) newID() string {
	f.nextID++
	sum := sha256.Sum256([]byte(fmt.Sprint(f.nextID)))
	return hex.EncodeToString(sum[:])
}
