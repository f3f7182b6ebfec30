//go:build unix

package archive

import (
	"os"
	"syscall"
)

// linkCount returns the number of hard links to p.
func linkCount(p string) (uint64, bool) {
	fi, err := os.Lstat(p)
	if err != nil {
		return 0, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Nlink), true
}
