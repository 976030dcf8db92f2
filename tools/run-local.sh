#!/bin/sh
# The main job, as far as disaggd goes today: checks the shipped configs, starts the proxy (Hybrid
# serving) and a hybrid node on the tiny stories260K model kept in the repository
# (configs/hybrid.yaml) that registers with it, sends a completion and a streamed chat completion
# through the proxy, shows the node table, then stops both with SIGTERM. (Prefill and decode
# nodes behind the proxy, DistServe, join this script with KV migration.)
#
# Environment: DISAGGD (binary, default build-release/bin/disaggd), PORT (proxy, 8000),
# ADMIN_PORT (8001), NODE_PORT (23333), KEEP=1 to leave both running until Ctrl-C.
set -eu
cd "$(dirname "$0")/.."
bin=${DISAGGD:-build-release/bin/disaggd}
port=${PORT:-8000}
admin_port=${ADMIN_PORT:-8001}
node_port=${NODE_PORT:-23333}
[ -x "$bin" ] || { echo "run-local: $bin not found; build first (cmake --workflow --preset release)" >&2; exit 1; }

"$bin" --version
"$bin" plugins
"$bin" --check -c configs/proxy.yaml
"$bin" --check -c configs/hybrid.yaml

pids=""
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done' EXIT

# Waits until `$2` answers on http://127.0.0.1:$1/health while process $3 lives.
wait_healthy() {
  tries=0
  until curl -sf "http://127.0.0.1:$1/health" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! kill -0 "$3" 2>/dev/null; then
      echo "run-local: the $2 did not come up on port $1" >&2
      exit 1
    fi
    sleep 0.1
  done
}

DISAGGD_ADMIN_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export DISAGGD_ADMIN_TOKEN
"$bin" -c configs/proxy.yaml --server-name 127.0.0.1 --server-port "$port" \
  --serving-strategy Hybrid --proxy-admin-port "$admin_port" \
  --set 'proxy.admin.token={env: DISAGGD_ADMIN_TOKEN}' &
proxy=$!
pids="$proxy"
wait_healthy "$port" proxy "$proxy"

"$bin" -c configs/hybrid.yaml --server-name 127.0.0.1 --server-port "$node_port" \
  --proxy-url "http://127.0.0.1:$port" &
node=$!
pids="$proxy $node"
wait_healthy "$node_port" node "$node"
tries=0
until curl -sf "http://127.0.0.1:$port/v1/models" | grep -q stories260K; do
  tries=$((tries + 1))
  [ "$tries" -le 100 ] || { echo "run-local: the node did not register with the proxy" >&2; exit 1; }
  sleep 0.1
done

echo "POST /v1/completions (through the proxy):"
curl -sS "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
  -d '{"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 48, "temperature": 0}'
echo
echo "POST /v1/chat/completions, streamed (through the proxy):"
curl -sSN "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model": "stories260K", "messages": [{"role": "user", "content": "Tell me a story."}],
       "max_tokens": 16, "temperature": 0, "stream": true}'
echo "GET /nodes/status (proxy):"
curl -sS "http://127.0.0.1:$port/nodes/status"; echo
echo "GET /admin/routing (proxy, bearer token):"
curl -sS -H "Authorization: Bearer $DISAGGD_ADMIN_TOKEN" "http://127.0.0.1:$admin_port/admin/routing"; echo

if [ "${KEEP:-0}" = 1 ]; then
  echo "run-local: node on port $node_port (pid $node), proxy on port $port (pid $proxy); Ctrl-C stops them"
  wait
  exit 0
fi
failed=0
for p in $node $proxy; do
  kill -TERM "$p"
  status=0
  wait "$p" || status=$?
  [ "$status" -eq 0 ] || { echo "run-local: process $p exited with status $status" >&2; failed=1; }
done
trap - EXIT
[ "$failed" -eq 0 ] || exit 1
echo "run-local: the proxy relayed the node's answers; both shut down cleanly"
