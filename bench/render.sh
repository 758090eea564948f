#!/usr/bin/env bash
# Render benchmark: `dicomnode render` against DCMTK `dcmj2pnm` on one 512x512 16-bit CT slice
# (pydicom-data's 693_UNCI.dcm: 14 bits stored, signed, rescaled, with a window).
#
# For PNG and JPEG, full size and a 128x128 thumbnail, it prints
#   - dicomnode in process: `render --repeat N` (hidden flag) times N renders of the already
#     decoded frame — Modality LUT, window, resize, encoding — and prints ms per render;
#   - whole process, dicomnode and dcmj2pnm, each run RUNS times on the warm file: ms per run,
#     and the ratio dcmj2pnm / dicomnode.
# JPEG rows say "n/a" while the codec registry has no JPEG Baseline encoder.
#
#   bench/render.sh [--dicomnode PATH] [--file DICOM] [--repeat N] [--runs N]
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
DICOMNODE="$ROOT/.build/release/dicomnode"
DCMJ2PNM=${DCMJ2PNM:-/usr/bin/dcmj2pnm}
FILE=""
REPEAT=200
RUNS=20

while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    --file) FILE="$2"; shift 2 ;;
    --repeat) REPEAT="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "render: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$FILE" ]; then
  FILE=$(python3 -c "import data_store, os; print(os.path.join(os.path.dirname(data_store.__file__), 'data', '693_UNCI.dcm'))")
fi
[ -x "$DICOMNODE" ] || { echo "render: no binary $DICOMNODE" >&2; exit 2; }
[ -x "$DCMJ2PNM" ] || { echo "render: no $DCMJ2PNM" >&2; exit 2; }
[ -f "$FILE" ] || { echo "render: no file $FILE" >&2; exit 2; }
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

# ms per run of a command, averaged over RUNS runs after one warm-up.
per_run_ms() {
  "$@" >/dev/null 2>&1 || return 1
  local start end
  start=$(date +%s%N)
  for _ in $(seq "$RUNS"); do "$@" >/dev/null 2>&1; done
  end=$(date +%s%N)
  awk -v t=$((end - start)) -v n="$RUNS" 'BEGIN { printf "%.2f", t / n / 1e6 }'
}

echo "file: $FILE"
printf '%-22s %16s %16s %16s %8s\n' "case" "in-process ms" "dicomnode ms" "dcmj2pnm ms" "ratio"
for fmt in png jpg; do
  for size in full thumb; do
    ours=(render "$FILE" --out "$OUT/ours.$fmt")
    theirs=(+Wi 1)
    [ "$fmt" = png ] && theirs+=(+on) || theirs+=(+oj +Jq 90)
    if [ "$size" = thumb ]; then ours+=(--size 128x128); theirs+=(+Sxv 128); fi
    if ! inproc=$("$DICOMNODE" "${ours[@]}" --repeat "$REPEAT" 2>/dev/null | awk '/ms per render/ { print $2 }'); then
      printf '%-22s %16s\n' "$fmt $size" "n/a (no encoder)"
      continue
    fi
    ourproc=$(per_run_ms "$DICOMNODE" "${ours[@]}")
    dcmtk=$(per_run_ms "$DCMJ2PNM" "${theirs[@]}" "$FILE" "$OUT/dcmtk.$fmt")
    ratio=$(awk -v a="$dcmtk" -v b="$ourproc" 'BEGIN { printf "%.2f", a / b }')
    printf '%-22s %16s %16s %16s %8s\n' "$fmt $size" "$inproc" "$ourproc" "$dcmtk" "$ratio"
  done
done
