// This file is a fake of the Compute Engine REST API, not a mock of the client: no GCE emulator exists and
// none could run here (no Docker, no network but the Go module proxy), so the adapter's tests drive the real
// compute.NewInstancesRESTClient against an httptest.Server speaking GCE's JSON wire format:
// /compute/v1/projects/{p}/zones/{z}/instances[/{name}[/setMetadata|setLabels|start|stop]] and
// .../operations/{op}. Mutations return an operation in status RUNNING that is DONE when polled; requestId
// makes a retried insert return the first operation; names are unique (409 alreadyExists); setMetadata and
// setLabels check fingerprints (412); label keys, values and names are validated as GCE does; list parses the
// `labels.k = "v" AND …` filter subset the adapter sends and paginates; errors use GCE's {"error": {...}}.
// Status changes happen one look later, as GCE's do: PROVISIONING → RUNNING, STAGING → RUNNING,
// STOPPING → TERMINATED.
package gcemachine

import (
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

type gMetadata struct {
	Fingerprint string  `json:"fingerprint,omitempty"`
	Items       []gItem `json:"items,omitempty"`
	Kind        string  `json:"kind,omitempty"`
}

type gItem struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type gDisk struct {
	Boot             bool `json:"boot,omitempty"`
	AutoDelete       bool `json:"autoDelete,omitempty"`
	InitializeParams struct {
		SourceImage string            `json:"sourceImage,omitempty"`
		Labels      map[string]string `json:"labels,omitempty"`
	} `json:"initializeParams"`
}

type gNIC struct {
	Network       string `json:"network,omitempty"`
	Subnetwork    string `json:"subnetwork,omitempty"`
	AccessConfigs []struct {
		Name string `json:"name,omitempty"`
		Type string `json:"type,omitempty"`
	} `json:"accessConfigs,omitempty"`
}

type gServiceAccount struct {
	Email  string   `json:"email"`
	Scopes []string `json:"scopes"`
}

type gInstance struct {
	Kind              string            `json:"kind,omitempty"`
	ID                string            `json:"id,omitempty"`
	Name              string            `json:"name"`
	Zone              string            `json:"zone,omitempty"`
	SelfLink          string            `json:"selfLink,omitempty"`
	MachineType       string            `json:"machineType"`
	Status            string            `json:"status,omitempty"`
	CreationTimestamp string            `json:"creationTimestamp,omitempty"`
	Labels            map[string]string `json:"labels,omitempty"`
	LabelFingerprint  string            `json:"labelFingerprint,omitempty"`
	Metadata          *gMetadata        `json:"metadata,omitempty"`
	Disks             []gDisk           `json:"disks,omitempty"`
	NetworkInterfaces []gNIC            `json:"networkInterfaces,omitempty"`
	ServiceAccounts   []gServiceAccount `json:"serviceAccounts,omitempty"`
}

type gOperation struct {
	Kind          string `json:"kind"`
	ID            string `json:"id"`
	Name          string `json:"name"`
	Zone          string `json:"zone"`
	OperationType string `json:"operationType"`
	TargetLink    string `json:"targetLink"`
	Status        string `json:"status"`
	Progress      int    `json:"progress"`
	SelfLink      string `json:"selfLink"`
}

type fakeGCE struct {
	t            *testing.T
	project      string
	zone         string
	mu           sync.Mutex
	seq          int
	insts        map[string]*gInstance
	ops          map[string]*gOperation
	requests     map[string]string // requestId → operation name
	inserts      []gInstance       // bodies of insert requests, as received
	calls        []string
	pageSize     int
	stopNotReady int // stop requests to refuse with resourceNotReady, as GCE does while provisioning
}

func newFakeGCE(t *testing.T, project, zone string) *fakeGCE {
	f := &fakeGCE{t: t, project: project, zone: zone, insts: map[string]*gInstance{}, ops: map[string]*gOperation{},
		requests: map[string]string{}, pageSize: 2}
	return f
}

func (f *fakeGCE) handler() http.Handler {
	mux := http.NewServeMux()
	base := "/compute/v1/projects/{project}/zones/{zone}"
	mux.HandleFunc("POST "+base+"/instances", f.scoped(f.insert))
	mux.HandleFunc("GET "+base+"/instances", f.scoped(f.list))
	mux.HandleFunc("GET "+base+"/instances/{name}", f.scoped(f.get))
	mux.HandleFunc("DELETE "+base+"/instances/{name}", f.scoped(f.delete))
	mux.HandleFunc("POST "+base+"/instances/{name}/{verb}", f.scoped(f.verb))
	mux.HandleFunc("GET "+base+"/operations/{op}", f.scoped(f.operation))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		gErr(w, http.StatusNotFound, "notFound", "no route for "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// scoped checks the project and zone, serialises the fake and records the call.
func (f *fakeGCE) scoped(h func(w http.ResponseWriter, r *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("project") != f.project || r.PathValue("zone") != f.zone {
			gErr(w, http.StatusNotFound, "notFound", "unknown project or zone in "+r.URL.Path)
			return
		}
		if r.Header.Get("Authorization") != "" {
			gErr(w, http.StatusBadRequest, "invalid", "unexpected credentials sent to the fake")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		call := r.Method + " " + strings.TrimPrefix(r.URL.Path, "/compute/v1/projects/"+f.project+"/zones/"+f.zone+"/")
		f.calls = append(f.calls, call)
		h(w, r)
	}
}

var (
	nameRE  = regexp.MustCompile(`^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$`)
	keyRE   = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,62}$`)
	valueRE = regexp.MustCompile(`^[a-z0-9_-]{0,63}$`)
	uuidRE  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	termRE  = regexp.MustCompile(`^labels\.([a-z][a-z0-9_-]*) = "([a-z0-9_-]*)"$`)
)

func (f *fakeGCE) insert(w http.ResponseWriter, r *http.Request) {
	var in gInstance
	if !decode(w, r, &in) {
		return
	}
	f.inserts = append(f.inserts, in)
	rid := r.URL.Query().Get("requestId")
	if rid != "" && !uuidRE.MatchString(rid) {
		gErr(w, http.StatusBadRequest, "invalid", "Invalid value for field 'requestId': '"+rid+"'. Must be a UUID.")
		return
	}
	if name, ok := f.requests[rid]; ok && rid != "" {
		reply(w, f.ops[name])
		return
	}
	if msg := validInstance(in, f.zone); msg != "" {
		gErr(w, http.StatusBadRequest, "invalid", msg)
		return
	}
	if f.insts[in.Name] != nil {
		gErr(w, http.StatusConflict, "alreadyExists", "The resource '"+f.link(in.Name)+"' already exists")
		return
	}
	f.seq++
	in.Kind, in.ID, in.Zone, in.SelfLink = "compute#instance", strconv.Itoa(1000+f.seq), f.zoneLink(), f.link(in.Name)
	in.Status = "PROVISIONING"
	in.CreationTimestamp = time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("PST", -8*3600)).Add(time.Duration(f.seq) * time.Second).Format("2006-01-02T15:04:05.000-07:00")
	in.LabelFingerprint = f.fingerprint()
	if in.Metadata == nil {
		in.Metadata = &gMetadata{}
	}
	in.Metadata.Kind, in.Metadata.Fingerprint = "compute#metadata", f.fingerprint()
	f.insts[in.Name] = &in
	op := f.newOp("insert", in.Name)
	if rid != "" {
		f.requests[rid] = op.Name
	}
	reply(w, op)
}

func validInstance(in gInstance, zone string) string {
	switch {
	case !nameRE.MatchString(in.Name):
		return "Invalid value for field 'resource.name': '" + in.Name + "'"
	case !strings.HasPrefix(in.MachineType, "zones/"+zone+"/machineTypes/") || strings.HasSuffix(in.MachineType, "/"):
		return "Invalid value for field 'resource.machineType': '" + in.MachineType + "'"
	case len(in.Disks) != 1 || !in.Disks[0].Boot || in.Disks[0].InitializeParams.SourceImage == "":
		return "want one boot disk with a sourceImage"
	case len(in.NetworkInterfaces) != 1:
		return "want one network interface"
	}
	if msg := validLabels(in.Labels); msg != "" {
		return msg
	}
	return validLabels(in.Disks[0].InitializeParams.Labels)
}

func validLabels(l map[string]string) string {
	for k, v := range l {
		if !keyRE.MatchString(k) || !valueRE.MatchString(v) {
			return fmt.Sprintf("Invalid value for field 'labels': %q=%q", k, v)
		}
	}
	return ""
}

func (f *fakeGCE) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	want := map[string]string{}
	if fl := q.Get("filter"); fl != "" {
		for _, term := range strings.Split(fl, " AND ") {
			m := termRE.FindStringSubmatch(term)
			if m == nil {
				gErr(w, http.StatusBadRequest, "invalid", "Invalid value for field 'filter': '"+fl+"'")
				return
			}
			want[m[1]] = m[2]
		}
	}
	var items []*gInstance
	for _, name := range slices.Sorted(maps.Keys(f.insts)) {
		in := f.look(name)
		ok := true
		for k, v := range want {
			if got, has := in.Labels[k]; !has || got != v {
				ok = false
			}
		}
		if ok {
			items = append(items, in)
		}
	}
	start, _ := strconv.Atoi(strings.TrimPrefix(q.Get("pageToken"), "page-"))
	size := len(items)
	if q.Get("maxResults") != "" {
		size = f.pageSize
	}
	end := min(start+size, len(items))
	resp := map[string]any{"kind": "compute#instanceList", "items": items[min(start, len(items)):end]}
	if end < len(items) {
		resp["nextPageToken"] = fmt.Sprintf("page-%d", end)
	}
	reply(w, resp)
}
