#!/usr/bin/env bash
# The migration benchmark behind docs/performance.md ("Migration (tcp)"): GB/s and time per
# migration of the tcp migration plugin for Qwen3-8B KV layouts and plain block sizes, against raw
# loopback TCP measured in the same run (iperf3 before and after, and an in-process stream).
#
#   tools/bench/run-migration-bench.sh [BUILD_DIR]        (default build-release)
#
# Brings disaggd-migration-bench and the tcp plugin up to date first (BUILD=0 skips that).
# Environment: SECONDS_PER_CASE (2), CONNECTIONS ("1,4"), MAX_TOKENS (16384: pools of 2.25 GiB on
# each side; lower it on small machines), IPERF_SECONDS (5), IPERF_PORT (15201).
# Needs iperf3 for the iperf3 rows (apt-get install -y iperf3); without it they are skipped.
# Run it on an otherwise idle machine: other load distorts every number.
set -euo pipefail
shopt -s inherit_errexit
cd "$(dirname "$0")/../.."
build=${1:-build-release}
targets=(disaggd-migration-bench disaggd_migration_tcp)
if [ "${BUILD:-1}" = 1 ] && [ -f "$build/CMakeCache.txt" ]; then
  cmake --build "$build" --target "${targets[@]}" >&2
fi
bench=$build/bin/disaggd-migration-bench
[ -x "$bench" ] || {
  echo "run-migration-bench: $bench missing; build it first:" >&2
  echo "  cmake --preset release && cmake --build $build --target ${targets[*]}" >&2
  exit 1
}

iperf_seconds=${IPERF_SECONDS:-5}
iperf_port=${IPERF_PORT:-15201}
# One iperf3 run on loopback (1 stream); prints GB/s (1e9 bytes) received.
iperf() {
  command -v iperf3 >/dev/null || { echo "skipped (no iperf3)"; return; }
  iperf3 -s -1 -p "$iperf_port" >/dev/null 2>&1 &
  local server=$!
  sleep 0.3
  iperf3 -c 127.0.0.1 -p "$iperf_port" -t "$iperf_seconds" -J 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.2f GB/s" % (d["end"]["sum_received"]["bits_per_second"]/8e9))'
  wait "$server" 2>/dev/null || true
}

echo "## machine"
echo "cpu: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) vCPUs; $(uname -sr)"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "iperf3 loopback, 1 stream, ${iperf_seconds} s (before): $(iperf)"
"$bench" --seconds "${SECONDS_PER_CASE:-2}" --connections "${CONNECTIONS:-1,4}" \
  --max-tokens "${MAX_TOKENS:-16384}"
echo "iperf3 loopback, 1 stream, ${iperf_seconds} s (after): $(iperf)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
