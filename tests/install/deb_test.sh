#!/usr/bin/env bash
# Packs this build with CPack into Debian packages, checks the program's package name and
# Depends, unpacks it with dpkg -x into a temporary root and runs its `avpost --help` (the
# libraries are static: nothing of avpost's needs LD_LIBRARY_PATH). Usage: deb_test.sh BUILD_DIR WORK_DIR
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
for lib in libavcodec libavformat libcurl libsqlite3 libssl libc6; do
  grep -q "$lib" <<<"$depends" || { echo "Depends lacks $lib"; exit 1; }
done
dpkg-deb -f "$dev" Depends | grep -q "avpost (= $version)"
dpkg -x "$deb" "$work/root"
"$work/root/usr/bin/avpost" --help >"$work/help.txt"
grep -q "serve" "$work/help.txt"
# The man page and the bash completion come with the program.
[ -f "$work/root/usr/share/man/man1/avpost.1" ] || { echo "the package lacks the man page"; exit 1; }
[ -f "$work/root/usr/share/bash-completion/completions/avpost" ] || { echo "the package lacks the completion"; exit 1; }
dpkg -x "$dev" "$work/root"
[ -f "$work/root/usr/include/avpost/archive/gallery.hpp" ] && [ -n "$(find "$work/root" -name avpostConfig.cmake)" ]
echo "deb test: $(basename "$deb") unpacked and ran avpost --help"
