#!/usr/bin/env bash
# One-shot set-up for a fresh Debian machine: installs what is missing, builds the native shim and
# the .NET solution (Release). Fast and quiet when everything is already there.
# Usage: setup.sh [PROJECT]: build only PROJECT and what it references (run.sh builds the CLI alone, which saved
# about 45 s of a fresh ./run.sh: the tests, benchmarks and samples are not needed to run the job).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
target=${1:-KShotNas.sln}

packages=(libtorch-dev libgloo-dev libopenblas0-pthread cmake g++ dataset-fashion-mnist libonnx-dev python3-onnx)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK (dotnet) is required but not on PATH" >&2; exit 1; }

bash scripts/build-native.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
if ! dotnet build "$target" -c Release -v quiet -nologo >"$log" 2>&1; then
  cat "$log" >&2; rm -f "$log"; exit 1
fi
rm -f "$log"
