#!/usr/bin/env bash
# Builds the self-contained demo folder to copy onto any static host (a course site, a
# sub-path, a plain folder): site/ by default. No server code, no special headers needed.
# Usage: bash scripts/site.sh [out_dir]     (DDPM_SKIP_BUILD=1 reuses web/wasm/ as it is)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-site}

# The wasm module (the build copies ddpm.js and ddpm.wasm into web/wasm/).
if [ "${DDPM_SKIP_BUILD:-0}" != 1 ]; then
  export NODE_PATH=${NODE_PATH:-/usr/share/nodejs}
  emcmake cmake --preset wasm >/dev/null
  cmake --build --preset wasm -j "${DDPM_JOBS:-2}"
fi
for f in web/wasm/ddpm.js web/wasm/ddpm.wasm; do
  [ -f "$f" ] || { echo "site: $f missing; build the wasm preset first" >&2; exit 1; }
done

# Assemble in a temporary folder, then swap it in: never a half-written site.
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp web/index.html web/ddpm-demo.js "$tmp/"
cp -r web/js web/data "$tmp/"
mkdir -p "$tmp/wasm" "$tmp/models"
cp web/wasm/ddpm.js web/wasm/ddpm.wasm "$tmp/wasm/"
cp web/models/index.json "$tmp/models/"
# the model files the list names
node -e '
  const fs = require("fs");
  const index = JSON.parse(fs.readFileSync("web/models/index.json", "utf8"));
  for (const m of index.models) {
    if (!fs.existsSync("web/models/" + m.file)) {
      console.error("site: web/models/" + m.file + " (listed in models/index.json) is missing");
      process.exit(1);
    }
    fs.copyFileSync("web/models/" + m.file, process.argv[1] + "/models/" + m.file);
  }' "$tmp"
chmod -R a+rX "$tmp"
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "site: $(du -sh "$out" | cut -f1) in $out/ (open $out/index.html through any web server)"
