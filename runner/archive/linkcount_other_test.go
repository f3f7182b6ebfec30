//go:build !unix

package archive

// linkCount is not known on this platform.
func linkCount(string) (uint64, bool) { return 0, false }
