#!/bin/sh
# Runs every measurement behind docs/performance.md in one go, on this machine, and prints the
# results with the machine's own limits measured in the same run: DRAM read bandwidth (the bound
# of batch-1 decode) and BLAS float32 matmul FLOP/s (the bound of prefill), with libtorch's own
# bfloat16 matmul beside it.
#
#   tools/bench/run-model-bench.sh [BUILD_DIR]        (default build-release)
#
# Environment: MODEL (default /tmp/disaggd-bench/qwen3-0.6b-bf16, made with the synthetic model
# maker when missing), PROMPT (512), DECODE (32), REPEAT (3), THREADS ("1 2").
# Run it on an otherwise idle machine: other load distorts every number.
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build-release}
model=${MODEL:-/tmp/disaggd-bench/qwen3-0.6b-bf16}
prompt=${PROMPT:-512}
decode=${DECODE:-32}
repeat=${REPEAT:-3}
threads_list=${THREADS:-"1 2"}
python=/usr/bin/python3
[ -x "$python" ] || python=python3

for tool in disaggd-model-bench disaggd-memory-bandwidth disaggd-matmul-flops disaggd-tokenizer-bench; do
  [ -x "$build/bin/$tool" ] || { echo "run-model-bench: $build/bin/$tool missing; build $build first" >&2; exit 1; }
done
if [ ! -f "$model/config.json" ]; then
  echo "run-model-bench: making $model (Qwen3-0.6B shape, bf16, seed 0)"
  "$python" tools/model/make_synthetic_model.py "$model" --preset qwen3-0.6b --dtype bfloat16 --seed 0
fi

echo "## machine"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(nproc) vCPUs"
echo "isa: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx2|fma|avx512f|avx512_bf16|amx_bf16)$' | tr '\n' ' ')"
echo "memory: $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
echo "date: $(date -u +%Y-%m-%dT%H:%MZ), commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"

# The machine's limits are measured next to the model runs that use them (this VM's memory
# bandwidth drifts by 10-20% over minutes): before each thread count, DRAM read bandwidth and the
# float32 matmul rate (libtorch's bfloat16 matmul beside it, for comparison).
echo "## model (prompt $prompt, decode $decode steps, best of $repeat)"
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT
for t in $threads_list; do
  echo "### limits threads=$t"
  "$build/bin/disaggd-memory-bandwidth" --threads "$t" --mib 2048 --repeat 5 | tee -a "$summary"
  "$build/bin/disaggd-matmul-flops" --threads "$t" --m "$prompt" --k 1024 --n 3072 --repeat 5 |
    tee -a "$summary"
  "$build/bin/disaggd-matmul-flops" --threads "$t" --m 128 --k 1024 --n 3072 --repeat 3 \
    --dtype bfloat16
  for dtype in bfloat16 float32; do
    echo "### dtype=$dtype threads=$t"
    "$build/bin/disaggd-model-bench" --model "$model" --dtype "$dtype" --threads "$t" \
      --prompt "$prompt" --decode "$decode" --batches 1,16 --repeat "$repeat" |
      sed "s/^/dtype=$dtype threads=$t /" | tee -a "$summary"
  done
done

# Each model result against the limits of its thread count: decode batch 1 as a share of the DRAM
# read bound (bytes per token x tokens/s), prefill as a share of the float32 matmul rate (FLOPs per
# token x tokens/s), and decode batch 16 over batch 1.
echo "## summary"
awk '
  /^memory_read .*bound_gb_per_s=/ { split($2, a, "="); split($3, b, "="); bw[a[2]] = b[2] }
  /^matmul_float32 / { split($2, a, "="); for (i = 3; i <= NF; i++) if ($i ~ /^gflop_per_s=/) { split($i, b, "="); fl[a[2]] = b[2] } }
  /^dtype=/ {
    split($1, d, "="); split($2, t, "="); key = d[2] " threads=" t[2]; keys[key] = t[2]
    for (i = 3; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    if ($3 == "work") { bytes[key] = v["decode_bytes_per_token"]; flops[key] = v["prefill_flops_per_token"] }
    if ($3 == "prefill") prefill[key] = v["tokens_per_s"]
    if ($3 == "decode" && v["batch"] == 1) d1[key] = v["tokens_per_s"]
    if ($3 == "decode" && v["batch"] == 16) d16[key] = v["tokens_per_s"]
  }
  END {
    for (key in keys) {
      th = keys[key]
      printf "%s: decode_b1 %.2f tok/s = %.1f GB/s = %.0f%% of %.2f GB/s; prefill %.1f tok/s = %.1f GFLOP/s = %.0f%% of %.1f; decode_b16/b1 = %.1fx\n",
        key, d1[key], d1[key] * bytes[key] / 1e9, 100 * d1[key] * bytes[key] / 1e9 / bw[th], bw[th],
        prefill[key], prefill[key] * flops[key] / 1e9, 100 * prefill[key] * flops[key] / 1e9 / fl[th], fl[th],
        d16[key] / d1[key]
    }
  }' "$summary" | sort

echo "## tokenizers"
"$build/bin/disaggd-tokenizer-bench" --model tests/fixtures/models/stories260K --mib 1
"$build/bin/disaggd-tokenizer-bench" --model "$model" --mib 1
