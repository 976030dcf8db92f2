#!/bin/sh
# Builds the .deb and .rpm packages from the source tree (the `package` preset), checks them with
# lintian and rpm, installs the .debs on this machine for real, checks the installed daemon, unit,
# user, configuration files and SDK, then removes and purges them and checks that nothing is left.
# Needs root (CI runs as root); skips (exit 77) otherwise or when disaggd is already installed.
# Usage: package_install_test.sh <source dir> <scratch dir> <expected version>
set -eu
source_dir=$1 scratch=$2 version=$3
packages="disaggd disaggd-torch disaggd-dev"
mkdir -p "$scratch"

fail() {
  echo "FAIL: $*"
  exit 1
}
step() { echo "--- $*"; }

[ "$(id -u)" -eq 0 ] || { echo "SKIP: installing packages needs root"; exit 77; }
command -v dpkg >/dev/null && command -v apt-get >/dev/null \
  || { echo "SKIP: not a Debian system (no dpkg/apt-get)"; exit 77; }
# shellcheck disable=SC2086  # a word list
if dpkg-query -W -f='${Status}\n' $packages 2>/dev/null | grep -qv "not-installed$"; then
  echo "SKIP: a disaggd package (or its configuration files) is on this machine; this test would"
  echo "      replace and purge it"
  exit 77
fi
for tool in rpmbuild rpm lintian systemd-analyze dpkg-shlibdeps setpriv curl python3; do
  command -v "$tool" >/dev/null || fail "$tool is missing (tools/install-build-deps.sh installs it)"
done

purge_all() {
  # shellcheck disable=SC2086  # a word list
  dpkg --purge $packages >/dev/null 2>&1 || true
  rm -f /usr/local/lib/disaggd/plugins/libdisaggd_routing_round_robin.so
  rmdir /usr/local/lib/disaggd/plugins /usr/local/lib/disaggd 2>/dev/null || true
}
daemon_pid=""
cleanup() {
  [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null || true
  purge_all
}
trap cleanup EXIT

step "build the packages"
build="$scratch/build-package"
cmake --preset package -S "$source_dir" -B "$build" >"$scratch/configure.log" 2>&1 \
  || { cat "$scratch/configure.log"; fail "configuring the package preset failed"; }
cmake --build "$build" >"$scratch/build.log" 2>&1 \
  || { tail -50 "$scratch/build.log"; fail "building the package preset failed"; }
rm -rf "$build/packages"
(cd "$build" && cpack -G "DEB;RPM") >"$scratch/cpack.log" 2>&1 \
  || { tail -50 "$scratch/cpack.log"; fail "cpack failed"; }
debs="$build/packages"
for package in $packages; do
  test -f "$debs/${package}_${version}_"*.deb || fail "no .deb for $package ${version}"
done
ls -l "$debs"/*.deb "$debs"/*.rpm

step "lintian: no errors"
lintian --fail-on error --tag-display-limit 0 "$debs"/*.deb \
  || fail "lintian reports errors"

step "rpm metadata and contents"
rpm_main=$(ls "$debs"/disaggd-"$version"-*.rpm)
rpm -qpi "$rpm_main"
rpm -qpi "$rpm_main" | grep -Eq "^Version *: $version\$" || fail "rpm version is not $version"
! rpm -qpi "$rpm_main" | grep -Eq "^Relocations *: /" || fail "the rpm is relocatable (Prefix:)"
rpm -qpl "$rpm_main" >"$scratch/rpm-files"
for path in /usr/bin/disaggd /usr/lib/systemd/system/disaggd@.service /etc/disaggd/proxy.yaml \
  /usr/lib/disaggd/plugins/libdisaggd_routing_random.so \
  /usr/lib/disaggd/plugins/libdisaggd_migration_tcp.so; do
  grep -qx "$path" "$scratch/rpm-files" || fail "$path is not in $rpm_main"
done
! grep -q "libdisaggd_model_torch" "$scratch/rpm-files" || fail "the torch backend is in disaggd.rpm"
for role in proxy prefill decode hybrid; do
  rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$rpm_main" \
    | grep -qx "cn /etc/disaggd/$role.yaml" || fail "/etc/disaggd/$role.yaml is not %config(noreplace)"
done
rpm -qp --requires "$debs"/disaggd-torch-"$version"-*.rpm | grep -qx "disaggd = $version" \
  || fail "disaggd-torch.rpm does not require disaggd = $version"
rpm -qp --scripts "$rpm_main" | grep -q "useradd --system" || fail "the rpm does not create the user"

step "install the .debs"
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
  "$debs/disaggd_${version}_"*.deb "$debs/disaggd-torch_${version}_"*.deb \
  "$debs/disaggd-dev_${version}_all.deb" >"$scratch/install.log" 2>&1 \
  || { cat "$scratch/install.log"; fail "apt-get install of the .debs failed"; }
dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' $packages
# Every file the packages own, to check after the purge.
for package in $packages; do dpkg -L "$package"; done | sort -u >"$scratch/owned"
dpkg -s disaggd | grep -E "^Depends:"
dpkg -s disaggd | grep -q "^Depends:.*libtorch" && fail "disaggd depends on libtorch"
dpkg -s disaggd-torch | grep -q "^Depends:.*libtorch" || fail "disaggd-torch does not depend on libtorch"

step "the installed daemon"
test "$(command -v disaggd)" = /usr/bin/disaggd || fail "disaggd is not /usr/bin/disaggd"
disaggd --version | tee "$scratch/version"
grep -q "^disaggd $version (plugin ABI " "$scratch/version" || fail "unexpected --version"
env -u DISAGGD_PLUGIN_PATH disaggd plugins | tee "$scratch/plugins"
for plugin in routing/random routing/min_expected_latency routing/min_observed_latency \
  migration/tcp model/sim model/torch; do
  kind=${plugin%/*} name=${plugin#*/}
  grep -Eq "^$kind +$name .* /usr/lib/disaggd/plugins/libdisaggd_${kind}_$name\.so\$" \
    "$scratch/plugins" || fail "$plugin is not listed from /usr/lib/disaggd/plugins"
done
for role in proxy prefill decode hybrid; do
  dpkg-query -W -f='${Conffiles}\n' disaggd | grep -q " /etc/disaggd/$role.yaml " \
    || fail "/etc/disaggd/$role.yaml is not a conffile"
  env -u DISAGGD_PLUGIN_PATH disaggd --check -c "/etc/disaggd/$role.yaml" >"$scratch/check" 2>&1 \
    || { cat "$scratch/check"; fail "disaggd --check -c /etc/disaggd/$role.yaml failed"; }
done
getent passwd disaggd | grep -q ":/var/lib/disaggd:/usr/sbin/nologin\$" \
  || fail "no system user disaggd: $(getent passwd disaggd)"
# Minimal images tell dpkg not to unpack docs (path-exclude in /etc/dpkg/dpkg.cfg.d): a file the
# package lists but the disk lacks is then excluded, not missing.
excluded() { dpkg -L "$1" | grep -qx "$2" && [ ! -e "$2" ] && grep -rqs "^path-exclude" /etc/dpkg/dpkg.cfg.d; }
man_page=/usr/share/man/man1/disaggd.1.gz
verify_options=""
if excluded disaggd "$man_page"; then
  echo "NOTE: dpkg's path-exclude drops man pages here; not checking $man_page"
  verify_options="--man=no"  # the unit's Documentation=man:disaggd(1) cannot resolve
else
  test -f "$man_page" || fail "no man page"
fi

step "systemctl enable works on an instance (links only: no systemd runs here)"
systemctl enable disaggd@prefill.service >/dev/null 2>&1 || fail "systemctl enable disaggd@prefill failed"
wants=/etc/systemd/system/multi-user.target.wants/disaggd@prefill.service
test -L "$wants" || fail "enable did not link $wants"

step "systemd-analyze verify"
# shellcheck disable=SC2086  # empty or one option
systemd-analyze verify $verify_options /usr/lib/systemd/system/disaggd@.service \
  >"$scratch/verify" 2>&1 \
  || { cat "$scratch/verify"; fail "systemd-analyze verify failed"; }
if [ -s "$scratch/verify" ]; then cat "$scratch/verify"; fail "systemd-analyze verify complained"; fi

step "the installed hybrid config serves a completion as the service user"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setpriv --reuid disaggd --regid disaggd --init-groups --reset-env \
  /usr/bin/disaggd -c /etc/disaggd/hybrid.yaml --server-name 127.0.0.1 --server-port "$port" \
  >"$scratch/hybrid.log" 2>&1 &
daemon_pid=$!
ready=""
for _ in $(seq 1 300); do
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ready=yes; break; fi
  kill -0 "$daemon_pid" 2>/dev/null || break
  sleep 0.2
done
[ -n "$ready" ] || { cat "$scratch/hybrid.log"; fail "the installed hybrid node did not come up"; }
curl -sf "http://127.0.0.1:$port/v1/completions" -H 'Content-Type: application/json' \
  -d '{"model": "stories260K", "prompt": "Once upon a time", "max_tokens": 16}' >"$scratch/answer" \
  || { cat "$scratch/hybrid.log"; fail "the completion failed"; }
python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); t = a["choices"][0]["text"]
assert a["usage"]["completion_tokens"] > 0 and t.strip(), a; print("answer:", repr(t))' \
  "$scratch/answer" || fail "unexpected answer: $(cat "$scratch/answer")"
kill -TERM "$daemon_pid"
wait "$daemon_pid" || fail "the hybrid node did not stop cleanly on SIGTERM"
daemon_pid=""

step "the example plugin, built out of tree against disaggd-dev, dropped into /usr/local"
example=/usr/share/doc/disaggd-dev/examples/round_robin
if excluded disaggd-dev "$example/CMakeLists.txt"; then
  echo "NOTE: dpkg's path-exclude drops /usr/share/doc here; building the example from the source"
  example="$source_dir/plugins/examples/round_robin"
fi
test -f "$example/CMakeLists.txt" || fail "$example is not installed"
cp -r "$example" "$scratch/round_robin"
cmake -S "$scratch/round_robin" -B "$scratch/round_robin/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF >"$scratch/example.log" 2>&1 \
  && cmake --build "$scratch/round_robin/build" >>"$scratch/example.log" 2>&1 \
  && cmake --install "$scratch/round_robin/build" >>"$scratch/example.log" 2>&1 \
  || { cat "$scratch/example.log"; fail "building the example plugin against disaggd-dev failed"; }
grep -q "/usr/share/cmake/disaggd-plugin-sdk" "$scratch/round_robin/build/CMakeCache.txt" \
  || fail "the example did not use the installed SDK"
dropped=/usr/local/lib/disaggd/plugins/libdisaggd_routing_round_robin.so
test -f "$dropped" || fail "cmake --install did not put the plugin in /usr/local/lib/disaggd/plugins"
env -u DISAGGD_PLUGIN_PATH disaggd plugins -c /etc/disaggd/proxy.yaml | tee "$scratch/plugins"
grep -Eq "^routing +round_robin .* $dropped\$" "$scratch/plugins" \
  || fail "the installed daemon does not list the dropped-in plugin"
env -u DISAGGD_PLUGIN_PATH disaggd --check -c /etc/disaggd/proxy.yaml \
  --routing-strategy round_robin >"$scratch/check" 2>&1 \
  || { cat "$scratch/check"; fail "the installed daemon cannot load the dropped-in plugin"; }
grep -q "routing strategy round_robin 1.0.0 from $dropped" "$scratch/check" \
  || fail "--check did not load round_robin: $(cat "$scratch/check")"
rm -f "$dropped"

step "an upgrade keeps a changed configuration file and updates an unchanged one"
# The same package with new default configurations, installed over the current one.
echo "# local change" >>/etc/disaggd/proxy.yaml
upgrade="$scratch/upgrade"
rm -rf "$upgrade"
dpkg-deb -R "$debs/disaggd_${version}_"*.deb "$upgrade"
echo "# new default" >>"$upgrade/etc/disaggd/proxy.yaml"
echo "# new default" >>"$upgrade/etc/disaggd/hybrid.yaml"
(cd "$upgrade" && find etc usr -type f -exec md5sum {} + >DEBIAN/md5sums)
dpkg-deb -b "$upgrade" "$scratch/disaggd-upgrade.deb" >/dev/null
dpkg -i --force-confold "$scratch/disaggd-upgrade.deb" >"$scratch/upgrade.log" 2>&1 \
  || { cat "$scratch/upgrade.log"; fail "installing over the package failed"; }
grep -q "^# local change" /etc/disaggd/proxy.yaml || fail "the upgrade replaced a changed conffile"
! grep -q "^# new default" /etc/disaggd/proxy.yaml || fail "the upgrade merged into a changed conffile"
grep -q "^# new default" /etc/disaggd/hybrid.yaml || fail "the upgrade kept an unchanged old conffile"

step "remove and purge"
# A conffile the administrator changed survives removal and goes with the purge.
# shellcheck disable=SC2086
dpkg --remove $packages >/dev/null
test -f /etc/disaggd/proxy.yaml || fail "remove (not purge) deleted the changed conffile"
test ! -e /usr/bin/disaggd || fail "/usr/bin/disaggd survived removal"
test ! -L "$wants" || fail "removal left the enabled instance's link $wants"
getent passwd disaggd >/dev/null || fail "remove deleted the system user"
# Only disaggd has conffiles left to purge; the others went with the removal.
dpkg --purge disaggd >/dev/null
dpkg-query -W -f='${Status}\n' $packages 2>/dev/null | grep -v "^unknown ok not-installed$" \
  && fail "packages still known to dpkg after the purge"
left=""
while read -r path; do
  # Directories shared with other packages (/usr, /etc, ...) stay.
  if [ -e "$path" ] && ! { [ -d "$path" ] && dpkg -S "$path" >/dev/null 2>&1; }; then
    left="$left $path"
  fi
done <"$scratch/owned"
[ -z "$left" ] || fail "left behind after purge:$left"
for path in /etc/disaggd /usr/lib/disaggd /usr/share/disaggd /usr/share/doc/disaggd \
  /usr/local/lib/disaggd /var/lib/disaggd; do
  test ! -e "$path" || fail "$path is left after purge"
done
echo "PASS: packages build, pass lintian, install, run, load a third-party plugin and purge cleanly"
