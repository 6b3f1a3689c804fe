#!/usr/bin/env bash
# Installs this build into a temporary prefix, builds a project outside the tree against it with
# find_package(avpost) and again with pkg-config, runs both (each composes one frame), and runs
# the installed `avpost --help`. Usage: install_test.sh BUILD_DIR SOURCE_DIR WORK_DIR
# CONSUMER_FLAGS: compile and link flags the outside project needs too (a sanitizer build's
# libraries call into the sanitizer runtime, so their users must link it).
set -euo pipefail
build=$1 source=$2 work=$3
consumer_flags=${CONSUMER_FLAGS:-}
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
"$prefix/bin/avpost" --help >/dev/null
echo "installed into $prefix: $(cd "$prefix" && find . -type f | wc -l) files"

cmake -S "$source/tests/install/consumer" -B "$work/consumer" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_CXX_FLAGS="$consumer_flags" -DCMAKE_EXE_LINKER_FLAGS="$consumer_flags" \
  >"$work/consumer-configure.log"
cmake --build "$work/consumer" >"$work/consumer-build.log"
"$work/consumer/compose_one_frame"

pc_dir=$(dirname "$(find "$prefix" -name avpost.pc | head -n 1)")
flags=$(PKG_CONFIG_PATH=$pc_dir pkg-config --cflags --libs avpost)
g++ -std=c++23 -O0 $consumer_flags -o "$work/compose_one_frame_pc" "$source/tests/install/consumer/compose_one_frame.cpp" $flags
"$work/compose_one_frame_pc"
echo "install test: find_package and pkg-config consumers both composed a frame"
