#!/usr/bin/env bash
# Installs what is needed, builds dicomnode in release mode and runs it.
# With no arguments it runs `dicomnode serve` on its embedded defaults (AE DICOMNODE, DIMSE port
# 11112, data under ./dicomnode-data); arguments are passed to `dicomnode` instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build -c release -Xswiftc -enable-testing
BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dicomnode"
if [ "$#" -eq 0 ]; then
  exec "$BIN" serve
fi
exec "$BIN" "$@"
