// Command caravan is Caravan's single binary:
//
//	caravan server [flags]                 the CI server on embedded defaults (shared/server)
//	caravan runner [flags]                 run one task for a server (the agent)
//	caravan local execute [flags] [FILE]   run a workflow on this machine with no server
//	caravan config validate [flags] FILE   exit 0 valid, 1 invalid, 2 usage
//	caravan config process  [flags] FILE   print the processed 2.0 config
//	caravan config plan     [flags] FILE   print the typed plan as JSON
//	caravan config pack DIR                pack a .circleci/ source tree
//	caravan orb pack DIR | orb import REF FILE
//	caravan org|project|user|member|token|context|envvar|trigger …   admin commands over the API
//
// Flags of the config commands: --orb-dir DIR (a directory registry laid
// out as <namespace>/<orb>/<version>/orb.yml), --pipeline-parameters JSON
// (or @FILE), --branch, --tag, --revision, --trigger-source, --project-slug.
// FILE "-" reads standard input. Inside a job the binary also answers as
// circleci and circleci-agent.
package main
