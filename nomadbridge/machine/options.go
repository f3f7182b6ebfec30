package machine

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Defaults of Options.
const (
	DefaultTTL     = 2 * time.Hour
	DefaultWarmTTL = 24 * time.Hour
	DefaultImage   = "default" // machine image of a job that names none
	DefaultClass   = "medium"  // resource class of a job that names none
)

// Options configure a Provisioner.
type Options struct {
	// Cloud creates, lists, assigns and deletes instances. Required.
	Cloud Cloud
	// Images maps a config's machine image to a cloud image. A key is tried in this order: "<image>/<class>"
	// (one pool), "<image>@<arch>", "<image>" (amd64 only), "<name>:*@<arch>", "<name>:*" (amd64 only), where
	// arch is "arm64" for classes starting with "arm." and "amd64" otherwise, and name is the image before its
	// ':' ("ubuntu-2204" of "ubuntu-2204:2024.01.1"). The adapters' DefaultImages are a starting point.
	Images map[string]string
	// Classes maps a resource class (medium, large, arm.medium…) to an instance type. The adapters'
	// DefaultClasses hold CircleCI-like sizes.
	Classes map[string]string
	// Warm is the number of stopped instances Fill keeps ready per pool ("<image>/<class>").
	Warm map[string]int
	// TTL bounds a task's instance: Collect deletes it once TTL has passed since it was launched. Default 2h.
	TTL time.Duration
	// WarmTTL bounds a warm instance's wait for a task. Default 24h.
	WarmTTL time.Duration
	// Labels are added to every instance (the provisioner's own labels win).
	Labels map[string]string
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Log receives what the provisioner does. Default: discarded.
	Log *slog.Logger
}

// Provisioner runs machine jobs on cloud instances. It holds no state of its own: everything it knows is in the
// instances' labels, so several provisioners (or a restarted one) share the same pools. Its methods are safe
// for concurrent use.
type Provisioner struct {
	o   Options
	log *slog.Logger
}

var errNoCloud = errors.New("machine provisioner has no cloud configured")

// ErrUnroutable is wrapped by the errors of Run (and Fill) when a machine image or resource class maps to no
// cloud image or instance type in Options: retrying cannot help until the configuration changes.
var ErrUnroutable = errors.New("unroutable machine job")

// New returns a Provisioner over o.Cloud. A nil o.Cloud makes every method fail.
func New(o Options) *Provisioner {
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.WarmTTL <= 0 {
		o.WarmTTL = DefaultWarmTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &Provisioner{o: o, log: o.Log}
}

// PoolKey is the warm pool of a machine image and resource class (empty ones take their defaults).
func PoolKey(image, class string) string {
	image, class = defaults(image, class)
	return image + "/" + class
}

func defaults(image, class string) (string, string) {
	if image == "" {
		image = DefaultImage
	}
	if class == "" {
		class = DefaultClass
	}
	return image, class
}

// Arch is the CPU architecture of a resource class: "arm64" for arm.* classes, "amd64" otherwise.
func Arch(class string) string {
	if strings.HasPrefix(class, "arm.") {
		return "arm64"
	}
	return "amd64"
}

// resolve maps a machine image and resource class to a cloud image and instance type.
func (p *Provisioner) resolve(image, class string) (cloudImage, instanceType string, err error) {
	instanceType = p.o.Classes[class]
	if instanceType == "" {
		return "", "", fmt.Errorf("no machine instance type is configured for resource class %q: %w", class,
			ErrUnroutable)
	}
	arch := Arch(class)
	keys := []string{image + "/" + class, image + "@" + arch}
	if arch == "amd64" {
		keys = append(keys, image)
	}
	if name, _, ok := strings.Cut(image, ":"); ok {
		keys = append(keys, name+":*@"+arch)
		if arch == "amd64" {
			keys = append(keys, name+":*")
		}
	}
	for _, k := range keys {
		if v := p.o.Images[k]; v != "" {
			return v, instanceType, nil
		}
	}
	if arch != "amd64" {
		return "", "", fmt.Errorf("no machine image is configured for %q on %s (resource class %q): %w", image, arch,
			class, ErrUnroutable)
	}
	return "", "", fmt.Errorf("no machine image is configured for %q: %w", image, ErrUnroutable)
}
