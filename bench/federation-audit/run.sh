#!/bin/sh
# Audit adapter: the harness runs `sh run.sh <suite id>` in this folder and stops the process
# between suites. Downloads the suite's composed supergraph and execs our gateway on it.
set -eu
suite="$1"
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base="${AUDIT_BASE_URL:-http://localhost:4200}"
file="$here/supergraph.graphql"
curl -fsS "$base/$suite/supergraph" -o "$file"
export GATEWAY_SUPERGRAPH_FILE="$file"
export GATEWAY_PORT="${GATEWAY_PORT:-4000}"
export GATEWAY_HOST="${GATEWAY_HOST:-127.0.0.1}"
# The audit sends anonymous requests and expects subgraph error messages verbatim.
export GATEWAY_AUTH_REQUIRED=false
export GATEWAY_INTROSPECTION=true
# The cost limit is a protection of ours, not part of federation conformance (one audit query
# has an estimated cost just over the default 20000).
export GATEWAY_MAX_COST=0
export LOG_LEVEL="${LOG_LEVEL:-WARNING}"
export GATEWAY_SHUTDOWN_GRACE_SECONDS=1
# AUDIT_GATEWAY_SRC: run a snapshot of gateway/src (so the tree can change during a run)
if [ -n "${AUDIT_GATEWAY_SRC:-}" ]; then
  export PYTHONPATH="$AUDIT_GATEWAY_SRC${PYTHONPATH:+:$PYTHONPATH}"
fi
exec "$root/.venv/bin/python" -m crm_gateway
