package audit

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Version is the record format version every event carries.
const Version = 1

// Redacted replaces secret values.
const Redacted = "[redacted]"

// Event is one audit log record, with CircleCI's field names.
type Event struct {
	ID           string            `json:"id"`
	Action       string            `json:"action"` // context.create, project.env_var.create, workflow-start …
	Actor        Actor             `json:"actor"`
	Target       Target            `json:"target"`
	Payload      map[string]any    `json:"payload"`
	OccurredAt   time.Time         `json:"occurred_at"` // RFC 3339 with nanoseconds, UTC
	Metadata     map[string]string `json:"metadata"`
	Version      int               `json:"version"`
	Scope        Scope             `json:"scope"`
	Organization *Organization     `json:"organization,omitempty"`
	Success      bool              `json:"success"`
	Request      Request           `json:"request"`
}

// Actor is who acted: a user, a token, the system.
type Actor struct {
	ID   string `json:"id"`
	Type string `json:"type"` // user, system …
	Name string `json:"name"`
}

// Target is what was acted on.
type Target struct {
	ID   string `json:"id"`
	Type string `json:"type"` // project, context, workflow, job …
	Name string `json:"name"`
}

// Scope is the entity the event belongs to (an organization, a project).
type Scope struct {
	ID   string `json:"id"`
	Type string `json:"type"`
}

// Organization is the event's organization, when it has one.
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Request describes the API request that caused the event.
type Request struct {
	ID            string `json:"id"`
	IPAddress     string `json:"ip_address"`
	ClientTraceID string `json:"client_trace_id"`
}

// secretKeys are the payload keys whose values are never stored, normalized by normKey.
var secretKeys = map[string]bool{"value": true, "secret": true, "token": true, "password": true, "privatekey": true}

// normKey lowercases k and drops '_' and '-', so Private_Key, private-key and privateKey all match.
func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return -1
		}
		return r
	}, strings.ToLower(k))
}

// scrubPayload returns a copy of p, normalized through JSON (structs become maps), with every secret key's
// value, at any depth, replaced by Redacted.
func scrubPayload(p map[string]any) (map[string]any, error) {
	if len(p) == 0 {
		return map[string]any{}, nil
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode payload: %w", err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	scrub(out)
	return out, nil
}

func scrub(v any) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if secretKeys[normKey(k)] {
				v[k] = Redacted
				continue
			}
			scrub(x)
		}
	case []any:
		for _, x := range v {
			scrub(x)
		}
	}
}

func scrubMetadata(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		if secretKeys[normKey(k)] {
			v = Redacted
		}
		out[k] = v
	}
	return out
}

// validID accepts ids that are safe in a key segment: 1 to 128 of [A-Za-z0-9._-], not starting with '.'.
func validID(id string) bool {
	if id == "" || len(id) > 128 || id[0] == '.' {
		return false
	}
	for _, c := range id {
		if !(c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// contentID derives a UUID-shaped id from the encoded event, so an event recorded without an id gets the same
// one every time.
func contentID(encoded []byte) string {
	sum := sha256.Sum256(encoded)
	return uuidString(sum[:16], 5)
}

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails
	return uuidString(b[:], 4)
}

func uuidString(b []byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
