#!/bin/sh
# Installs the Debian 12 packages disaggd needs to build, test, package and run (dpkg-dev, file
# and rpm: CPack's .deb and .rpm generators; lintian, systemd, man-db: the package install test).
# Run as root (or with sudo available). Non-interactive: safe in CI with no standard input.
set -eu
packages="
  g++ make cmake ninja-build pkg-config ccache binutils curl
  libpoco-dev libspdlog-dev nlohmann-json3-dev libboost-dev libyaml-cpp-dev
  libgtest-dev libgmock-dev
  libpcre2-dev libsentencepiece-dev
  libtorch-dev libopenblas0-openmp
  python3 python3-numpy python3-jinja2
  dpkg-dev file rpm lintian systemd man-db
"
run_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
export DEBIAN_FRONTEND=noninteractive
run_as_root apt-get update
# shellcheck disable=SC2086  # the list is meant to split into words
run_as_root apt-get install -y --no-install-recommends $packages
