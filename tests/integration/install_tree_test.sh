#!/bin/sh
# Installs the runtime component into a scratch prefix and checks that the installed disaggd
# finds its plugins in <prefix>/lib/disaggd/plugins, relative to its own path, with no other
# plugin directory configured.
# Usage: install_tree_test.sh <project build dir>
set -eu
build_dir=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cmake --install "$build_dir" --component runtime --prefix "$work/root" >/dev/null
listing=$(env -u DISAGGD_PLUGIN_PATH "$work/root/bin/disaggd" plugins)
echo "$listing"
for name in random min_expected_latency min_observed_latency; do
  echo "$listing" | grep -Eq "^routing +$name .* $work/root/lib/disaggd/plugins/libdisaggd_routing_$name\.so\$" \
    || { echo "FAIL: installed $name not found next to the binary"; exit 1; }
done
echo "PASS: the installed daemon finds its plugins relative to its own path"
