#!/usr/bin/env bash
# Installs this build into a temporary prefix, builds a project outside the tree against it with
# find_package(avpost) and again with pkg-config, runs both (each composes one frame), and runs
# the installed `avpost --help`. Usage: install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
set -euo pipefail
build=$1 source=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
"$prefix/bin/avpost" --help >/dev/null
echo "installed into $prefix: $(cd "$prefix" && find . -type f | wc -l) files"

cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_PREFIX_PATH="$prefix" >"$work/consumer-configure.log"
cmake --build "$work/consumer" >"$work/consumer-build.log"
"$work/consumer/compose_one_frame"

pc_dir=$(dirname "$(find "$prefix" -name avpost.pc | head -n 1)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs avpost)
g++ -std=c++23 -O0 -o "$work/compose_one_frame_pc" "$source/tests/install/consumer/compose_one_frame.cpp" $flags
"$work/compose_one_frame_pc"
echo "install test: find_package and pkg-config consumers both composed a frame"
