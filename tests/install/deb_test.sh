#!/usr/bin/env bash
# Packs this build with CPack into Debian packages, checks the program's package name and
# Depends, unpacks it with dpkg -x into a temporary root and runs its `avpost --help` (the
# libraries are static: nothing of avpost's needs LD_LIBRARY_PATH); checks the systemd units,
# the 0600 conffile and the maintainer scripts (run against stand-ins, never on this system).
# Usage: deb_test.sh BUILD_DIR WORK_DIR
set -euo pipefail
build=$1 work=$2
rm -rf "$work"
mkdir -p "$work"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$work/packages" >"$work/cpack.log"
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
deb=$work/packages/avpost_${version}_amd64.deb
dev=$work/packages/avpost-dev_${version}_amd64.deb
[ -f "$deb" ] || { echo "no $deb; made: $(ls "$work/packages")"; exit 1; }
[ -f "$dev" ] || { echo "no $dev"; exit 1; }
depends=$(dpkg-deb -f "$deb" Depends)
echo "avpost Depends: $depends"
for lib in libavcodec libavformat libcurl libsqlite3 libssl libc6 libprometheus-cpp-core fonts-noto-cjk; do
  grep -q "$lib" <<<"$depends" || { echo "Depends lacks $lib"; exit 1; }
done
dpkg-deb -f "$dev" Depends | grep -q "avpost (= $version)"
dpkg -x "$deb" "$work/root"
"$work/root/usr/bin/avpost" --help >"$work/help.txt"
grep -q "serve" "$work/help.txt"
# The man page and the bash completion come with the program.
[ -f "$work/root/usr/share/man/man1/avpost.1" ] || { echo "the package lacks the man page"; exit 1; }
[ -f "$work/root/usr/share/bash-completion/completions/avpost" ] || { echo "the package lacks the completion"; exit 1; }
# The systemd units, the environment file (a conffile, 0600 root:root: it holds secrets) and the
# maintainer scripts (packaging/systemd, packaging/debian; tests/install/systemd_test.sh runs the units).
grep -q "adduser" <<<"$depends" || { echo "Depends lacks adduser (the postinst makes the avpost user)"; exit 1; }
for unit in avpost-worker@.service avpost-serve.service; do
  [ -f "$work/root/lib/systemd/system/$unit" ] || { echo "the package lacks /lib/systemd/system/$unit"; exit 1; }
done
contents=$(dpkg-deb -c "$deb")
grep -Eq '^-rw------- root/root .* \./etc/avpost/avpost\.env$' <<<"$contents" ||
  { echo "no /etc/avpost/avpost.env with mode 0600 root:root: $(grep avpost.env <<<"$contents")"; exit 1; }
info=$(dpkg-deb -I "$deb")
for member in conffiles postinst prerm postrm; do
  grep -Eq "^ +[0-9]+ bytes, +[0-9]+ lines +(\*)? *$member( |$)" <<<"$info" ||
    { echo "dpkg-deb -I lists no $member: $info"; exit 1; }
done
[ "$(dpkg-deb -I "$deb" conffiles)" = "/etc/avpost/avpost.env" ] ||
  { echo "conffiles is not /etc/avpost/avpost.env: $(dpkg-deb -I "$deb" conffiles)"; exit 1; }
dpkg-deb -I "$dev" | grep -Eq 'conffiles|postinst' && { echo "avpost-dev has maintainer scripts or conffiles"; exit 1; }
mkdir -p "$work/control"
dpkg-deb -e "$deb" "$work/control"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] || { echo "$script is not executable"; exit 1; }
  sh -n "$work/control/$script"
done
# The maintainer scripts against stand-ins for adduser, getent, systemctl and deb-systemd-helper:
# a fresh install makes the user; without systemd running (no /run/systemd/system, as in a
# container) neither systemctl nor deb-systemd-helper is called; with it, nothing is enabled
# or started (only daemon-reload, update-state, unmask; on removal a stop).
mkdir -p "$work/stubs"
for tool in adduser systemctl deb-systemd-helper deb-systemd-invoke; do
  printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$tool" "$work/calls" >"$work/stubs/$tool"
done
printf '#!/bin/sh\nexit 2\n' >"$work/stubs/getent"
chmod +x "$work/stubs/"*
: >"$work/calls"
PATH=$work/stubs:$PATH "$work/control/postinst" configure ""
PATH=$work/stubs:$PATH "$work/control/postinst" configure "0.0.1"
PATH=$work/stubs:$PATH "$work/control/prerm" remove
PATH=$work/stubs:$PATH "$work/control/postrm" remove
PATH=$work/stubs:$PATH "$work/control/postrm" purge 2>/dev/null
grep -q "^adduser --system .* avpost$" "$work/calls" || { echo "postinst made no avpost user: $(cat "$work/calls")"; exit 1; }
if [ -d /run/systemd/system ]; then
  if grep -Eq " (enable|start|restart|reenable)( |$)" "$work/calls"; then echo "a maintainer script enables or starts a unit: $(cat "$work/calls")"; exit 1; fi
else
  if grep -Eq "^(systemctl|deb-systemd)" "$work/calls"; then echo "systemd is not running, yet: $(cat "$work/calls")"; exit 1; fi
fi
dpkg -x "$dev" "$work/root"
[ -f "$work/root/usr/include/avpost/archive/gallery.hpp" ] && [ -n "$(find "$work/root" -name avpostConfig.cmake)" ]
echo "deb test: $(basename "$deb") unpacked and ran avpost --help; units, conffile and maintainer scripts in place"
