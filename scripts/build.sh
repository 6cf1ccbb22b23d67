#!/usr/bin/env bash
# Configures and builds both configurations: build/native (CLI, tests, benchmarks) and
# build/wasm (the WebAssembly module, copied into web/). Set Torch_DIR or CMAKE_PREFIX_PATH
# to build against another LibTorch (e.g. a CUDA one).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
jobs=${DDPM_JOBS:-$(nproc)}

cmake --preset native >/dev/null
cmake --build --preset native -j "$jobs"

# Debian's Emscripten needs Debian's acorn on NODE_PATH.
export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
emcmake cmake --preset wasm >/dev/null
cmake --build --preset wasm -j "$jobs"
