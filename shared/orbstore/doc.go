// Package orbstore is the server's orb registry: packed orbs imported by an operator (CircleCI Server's
// `circleci admin import-orb`) and kept in the blob port under orbs/<namespace>/<name>/<version>/orb.yml.
//
// Store implements orb.Registry for the config compiler: Fetch resolves an exact version, a partial one
// ("1", "1.2") or "volatile" to the highest imported release matching it, the way orb.Dir does, and
// "dev:<label>" versions only exactly. Import accepts only concrete versions (x.y.z or dev:<label>) and
// replaces an earlier import of the same version. Namespaces and names are stored in lower case, so a
// config may spell them in any case.
//
// A Store keeps no state of its own: every call reads the blob store, so any number of instances share one
// registry. It is safe for concurrent use.
package orbstore
