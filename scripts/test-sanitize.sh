#!/usr/bin/env bash
# The C++ test suite under AddressSanitizer + UndefinedBehaviorSanitizer (preset `asan`,
# build/asan): core, Eigen engine, the ddpm CLI with its LibTorch parts, every C++ test, the
# fuzz targets' replays of their seeds and findings, and the limits test. Node/browser tests
# and the kill test are left to the normal build (they test JavaScript and process behaviour).
# Usage: scripts/test-sanitize.sh [extra ctest arguments]
# Env: DDPM_JOBS (build jobs, default 2).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build=build/asan

# -O1 -g1: the sanitizers' usual optimisation level with line tables for the reports; much
# cheaper to compile against LibTorch's headers than -O2 -g.
cmake --preset asan -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG" >/dev/null
cmake --build "$build" -j"${DDPM_JOBS:-2}"

# UBSan: every finding is fatal (-fno-sanitize-recover=undefined at compile time as well).
# ASan: LibTorch is not instrumented, so its containers' annotations do not match ours
# (detect_container_overflow=0); leaks are checked (LibTorch's static caches are freed at
# exit, so they do not show).
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_container_overflow=0:strict_string_checks=1:check_initialization_order=1:detect_stack_use_after_return=1
# every C++ test, the training ones included (about 2 minutes under ASan on 2 cores)
ctest --test-dir "$build" --output-on-failure -LE "node|browser|kill|fuzz$" "$@"
