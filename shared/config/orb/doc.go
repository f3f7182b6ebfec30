// Package orb names orbs and finds their packed source. A Registry is the
// small port the config engine reads orbs through: the server backs it with
// its store, the CLI with a directory laid out as
// <namespace>/<orb>/<version>/orb.yml (Dir). Version requests follow
// CircleCI: a full version "1.2.3" means exactly that, a partial one "1.2" or
// "1" the highest matching release, "volatile" the highest release of all.
package orb
