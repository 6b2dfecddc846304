#!/usr/bin/env bash
# Benchmarks against PyTorch eager (Debian python3-torch), each a ratio in one run: `benchmarks/run.sh cnn|supernet|scoring|probe|kshot|inference [options]`.
# Options: --threads N --batch B --steps S --warmup W --rounds R; scoring: --paths P (speed, memory, roofline of batch-statistics scoring).
# `benchmarks/run.sh probe --threads 2 --steps 100 --rounds 3`: the time budget's supernet-step probe against the trainer's own rate.
# `benchmarks/run.sh mlnet [--rows 1000,6000,60000] [--budgets 60,300,900] [--contenders ...] [--shares S,Q,R] [--seed S] [--fixed-arch CELL] [--out CSV]`:
# accuracy and fit time against ML.NET's own trainers on the same rows (resumes: cells already in the CSV are skipped);
# --fixed-arch trains another cell as the contender "fixed" (docs/benchmarks.md, "Other cells at the limit").
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing python3-torch (the benchmark's peer)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq python3-torch >/dev/null
fi
exec dotnet "$root/benchmarks/KShotNas.Benchmarks/bin/Release/net10.0/KShotNas.Benchmarks.dll" "$@"
