#!/usr/bin/env bash
# Installs every Debian and npm package the project needs on a fresh Debian 12 machine.
# Idempotent: packages already present are left alone. Run as root (or with sudo available).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

debian_packages=(
  build-essential cmake ninja-build pkg-config git
  libtorch-dev libeigen3-dev nlohmann-json3-dev catch2 libcli11-dev libstb-dev zlib1g-dev
  libbenchmark-dev
  emscripten
  chromium
  dataset-fashion-mnist
  clang-14 libclang-rt-14-dev libfuzzer-14-dev
)

# apt: install only what is missing, so a second run costs a few seconds.
missing=()
for p in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# node and npm: any Node.js >= 18 with npm will do (a nodesource build conflicts with Debian's
# npm package, so Debian's are installed only when no node is present).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# npm: the versions pinned in package-lock.json, into node_modules/ (git-ignored).
if [ -f "$root/package-lock.json" ]; then
  if [ ! -d "$root/node_modules" ] || [ "$root/package-lock.json" -nt "$root/node_modules" ]; then
    echo "setup: installing npm packages"
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error)
    touch "$root/node_modules"
  else
    echo "setup: npm packages present"
  fi
fi
