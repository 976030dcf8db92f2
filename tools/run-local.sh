#!/bin/sh
# The main job, as far as disaggd goes today: checks the shipped proxy config, starts the proxy
# from configs/proxy.yaml with an admin token, asks it for its health and its routing strategy,
# and stops it with SIGTERM. (Prefill and decode nodes on the tiny model, and the completion
# request through the proxy, join this script as the serving engine lands.)
#
# Environment: DISAGGD (binary, default build-release/bin/disaggd), PORT (8000),
# ADMIN_PORT (8001), KEEP=1 to leave the proxy running until Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
bin=${DISAGGD:-build-release/bin/disaggd}
port=${PORT:-8000}
admin_port=${ADMIN_PORT:-8001}
[ -x "$bin" ] || { echo "run-local: $bin not found; build first (cmake --workflow --preset release)" >&2; exit 1; }

"$bin" --version
"$bin" plugins
"$bin" --check -c configs/proxy.yaml

DISAGGD_ADMIN_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export DISAGGD_ADMIN_TOKEN
"$bin" -c configs/proxy.yaml --server-name 127.0.0.1 --server-port "$port" \
  --proxy-admin-port "$admin_port" --set 'proxy.admin.token={env: DISAGGD_ADMIN_TOKEN}' &
pid=$!
trap 'kill "$pid" 2>/dev/null || true' EXIT

tries=0
until curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ] || ! kill -0 "$pid" 2>/dev/null; then
    echo "run-local: the proxy did not come up on port $port" >&2
    exit 1
  fi
  sleep 0.1
done

echo "GET /health:"
curl -sS "http://127.0.0.1:$port/health"; echo
echo "GET /admin/routing (bearer token):"
curl -sS -H "Authorization: Bearer $DISAGGD_ADMIN_TOKEN" "http://127.0.0.1:$admin_port/admin/routing"; echo

if [ "${KEEP:-0}" = 1 ]; then
  echo "run-local: proxy running on port $port (pid $pid); Ctrl-C stops it"
  wait "$pid"
  exit 0
fi
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
trap - EXIT
[ "$status" -eq 0 ] || { echo "run-local: the proxy exited with status $status" >&2; exit 1; }
echo "run-local: the proxy answered and shut down cleanly"
