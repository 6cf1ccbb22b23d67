#!/usr/bin/env bash
# Makes the fuzz targets' seed corpora from real files: MNIST IDX files (subsets of the
# downloaded ones, raw and gzip), a tiny model trained and exported by the built `ddpm`
# (weights JSON f32/f16, checkpoint), and real command lines for the CLI target.
# Usage: tests/fuzz/make_seeds.sh <ddpm binary> <out folder> [<data folder, default data/mnist>]
set -euo pipefail
ddpm=$(realpath "$1")
out=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
data=${3:-$root/data/mnist}
mkdir -p "$out"/{weights,idx,idx_gzip,checkpoint,cli}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# IDX: the first n images / labels of the real files, with the header's count set to n
idx_head() {  # <file> <n> <bytes per item> <header bytes> <out>
  python3 - "$@" <<'PY'
import struct, sys
src, n, item, header, dst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
b = open(src, 'rb').read()
open(dst, 'wb').write(b[:4] + struct.pack('>I', n) + b[8:header] + b[header:header + n * item])
PY
}
idx_head "$data/train-images-idx3-ubyte" 1 784 16 "$out/idx_gzip/images-1"
idx_head "$data/train-labels-idx1-ubyte" 3 1 8 "$out/idx_gzip/labels-3"
idx_head "$data/t10k-labels-idx1-ubyte" 40 1 8 "$out/idx_gzip/labels-40"
for f in "$out"/idx_gzip/*; do
  cp "$f" "$out/idx/$(basename "$f")"
  gzip -9 -n -c "$f" >"$out/idx/$(basename "$f").gz"
done

# a tiny model, really trained a few steps, its checkpoint and exports
"$ddpm" train --data "$data" --out "$work/run" --max-images 16 --base-channels 4 \
  --channel-mult 1 --res-blocks 1 --attention none --groups 2 --classes 10 --steps 2 \
  --batch 4 --timesteps 50 --sample-every 0 --threads 1 --quiet >/dev/null
"$ddpm" export "$work/run/checkpoint.ckpt" --out "$work/f16.json" --dtype f16 >/dev/null
cp "$work/run/model.json" "$out/weights/tiny-f32.json"
cp "$work/f16.json" "$out/weights/tiny-f16.json"
cp "$work/run/checkpoint.ckpt" "$out/checkpoint/tiny.ckpt"
"$ddpm" train --data "$data" --out "$work/run2" --max-images 8 --base-channels 2 \
  --channel-mult 1,2 --res-blocks 1 --attention 14 --groups 1 --classes 0 --steps 1 \
  --batch 2 --schedule cosine --timesteps 20 --sample-every 0 --threads 1 --quiet >/dev/null
cp "$work/run2/model.json" "$out/weights/tiny-cosine-uncond.json"
cp "$work/run2/checkpoint.ckpt" "$out/checkpoint/tiny-cosine-uncond.ckpt"

# CLI: real command lines, one argument per line (m.json: the fuzz target's sandboxed model)
i=0
while IFS= read -r line; do
  i=$((i + 1))
  printf '%s' "$line" | tr ' ' '\n' >"$out/cli/line-$i"
done <<'LINES'
schedule --schedule linear --timesteps 1000 --format json
schedule --schedule cosine --timesteps 20 --format csv
schedule --beta-start 0.0001 --beta-end 0.02 --timesteps 50
timesteps --sampler ddim --steps 50 --spacing leading --timesteps 1000
timesteps --sampler dpm++2m --steps 10 --spacing trailing
timesteps --sampler ddpm --steps 1000 --spacing linspace --timesteps 1000
sample --model m.json --n 2 --steps 4 --sampler ddim --eta 0.5 --out o.png --seed 3
sample --model m.json --n 1 --steps 8 --guidance 2 --label 3 --out o.png --raw o.raw --spacing trailing
sample --model m.json --n 4 --steps 2 --sampler dpm++2m --label random --batch 3 --columns 2 --frames . --out o.png
LINES
echo "seeds in $out: $(find "$out" -type f | wc -l) files"
