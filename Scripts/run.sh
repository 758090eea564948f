#!/usr/bin/env bash
# Installs what is needed, builds dicomnode in release mode and runs it.
# With no arguments it runs the node's default job; arguments are passed to `dicomnode`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash Scripts/install-deps.sh
swift build -c release -Xswiftc -enable-testing
BIN="$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/dicomnode"
if [ "$#" -eq 0 ]; then
  # `dicomnode serve` arrives with the DIMSE server; until then the default job lists what the node does.
  exec "$BIN" --help
fi
exec "$BIN" "$@"
