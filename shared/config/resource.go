package config

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// checkResourceClass rejects resource classes that cannot exist for the
// executor type: a Windows class on a Linux machine image, a macOS executor
// with a Linux class, and so on. Self-hosted runner classes
// (namespace/name) fit every type.
func (c *compiler) checkResourceClass(file string, out, body *yaml.Node, what string) {
	rcNode := get(out, "resource_class")
	if m := get(out, "machine"); isMap(m) && get(m, "resource_class") != nil {
		rcNode = get(m, "resource_class")
	}
	if !isScalar(rcNode) || rcNode.Value == "" || strings.Contains(rcNode.Value, "/") || strings.Contains(rcNode.Value, "<<") {
		return
	}
	rc := rcNode.Value
	at := get(body, "resource_class")
	if at == nil {
		at = rcNode
	}
	isMac := strings.HasPrefix(rc, "macos.") || strings.HasPrefix(rc, "m2pro.") || strings.HasPrefix(rc, "m4pro.") || strings.HasPrefix(rc, "m1")
	isWin := strings.HasPrefix(rc, "windows.")
	switch {
	case get(out, "macos") != nil:
		if !isMac {
			c.errf(file, at, "resource class %q does not fit a macos executor: use a macOS class such as m4pro.medium", rc)
		}
	case get(out, "docker") != nil:
		if isMac || isWin || strings.HasPrefix(rc, "gpu.") {
			c.errf(file, at, "resource class %q does not fit a docker executor", rc)
		}
	case get(out, "machine") != nil:
		img := ""
		if m := get(out, "machine"); isMap(m) {
			img = scalarOf(get(m, "image"))
		}
		if isMac {
			c.errf(file, at, "resource class %q does not fit a machine executor: macOS needs the macos executor", rc)
		} else if isWin && img != "" && !strings.Contains(strings.ToLower(img), "windows") {
			c.errf(file, at, "resource class %q needs a Windows machine image, but the image is %q", rc, img)
		} else if !isWin && strings.Contains(strings.ToLower(img), "windows") {
			c.errf(file, at, "Windows image %q needs a windows.* resource class, not %q", img, rc)
		}
	}
}
