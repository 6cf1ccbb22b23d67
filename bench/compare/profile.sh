#!/usr/bin/env bash
# Where the time goes: the wasm module relinked with function names (--profiling-funcs, same
# objects and flags) and profiled in Chromium through the DevTools protocol; the native Eigen
# engine under perf (cpu-clock samples) when its benchmark binary is built.
# Usage: bash bench/compare/profile.sh [wasm build folder, default build/wasm]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
wasm_build=${1:-build/wasm}
out=${DDPM_BENCH_OUT:-build/bench-compare}
engine_bench=${DDPM_ENGINE_BENCH:-build/native/bench/bench_forward}
model=${DDPM_BENCH_MODEL:-$out/models/default.json}
fail() { echo "bench/compare/profile.sh: $*" >&2; exit 2; }
[ -f "$wasm_build/build.ninja" ] || fail "$wasm_build is not a built wasm configuration"
[ -f "$model" ] || fail "$model not found: run bench/compare/run.sh first (or DDPM_BENCH_MODEL)"

# relink ddpm.js/.wasm with a name section into $out/profiling-wasm (web/wasm is left alone)
prof=$root/$out/profiling-wasm
mkdir -p "$prof"
link=$(ninja -C "$wasm_build" -t commands ddpm_wasm | grep -- '-o wasm/module/ddpm.js' | tail -1)
[ -n "$link" ] || fail "no link command for ddpm_wasm in $wasm_build/build.ninja"
link=${link#: && }
link=${link%% && cd *}
link=${link/-o wasm\/module\/ddpm.js/--profiling-funcs -o $prof\/ddpm.js}
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}  # Debian's acorn, for em++
(cd "$wasm_build" && eval "$link")

# Chromium: self time per wasm module and the hottest functions of ours, batch 16 only
DDPM_WASM_MODULE_DIR=$prof node bench/compare/browser-bench.mjs --model "$model" \
  --rounds 5 --batches 16 --profile "$out/chromium.cpuprofile"

# native: perf's cpu-clock samples of the engine benchmark (hardware counters are not
# exposed in this VM), Eigen cases at batch 16, one thread
if [ -x "$engine_bench" ]; then
  perf record -e cpu-clock -g -o "$out/engine.perf.data" -- "$engine_bench" \
    --benchmark_filter='Eigen.*batch:16/threads:1' --benchmark_min_time=2 >/dev/null
  perf report -i "$out/engine.perf.data" --no-children --sort symbol -g none \
    --percent-limit 1 --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | cut -c1-150
fi
