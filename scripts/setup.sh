#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks and builds the shim into build/.
# Idempotent: when everything is present it only checks, and rebuilds what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: LibTorch and its headers, the threaded OpenBLAS (without it
# LibTorch falls back to reference BLAS, ~8x slower), the compiler and CMake,
# PyTorch for the reference numbers, Fashion-MNIST, and zlib for the C++ benchmark.
packages=(libtorch-dev libopenblas0-pthread cmake g++ python3-torch dataset-fashion-mnist zlib1g-dev libgloo-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  command="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages: ${missing[*]}" >&2
    echo "setup: run as root:  $command" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# npm packages (deno, bun, vitest, typescript), exactly as locked.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

# The shim: configured once, then rebuilt only where sources changed.
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build build -j "$(nproc)" >/dev/null
echo "setup: ready (build/libtorchffi.so)"
