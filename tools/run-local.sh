#!/bin/sh
# The main job: checks the shipped configs, starts the proxy (DistServe, configs/proxy.yaml), a
# prefill node and a decode node on the tiny stories260K model kept in the repository
# (configs/prefill.yaml, configs/decode.yaml) that register with it, sends the completion from
# LMDeploy's PD guide and a streamed chat completion through the proxy (the prompt runs on the
# prefill node, the decode node pulls its KV cache over the tcp migration plugin and answers),
# shows the node table and the migration counters, then stops all three with SIGTERM.
#
# Environment: DISAGGD (binary, default build-release/bin/disaggd), PORT (proxy, 8000),
# ADMIN_PORT (8001), PREFILL_PORT (23334), DECODE_PORT (23335), KEEP=1 to leave them running until
# Ctrl-C. The migration listeners use the ports in the configs (24001, 24002).
set -eu
cd "$(dirname "$0")/.."
bin=${DISAGGD:-build-release/bin/disaggd}
port=${PORT:-8000}
admin_port=${ADMIN_PORT:-8001}
prefill_port=${PREFILL_PORT:-23334}
decode_port=${DECODE_PORT:-23335}
[ -x "$bin" ] || { echo "run-local: $bin not found; build first (cmake --workflow --preset release)" >&2; exit 1; }

"$bin" --version
"$bin" plugins
"$bin" --check -c configs/proxy.yaml
"$bin" --check -c configs/prefill.yaml
"$bin" --check -c configs/decode.yaml

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
  --serving-strategy DistServe --proxy-admin-port "$admin_port" \
  --set 'proxy.admin.token={env: DISAGGD_ADMIN_TOKEN}' &
proxy=$!
pids="$proxy"
wait_healthy "$port" proxy "$proxy"

"$bin" -c configs/prefill.yaml --server-name 127.0.0.1 --server-port "$prefill_port" \
  --proxy-url "http://127.0.0.1:$port" &
prefill=$!
pids="$pids $prefill"
"$bin" -c configs/decode.yaml --server-name 127.0.0.1 --server-port "$decode_port" \
  --proxy-url "http://127.0.0.1:$port" &
decode=$!
pids="$pids $decode"
wait_healthy "$prefill_port" "prefill node" "$prefill"
wait_healthy "$decode_port" "decode node" "$decode"
tries=0
until [ "$(curl -sf "http://127.0.0.1:$port/nodes/status" | grep -o '"healthy":true' | wc -l)" -ge 2 ]; do
  tries=$((tries + 1))
  [ "$tries" -le 100 ] || { echo "run-local: the nodes did not register with the proxy" >&2; exit 1; }
  sleep 0.1
done

echo "POST /v1/completions (through the proxy: prefill node, KV migration, decode node):"
curl -sS -X POST "http://127.0.0.1:$port/v1/completions" -H "Content-Type: application/json" \
  -d '{"model": "stories260K", "temperature": 0, "prompt": "Once upon a time", "max_tokens": 16, "stream": false}'
echo
echo "POST /v1/chat/completions, streamed (through the proxy):"
curl -sSN "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model": "stories260K", "messages": [{"role": "user", "content": "Tell me a story."}],
       "max_tokens": 16, "temperature": 0, "stream": true}'
echo "GET /metrics (decode node): prompts whose KV was pulled from the prefill node"
curl -sS "http://127.0.0.1:$decode_port/metrics" | grep '^disaggd_kv_imports_total'
echo "GET /nodes/status (proxy):"
curl -sS "http://127.0.0.1:$port/nodes/status"; echo
echo "GET /admin/routing (proxy, bearer token):"
curl -sS -H "Authorization: Bearer $DISAGGD_ADMIN_TOKEN" "http://127.0.0.1:$admin_port/admin/routing"; echo

if [ "${KEEP:-0}" = 1 ]; then
  echo "run-local: proxy on port $port, prefill node on $prefill_port, decode node on $decode_port; Ctrl-C stops them"
  wait
  exit 0
fi
failed=0
for p in $decode $prefill $proxy; do
  kill -TERM "$p"
  status=0
  wait "$p" || status=$?
  [ "$status" -eq 0 ] || { echo "run-local: process $p exited with status $status" >&2; failed=1; }
done
trap - EXIT
[ "$failed" -eq 0 ] || exit 1
echo "run-local: prefill and decode nodes answered through the proxy; all three shut down cleanly"
