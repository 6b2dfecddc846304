#!/usr/bin/env bash
# Data-parallel scaling on this machine (a benchmark, not a test): supernet training at one global batch with
# 1 process x 1 thread, 1 process x 2 threads and 2 processes x 1 thread (kshotnas launch), alternating rounds;
# supernet scoring with 1 and 2 processes; all-reduce latency by buffer size. Numbers go to docs/distributed.md.
# Usage: benchmarks/distributed.sh [ROUNDS]   (env IMAGES, EPOCHS, SAMPLE, RANK_IMAGES override the sizes)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
k="dotnet $root/src/KShotNas.Cli/bin/Release/net10.0/kshotnas.dll"
rounds=${1:-2}
images=${IMAGES:-8192}; epochs=${EPOCHS:-1}; sample=${SAMPLE:-32}; rank_images=${RANK_IMAGES:-2048}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
train() { # label, threads, then the command prefix; prints the training time the command reports (data loading excluded)
  local label=$1 threads=$2; shift 2
  local out; out=$("$@" supernet-train --threads "$threads" --train-images "$images" --epochs "$epochs" --batch-size 64 --out "$work/sn.safetensors" 2>&1) \
    || { echo "$out" >&2; exit 1; }
  echo "$out" | grep -E '[0-9]+ steps, |collectives; gradient bucket' | sed "s/^/$label: /"
}
score() {
  local label=$1 threads=$2; shift 2
  local out; out=$("$@" supernet-score --threads "$threads" --checkpoint "$work/sn.safetensors" --sample "$sample" --rank-images "$rank_images" --out "$work/s.csv" 2>&1) \
    || { echo "$out" >&2; exit 1; }
  echo "$out" | grep -E 'architectures scored' | sed "s/^/$label: /"
}
echo "== supernet training: SPOS, nb201:fashion-small, $images images, global batch 64, $epochs epoch(s)"
for r in $(seq "$rounds"); do
  train "1 proc x 1 thread " 1 $k
  train "1 proc x 2 threads" 2 $k
  train "2 procs x 1 thread" 1 $k launch --nproc 2 --
done
echo "== scoring: $sample architectures on $rank_images ranking images"
for r in $(seq "$rounds"); do
  score "1 proc x 1 thread " 1 $k
  score "1 proc x 2 threads" 2 $k
  score "2 procs x 1 thread" 1 $k launch --nproc 2 --
done
echo "== all-reduce latency, 2 ranks on loopback"
$k launch --nproc 2 -- dotnet "$root/benchmarks/KShotNas.Benchmarks/bin/Release/net10.0/KShotNas.Benchmarks.dll" allreduce | grep 'rank 0'
