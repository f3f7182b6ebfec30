// This file is a fake of the EC2 Query API, not a mock of the SDK: no EC2 emulator can run here (no Docker, no
// network but the Go module proxy), so the adapter's tests drive the real aws-sdk-go-v2 client against an
// httptest.Server that speaks EC2's real wire format. Requests are form-encoded POSTs (Action=…,
// Version=2016-11-15, lists flattened as Name.N), signed with SigV4; responses are XML in the
// http://ec2.amazonaws.com/doc/2016-11-15/ namespace (requestId, reservationSet/instancesSet/item…), and
// errors are <Response><Errors><Error><Code>… with status 400. The fake keeps instance state with EC2's
// transitions (one DescribeInstances later: pending → running, stopping → stopped, shutting-down →
// terminated), honours ClientToken idempotency, tag filters and pagination, and records RunInstances forms.
package ec2machine

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const ec2NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

type fakeEC2 struct {
	t        *testing.T
	mu       sync.Mutex
	seq      int
	insts    map[string]*fakeInst
	volumes  map[string]map[string]string // volume id → tags
	tokens   map[string]string            // client token → instance id
	runs     []url.Values
	actions  []string
	pageSize int
}

type fakeInst struct {
	id, image, itype, state, volume, shutdown, userData string
	tags                                                map[string]string
	launch                                              time.Time
}

type apiError struct{ code, msg string }

func newFakeEC2(t *testing.T) *fakeEC2 {
	return &fakeEC2{t: t, insts: map[string]*fakeInst{}, volumes: map[string]map[string]string{},
		tokens: map[string]string{}, pageSize: 2}
}

func (f *fakeEC2) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		f.fail(w, apiError{"InvalidRequest", "want a form-encoded POST"})
		return
	}
	if auth := r.Header.Get("Authorization"); !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKID/") ||
		!strings.Contains(auth, "/us-east-1/ec2/aws4_request") {
		f.fail(w, apiError{"AuthFailure", "request is not SigV4-signed for ec2 in us-east-1: " + auth})
		return
	}
	if err := r.ParseForm(); err != nil {
		f.fail(w, apiError{"InvalidRequest", err.Error()})
		return
	}
	form := r.PostForm
	if v := form.Get("Version"); v != "2016-11-15" {
		f.fail(w, apiError{"InvalidRequest", "unsupported version " + v})
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	action := form.Get("Action")
	f.actions = append(f.actions, action)
	var resp any
	var err *apiError
	switch action {
	case "RunInstances":
		resp, err = f.run(form)
	case "DescribeInstances":
		resp, err = f.describe(form)
	case "StopInstances":
		resp, err = f.transition(form, "StopInstancesResponse", map[string]string{"running": "stopping", "stopping": "stopping", "stopped": "stopped"})
	case "StartInstances":
		resp, err = f.transition(form, "StartInstancesResponse", map[string]string{"stopped": "pending", "pending": "pending", "running": "running"})
	case "TerminateInstances":
		resp, err = f.transition(form, "TerminateInstancesResponse", map[string]string{"pending": "shutting-down",
			"running": "shutting-down", "stopping": "shutting-down", "stopped": "shutting-down",
			"shutting-down": "shutting-down", "terminated": "terminated"})
	case "ModifyInstanceAttribute":
		resp, err = f.modify(form)
	case "CreateTags", "DeleteTags":
		resp, err = f.tags(form, action)
	default:
		err = &apiError{"InvalidAction", "the action " + action + " is not valid for this web service"}
	}
	if err != nil {
		f.fail(w, *err)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	if e := xml.NewEncoder(w).Encode(resp); e != nil {
		f.t.Errorf("encode %s response: %v", action, e)
	}
}

func (f *fakeEC2) fail(w http.ResponseWriter, e apiError) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(http.StatusBadRequest)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>req-err</RequestID></Response>`,
		e.code, xmlEscape(e.msg))
}

func (f *fakeEC2) run(form url.Values) (any, *apiError) {
	f.runs = append(f.runs, form)
	image, itype := form.Get("ImageId"), form.Get("InstanceType")
	if image == "" || itype == "" || form.Get("MinCount") != "1" || form.Get("MaxCount") != "1" {
		return nil, &apiError{"InvalidParameterValue", "want ImageId, InstanceType and MinCount=MaxCount=1"}
	}
	if id, ok := f.tokens[form.Get("ClientToken")]; ok && form.Get("ClientToken") != "" {
		in := f.insts[id]
		if in.image != image || in.itype != itype {
			return nil, &apiError{"IdempotentParameterMismatch", "the client token was used with other parameters"}
		}
		return runResponse{Xmlns: ec2NS, RequestID: "req", ReservationID: "r-" + id[2:], OwnerID: "123456789012",
			Instances: []xmlInstance{in.xml()}}, nil
	}
	ud := form.Get("UserData")
	if _, err := base64.StdEncoding.DecodeString(ud); err != nil {
		return nil, &apiError{"InvalidParameterValue", "user data is not base64"}
	}
	f.seq++
	in := &fakeInst{id: fmt.Sprintf("i-%017x", f.seq), image: image, itype: itype, state: "pending",
		volume: fmt.Sprintf("vol-%017x", f.seq), shutdown: form.Get("InstanceInitiatedShutdownBehavior"),
		userData: ud, tags: map[string]string{}, launch: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC).Add(time.Duration(f.seq) * time.Second)}
	f.volumes[in.volume] = map[string]string{}
	for _, spec := range members(form, "TagSpecification") {
		dst := map[string]map[string]string{"instance": in.tags, "volume": f.volumes[in.volume]}[spec.Get("ResourceType")]
		if dst == nil {
			return nil, &apiError{"InvalidParameterValue", "unexpected tag specification resource " + spec.Get("ResourceType")}
		}
		for _, tag := range members(spec, "Tag") {
			dst[tag.Get("Key")] = tag.Get("Value")
		}
	}
	f.insts[in.id] = in
	if tok := form.Get("ClientToken"); tok != "" {
		f.tokens[tok] = in.id
	}
	return runResponse{Xmlns: ec2NS, RequestID: "req", ReservationID: "r-" + in.id[2:], OwnerID: "123456789012",
		Instances: []xmlInstance{in.xml()}}, nil
}

func (f *fakeEC2) describe(form url.Values) (any, *apiError) {
	for _, in := range f.insts { // the state changes EC2 makes between two looks
		if next, ok := map[string]string{"pending": "running", "stopping": "stopped", "shutting-down": "terminated"}[in.state]; ok {
			in.state = next
		}
	}
	ids := list(form, "InstanceId")
	for _, id := range ids {
		if f.insts[id] == nil {
			return nil, &apiError{"InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id)}
		}
	}
	if len(ids) > 0 && form.Get("MaxResults") != "" {
		return nil, &apiError{"InvalidParameterCombination", "MaxResults cannot be used with InstanceIds"}
	}
	var out []*fakeInst
	for _, id := range slices.Sorted(maps.Keys(f.insts)) {
		in := f.insts[id]
		if len(ids) > 0 && !slices.Contains(ids, id) {
			continue
		}
		ok := true
		for _, flt := range members(form, "Filter") {
			name, values := flt.Get("Name"), list(flt, "Value")
			switch {
			case strings.HasPrefix(name, "tag:"):
				v, has := in.tags[strings.TrimPrefix(name, "tag:")]
				ok = ok && has && slices.Contains(values, v)
			case name == "instance-state-name":
				ok = ok && slices.Contains(values, in.state)
			default:
				return nil, &apiError{"InvalidParameterValue", "the filter '" + name + "' is invalid"}
			}
		}
		if ok {
			out = append(out, in)
		}
	}
	start := 0
	if tok := form.Get("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "page-"))
		if err != nil || !strings.HasPrefix(tok, "page-") {
			return nil, &apiError{"InvalidParameterValue", "invalid NextToken"}
		}
		start = n
	}
	size := len(out)
	if mr := form.Get("MaxResults"); mr != "" {
		size = f.pageSize
	}
	resp := describeResponse{Xmlns: ec2NS, RequestID: "req"}
	end := min(start+size, len(out))
	for _, in := range out[min(start, len(out)):end] {
		resp.Reservations = append(resp.Reservations, xmlReservation{ReservationID: "r-" + in.id[2:],
			OwnerID: "123456789012", Instances: []xmlInstance{in.xml()}})
	}
	if end < len(out) {
		resp.NextToken = fmt.Sprintf("page-%d", end)
	}
	return resp, nil
}
