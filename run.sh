#!/usr/bin/env bash
# The main job: set up (if needed), then `kshotnas run` with any extra arguments.
set -euo pipefail
root=$(cd "$(dirname "$0")" && pwd)
"$root/scripts/setup.sh" src/KShotNas.Cli/KShotNas.Cli.csproj
exec dotnet "$root/src/KShotNas.Cli/bin/Release/net10.0/kshotnas.dll" run "$@"
