#!/usr/bin/env bash
# One command from a fresh clone to the demo in a browser: installs what is missing, builds
# native and wasm, fetches the data, trains a model of your own (CUDA when present, else a
# CPU preset of about 10 minutes on 2 cores), and serves the page with the shipped models and
# the new one.
#
# Usage: bash scripts/quickstart.sh            (DDPM_PORT=8000, DDPM_JOBS=nproc, DDPM_THREADS)
#        DDPM_PRESET=cpu|cuda|skip              (force a preset; skip = no training)
#        DDPM_SKIP_BUILD=1 DDPM_BIN=path/ddpm   (reuse what is installed and built)
# The local model goes to data/quickstart/ (git-ignored); the page is served from
# build/quickstart-site/, a copy of web/ whose models/index.json also lists the local model.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
port=${DDPM_PORT:-8000}
threads=${DDPM_THREADS:-$(nproc)}
say() { printf '\nquickstart [%4ds]: %s\n' "$(($(date +%s) - start))" "$*"; }
case "${DDPM_PRESET:-}" in
  ""|cpu|cuda|skip) ;;
  *) echo "quickstart: DDPM_PRESET=$DDPM_PRESET: expected cpu, cuda or skip" >&2; exit 2 ;;
esac
case "$port" in
  ""|*[!0-9]*) echo "quickstart: DDPM_PORT=$port: expected a port number" >&2; exit 2 ;;
esac

if [ "${DDPM_SKIP_BUILD:-0}" != 1 ]; then
  say "1/5 packages (scripts/setup.sh)"
  bash scripts/setup.sh
  say "2/5 native and wasm builds (scripts/build.sh)"
  bash scripts/build.sh
fi
ddpm=${DDPM_BIN:-build/native/native/ddpm}

say "3/5 data (scripts/data.sh)"
bash scripts/data.sh

# 4. training: the CUDA preset when a GPU and a CUDA LibTorch are there, else the CPU one
preset=${DDPM_PRESET:-}
if [ -z "$preset" ]; then
  preset=cpu
  command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1 && preset=cuda
fi
run=data/quickstart/run
# the default architecture (docs/model.md: base 12, the page's default model) and recipe
common=(--data data/mnist --export-dtype f16 --seed 0)
train_cpu() {
  say "4/5 training on CPU ($threads threads): base 12, 2000 steps of 64 (about 10 min)"
  "$ddpm" train "${common[@]}" --out "$run" --device cpu --threads "$threads" \
    --steps 2000 --sample-every 0
}
# a model from an earlier quickstart run is kept (DDPM_RETRAIN=1 trains a new one)
if [ -f "$run/model.json" ] && [ "${DDPM_RETRAIN:-0}" != 1 ] && [ "$preset" != skip ]; then
  say "4/5 training skipped: $run/model.json exists (DDPM_RETRAIN=1 to train again)"
  preset=skip
elif [ "$preset" != skip ]; then
  rm -rf "$run"
fi
case "$preset" in
  cuda)
    say "4/5 training on CUDA: base 32, 20000 steps of 128 images"
    if ! "$ddpm" train "${common[@]}" --out "$run" --device cuda --base-channels 32 \
        --groups 8 --batch 128 --steps 20000 --sample-every 5000; then
      echo "quickstart: CUDA training failed (a CPU-only LibTorch? set Torch_DIR to a CUDA" \
           "one and rebuild); training on CPU instead" >&2
      rm -rf "$run"
      preset=cpu
      train_cpu
    fi ;;
  cpu) train_cpu ;;
  skip) ;;
  *) echo "quickstart: DDPM_PRESET=$preset: expected cpu, cuda or skip" >&2; exit 2 ;;
esac

# 5. the site: web/ as it is (DDPM_SKIP_BUILD: the wasm was built above), plus the local model
say "5/5 site with the shipped models and yours"
site=build/quickstart-site
DDPM_SKIP_BUILD=1 bash scripts/site.sh "$site"
if [ -f "$run/model.json" ]; then
  cp "$run/model.json" "$site/models/local.json.tmp"
  mv "$site/models/local.json.tmp" "$site/models/local.json"
  node -e '
    const fs = require("fs");
    const file = process.argv[1] + "/models/index.json";
    const index = JSON.parse(fs.readFileSync(file, "utf8"));
    index.models.push({ file: "local.json", name: "MNIST digits (yours, from quickstart)" });
    fs.writeFileSync(file + ".tmp", JSON.stringify(index, null, 2) + "\n");
    fs.renameSync(file + ".tmp", file);' "$site"
fi
if ! python3 -c 'import socket, sys; socket.socket().bind(("127.0.0.1", int(sys.argv[1])))' \
    "$port" 2>/dev/null; then
  echo "quickstart: port $port is in use (or not a port): set DDPM_PORT to a free one, e.g." \
       "DDPM_PORT=8001 DDPM_SKIP_BUILD=1 bash scripts/quickstart.sh" >&2
  exit 2
fi
say "ready: open http://127.0.0.1:$port/ (Ctrl-C stops the server)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$site"
