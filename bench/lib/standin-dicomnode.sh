#!/usr/bin/env bash
# A stand-in for `dicomnode dump`, to try bench/read-headers.sh before the real binary exists:
#   standin-dicomnode.sh dump [--headers-only] --tag GGGG,EEEE FILE...
# maps onto DCMTK's dcmdump. With STANDIN_BROKEN=1 it prints nothing, to check that the
# benchmark refuses a tool that does not print the element of every file.
set -euo pipefail
[ "${1:-}" = "dump" ] || { echo "usage: $0 dump [--headers-only] --tag GGGG,EEEE FILE..." >&2; exit 64; }
shift
opts=()
tag=""
while [ $# -gt 0 ]; do
  case "$1" in
    --headers-only) opts+=(+sb 7fe0,0010); shift ;;
    --tag) tag="$2"; shift 2 ;;
    *) break ;;
  esac
done
[ -n "$tag" ] || { echo "standin: --tag is required" >&2; exit 64; }
if [ "${STANDIN_BROKEN:-0}" = "1" ]; then exit 0; fi
exec /usr/bin/dcmdump -q "${opts[@]}" +P "$tag" "$@"
