#!/usr/bin/env bash
# Ranking against supernet budget and the K-shot ingredient experiments (issue 14, docs/study/ranking-budget.md).
# Every run trains on the 30,000-image supernet half and is scored on the study's 60 reference cells (2,048 ranking
# images, batch statistics), like every row of the ranking study, so rows compare directly with docs/study/results.md.
#
# Budgets are in path-epochs (one path's forward + backward over the 30,000 images), the unit of training compute:
# SPOS and K-shot train one path per step, FairNAS trains all 5 operations of an edge per step, so FairNAS at E epochs
# costs 5E path-epochs. The study's rows are 10 path-epochs (SPOS, K-shot) and 50 (FairNAS).
#
#   scripts/ranking-budget.sh train NAME SEED...   # train + score (resumes; skips what exists)
#   scripts/ranking-budget.sh rescore NAME SEED... # score the same checkpoints with per-path BN recalibration and
#                                                  # with 512 batch-statistics images (the scoring choice)
#   scripts/ranking-budget.sh report               # the tables (docs/study/ranking-budget/*.md)
#   scripts/ranking-budget.sh names                # the runs this script knows
#
# Environment: THREADS (default 1, so two runs share the two cores), KSHOTNAS (the CLI command, default the repo's
# Release build; point it at a copy when rebuilding while runs go on).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-1}
dir=docs/study/ranking-budget
work=out/ranking-budget
costs=$dir/costs.csv
read -r -a cli <<< "${KSHOTNAS:-dotnet $root/src/KShotNas.Cli/bin/Release/net10.0/kshotnas.dll}"
# 5,754,124 FLOPs: the main job's budget (60 % of the largest cell of nb201:fashion-small)
report_args=(study report --max-flops 5754124 --reference docs/study/reference.csv --runs docs/study/reference-runs.csv --space nb201:fashion-small)
mkdir -p "$work" "$dir/scores" "$dir/scores-recal" "$dir/scores-512" "$dir/scores-exact" "$dir/scores-b256" "$dir/codes"

# name -> supernet-train flags (epochs included). Path-epochs in the name where it differs from epochs.
declare -A flags=(
  # K-shot ingredients at the study's 10 path-epochs (K = 4, the seeds' groups and warm-up)
  [kshot-k4-lr4x]="--method Spos --k 4 --lr 0.1 --epochs 10"          # merged weights' step as K = 1's: lr x K
  [kshot-k4-slr16x]="--method Spos --k 4 --simplex-lr 0.8 --epochs 10" # simplex-net lr x 16 (16x fewer updates)
  [spos-lr4x]="--method Spos --lr 0.1 --epochs 10"                     # the control for lr x 4
  # budgets
  [fairnas-calr-ms-pe10]="--method FairNas --calr --ms --epochs 2"
  [fairnas-calr-ms-pe20]="--method FairNas --calr --ms --epochs 4"     # the main job's supernet
  [fairnas-calr-ms-pe30]="--method FairNas --calr --ms --epochs 6"
  [spos-pe20]="--method Spos --epochs 20"
  [kshot-k4-lr4x-pe20]="--method Spos --k 4 --lr 0.1 --epochs 20"
  [spos-pe30]="--method Spos --epochs 30"
  [spos-pe60]="--method Spos --epochs 60"
  [kshot-k4-lr4x-pe30]="--method Spos --k 4 --lr 0.1 --epochs 30"
  [kshot-k4-pe30]="--method Spos --k 4 --epochs 30"
  [kshot-k4-slr16x-pe30]="--method Spos --k 4 --simplex-lr 0.8 --epochs 30"
  # issue 20: K-shot on FairNAS + CaLR + MS at 50 and 100 path-epochs (FairNAS epochs x 5)
  [fairnas-calr-ms-pe100]="--method FairNas --calr --ms --epochs 20"
  # K-shot epochs -> path-epochs: warm-up epochs w (5/120 of E) train 5 paths a batch; after it, supernet batches (5 paths)
  # and simplex-net batches (1 path, forward and backward) alternate: 5w + 3(E - w) = 3.08 E, so E = 16 is 49 path-epochs.
  [kshot-k4-fairnas-pe50]="--method FairNas --calr --ms --k 4 --epochs 16"                     # the seeds' per-copy steps
  [kshot-k4-fairnas-onestep-pe50]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --epochs 16"
  [kshot-k4-fairnas-onestep-pe100]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --epochs 32"
  # own idea: K = 1 for the first 50 path-epochs (epoch 10 of the 100 path-epoch run, kept by `keep`), then K = 4 from it
  [kshot-k4-fairnas-onestep-split50]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --epochs 16 --copies-from $work/fairnas-calr-ms-pe100-s{seed}-e10.safetensors"
  # the simplex-net's two knobs at 50 path-epochs (issue 20), one-shot step: its lr x 4 and / 4, warm-up 4x and 1/2
  # of the seeds' 5/120 share (16 epochs: 0.67 by default; 2.67 costs 53 path-epochs, 0.33 costs 49)
  [kshot-k4-fairnas-onestep-slr4x-pe50]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --simplex-lr 0.2 --epochs 16"
  [kshot-k4-fairnas-onestep-slr025x-pe50]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --simplex-lr 0.0125 --epochs 16"
  [kshot-k4-fairnas-onestep-warm4x-pe50]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --warmup-epochs 2.6667 --epochs 16"
  [kshot-k4-fairnas-onestep-warm05x-pe50]="--method FairNas --calr --ms --k 4 --kshot-step OneShot --warmup-epochs 0.3333 --epochs 16"
)

timed() {
  local method=$1 seed=$2 phase=$3; shift 3
  local log=$work/time.$$.txt   # per process: two runs go side by side
  /usr/bin/time -f "%e %M" -o "$log" "$@"
  read -r secs kib < "$log"
  [[ -f $costs ]] || echo "method,seed,phase,seconds,peak_rss_mib" > $costs
  echo "$method,$seed,$phase,$secs,$((kib / 1024))" >> $costs
}

score() { # METHOD SEED PHASE CKPT OUT IMAGES [extra supernet-score flags...]: timed, through OUT.tmp so a stop leaves no half file
  local method=$1 seed=$2 phase=$3 ckpt=$4 out=$5 images=$6; shift 6
  timed "$method" "$seed" "$phase" "${cli[@]}" supernet-score --checkpoint "$ckpt" --archs docs/study/reference-archs.txt \
    --rank-images "$images" --threads "$threads" --out "$out.tmp" "$@"
  mv "$out.tmp" "$out"
}

train() {
  local name=$1; shift
  [[ -n ${flags[$name]:-} ]] || { echo "unknown run $name (see: $0 names)" >&2; exit 2; }
  for seed in "$@"; do
    local ckpt=$work/$name-s$seed.safetensors out=$dir/scores/$name-s$seed.csv
    if [[ ! -f $ckpt.done ]]; then
      local phase=train; [[ -f $ckpt ]] && phase=train-resumed
      # shellcheck disable=SC2086
      timed "$name" "$seed" $phase "${cli[@]}" supernet-train ${flags[$name]//\{seed\}/$seed} --seed "$seed" --threads "$threads" --out "$ckpt" --resume
      touch "$ckpt.done"
    fi
    [[ -f $out ]] || score "$name" "$seed" score "$ckpt" "$out" 2048
    if [[ $name == kshot* && ! -f $dir/codes/$name-s$seed.txt ]]; then
      "${cli[@]}" study codes --checkpoint "$ckpt" --out "$dir/codes/$name-s$seed" > "$dir/codes/$name-s$seed.txt"
    fi
  done
}

rescore() {
  local name=$1; shift
  for seed in "$@"; do
    local ckpt=$work/$name-s$seed.safetensors
    [[ -f $ckpt.done ]] || { echo "$ckpt is not trained yet" >&2; exit 2; }
    [[ -f $dir/scores-recal/$name-s$seed.csv ]] || score "$name" "$seed" score-recal "$ckpt" "$dir/scores-recal/$name-s$seed.csv" 2048 --norm Recalibrated
    [[ -f $dir/scores-512/$name-s$seed.csv ]] || score "$name" "$seed" score-512 "$ckpt" "$dir/scores-512/$name-s$seed.csv" 512 --eval-batch 512
  done
}

report() {
  # the study's own 10 and 50 path-epoch rows beside the new ones, same reference and metrics code
  local all=$work/report-scores
  rm -rf "$all"; mkdir -p "$all"
  cp docs/study/scores/spos-s*.csv docs/study/scores/fairnas-calr-ms-s*.csv docs/study/scores/kshot-k4-s*.csv "$all"/
  cp docs/study/kshot-fidelity/scores/*.csv "$dir"/scores/*.csv "$all"/
  { cat docs/study/costs.csv; tail -n +2 docs/study/kshot-fidelity/costs.csv; tail -n +2 $costs; } > $work/costs.csv
  "${cli[@]}" "${report_args[@]}" --scores "$all" --costs $work/costs.csv --out $dir/results.md --images $dir/images
  for variant in recal 512; do
    compgen -G "$dir/scores-$variant/*.csv" > /dev/null || continue
    "${cli[@]}" "${report_args[@]}" --scores "$dir/scores-$variant" --out $dir/results-$variant.md --images $dir/images-$variant
  done
}

step_of() { python3 -c 'import json,struct,sys; f=open(sys.argv[1],"rb"); n=struct.unpack("<Q",f.read(8))[0]; print(json.loads(f.read(n))["__metadata__"]["step"])' "$1" 2>/dev/null || echo -1; }

keep() { # NAME SEED EVERY: copy the run's checkpoint as NAME-sSEED-eEPOCH at every multiple of EVERY steps (epoch ends:
  # checkpoints are written there, and the next one comes >= 1 step later; polled every second) until the run is done
  local ckpt=$work/$1-s$2.safetensors every=$3
  while [[ ! -f $ckpt.done ]]; do
    local step; step=$([[ -f $ckpt ]] && step_of "$ckpt" || echo -1)
    local kept=$work/$1-s$2-e$((step / every)).safetensors
    if (( step > 0 && step % every == 0 )) && [[ ! -f $kept ]]; then
      cp "$ckpt" "$kept.tmp" && mv "$kept.tmp" "$kept"
      echo "kept step $step of $ckpt"
    fi
    sleep 1
  done
}

spread() { # NAME SEED: code spread and copy similarity at every kept epoch end (codes/NAME-sSEED-epochs.md)
  local out=$dir/codes/$1-s$2-epochs.md
  { echo "| epoch | mean std of lambda | max std | mean pairwise L1 | effective K per code | UsedK | r (edit vs code distance) | copies' mean cosine | uniform-mix norm / copy norm |"
    echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
    for f in $(ls "$work/$1-s$2"-e*.safetensors | sort -V); do
      local e=${f##*-e}; e=${e%.safetensors}
      local text; text=$(COLUMNS=1000 "${cli[@]}" study codes --checkpoint "$f" --out "$work/codes-tmp" | tr '\n' ' ')
      local w; w=$(python3 scripts/kshot-weights.py "$f")
      python3 - "$e" "$text" "$w" <<'PY'
import re, sys
e, t, w = sys.argv[1:]
n = lambda pat, s: re.search(pat, s).group(1)
print(f"| {e} | {n(r'mean std of lambda ([0-9.]+)', t)} | {n(r'max ([0-9.]+)', t)} | {n(r'pairwise L1 ([0-9.]+)', t)} | "
      f"{n(r'per code ([0-9.]+)', t)} | {n(r'mean code ([0-9.]+)', t)} | {n(r'r = (-?[0-9.]+)', t)} | {n(r'cosine ([0-9.]+)', w)} | {n(r'copy norm ([0-9.]+)', w)} |")
PY
    done; } > "$out"
  cat "$out"
}

batch256() { # CKPT...: the scoring choice of issue 19: every checkpoint scored exactly (statistics over all 2,048
  # images) and with each 256-image batch's own statistics (8 batches), side by side in results-batch256.md
  local b
  for ckpt in "$@"; do
    b=$(basename "$ckpt" .safetensors); b=$(sed -E 's/-s([0-9]+)(-e[0-9]+)?$/\2-s\1/' <<< "$b")  # seed last
    [[ -f $dir/scores-exact/$b.csv ]] || score "${b%-s*}" "${b##*-s}" score-exact "$ckpt" "$dir/scores-exact/$b.csv" 2048
    [[ -f $dir/scores-b256/$b.csv ]] || score "${b%-s*}" "${b##*-s}" score-b256 "$ckpt" "$dir/scores-b256/$b.csv" 2048 --eval-batch 256
  done
  { echo "# Scoring choice: exact batch statistics over 2,048 images against 8 batches of 256 (issue 19)"; echo
    echo "Generated by \`scripts/ranking-budget.sh batch256\`; the same checkpoints, the same 2,048 images, scored both ways."
    for v in exact b256; do
      echo; echo "## $v"; echo
      "${cli[@]}" "${report_args[@]}" --scores "$dir/scores-$v" --out "$work/batch256-$v.md" --images "$work/batch256-images-$v" > /dev/null
      grep '^|' "$work/batch256-$v.md"
    done; } > "$dir/results-batch256.md"
  cat "$dir/results-batch256.md"
}

case ${1:-} in
  train) shift; [[ $# -ge 2 ]] || { echo "usage: $0 train NAME SEED..." >&2; exit 2; }; train "$@" ;;
  rescore) shift; [[ $# -ge 2 ]] || { echo "usage: $0 rescore NAME SEED..." >&2; exit 2; }; rescore "$@" ;;
  report) report ;;
  keep) shift; [[ $# -eq 3 ]] || { echo "usage: $0 keep NAME SEED EVERY" >&2; exit 2; }; keep "$@" ;;
  batch256) shift; [[ $# -ge 1 ]] || { echo "usage: $0 batch256 CKPT..." >&2; exit 2; }; batch256 "$@" ;;
  spread) shift; [[ $# -eq 2 ]] || { echo "usage: $0 spread NAME SEED" >&2; exit 2; }; spread "$@" ;;
  names) for n in "${!flags[@]}"; do echo "$n: ${flags[$n]}"; done | sort ;;
  *) echo "usage: scripts/ranking-budget.sh train NAME SEED...|rescore NAME SEED...|report|batch256 CKPT...|keep NAME SEED EVERY|spread NAME SEED|names" >&2; exit 2 ;;
esac
