// Package fileblob is the embedded blob.Store: objects are files under a
// local directory, the default of `caravan server`.
//
// Layout under the root directory:
//
//	objects/   one file per object
//	tmp/       uploads in flight, renamed into objects/ when complete
//
// Keys are a flat namespace, so "logs/job" and "logs/job/out.txt" may both
// exist: the last segment of a key names a file, each other segment a
// directory named with a ".d" suffix, so the two are objects/logs.d/job and
// objects/logs.d/job.d/out.txt. A segment that itself ends in ".d" units
// gets them doubled ("conf.d" is the file conf.d.d, the directory
// conf.d.d.d): a name ending in an even number of ".d" is a file, an odd
// number a directory, and the two never collide.
//
// Put writes to tmp/, fsyncs, renames over the object's file and fsyncs the
// directory, so readers see the old object or the whole new one, and a crash
// loses at most an upload in flight (New sweeps tmp/ of files older than a
// day). Every path is resolved through os.Root, so no key and no symbolic
// link planted in the root can reach outside it; Get serves regular files
// only and List does not follow symbolic links.
//
// Presigned URLs are HMAC-SHA256 signed and served by Handler, which the
// server mounts at /blobs/:
//
//	<baseURL>/blobs/<key>?method=PUT&expires=<unix>&sig=<hex>
//
// Limitations: on a case-insensitive file system (macOS, Windows defaults)
// keys differing only in case name the same object; each key segment, once
// encoded, must fit a file name (255 bytes: a directory segment takes 2 more
// bytes, one ending in n ".d" units 2n more), else the key is refused with
// blob.ErrInvalidKey.
package fileblob
