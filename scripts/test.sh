#!/usr/bin/env bash
# The project's test command (README): installs what is missing, builds the native and the
# wasm configurations, runs every test kind through ctest, then the C++ suite again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and a short libFuzzer run of every parser.
# DDPM_QUICK=1 stops after the first ctest run (the sanitizer and fuzz stages take ~15 min).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build/native --output-on-failure "$@"
[ "${DDPM_QUICK:-0}" = 1 ] && exit 0

echo "test: the C++ suite under ASan + UBSan (build/asan)"
bash scripts/test-sanitize.sh
echo "test: every parser fuzzed for 20 s (build/fuzz)"
bash scripts/fuzz.sh 20
