package nomadbridge

// DefaultClasses are CircleCI's resource classes (vCPUs and RAM) in Nomad terms, with 1,000 MHz per vCPU.
// Options.Classes overrides or adds entries; an unknown class gets "medium".
var DefaultClasses = map[string]Resources{
	"small":            {CPU: 1000, MemoryMB: 2048},
	"medium":           {CPU: 2000, MemoryMB: 4096},
	"medium+":          {CPU: 3000, MemoryMB: 6144},
	"large":            {CPU: 4000, MemoryMB: 8192},
	"xlarge":           {CPU: 8000, MemoryMB: 16384},
	"2xlarge":          {CPU: 16000, MemoryMB: 32768},
	"2xlarge+":         {CPU: 20000, MemoryMB: 40960},
	"arm.medium":       {CPU: 2000, MemoryMB: 8192},
	"arm.large":        {CPU: 4000, MemoryMB: 16384},
	"arm.xlarge":       {CPU: 8000, MemoryMB: 32768},
	"arm.2xlarge":      {CPU: 16000, MemoryMB: 65536},
	"gpu.nvidia.small": {CPU: 4000, MemoryMB: 15360},
}

// DefaultClass is the class of a job that names none.
const DefaultClass = "medium"

// resources returns what a task of class asks for.
func (b *Bridge) resources(class string) Resources {
	if class == "" {
		class = DefaultClass
	}
	if r, ok := b.o.Classes[class]; ok {
		return r
	}
	if r, ok := DefaultClasses[class]; ok {
		return r
	}
	if r, ok := b.o.Classes[DefaultClass]; ok {
		return r
	}
	return DefaultClasses[DefaultClass]
}
