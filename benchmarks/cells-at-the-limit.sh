#!/usr/bin/env bash
# Other cells against the ResNet cell, each pair side by side on the 2 cores (one thread each,
# OMP_WAIT_POLICY=PASSIVE), same rows, budget and seed: `benchmarks/cells-at-the-limit.sh CELLS ROWS BUDGET OUTDIR
# [MAX_FLOPS]`, CELLS a file of "SEED CELL" lines, MAX_FLOPS 3,000,000 unless given (the ResNet cell is its costliest
# variant under it). Pairs already done in OUTDIR are skipped; OUTDIR/summary.txt gets one line per pair (cell's
# accuracy, then the ResNet cell's). docs/benchmarks.md, "Other cells at the limit".
set -euo pipefail
[ $# -eq 4 ] || [ $# -eq 5 ] || { echo "usage: $0 CELLS ROWS BUDGET OUTDIR [MAX_FLOPS]" >&2; exit 2; }
cells=$(realpath "$1"); rows=$2; budget=$3; out=$4; flops=${5:-3000000}
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
dotnet build -c Release "$root/benchmarks/KShotNas.Benchmarks" -v quiet -nologo >/dev/null
bench=(dotnet "$root/benchmarks/KShotNas.Benchmarks/bin/Release/net10.0/KShotNas.Benchmarks.dll" mlnet --rows "$rows"
  --budgets "$budget" --contenders fixed --threads 1 --max-flops "$flops")
export OMP_WAIT_POLICY=PASSIVE
mkdir -p "$out" && cd "$out"
i=0
while read -r seed cell; do
  [ -z "${seed:-}" ] && continue
  i=$((i + 1)); tag="r$rows-b$budget-f$flops-p$i-s$seed"
  [ -f "$tag.done" ] && continue
  rm -f "$tag-cell.csv" "$tag-resnet.csv"
  "${bench[@]}" --seed "$seed" --fixed-arch "$cell" --out "$tag-cell.csv" > "$tag-cell.log" 2>&1 &
  a=$!
  "${bench[@]}" --seed "$seed" --out "$tag-resnet.csv" > "$tag-resnet.log" 2>&1 &
  b=$!
  wait "$a" "$b"
  echo "$tag $(tail -n 1 "$tag-cell.csv" | cut -d, -f5) vs $(tail -n 1 "$tag-resnet.csv" | cut -d, -f5) $cell" | tee -a summary.txt
  touch "$tag.done"
done < "$cells"
