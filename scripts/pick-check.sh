#!/usr/bin/env bash
# The end-to-end pick check of issue 14 (docs/study/ranking-budget.md, section 6): the main job made to search
# (--min-supernet-steps 0: at its 320 s budget it would otherwise retrain the prior pick), then its pick,
# the best reference cell under its FLOPs budget (3 seeds) and 10 random cells under the same budget (one
# seed each, drawn as random search draws them), all retrained with the main job's own recipe through the ML.NET
# trainer (same split, normalization, retraining, ONNX, evaluation). Each step resumes: the run is skipped when its
# run.json exists, the check skips rows already in its CSV.
#
#   scripts/pick-check.sh            # ~20 minutes on 2 idle cores
#
# Environment: THREADS (default 2), KSHOTNAS (the CLI command, default the repo's Release build).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-2}
read -r -a cli <<< "${KSHOTNAS:-dotnet $root/src/KShotNas.Cli/bin/Release/net10.0/kshotnas.dll}"
[[ -n ${KSHOTNAS:-} ]] || "$root/scripts/setup.sh"
run=out/pick-check/run
mkdir -p out/pick-check docs/study/pick-check
if [[ ! -f $run/run.json ]]; then
  /usr/bin/time -f "%e s, peak %M KiB" -o out/pick-check/run-time.txt "${cli[@]}" run --out "$run" --threads "$threads" --min-supernet-steps 0 | tee out/pick-check/run.log
fi
cp "$run/run.json" "$run/index.html" docs/study/pick-check/
[[ -f out/pick-check/run-time.txt ]] && cp out/pick-check/run-time.txt docs/study/pick-check/
"${cli[@]}" study pick-check --run "$run" --best 1 --threads "$threads" --out docs/study/pick-check/rows.csv --table docs/study/pick-check/table.md
