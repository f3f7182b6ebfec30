// Package machinetest is the conformance suite of the machine.Cloud port: every adapter (and every fake standing
// in for one) must pass Run. It checks that Create is idempotent by token (also for stopped warm instances),
// that List matches every given label and returns labels exactly as they were set (whatever characters they
// hold), that Assign starts a stopped instance with its labels replaced, and that Delete is idempotent.
//
// Each subtest marks its instances with a label unique to the subtest and deletes them when it ends, so the
// suite can also run against a real, shared project or account (with Config naming a real image and type).
package machinetest
