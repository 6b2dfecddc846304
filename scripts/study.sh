#!/usr/bin/env bash
# Reruns the ranking study (issue 7, docs/study/README.md). Every step is skipped when its output exists,
# so a cut-off study resumes where it stopped.
#
#   scripts/study.sh reference          # 60 cells x 2 seeds, stand-alone (hours), then the summary
#   scripts/study.sh supernets [SEED..] # every method at the equal budget, scored on the 60 cells
#   scripts/study.sh report             # table (docs/study/results.md), pictures (docs/study/images/), K-shot codes
#                                       # (docs/study/codes/, from the checkpoints in out/study)
#   scripts/study.sh diagnostics        # two checks of the set-up (docs/study/diagnostics/, from out/study)
#   scripts/study.sh all
#
# Environment: THREADS (libtorch threads per process, default 1 so reference and supernets can share the two
# cores), EPOCHS (the supernet budget, default 10 epochs of the 30,000-image supernet half), KSHOTNAS (the CLI
# command, default the repo's Release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-1}
epochs=${EPOCHS:-10}
study=docs/study
work=out/study            # checkpoints (ignored by git)
scores=$study/scores
costs=$study/costs.csv
read -r -a cli <<< "${KSHOTNAS:-dotnet $root/src/KShotNas.Cli/bin/Release/net10.0/kshotnas.dll}"
[[ -n ${KSHOTNAS:-} ]] || "$root/scripts/setup.sh"
mkdir -p "$work" "$scores"

reference() {
  # Fixed recipe, chosen by compute alone before any result was seen: 2 epochs on 30,000 images, cosine SGD with
  # the trainer's defaults. Cells run in a stride-7 order so a partial set still spans the complexity range.
  awk '{a[NR-1]=$0} END{for(i=0;i<NR;i++) print a[(i*7)%NR]}' $study/reference-archs.txt > "$work/reference-order.txt"
  "${cli[@]}" study reference --archs "$work/reference-order.txt" --seeds 0 1 --epochs 2 --train-images 30000 \
    --threads "$threads" --out $study/reference-runs.csv
  "${cli[@]}" study summary --runs $study/reference-runs.csv --out $study/reference.csv
}

# name -> supernet-train flags. K = 1 is SPOS by construction (the trainer builds no simplex-net), so it is not
# trained twice. The K-shot row with CaLR + MS uses K = 8, fixed in advance (the seeds' best K), not picked on results.
declare -A flags=(
  [spos]="--method Spos"
  [spos-calr]="--method Spos --calr"
  [spos-ms]="--method Spos --ms"
  [spos-calr-ms]="--method Spos --calr --ms"
  [fairnas]="--method FairNas"
  [fairnas-calr-ms]="--method FairNas --calr --ms"
  [kshot-k2]="--method Spos --k 2"
  [kshot-k4]="--method Spos --k 4"
  [kshot-k8]="--method Spos --k 8"
  [kshot-k8-calr-ms]="--method Spos --k 8 --calr --ms"
  [fsnas]="--method Spos"
  [fsnas-calr-ms]="--method Spos --calr --ms"
)
order=(spos spos-calr spos-ms spos-calr-ms kshot-k2 kshot-k4 kshot-k8 fsnas fsnas-calr-ms kshot-k8-calr-ms fairnas fairnas-calr-ms)

# Runs a command under /usr/bin/time and appends "method,seed,phase,seconds,peak_rss_mib" to the costs file.
timed() {
  local method=$1 seed=$2 phase=$3; shift 3
  local log=$work/time.$$.txt   # per process: two seeds may run side by side
  /usr/bin/time -f "%e %M" -o "$log" "$@"
  read -r secs kib < "$log"
  [[ -f $costs ]] || echo "method,seed,phase,seconds,peak_rss_mib" > $costs
  echo "$method,$seed,$phase,$secs,$((kib / 1024))" >> $costs
}

# Scores the 60 reference cells with CHECKPOINT on N ranking images into OUT, through OUT.tmp so that a stop leaves
# no half file; anything after the third argument is a prefix for the command (e.g. timed METHOD SEED PHASE).
score() {
  local ckpt=$1 out=$2 images=$3; shift 3
  "$@" "${cli[@]}" supernet-score --checkpoint "$ckpt" --archs $study/reference-archs.txt --rank-images "$images" \
    --threads "$threads" --out "$out.tmp"
  mv "$out.tmp" "$out"
}

# The metrics table and pictures of a folder of score files against the reference.
study_report() {
  "${cli[@]}" study report --reference $study/reference.csv --runs $study/reference-runs.csv --space nb201:fashion-small "$@"
}

# The cost phase of a run that continues a checkpoint: its wall time misses the part before the stop.
cost_phase() { if [[ -f $2 ]]; then echo "$1-resumed"; else echo "$1"; fi; }

train() {
  local method=$1 seed=$2 ckpt=$work/$1-s$2.safetensors
  local common=(--epochs "$epochs" --seed "$seed" --threads "$threads" --out "$ckpt")
  [[ -f $ckpt.done ]] && return
  if [[ $method == fsnas* ]]; then
    # Equal budget for few-shot: a one-shot supernet for half the epochs, then 5 sub-supernets (split on edge
    # 1<-0) for a tenth each, initialized from it (weight transfer), as FSNAS does.
    local one=$work/$1-s$2.oneshot.safetensors
    if [[ ! -f $one.done ]]; then
      timed "$method" "$seed" "$(cost_phase oneshot "$one")" "${cli[@]}" supernet-train ${flags[$method]} --epochs $((epochs / 2)) --seed "$seed" \
        --threads "$threads" --out "$one" --resume
      touch "$one.done"
    fi
    timed "$method" "$seed" "$(cost_phase train "$ckpt.sub0")" "${cli[@]}" supernet-train ${flags[$method]} --few-shot 0 --transfer-from "$one" \
      --epochs $((epochs / 10)) --seed "$seed" --threads "$threads" --out "$ckpt" --resume
  else
    timed "$method" "$seed" "$(cost_phase train "$ckpt")" "${cli[@]}" supernet-train ${flags[$method]} "${common[@]}" --resume
  fi
  touch "$ckpt.done"
}

supernets() {
  local seeds=("$@"); [[ ${#seeds[@]} -gt 0 ]] || seeds=(0)
  for seed in "${seeds[@]}"; do
    for method in "${order[@]}"; do
      local out=$scores/$method-s$seed.csv
      [[ -f $out ]] && continue
      train "$method" "$seed"
      score "$work/$method-s$seed.safetensors" "$out" 2048 timed "$method" "$seed" score
    done
  done
}

report() {
  # K-shot codes of 1,000 random paths per trained K-shot supernet (which of the K supernets the simplex-net uses)
  mkdir -p $study/codes
  for done in "$work"/kshot-*.safetensors.done; do
    [[ -f $done ]] || continue
    local ckpt=${done%.done} name; name=$(basename "$ckpt" .safetensors)
    [[ -f $study/codes/$name.svg ]] || "${cli[@]}" study codes --checkpoint "$ckpt" --out "$study/codes/$name" > /dev/null
  done
  study_report --scores $scores --costs $costs --out $study/results.md --images $study/images
}

# Two checks of the set-up, scored like the rest and tabled apart (docs/study/diagnostics/<check>/results.md):
# half-budget: the FSNAS one-shot phase is SPOS at half the budget (does more supernet training rank better here?);
# scoring-8192: the seed-0 supernet of every method scored on 8,192 instead of 2,048 images (is the scoring set too
# small, and does the order of the methods survive a larger one?).
diagnostics() {
  local d=$study/diagnostics
  mkdir -p $d/half-budget/scores $d/scoring-8192/scores
  local ckpt out
  for seed in 0 1 2; do
    ckpt=$work/fsnas-s$seed.oneshot.safetensors out=$d/half-budget/scores/spos-5ep-s$seed.csv
    [[ -f $ckpt.done && ! -f $out ]] && score "$ckpt" "$out" 2048
  done
  for method in "${order[@]}"; do
    ckpt=$work/$method-s0.safetensors out=$d/scoring-8192/scores/$method-s0.csv
    [[ -f $ckpt.done && ! -f $out ]] && score "$ckpt" "$out" 8192
  done
  for check in half-budget scoring-8192; do
    study_report --scores $d/$check/scores --out $d/$check/results.md --images $d/$check/images
  done
}

case ${1:-all} in
  reference) reference ;;
  supernets) shift; supernets "$@" ;;
  report) report ;;
  diagnostics) diagnostics ;;
  all) reference; supernets 0; report; diagnostics ;;
  *) echo "usage: scripts/study.sh reference|supernets [SEED...]|report|diagnostics|all" >&2; exit 2 ;;
esac
