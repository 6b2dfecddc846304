#!/usr/bin/env bash
# Builds the C ABI shim (native/) against Debian's libtorch. Incremental: a no-op when up to date.
# Called by `dotnet build` (KShotNas.Torch.csproj) and by scripts/setup.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
torch_dir=${KSHOTNAS_TORCH_CMAKE_DIR:-/usr/lib/x86_64-linux-gnu/cmake/Torch}
if [ ! -f "$torch_dir/TorchConfig.cmake" ]; then
  echo "error: libtorch's CMake config was not found at $torch_dir." >&2
  echo "error: install the prerequisites with ./scripts/setup.sh (needs libtorch-dev), or set KSHOTNAS_TORCH_CMAKE_DIR." >&2
  exit 1
fi
for tool in cmake g++; do
  command -v "$tool" >/dev/null || { echo "error: $tool is missing: run ./scripts/setup.sh" >&2; exit 1; }
done
build="$root/native/build"
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$root/native" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$torch_dir" >"$build.configure.log" 2>&1 \
    || { cat "$build.configure.log" >&2; exit 1; }
fi
# A failed compile must stop here: filtering its output through grep would hide the status and leave the old library.
if ! cmake --build "$build" -j"$(nproc)" >"$build/build.log" 2>&1; then cat "$build/build.log" >&2; exit 1; fi
grep -vE '^\[|^Consolidate|^-- ' "$build/build.log" || true
test -f "$build/libkshotnas_torch.so" || { echo "error: native build produced no libkshotnas_torch.so" >&2; exit 1; }
