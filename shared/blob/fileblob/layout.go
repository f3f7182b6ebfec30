package fileblob

import (
	"fmt"
	"path"
	"strings"

	"github.com/caravan-ci/caravan/shared/blob"
)

// The layout keeps keys a flat namespace on a file system, where "a" cannot
// be both a file and the directory holding "a/b". The last segment of a key
// names a file, each other segment a directory, and the two kinds of name
// never collide: count the ".d" units a name ends with; a file name ends with
// an even number of them, a directory name with an odd number.
//
//	key segment     as a file      as a directory
//	out.txt         out.txt        out.txt.d
//	conf.d          conf.d.d       conf.d.d.d
//
// So key "logs/job/out.txt" is the file objects/logs.d/job.d/out.txt, and
// "logs/job" may exist beside it as objects/logs.d/job. Uploads are written
// to tmp/ first and renamed into objects/, so half-written files never have
// a name in the key namespace.
const (
	objectsDir = "objects"
	tmpDir     = "tmp"
	dirUnit    = ".d"
	maxName    = 255 // NAME_MAX of common file systems, in bytes
)

// trailingUnits splits name into a base not ending in ".d" and the count of
// ".d" units that follow it.
func trailingUnits(name string) (base string, n int) {
	for strings.HasSuffix(name, dirUnit) {
		name = name[:len(name)-len(dirUnit)]
		n++
	}
	return name, n
}

// encodeSegment returns the file (dir false) or directory name of seg.
func encodeSegment(seg string, dir bool) string {
	_, n := trailingUnits(seg)
	name := seg + strings.Repeat(dirUnit, n) // 2n units: even
	if dir {
		name += dirUnit // odd
	}
	return name
}

// decodeName reverses encodeSegment; ok is false for names no valid key
// segment encodes to.
func decodeName(name string) (seg string, dir bool, ok bool) {
	base, n := trailingUnits(name)
	dir = n%2 == 1
	seg = base + strings.Repeat(dirUnit, n/2)
	if seg == "" || strings.Contains(seg, "/") || blob.ValidKey(seg) != nil {
		return "", false, false
	}
	return seg, dir, true
}

// encodeDirs returns the path below objects/ of the directory holding the
// segments of dirKey ("" for the top).
func encodeDirs(dirKey string) (string, error) {
	if dirKey == "" {
		return "", nil
	}
	segs := strings.Split(dirKey, "/")
	for i, seg := range segs {
		segs[i] = encodeSegment(seg, true)
		if len(segs[i]) > maxName {
			return "", fmt.Errorf("%w: segment %q is too long for a file name", blob.ErrInvalidKey, clip(seg))
		}
	}
	return path.Join(segs...), nil
}

// objectPath returns the path, relative to the store root, of the file
// holding key, and of its directory. key must be valid.
func objectPath(key string) (file, dir string, err error) {
	dirKey, last := "", key
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		dirKey, last = key[:i], key[i+1:]
	}
	dirs, err := encodeDirs(dirKey)
	if err != nil {
		return "", "", err
	}
	name := encodeSegment(last, false)
	if len(name) > maxName {
		return "", "", fmt.Errorf("%w: segment %q is too long for a file name", blob.ErrInvalidKey, clip(last))
	}
	dir = path.Join(objectsDir, dirs)
	return path.Join(dir, name), dir, nil
}

func clip(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
