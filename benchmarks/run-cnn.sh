#!/usr/bin/env bash
# SmallCnn training throughput, KShotNas vs PyTorch eager (Debian python3-torch), in one run.
# Extra arguments go to the benchmark (e.g. --threads 1 --rounds 7).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing python3-torch (the benchmark's peer)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq python3-torch >/dev/null
fi
exec dotnet "$root/benchmarks/KShotNas.Benchmarks/bin/Release/net10.0/KShotNas.Benchmarks.dll" cnn "$@"
