// Package archive reads and writes the archives the runner stores for caches
// (save_cache / restore_cache) and workspace layers (persist_to_workspace /
// attach_workspace).
//
// # Format
//
// An archive is a tar stream, as archive/tar writes it (USTAR headers, PAX
// records for long names and sub-second modification times), compressed as
// one zstd stream (github.com/klauspost/compress/zstd, SpeedFastest by
// default, content checksum on). Entry names are slash-separated and relative
// to the directory the archive was packed from; directories end in "/".
// Entries are regular files, directories, symbolic links and, when reading,
// hard links. Pack writes permission bits and modification times; it writes
// no owner (uid, gid and names are zero), so archives of the same tree are
// byte-identical across machines and users. Directories are walked in sorted
// order. Pack never follows a symbolic link inside what it packs and skips
// sockets, devices and named pipes.
//
// Caches name absolute paths: the runner packs them with root "/" so an entry
// carries the path without its leading slash, and restores them with target
// "/". Parent directories of the listed paths are not archived, so restoring
// never changes the mode of, say, /home.
//
// # Security rules of Unpack
//
// Archives come from earlier jobs, which run arbitrary code, so Unpack treats
// every entry as hostile:
//
//   - An entry name that is absolute or, once cleaned, leaves the target
//     through ".." is rejected (ErrUnsafeEntry) and nothing is written for it.
//   - A hard link must name a regular file inside the target.
//   - Symbolic links are created with their link text as is (caches hold
//     links such as node_modules/.bin/* that point anywhere), but Unpack
//     never writes through a link the same archive created: an entry, or a
//     hard link's source, whose parent path passes through such a link is
//     rejected. Links that existed before Unpack (/home -> /var/home) are
//     followed as usual.
//   - A file, link or directory that exists is removed before an entry of
//     the same name is written, so a write never goes through an existing
//     symbolic or hard link; a later entry or layer wins.
//   - Only regular files, directories, symbolic and hard links are
//     extracted; other types, and GNU sparse files (Pack never writes them;
//     their holes could expand without bound), are skipped and counted.
//   - Only permission bits and the sticky bit are restored; set-user-ID and
//     set-group-ID bits are dropped. Ownership is not restored.
//   - Everything streams: memory is bounded by the copy buffers, the zstd
//     window (at most 64 MiB, larger windows are rejected) and one small
//     record per directory entry (its mode and time are set at the end),
//     whatever the sizes of the files in the archive.
//
// # Limits
//
// Links are tracked per archive: when attach_workspace applies layers in
// order, a link made by one layer is, for the next, a link that was there
// before, and is followed. The checks are on names, not on open directory
// handles, so a process changing the target while Unpack runs can defeat
// them, and on a case-insensitive file system a link "D" does not guard
// "d/x". Pack stores a listed path that is a link as the link, and hard
// links as separate files. Symbolic links keep the time of their creation.
package archive
