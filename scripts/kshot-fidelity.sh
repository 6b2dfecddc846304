#!/usr/bin/env bash
# K-shot after the fidelity fixes (docs/study/kshot-fidelity.md): K = 4 with the seeds' defaults (64 images per path
# in a simplex-net update, warm-up 5/120 of training) at the study's equal budget (10 epochs of the 30,000-image
# supernet half, SPOS sampling, cosine), scored on the study's 60 reference cells like every study row, against the
# study's own K = 1 (SPOS) and old K = 4 rows.
#
#   scripts/kshot-fidelity.sh train [SEED...]   # train, score and record codes for each seed (default 0); resumes
#   scripts/kshot-fidelity.sh report            # the table (docs/study/kshot-fidelity/results.md)
#   scripts/kshot-fidelity.sh codes             # code spread, collapse and edit-distance statistics of the study's K-shot
#                                               # codes (docs/study/codes/*.csv) and of untrained simplex-nets (codes-*.txt)
#
# Environment: THREADS (default 1), EPOCHS (default 10), KSHOTNAS (the CLI command, default the repo's Release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-1}
epochs=${EPOCHS:-10}
dir=docs/study/kshot-fidelity
work=out/kshot-fidelity
costs=$dir/costs.csv
read -r -a cli <<< "${KSHOTNAS:-dotnet $root/src/KShotNas.Cli/bin/Release/net10.0/kshotnas.dll}"
mkdir -p "$work" "$dir/scores" "$dir/codes"

timed() {
  local method=$1 seed=$2 phase=$3; shift 3
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@"
  read -r secs kib < "$work/time.txt"
  [[ -f $costs ]] || echo "method,seed,phase,seconds,peak_rss_mib" > $costs
  echo "$method,$seed,$phase,$secs,$((kib / 1024))" >> $costs
}

train() {
  local method=kshot-k4-fid
  for seed in "$@"; do
    local ckpt=$work/$method-s$seed.safetensors out=$dir/scores/$method-s$seed.csv
    if [[ ! -f $ckpt.done ]]; then
      timed $method "$seed" train "${cli[@]}" supernet-train --method Spos --k 4 --epochs "$epochs" --seed "$seed" --threads "$threads" \
        --out "$ckpt" --resume
      touch "$ckpt.done"
    fi
    if [[ ! -f $out ]]; then
      timed $method "$seed" score "${cli[@]}" supernet-score --checkpoint "$ckpt" --archs docs/study/reference-archs.txt --rank-images 2048 \
        --threads "$threads" --out "$out.tmp"
      mv "$out.tmp" "$out"
    fi
    [[ -f $dir/codes/$method-s$seed.txt ]] || "${cli[@]}" study codes --checkpoint "$ckpt" --out "$dir/codes/$method-s$seed" > "$dir/codes/$method-s$seed.txt"
  done
}

report() {
  # the study's K = 1 (SPOS) and old K = 4 rows beside the new one, same reference, same metrics code
  local all=$work/report-scores
  rm -rf "$all"; mkdir -p "$all"
  cp docs/study/scores/spos-s*.csv docs/study/scores/kshot-k4-s*.csv "$dir"/scores/*.csv "$all"/
  { cat docs/study/costs.csv; tail -n +2 $costs; } > $work/costs.csv
  "${cli[@]}" study report --reference docs/study/reference.csv --runs docs/study/reference-runs.csv --space nb201:fashion-small \
    --scores "$all" --costs $work/costs.csv --out $dir/results.md --images $dir/images
}

codes() {
  # the study's trained supernets (codes of 1,000 random paths each, written by scripts/study.sh report)
  for f in docs/study/codes/*.csv; do echo "== $(basename "$f" .csv)"; "${cli[@]}" study codes --from-csv "$f"; done > $dir/codes-study.txt
  # baseline: the same 1,000 paths through an untrained simplex-net (one warm-up step on 64 images never touches it)
  for k in 2 4 8; do
    "${cli[@]}" supernet-train --k $k --epochs 1 --train-images 64 --warmup-epochs 1 --seed 0 --threads "$threads" \
      --out "$work/init-k$k.safetensors" > /dev/null
    echo "== init-k$k"; "${cli[@]}" study codes --checkpoint "$work/init-k$k.safetensors" --out "$work/init-k$k"
  done > $dir/codes-untrained.txt
}

case ${1:-} in
  train) shift; [[ $# -gt 0 ]] || set -- 0; train "$@" ;;
  report) report ;;
  codes) codes ;;
  *) echo "usage: scripts/kshot-fidelity.sh train [SEED...]|report|codes" >&2; exit 2 ;;
esac
