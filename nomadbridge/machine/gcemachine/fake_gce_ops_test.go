package gcemachine

import (
	"encoding/json"
	"fmt"
	"net/http"
)

func (f *fakeGCE) get(w http.ResponseWriter, r *http.Request) {
	in := f.look(r.PathValue("name"))
	if in == nil {
		f.notFound(w, r.PathValue("name"))
		return
	}
	reply(w, in)
}

func (f *fakeGCE) delete(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if f.insts[name] == nil {
		f.notFound(w, name)
		return
	}
	delete(f.insts, name)
	reply(w, f.newOp("delete", name))
}

func (f *fakeGCE) verb(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	in := f.insts[name]
	if in == nil {
		f.notFound(w, name)
		return
	}
	switch verb := r.PathValue("verb"); verb {
	case "setMetadata":
		var md gMetadata
		if !decode(w, r, &md) {
			return
		}
		if md.Fingerprint != in.Metadata.Fingerprint {
			gErr(w, http.StatusPreconditionFailed, "conditionNotMet", "Supplied fingerprint does not match current metadata fingerprint.")
			return
		}
		in.Metadata = &gMetadata{Kind: "compute#metadata", Fingerprint: f.fingerprint(), Items: md.Items}
	case "setLabels":
		var body struct {
			Labels           map[string]string `json:"labels"`
			LabelFingerprint string            `json:"labelFingerprint"`
		}
		if !decode(w, r, &body) {
			return
		}
		if body.LabelFingerprint != in.LabelFingerprint {
			gErr(w, http.StatusPreconditionFailed, "conditionNotMet", "Labels fingerprint either invalid or resource labels have changed")
			return
		}
		if msg := validLabels(body.Labels); msg != "" {
			gErr(w, http.StatusBadRequest, "invalid", msg)
			return
		}
		in.Labels, in.LabelFingerprint = body.Labels, f.fingerprint()
	case "start":
		switch in.Status {
		case "TERMINATED":
			in.Status = "STAGING"
		case "STOPPING":
			gErr(w, http.StatusBadRequest, "resourceNotReady", "The resource '"+f.link(name)+"' is not ready")
			return
		}
	case "stop":
		if f.stopNotReady > 0 {
			f.stopNotReady--
			gErr(w, http.StatusBadRequest, "resourceNotReady", "The resource '"+f.link(name)+"' is not ready")
			return
		}
		if in.Status != "TERMINATED" {
			in.Status = "STOPPING"
		}
	default:
		gErr(w, http.StatusNotFound, "notFound", "unknown method "+verb)
		return
	}
	reply(w, f.newOp(r.PathValue("verb"), name))
}

func (f *fakeGCE) operation(w http.ResponseWriter, r *http.Request) {
	op := f.ops[r.PathValue("op")]
	if op == nil {
		gErr(w, http.StatusNotFound, "notFound", "The resource 'operations/"+r.PathValue("op")+"' was not found")
		return
	}
	op.Status, op.Progress = "DONE", 100
	reply(w, op)
}

// look returns an instance after the status change GCE would have made since the last look.
func (f *fakeGCE) look(name string) *gInstance {
	in := f.insts[name]
	if in == nil {
		return nil
	}
	if next, ok := map[string]string{"PROVISIONING": "RUNNING", "STAGING": "RUNNING", "STOPPING": "TERMINATED"}[in.Status]; ok {
		in.Status = next
	}
	return in
}

func (f *fakeGCE) newOp(kind, name string) *gOperation {
	f.seq++
	op := &gOperation{Kind: "compute#operation", ID: fmt.Sprint(5000 + f.seq), Name: fmt.Sprintf("operation-%d-%s", f.seq, kind),
		Zone: f.zoneLink(), OperationType: kind, TargetLink: f.link(name), Status: "RUNNING"}
	op.SelfLink = f.zoneLink() + "/operations/" + op.Name
	f.ops[op.Name] = op
	return op
}

func (f *fakeGCE) fingerprint() string {
	f.seq++
	return fmt.Sprintf("fp%04d=", f.seq)
}

func (f *fakeGCE) zoneLink() string {
	return "https://www.googleapis.com/compute/v1/projects/" + f.project + "/zones/" + f.zone
}

func (f *fakeGCE) link(name string) string { return f.zoneLink() + "/instances/" + name }

func (f *fakeGCE) notFound(w http.ResponseWriter, name string) {
	gErr(w, http.StatusNotFound, "notFound", "The resource '"+f.link(name)+"' was not found")
}

func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.Header.Get("Content-Type") != "application/json" {
		gErr(w, http.StatusBadRequest, "invalid", "want Content-Type application/json")
		return false
	}
	d := json.NewDecoder(r.Body)
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		gErr(w, http.StatusBadRequest, "invalid", "Invalid JSON payload received. "+err.Error())
		return false
	}
	return true
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_ = json.NewEncoder(w).Encode(v)
}

func gErr(w http.ResponseWriter, code int, reason, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg,
		"errors": []map[string]string{{"message": msg, "domain": "global", "reason": reason}}}})
}
