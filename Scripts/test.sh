#!/usr/bin/env bash
# Installs what is needed, builds once (release), runs the unit tests and the conformance scripts.
# This is the README's test command and what .ci/run calls.
set -euo pipefail
cd "$(dirname "$0")/.."

bash Scripts/install-deps.sh

# One release build serves the unit tests and the conformance scripts (ENVIRONMENT.md: build once).
BUILD_FLAGS=(-c release -Xswiftc -enable-testing)
echo "== swift build ${BUILD_FLAGS[*]}"
swift build "${BUILD_FLAGS[@]}"
BIN="$(swift build "${BUILD_FLAGS[@]}" --show-bin-path)/dicomnode"

echo "== swift test"
swift test "${BUILD_FLAGS[@]}"

echo "== conformance"
status=0
for script in conformance/*.sh conformance/*.py; do
  [ -e "$script" ] || continue
  case "$(basename "$script")" in test_*) continue ;; esac
  echo "-- $script"
  case "$script" in
    *.py) python3 "$script" --dicomnode "$BIN" || status=1 ;;
    *.sh) bash "$script" "$BIN" || status=1 ;;
  esac
done
if compgen -G "conformance/test_*.py" >/dev/null; then
  echo "-- pytest conformance/test_*.py"
  python3 -m pytest -q conformance || status=1
fi
exit $status
