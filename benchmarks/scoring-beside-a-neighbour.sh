#!/usr/bin/env bash
# Scoring's speed beside a noisy neighbour: `benchmarks/scoring-beside-a-neighbour.sh OUTDIR [REPEATS] [ROUNDS]`.
# Machines of this kind share their host, so a co-tenant's load is one way the same job runs at different speeds.
# Scoring runs with one thread on CPU 0 while CPU 1 is idle, runs arithmetic, or streams memory (neighbour/neighbour.c),
# the three conditions alternating, REPEATS times (3 unless given), each a scoring benchmark of ROUNDS rounds (4) with
# the one-batch configurations (the default, glibc's allocator, a pass per edge) and the convolutions alone.
# OUTDIR/summary.txt gets one line per run: the condition and what the neighbour took, each configuration's ms a path
# (median of rounds 2 and later), and the default's path-by-path ratio to its convolutions.
# Write-up: docs/benchmarks.md, "Beside a noisy neighbour, and with transparent huge pages".
set -euo pipefail
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 OUTDIR [REPEATS] [ROUNDS]" >&2; exit 2; }
out=$1; repeats=${2:-3}; rounds=${3:-4}
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
dotnet build -c Release "$root/benchmarks/KShotNas.Benchmarks" -v quiet -nologo >/dev/null
mkdir -p "$out" && out=$(realpath "$out")
gcc -O3 -march=native -Wall -Wextra -o "$out/neighbour" "$root/benchmarks/neighbour/neighbour.c"
bench=(taskset -c 0 dotnet "$root/benchmarks/KShotNas.Benchmarks/bin/Release/net10.0/KShotNas.Benchmarks.dll" scoring
  --threads 1 --paths 8 --rounds "$rounds" --only "one batch")
export OMP_WAIT_POLICY=PASSIVE
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
for r in $(seq 1 "$repeats"); do
  for condition in none compute memory; do
    log="$out/r$r-$condition.log"
    hog=""
    if [ "$condition" != none ]; then
      taskset -c 1 "$out/neighbour" "$condition" > "$out/r$r-$condition.neighbour" &
      hog=$!
      sleep 2
    fi
    "${bench[@]}" > "$log" 2>&1 || { [ -n "$hog" ] && kill "$hog"; echo "benchmark failed, see $log" >&2; exit 1; }
    took="idle"
    if [ -n "$hog" ]; then
      kill "$hog"; wait "$hog" || true
      took=$(awk '{s+=$2; n++; u=$3} END {if (n) printf "%.1f %s", s/n, u}' "$out/r$r-$condition.neighbour")
    fi
    # "round N NAME  T ms/path ...": medians of rounds 2 and later, per configuration (the conv-only forward included).
    rows=$(sed -nE 's/^round ([0-9]+) (.*[^ ]) +([0-9]+) ms\/path.*/\1|\2|\3/p' "$log" | awk -F'|' '$1 > 1')
    line="repeat $r, neighbour $condition ($took):"
    while IFS= read -r name; do
      line="$line $name $(grep -F "|$name|" <<< "$rows" | cut -d'|' -f3 | median) ms;"
    done < <(cut -d'|' -f2 <<< "$rows" | sort -u)
    ratio=$(grep -o "over their convolutions' x[0-9.]*" "$log" | grep -o "x[0-9.]*")
    echo "$line default path by path $ratio" | tee -a "$out/summary.txt"
  done
done
