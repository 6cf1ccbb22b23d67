#!/usr/bin/env bash
# The project's test command (README): installs what is missing, builds the native and the
# wasm configurations, and runs every test kind through ctest.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build/native --output-on-failure "$@"
