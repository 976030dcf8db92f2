#!/usr/bin/env bash
# The proxy benchmark behind docs/performance.md ("Proxy"): the latency the proxy adds to a request
# against calling a node directly, and the requests/s and CPU per request of one proxy core.
#
#   tools/bench/run-proxy-bench.sh [BUILD_DIR]        (default build-release)
#
# First it brings the binaries it runs up to date (cmake --build BUILD_DIR for disaggd,
# disaggd-loadgen, the sim plugin and the routing plugin; BUILD=0 skips that), so one command
# measures the sources as they are.
#
# Starts real processes from BUILD_DIR: NODES hybrid nodes on the stories260K model kept in the
# repository with the `sim` backend and every sim time 0 (they answer as fast as the engine can),
# which register themselves with a proxy (Hybrid serving, routing ROUTING). The proxy is pinned to
# CPU 0; the load generator (disaggd-loadgen) and the nodes share CPU 1. For non-streamed and
# streamed (SSE) 16-token completions and each client count in CLIENTS, it measures the first node
# directly, then the proxy, with the same load, one after the other. Over each proxy run it reads
# the proxy's CPU time (utime + stime of /proc/PID/stat, all threads), CPU 0's softirq time (the
# kernel's packet delivery on the proxy's core, accounted to no process) and the requests the proxy
# answered (its /metrics) over the same interval, and prints CPU ms per request and the requests/s
# one fully busy core would serve at that cost; beside it the nodes' CPU ms per request, the TCP
# connections opened per request (/proc/net/snmp ActiveOpens: the proxy's connections to nodes, as
# the clients' own stay open), and the share of CPU 0 that other processes or the host (steal)
# took. Prints a Markdown table at the end.
#
# As root it runs in a network namespace of its own (unshare --net, loopback only): its ports
# cannot collide with other processes' and ActiveOpens counts only its own connections. NETNS=0
# turns that off (and without root it is off; ActiveOpens then counts the whole machine's).
#
# Environment: NODES (1), ROUTING (random; or min_expected_latency, ...), CLIENTS ("1 32 128"),
# BUILD (1), DURATION (5, seconds measured per point), WARMUP (1), PORT (18000: the proxy; nodes
# on the next ports), THREADS (server.max_threads of the proxy and the nodes; unset: the daemon's default, see
# below), NETNS (above), RETRIES (3: how often a point is measured again when other processes or
# the host took over 10% of CPU 0).
# Run it on an otherwise idle machine: other load distorts every number.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
if [ "${NETNS:-1}" = 1 ] && [ -z "${DISAGGD_BENCH_IN_NETNS:-}" ] && [ "$(id -u)" = 0 ] &&
  command -v unshare >/dev/null && command -v ip >/dev/null; then
  exec env DISAGGD_BENCH_IN_NETNS=1 unshare --net -- "$0" "$@"
fi
if [ -n "${DISAGGD_BENCH_IN_NETNS:-}" ]; then
  ip link set lo up
fi
build=${1:-build-release}
nodes=${NODES:-1}
routing=${ROUTING:-random}
clients_list=${CLIENTS:-"1 32 128"}
duration=${DURATION:-5}
warmup=${WARMUP:-1}
port=${PORT:-18000}
thread_flags=()
[ -z "${THREADS:-}" ] || thread_flags=(--server-max-threads "$THREADS")
retries=${RETRIES:-3}
bin=$build/bin/disaggd
loadgen=$build/bin/disaggd-loadgen
model=stories260K
targets=(disaggd disaggd-loadgen disaggd_model_sim "disaggd_routing_$routing")

if [ "${BUILD:-1}" = 1 ] && [ -f "$build/CMakeCache.txt" ]; then
  cmake --build "$build" --target "${targets[@]}" >&2
fi

for file in "$bin" "$loadgen" "$build/lib/disaggd/plugins/libdisaggd_model_sim.so" \
  "$build/lib/disaggd/plugins/libdisaggd_routing_$routing.so"; do
  [ -e "$file" ] || {
    echo "run-proxy-bench: $file missing; build it first:" >&2
    echo "  cmake --preset release && cmake --build $build --target ${targets[*]}" >&2
    exit 1
  }
done
[ "$(nproc)" -ge 2 ] || { echo "run-proxy-bench: needs 2 CPUs (proxy on 0, the rest on 1)" >&2; exit 1; }

logs=$(mktemp -d /tmp/disaggd-proxy-bench.XXXXXX)
pids=()
# Stops every process this script started, and keeps the logs when something failed.
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -eq 0 ]; then
    rm -rf "$logs"
  else
    echo "run-proxy-bench: failed; logs in $logs" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits until process $2 (named $3 in messages) has written $4 to log $1, for at most 30 s.
wait_for_log() {
  local tries=0
  until grep -qs "$4" "$1"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 300 ] || ! kill -0 "$2" 2>/dev/null; then
      echo "run-proxy-bench: the $3 did not come up; its log:" >&2
      cat "$1" >&2
      exit 1
    fi
    sleep 0.1
  done
}

# CPU seconds (user + system, all threads) of process $1 so far.
cpu_seconds() {
  # Fields after the ")" that ends the command name: state is 1st, utime 12th, stime 13th.
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); split($0, f, " "); print (f[12] + f[13]) / hz }' \
    "/proc/$1/stat"
}

# TCP connections opened (connect() calls) in this network namespace so far.
active_opens() {
  awk '/^Tcp:/ { if (header) { print $6; exit } header = 1 }' /proc/net/snmp
}

# Jiffies of CPU $1 so far: "processes interrupts steal total" (processes: user, nice, system;
# interrupts: irq and softirq, which the kernel accounts to no process; steal: taken by the host).
cpu_jiffies() {
  awk -v cpu="cpu$1" '$1 == cpu { print $2 + $3 + $4, $7 + $8, $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' \
    /proc/stat
}

# Completions the proxy has answered so far (every status), from its /metrics.
proxy_answered() {
  curl -sf "http://127.0.0.1:$port/metrics" |
    awk '/^disaggd_proxy_requests_total\{route="\/v1\/completions"/ { n += $NF } END { print n + 0 }'
}

# Field $2 of the loadgen's JSON line $1.
field() {
  sed -E "s/.*\"$2\": ([0-9.]+).*/\1/" <<<"$1"
}

echo "## machine"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; $(uname -sr)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if ! git diff --quiet HEAD -- daemon plugins 2>/dev/null ||
  [ -n "$(git ls-files --others --exclude-standard daemon plugins 2>/dev/null)" ]; then
  echo "tree: uncommitted changes under daemon/ or plugins/ (the binaries may include them):"
  git status --short daemon plugins | sed 's/^/  /'
fi
if [ -f "$build/build.ninja" ] && command -v ninja >/dev/null &&
  ninja -C "$build" -n "${targets[@]}" | grep -q ' Linking '; then
  echo "warning: $build is older than the sources: the numbers are for the binaries as built"
fi
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# The proxy holds one thread per open client connection (Poco), and each node one per connection
# from the clients or from the proxy's pool, idle keep-alive ones included. The default
# server.max_threads (512) covers 128 clients plus the pool's connections (proxy.
# max_connections_per_node, 256); with fewer threads than connections, the clients beyond them get
# no answer for the whole run, which the load generator counts as errors.
taskset -c 0 "$bin" -c configs/proxy.yaml --server-name 127.0.0.1 --server-port "$port" \
  --serving-strategy Hybrid --routing-strategy "$routing" "${thread_flags[@]}" \
  >"$logs/proxy.log" 2>&1 &
proxy=$!
pids+=("$proxy")
wait_for_log "$logs/proxy.log" "$proxy" proxy "proxy ready"

node_pids=()
for i in $(seq 1 "$nodes"); do
  node_port=$((port + i))
  taskset -c 1 "$bin" -c configs/hybrid.yaml --server-name 127.0.0.1 --server-port "$node_port" \
    --backend sim "${thread_flags[@]}" \
    --set 'node.backend_options={prefill_us_per_token: 0, decode_us_per_step: 0, decode_us_per_sequence: 0}' \
    --proxy-url "http://127.0.0.1:$port" >"$logs/node$i.log" 2>&1 &
  pids+=("$!")
  node_pids+=("$!")
  wait_for_log "$logs/node$i.log" "$!" "node on port $node_port" "serving model"
done
tries=0
until [ "$(curl -sf "http://127.0.0.1:$port/nodes/status" | grep -o '"healthy":true' | wc -l)" -eq "$nodes" ]; do
  tries=$((tries + 1))
  [ "$tries" -le 100 ] || { echo "run-proxy-bench: the nodes did not register" >&2; exit 1; }
  sleep 0.1
done

plain='{"model": "'"$model"'", "prompt": "Once upon a time", "max_tokens": 16, "ignore_eos": true, "temperature": 0}'
stream=${plain%\}}', "stream": true}'
# Every answer has its 16 tokens (the sim never produces an end-of-sequence token; ignore_eos
# says so anyway), through the proxy as directly.
for url in "http://127.0.0.1:$((port + 1))" "http://127.0.0.1:$port"; do
  curl -sf "$url/v1/completions" -H 'Content-Type: application/json' -d "$plain" |
    grep -q '"completion_tokens":16' || { echo "run-proxy-bench: $url did not answer 16 tokens" >&2; exit 1; }
  [ "$(curl -sfN "$url/v1/completions" -H 'Content-Type: application/json' -d "$stream" |
    grep -c '^data: {')" -eq 16 ] || { echo "run-proxy-bench: $url did not stream 16 events" >&2; exit 1; }
done

# Sum of the nodes' CPU seconds so far.
nodes_cpu_seconds() {
  local total=0 pid
  for pid in "${node_pids[@]}"; do
    total=$(awk -v a="$total" -v b="$(cpu_seconds "$pid")" 'BEGIN { print a + b }')
  done
  echo "$total"
}

# Runs the load generator on CPU 1 against URL $1 with $2 clients, body $3, extra flags $4...
run_load() {
  local url=$1 clients=$2 body=$3
  shift 3
  taskset -c 1 "$loadgen" --url "$url/v1/completions" --body "$body" --connections "$clients" \
    --duration-s "$duration" --warmup-s "$warmup" "$@" 2>>"$logs/loadgen.err"
}

# One proxy run with the CPU and connection counters read over the measured window (after the
# warm-up, until the load generator stops). Prints "proxy_ms irq_ms node_ms opens other JSON", per
# request: the proxy process's CPU ms, CPU 0's interrupt and softirq ms (the kernel's delivery of
# the packets the proxy sends, on the proxy's core but accounted to no process), the nodes' CPU ms,
# TCP connections opened; and the percentage of CPU 0's time that went to other processes or to
# the host (steal): time the proxy may have lacked.
run_proxy_point() {
  local result_file=$logs/point.json
  run_load "http://127.0.0.1:$port" "$@" >"$result_file" &
  local load=$!
  sleep "$warmup"
  local cpu0 ncpu0 opens0 answered0 core0
  core0=$(cpu_jiffies 0)
  cpu0=$(cpu_seconds "$proxy")
  ncpu0=$(nodes_cpu_seconds)
  opens0=$(active_opens)
  answered0=$(proxy_answered)
  wait "$load"
  local cpu1 ncpu1 opens1 answered1 core1
  core1=$(cpu_jiffies 0)
  cpu1=$(cpu_seconds "$proxy")
  ncpu1=$(nodes_cpu_seconds)
  opens1=$(active_opens)
  answered1=$(proxy_answered)
  # One connection of the ones counted is curl's own, for /metrics.
  awk -v c="$((answered1 - answered0))" -v cpu0="$cpu0" -v cpu1="$cpu1" \
    -v n0="$ncpu0" -v n1="$ncpu1" -v o="$((opens1 - opens0 - 1))" -v json="$(cat "$result_file")" \
    -v core0="$core0" -v core1="$core1" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { if (c < 1) c = 1; split(core0, a, " "); split(core1, b, " ")
             total = (b[4] - a[4]) / hz; irq = (b[2] - a[2]) / hz
             other = (b[1] - a[1]) / hz - (cpu1 - cpu0) + (b[3] - a[3]) / hz
             printf "%.4f %.4f %.4f %.3f %.0f %s\n", 1000 * (cpu1 - cpu0) / c, 1000 * irq / c,
                    1000 * (n1 - n0) / c, o / c, (total > 0 && other > 0) ? 100 * other / total : 0,
                    json }'
}

echo "## points (routing $routing, $nodes node(s), ${duration} s measured after ${warmup} s warm-up)"
table=$logs/table.md
for mode in plain stream; do
  body=$plain
  flags=()
  if [ "$mode" = stream ]; then
    body=$stream
    flags=(--stream)
  fi
  for clients in $clients_list; do
    # A point during which other work took CPU 0 from the proxy is measured again (RETRIES times
    # at most), direct run included, since the same burst may have slowed the node too.
    attempt=0
    while true; do
      direct=$(run_load "http://127.0.0.1:$((port + 1))" "$clients" "$body" "${flags[@]}")
      echo "$mode clients=$clients direct $direct"
      read -r cpu_ms irq_ms node_ms opens other through \
        <<<"$(run_proxy_point "$clients" "$body" "${flags[@]}")"
      [ -n "$through" ] || { echo "run-proxy-bench: the proxy point gave no result" >&2; exit 1; }
      echo "$mode clients=$clients proxy $through proxy_cpu_ms_per_req=$cpu_ms" \
        "cpu0_softirq_ms_per_req=$irq_ms node_cpu_ms_per_req=$node_ms connects_per_req=$opens" \
        "cpu0_other=$other%"
      [ "$other" -gt 10 ] || break
      attempt=$((attempt + 1))
      [ "$attempt" -le "$retries" ] || break
      echo "CPU 0 spent $other% of its time on other processes or the host: measuring again"
      sleep 2
    done
    awk -v mode="$mode" -v clients="$clients" \
      -v drps="$(field "$direct" rps)" -v d50="$(field "$direct" p50_ms)" \
      -v d99="$(field "$direct" p99_ms)" -v derr="$(field "$direct" errors)" \
      -v prps="$(field "$through" rps)" -v p50="$(field "$through" p50_ms)" \
      -v p99="$(field "$through" p99_ms)" -v perr="$(field "$through" errors)" \
      -v cpu="$cpu_ms" -v irq="$irq_ms" -v node="$node_ms" -v opens="$opens" -v other="$other" \
      'BEGIN { printf "| %s | %d | %.0f | %.3f | %.3f | %.0f | %.3f | %.3f | %+.3f | %+.3f | %d / %d | %.3f + %.3f | %.0f | %.3f | %.2f | %d%% |\n",
               mode == "plain" ? "16 tokens" : "16 tokens, SSE", clients, drps, d50, d99, prps, p50,
               p99, p50 - d50, p99 - d99, derr, perr, cpu, irq, 1000 / (cpu + irq), node, opens,
               other }' >>"$table"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

echo "## results"
echo "| request | clients | direct req/s | direct p50 ms | direct p99 ms | proxy req/s | proxy p50 ms | proxy p99 ms | added p50 ms | added p99 ms | errors direct / proxy | proxy CPU ms/req (process + softirq) | req/s per proxy core | node CPU ms/req | connects/req | CPU 0 other |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
cat "$table"
if [ -s "$logs/loadgen.err" ]; then
  echo "## load generator errors (first lines)"
  head -20 "$logs/loadgen.err"
fi
