package gcemachine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"

	"cloud.google.com/go/compute/apiv1/computepb"
)

// Metadata keys the adapter uses.
const (
	metaStartupScript = "startup-script"
	metaLabels        = "caravan-labels" // the original labels, as JSON
)

// labelValue maps s into [a-z0-9_-]{0,63}: lowercase, any other character becomes '_', and a value that is too
// long keeps its start and ends with a hash of the whole.
func labelValue(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	v := b.String()
	if len(v) > 63 {
		sum := sha256.Sum256([]byte(s))
		v = v[:50] + "-" + hex.EncodeToString(sum[:6])
	}
	return v
}

// labelKey maps s into [a-z][a-z0-9_-]{0,62}.
func labelKey(s string) string {
	k := labelValue(s)
	if k == "" || k[0] < 'a' || k[0] > 'z' {
		k = labelValue("k" + s)
	}
	return k
}

func gceLabels(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels))
	for k, v := range labels {
		out[labelKey(k)] = labelValue(v)
	}
	return out
}

// withItems returns items with the startup script and the original labels replaced (an empty script removes it).
func withItems(items []*computepb.Items, script string, labels map[string]string) []*computepb.Items {
	var out []*computepb.Items
	for _, it := range items {
		if k := it.GetKey(); k != metaStartupScript && k != metaLabels {
			out = append(out, it)
		}
	}
	if script != "" {
		out = append(out, &computepb.Items{Key: ptr(metaStartupScript), Value: ptr(script)})
	}
	if labels == nil {
		labels = map[string]string{}
	}
	b, _ := json.Marshal(labels) // a map of strings always marshals
	return append(out, &computepb.Items{Key: ptr(metaLabels), Value: ptr(string(b))})
}

// originalLabels returns an instance's labels as they were set: from the caravan-labels metadata item when it
// is there and agrees with the GCE labels, else the GCE labels themselves.
func originalLabels(in *computepb.Instance) map[string]string {
	for _, it := range in.GetMetadata().GetItems() {
		if it.GetKey() != metaLabels {
			continue
		}
		var l map[string]string
		if json.Unmarshal([]byte(it.GetValue()), &l) == nil && maps.Equal(gceLabels(l), in.GetLabels()) {
			return l
		}
	}
	return maps.Clone(in.GetLabels())
}

func ptr[T any](v T) *T { return &v }
