// Package pack turns a directory tree of YAML files into one YAML document,
// the way the CircleCI CLI's `circleci config pack DIR` and
// `circleci orb pack DIR` do (CLI v0.1.47860), as a library. All input is
// read through an fs.FS the caller hands in; nothing else is touched.
//
// # The tree rule (both Config and Orb)
//
// A directory becomes a map. Inside it, in name order:
//
//   - A file NAME.yml or NAME.yaml becomes the key NAME holding the file's
//     content, which must be a map (an empty file gives {}). NAME is the name
//     without its last extension, for directories too: "a.b/" is key "a".
//   - A sub-directory becomes the key of its name holding its own map (an
//     empty directory, or one with no YAML files, gives {}).
//   - A file whose name starts with @ (e.g. @orb.yml), and every YAML file
//     directly in the root directory (e.g. config.yml, build.yml), is not a
//     key: its top-level keys are merged into the directory's own map. This
//     is how nested orb source folders (orbs/hugo/@orb.yml, orbs/hugo/jobs/)
//     pack into orbs.hugo.
//   - Names starting with "." (dotfiles and dotfolders) are skipped, except
//     the root itself (".circleci" may be the directory packed). Files that
//     are not .yml/.yaml are ignored, except when an orb <<include()>>s them.
//   - Symbolic links are followed only to regular files; links to
//     directories are skipped.
//
// When two sources give the same key in one map (an @-file and a
// sub-directory, "jobs.yml" and "jobs/", two root files), their maps are
// united one level deep, as the CLI does for the usual layouts. A key the
// two sources both define below that level, or two different non-map values
// for the key, is an error naming both positions: the CLI silently keeps
// whichever file it read last, which loses a definition and depends on file
// names. Equal scalars (e.g. "version: 2.1" in two root files) are allowed.
// A null value gives way to the other value.
//
// Output maps are sorted by key in byte order, as the CLI's output is sorted
// (its yaml.v3 uses a natural order that differs only in rare cases such as
// digit runs); values keep the scalar style they were written in, where the
// CLI re-renders them. Big trees are written a subtree at a time, because
// yaml.v3's emitter holds a whole document's events in memory. Anchors, aliases and merge keys are
// resolved per file by yamltree, so no alias crosses files.
//
// # Orb
//
// Orb packs an orb source directory: it must hold @orb.yml ("@orb.yml file
// not found, are you sure this is the Orb root?" otherwise). Only the
// sub-directories named commands, jobs, executors and examples are read (at
// any depth, as the CLI's directory filter does). The result keeps the keys
// of the CLI's orb schema in its order: version, description, display, orbs,
// commands, executors, jobs, examples; other top-level keys are dropped, as
// the CLI drops them. Unlike the CLI, examples are kept as written rather than
// being re-typed through its example schema (which drops unknown keys and
// adds "workflows: null").
//
// In commands, executors and jobs (not examples, orbs or description) a
// string value - a map key too - that is <<include(PATH)>> is replaced by the
// content of PATH, relative to the orb source directory. The statement must
// be the entire string ("entire string must be include statement"), only one
// is allowed per string ("multiple include statements"), and a missing file
// is "could not open DIR/PATH for inclusion". "<<" in the included text is
// escaped as "\<<" so it is not read as a parameter. PATH may not be
// absolute or climb out of the orb directory with "..". Config does not
// process includes, as `circleci config pack` does not.
//
// # Errors and limits
//
// Errors are *diag.Error values positioned at file:line:col where a YAML
// node is involved, or at the file or directory path otherwise; the package
// never panics on any input. As with the CLI, which decodes every file into
// Go values, a value its explicit tag cannot hold ("!!int x", "!!binary" that
// is not base64) is an error rather than a broken output. Input is bounded: 4 MiB per file, 16 MiB read
// in all (included files count every time they are included), 10,000
// directory entries, directories nested 64 deep, 2,000,000 YAML nodes after
// alias expansion.
//
// The fs.FS decides what a path can reach: os.DirFS follows symbolic links
// out of its root, (*os.Root).FS does not. Lexically, an include path cannot
// leave the orb directory whatever the FS.
package pack
