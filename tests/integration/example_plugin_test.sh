#!/bin/sh
# Builds plugins/examples/round_robin as a third party would, against the plugin SDK installed
# from this build (the dev component) and nothing else, then has disaggd list, check and use it.
# Usage: example_plugin_test.sh <project build dir> <source dir> <disaggd> <c++ compiler>
set -eu
build_dir=$1 source_dir=$2 disaggd=$3 cxx=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --component dev --prefix "$work/sdk" >/dev/null
cmake -S "$source_dir/plugins/examples/round_robin" -B "$work/build" \
  -DCMAKE_PREFIX_PATH="$work/sdk" -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >/dev/null
cmake --build "$work/build" >/dev/null
plugin="$work/build/libdisaggd_routing_round_robin.so"
test -f "$plugin" || { echo "FAIL: $plugin was not built"; exit 1; }

# The SDK's version script leaves exactly one exported symbol.
exported=$(nm -D --defined-only "$plugin" | awk '{print $3}')
[ "$exported" = "disaggd_plugin_entry" ] || { echo "FAIL: exports: $exported"; exit 1; }

listing=$(env -u DISAGGD_PLUGIN_PATH "$disaggd" plugins --plugin-dir "$work/build")
echo "$listing"
echo "$listing" | grep -Eq "^routing +round_robin +1\.0\.0 +1\.0 +$plugin\$" \
  || { echo "FAIL: round_robin is not listed"; exit 1; }

# The same directory through the environment, and the plugin created with an option.
check=$(DISAGGD_PLUGIN_PATH="$work/build" "$disaggd" --check --role proxy \
  --routing-strategy round_robin --routing-option start=3 2>&1)
echo "$check"
echo "$check" | grep -q "routing strategy round_robin 1.0.0 from $plugin" \
  || { echo "FAIL: --check did not load round_robin"; exit 1; }

# An option the plugin does not know is refused with the plugin's own message.
if bad=$(DISAGGD_PLUGIN_PATH="$work/build" "$disaggd" --check --role proxy \
  --routing-strategy round_robin --routing-option strat=3 2>&1); then
  echo "FAIL: an unknown option was accepted"; exit 1
fi
echo "$bad" | grep -q "unknown option 'strat' (did you mean 'start'?)" \
  || { echo "FAIL: unexpected message: $bad"; exit 1; }
echo "PASS: the out-of-tree example plugin builds against the installed SDK and loads"
