// Command caravan is Caravan's single binary. Today it carries the config
// tools:
//
//	caravan config validate [flags] FILE   exit 0 valid, 1 invalid, 2 usage
//	caravan config process  [flags] FILE   print the processed 2.0 config
//	caravan config plan     [flags] FILE   print the typed plan as JSON
//	caravan config pack DIR                pack a .circleci/ source tree
//	caravan orb pack DIR                   pack an orb source tree
//
// Flags of the config commands: --orb-dir DIR (a directory registry laid
// out as <namespace>/<orb>/<version>/orb.yml), --pipeline-parameters JSON
// (or @FILE), --branch, --tag, --revision, --trigger-source, --project-slug.
// FILE "-" reads standard input.
package main
