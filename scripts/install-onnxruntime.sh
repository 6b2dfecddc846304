#!/usr/bin/env bash
# Installs ONNX Runtime's native library (libonnxruntime.so.1) into native/onnxruntime/ from the npm package
# onnxruntime-node@1.30.0: `npm pack` downloads the tarball only (no install scripts run), and one file is extracted.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/native/onnxruntime"
version=1.30.0
[ -f "$dest/libonnxruntime.so.1" ] && [ "$(cat "$dest/VERSION" 2>/dev/null)" = "$version" ] && exit 0
command -v npm >/dev/null || { echo "error: npm is needed to fetch onnxruntime-node@$version (apt-get install npm)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "onnxruntime-node@$version" --silent >/dev/null)
tar -xzf "$work/onnxruntime-node-$version.tgz" -C "$work" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
mkdir -p "$dest"
mv "$work/package/bin/napi-v6/linux/x64/libonnxruntime.so.1" "$dest/libonnxruntime.so.1"
echo "$version" > "$dest/VERSION"
echo "setup: installed ONNX Runtime $version into native/onnxruntime/"
