#!/usr/bin/env bash
# Reproduces the tables of docs/benchmarks.md: our wasm module vs TensorFlow.js and
# onnxruntime-web (node, Chromium), the Eigen engine vs LibTorch, ddpm train vs PyTorch Python.
# Usage: scripts/build.sh && bash bench/compare/run.sh   (results in build/bench-compare/)
# Environment: DDPM_CLI (ddpm binary), DDPM_ENGINE_BENCH (the engine's Google Benchmark
# binary), DDPM_WASM_MODULE_DIR (ddpm.js/.wasm), DDPM_BENCH_MODEL (trained weights file),
# DDPM_BENCH_ROUNDS (runs per forward figure, default 9), DDPM_BENCH_TRAIN_RUNS (default 5),
# DDPM_BENCH_TRAIN_STEPS (steps per training run, the first 5 are warm-up; default 20),
# DDPM_BENCH_TRAIN_THREADS (default "1 2"), DDPM_BENCH_PARTS (default "forward native train";
# a part that runs replaces its earlier results), DDPM_BENCH_OUT (results folder).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${DDPM_BENCH_OUT:-build/bench-compare}
cli=${DDPM_CLI:-build/native/native/ddpm}
engine_bench=${DDPM_ENGINE_BENCH:-build/native/bench/bench_forward}
trained=${DDPM_BENCH_MODEL:-web/models/mnist-base12.json}
rounds=${DDPM_BENCH_ROUNDS:-9}
train_runs=${DDPM_BENCH_TRAIN_RUNS:-5}
train_steps=${DDPM_BENCH_TRAIN_STEPS:-20}
train_threads=${DDPM_BENCH_TRAIN_THREADS:-1 2}
parts=" ${DDPM_BENCH_PARTS:-forward native train} "
part() { [[ $parts == *" $1 "* ]]; }
python=/usr/bin/python3  # Debian's python3, where python3-torch installs
here=bench/compare

fail() { echo "bench/compare/run.sh: $*" >&2; exit 2; }

# prerequisites: PyTorch's Python API from Debian (installed on demand), npm packages, builds
if ! "$python" -c 'import torch' 2>/dev/null; then
  echo "installing Debian's python3-torch (for the PyTorch comparison and the ONNX export)"
  [ "$(id -u)" = 0 ] || fail "python3-torch is missing: run apt-get install python3-torch as root"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3-torch
fi
[ -d node_modules/@tensorflow/tfjs-backend-wasm ] && [ -d node_modules/onnxruntime-web ] ||
  fail "npm packages missing: run npm ci"
[ -x "$cli" ] || fail "$cli not found: run scripts/build.sh (or set DDPM_CLI)"
[ -f "${DDPM_WASM_MODULE_DIR:-web/wasm}/ddpm.wasm" ] ||
  fail "${DDPM_WASM_MODULE_DIR:-web/wasm}/ddpm.wasm not found: run scripts/build.sh"
[ -f "$trained" ] || fail "$trained not found: set DDPM_BENCH_MODEL to a weights file"
[ -f data/mnist/train-images-idx3-ubyte ] || [ -f data/mnist/train-images-idx3-ubyte.gz ] ||
  fail "data/mnist not found: run scripts/data.sh"
mkdir -p "$out"

load() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(load)

# models: the trained one the page ships, and a base-32 model with random weights
# (bench/compare/torch_unet.py's DEFAULT_MODEL, about 7x the default model's cost)
mkdir -p "$out/models"
cp "$trained" "$out/models/trained.json"
(cd "$here" && "$python" random_weights.py --out "$root/$out/models/base32-random.json")
for tag in trained base32-random; do
  (cd "$here" && "$python" export_onnx.py "$root/$out/models/$tag.json" \
                                          --out "$root/$out/models/$tag.onnx")
done

# in-browser engines, ms per forward, one thread: node, then Chromium
part forward && rm -f "$out"/node-*.json "$out"/chromium-*.json
part forward && for tag in trained base32-random; do
  m=$out/models/$tag
  node --no-experimental-fetch $here/node-bench.mjs --model "$m.json" --onnx "$m.onnx" \
       --rounds "$rounds" --out "$out/node-$tag.json"
  node $here/browser-bench.mjs --model "$m.json" --onnx "$m.onnx" --rounds "$rounds" \
       --out "$out/chromium-$tag.json"
done

# native forward: the engine's Google Benchmark binary (bench/), Eigen vs LibTorch
if ! part native; then
  :
elif [ -x "$engine_bench" ]; then
  rm -f "$out/engine.json"
  # the same random-weight base-32 model as the forward tables above
  DDPM_BENCH_MODEL=$out/models/base32-random.json \
  "$engine_bench" --benchmark_repetitions=5 --benchmark_format=console \
                  --benchmark_out="$out/engine.json" --benchmark_out_format=json
else
  echo "skipping the native engine benchmark: $engine_bench not built (DDPM_ENGINE_BENCH)"
fi

# training images/s: ddpm train vs the same loop in PyTorch's Python API, runs interleaved
model=$("$python" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["model"]))' \
        "$out/models/trained.json")
# the trained model's architecture as ddpm train flags
read -r base groups mult attention < <("$python" -c '
import json, sys
m = json.loads(sys.argv[1])
print(m["base_channels"], m["groups"], ",".join(map(str, m["channel_mult"])),
      ",".join(map(str, m["attention_resolutions"])) or "none")' "$model")
what="batch 64, the trained model's configuration (base $base)"
part train && for threads in $train_threads; do
  sed -i "/\"threads\":$threads,/d" "$out/train.jsonl" 2>/dev/null || true
  for run in $(seq "$train_runs"); do
    dir=$out/train/ddpm-$threads-$run
    rm -rf "$dir"
    "$cli" train --data data/mnist --out "$dir" --device cpu --threads "$threads" \
      --base-channels "$base" --groups "$groups" --channel-mult "$mult" \
      --attention "$attention" --steps "$train_steps" --batch 64 --lr 1e-3 \
      --log-every "$train_steps" \
      --checkpoint-every 0 --sample-every 0 --quiet
    ips=$(grep -o '[0-9.]* img/s' "$dir/train.log" | tail -1 | cut -d' ' -f1)
    echo "{\"impl\":\"ddpm\",\"threads\":$threads,\"images_per_second\":$ips," \
         "\"steps\":$train_steps,\"what\":\"$what\"}" | tee -a "$out/train.jsonl"
    py=$(cd "$here" && "$python" train_bench.py --data "$root/data/mnist" --model "$model" \
                                                --threads "$threads" --steps "$train_steps")
    ips=$("$python" -c 'import json,sys; print(json.loads(sys.argv[1])["images_per_second"])' \
          "$py")
    echo "{\"impl\":\"python\",\"threads\":$threads,\"images_per_second\":$ips," \
         "\"steps\":$train_steps}" | tee -a "$out/train.jsonl"
  done
done

# machine, load, versions; then the tables
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
torch_version=$("$python" -c 'import torch; print(torch.__version__)')
cat > "$out/machine.json" <<JSON
{"cpu": "$cpu", "cores": $(nproc), "date": "$(date -u +%Y-%m-%dT%H:%MZ)",
 "load_before": "$load_before", "load_after": "$(load)", "python_torch": "$torch_version"}
JSON
node $here/table.mjs "$out" | tee "$out/table.md"
