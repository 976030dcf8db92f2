#!/bin/sh
# Regenerates docs/configuration.md from the config schema compiled into disaggd.
# Usage: tools/gen-config-docs.sh [path/to/disaggd]   (default: build/bin/disaggd)
set -eu
cd "$(dirname "$0")/.."
exec "${1:-build/bin/disaggd}" config-reference > docs/configuration.md
