#!/usr/bin/env bash
# Build, start and stop a real HashiCorp Nomad dev agent for Caravan's tests and local runs.
#
#   scripts/nomad.sh build     build Nomad from the Go module proxy (cached by version); prints the binary path
#   scripts/nomad.sh path      print the cached binary path (exit 1 when not built)
#   scripts/nomad.sh start     start `nomad agent -dev` on 127.0.0.1 (builds first if needed); prints NOMAD_ADDR
#   scripts/nomad.sh stop      stop the agent started by `start`
#   scripts/nomad.sh env       print `export NOMAD_ADDR=...` for the running agent
#
# Nomad's module zip at a release lacks its nested `api/` module (go.mod replaces it with ./api),
# so the matching github.com/hashicorp/nomad/api is placed in ./api before `go build`.
# The build takes about 15 minutes on 2 cores; the binary is cached under
# ${XDG_CACHE_HOME:-~/.cache}/caravan/nomad/<version>/ and reused.
set -euo pipefail

NOMAD_VERSION="${NOMAD_VERSION:-v1.11.3}"
# The nomad/api pseudo-version the proxy serves closest after the v1.11.3 tag (2026-03-11).
# It is also the version go.mod pins for the bridge, so client and server agree on the wire types.
NOMAD_API_VERSION="${NOMAD_API_VERSION:-v0.0.0-20260324203407-b27b0c2e019a}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/caravan/nomad/${NOMAD_VERSION}"
BIN="${CACHE_ROOT}/nomad"
STATE="${NOMAD_STATE_DIR:-${TMPDIR:-/tmp}/caravan-nomad}"
HTTP_PORT="${NOMAD_HTTP_PORT:-4646}"

log() { echo "nomad.sh: $*" >&2; }

build() {
  if [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; then
    echo "$BIN"
    return
  fi
  mkdir -p "$CACHE_ROOT"
  local work
  work="$(mktemp -d "${CACHE_ROOT}/src.XXXXXX")"
  trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' RETURN
  log "downloading github.com/hashicorp/nomad@${NOMAD_VERSION} and nomad/api@${NOMAD_API_VERSION} from the module proxy"
  local src api
  src="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/nomad@${NOMAD_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  api="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/hashicorp/nomad/api@${NOMAD_API_VERSION}" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  [ -d "$src" ] || { log "module download failed"; exit 1; }
  [ -d "$api" ] || { log "api module download failed"; exit 1; }
  cp -r "$src" "$work/nomad"
  chmod -R u+w "$work/nomad"
  cp -r "$api" "$work/nomad/api"
  chmod -R u+w "$work/nomad/api"
  log "building nomad ${NOMAD_VERSION} (about 15 minutes on 2 cores)"
  (cd "$work/nomad" && GOFLAGS=-mod=mod GOTOOLCHAIN=local go build -trimpath -o "$BIN.tmp" .)
  mv "$BIN.tmp" "$BIN"
  "$BIN" version >&2
  echo "$BIN"
}

path() {
  [ -x "$BIN" ] || { log "nomad ${NOMAD_VERSION} is not built: run scripts/nomad.sh build"; exit 1; }
  echo "$BIN"
}

addr() { echo "http://127.0.0.1:${HTTP_PORT}"; }

# healthy: a client node is ready with raw_exec healthy (the agent answers before its client registers).
healthy() {
  curl -fsS "$(addr)/v1/nodes" 2>/dev/null |
    grep -q '"Status":"ready"' &&
    curl -fsS "$(addr)/v1/nodes" 2>/dev/null | grep -q '"driver.raw_exec":"true"'
}

start() {
  build >/dev/null
  mkdir -p "$STATE"
  if [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null && healthy; then
    log "already running (pid $(cat "$STATE/pid"))"
    echo "NOMAD_ADDR=$(addr)"
    return
  fi
  cat >"$STATE/agent.hcl" <<EOF
bind_addr = "127.0.0.1"
ports { http = ${HTTP_PORT} }
plugin "raw_exec" {
  config { enabled = true }
}
client {
  options = {
    # env_aws and friends probe cloud metadata services that do not exist here and fail the client.
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}
EOF
  # -dev keeps its state in memory; the data dir only holds allocation directories.
  nohup "$BIN" agent -dev -config "$STATE/agent.hcl" -data-dir "$STATE/data" -log-level WARN \
    >"$STATE/agent.log" 2>&1 &
  echo $! >"$STATE/pid"
  for _ in $(seq 1 120); do
    if healthy; then
      log "nomad agent up at $(addr) (pid $(cat "$STATE/pid"), log $STATE/agent.log)"
      echo "NOMAD_ADDR=$(addr)"
      return
    fi
    if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
      log "nomad agent exited; its log:"; tail -50 "$STATE/agent.log" >&2; exit 1
    fi
    sleep 0.5
  done
  log "nomad agent did not become healthy; its log:"; tail -50 "$STATE/agent.log" >&2
  exit 1
}

stop() {
  if [ -f "$STATE/pid" ]; then
    local pid; pid="$(cat "$STATE/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$STATE/pid"
  fi
}

case "${1:-}" in
  build) build ;;
  path) path ;;
  start) start ;;
  stop) stop ;;
  env) echo "export NOMAD_ADDR=$(addr)" ;;
  *) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
