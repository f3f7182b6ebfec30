// Package docker runs the environment of a CircleCI "docker executor" job
// on a Docker Engine, through a minimal Engine API client built on the
// standard library only (no Docker SDK).
//
// # Client
//
// New connects to unix:///var/run/docker.sock by default, or to
// $DOCKER_HOST (unix:///path or tcp://host:port, plain HTTP; TLS is not
// supported). The first request pings GET /_ping and takes the API version
// from its Api-Version header (v1.41 when absent, capped at the newest
// version the client knows); every other request is prefixed with it
// (/v1.45/containers/create). Ping tells whether a daemon is reachable:
//
//	no Docker daemon reachable at unix:///var/run/docker.sock: dial unix ...
//
// Engine API errors carry the body's {"message": "..."} as *APIError,
// wrapped with what was being done: `create container for image "x": ...`.
//
// # Environment
//
// Client.Start brings up an EnvSpec the way CircleCI does:
//
//   - images are pulled first (POST /images/create, with X-Registry-Auth
//     when an Image has Auth; the server address is the reference's
//     registry, docker.io by default). PullMissing, the default, inspects
//     the image first and pulls only on 404; PullAlways always pulls.
//     Progress goes to EnvSpec.Out as "Pulling cimg/go:1.22 ... done" (or
//     "Using cimg/go:1.22 (present locally)").
//   - the first image is the primary container, where steps run. If it
//     sets neither entrypoint nor command, its ENTRYPOINT/CMD are replaced
//     by a /bin/sh keep-alive loop so the container stays up. It gets
//     EnvSpec.Binds (e.g. the runner's helper binaries mounted at
//     /.circleci-runner) and an /etc/hosts entry 127.0.0.1 for every named
//     service.
//   - the other images are service containers, started after the primary
//     with NetworkMode "container:<primary id>": they share its network
//     namespace, so they are reachable on localhost (and by name). They
//     run their image's entrypoint/command unless overridden.
//   - every container is labelled caravan.task=<task id>; an Image's
//     Environment and User apply to its container.
//
// Env.Exec runs a step's command in the primary container (exec create,
// exec start over a hijacked connection, stdout/stderr demultiplexed from
// the 8-byte-header stream, exit code from exec inspect). Because the
// Engine API has no way to kill an exec, commands are started through a
// small /bin/sh wrapper that records their PID; cancelling Exec's context
// sends SIGTERM to that process group, then SIGKILL after
// EnvSpec.KillGrace. Env.Close force-removes all containers and is
// idempotent.
package docker
