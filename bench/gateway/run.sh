#!/bin/sh
# Gateway benchmark (see bench.py). Needs a federation-gateway-audit checkout with `npm install`
# done (it provides the subgraphs, @graphql-hive/gateway and @apollo/gateway), Node >= 22 and
# autocannon:
#   AUDIT_DIR=<audit checkout> NODE_BIN=/path/to/node/bin AUTOCANNON=/path/to/autocannon \
#     bench/gateway/run.sh [ours hive-gateway apollo-gateway]
# Optional: BENCH_CONNECTIONS (32), BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (3).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${AUDIT_DIR:?set AUDIT_DIR}" "${NODE_BIN:?set NODE_BIN}" "${AUTOCANNON:?set AUTOCANNON}"
export PATH="$NODE_BIN:$PATH"
started=""
if ! curl -fs http://localhost:4200/ids >/dev/null 2>&1; then
  # own process group (setsid): npm, tsx and node are stopped together at exit
  (cd "$AUDIT_DIR" && exec setsid npm start -- serve >"${TMPDIR:-/tmp}/bench-subgraphs.log" 2>&1) &
  started=$!
  for _ in $(seq 1 120); do curl -fs http://localhost:4200/ids >/dev/null 2>&1 && break; sleep 0.5; done
fi
trap '[ -n "$started" ] && kill -TERM "-$started" 2>/dev/null || true' EXIT
cd "$root" && "$root/.venv/bin/python" -m bench.gateway.bench "$@"
