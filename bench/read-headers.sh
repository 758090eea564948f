#!/usr/bin/env bash
# Read benchmark: dicomnode vs DCMTK dcmdump vs pydicom on one synthetic CT series.
#
# Generates (once, cached) a series of 512x512 16-bit CT slices with pydicom, then, on the same
# files with a warm page cache, times each tool reading all files in ONE process, headers-only and
# fully, plus `cat` as the page-cache limit. Prints a table (files/s, MB/s, peak RSS), the ratios
# dicomnode/peer and a Markdown copy of the figures. Every tool must print the Patient's Name of
# every file (lines are counted), so a broken binary cannot win.
#
#   bench/read-headers.sh [--dicomnode PATH] [--data DIR] [--files N] [--runs N]
#                         [--json FILE] [--results DIR] [--require-aims]
#
# Exit status: 0 all tools checked out; 1 a tool did not print the element of every file (or
# --require-aims and an aim was missed); 2 usage or setup error. See bench/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIB="$HERE/lib"

DICOMNODE="$ROOT/.build/release/dicomnode"
FILES=500
DATA=""
RUNS=10
JSON_OUT=""
RESULTS=""
REQUIRE_AIMS=0
DCMDUMP=${DCMDUMP:-/usr/bin/dcmdump}
PYTHON=${PYTHON:-python3}
TAG="0010,0010"
PATIENT_NAME="BENCH^CTSERIES"   # what make_ct_series.py writes into (0010,0010)

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "read-headers: $*" >&2; exit 2; }
log() { echo "read-headers: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    --data) DATA="$2"; shift 2 ;;
    --files) FILES="$2"; shift 2 ;;
    --runs) RUNS="$2"; shift 2 ;;
    --json) JSON_OUT="$2"; shift 2 ;;
    --results) RESULTS="$2"; shift 2 ;;
    --require-aims) REQUIRE_AIMS=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$FILES" =~ ^[1-9][0-9]*$ ]] || die "--files must be a positive integer"
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || die "--runs must be a positive integer"
DATA=${DATA:-${TMPDIR:-/tmp}/dicomnode-bench/ct$FILES}

# --- tools ------------------------------------------------------------------------------------
command -v hyperfine >/dev/null || die "hyperfine not found (Scripts/install-deps.sh installs it)"
[ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install time; Scripts/install-deps.sh)"
[ -x "$DCMDUMP" ] || die "dcmdump not found at $DCMDUMP (apt-get install dcmtk)"
PYTHON=$(command -v "$PYTHON") || die "python3 not found"
"$PYTHON" -c "import pydicom, numpy" 2>/dev/null || die "$PYTHON cannot import pydicom and numpy"
# The interpreter itself, not a wrapper such as a pyenv shim (which would add its own start-up).
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)')
[ -x "$DICOMNODE" ] || die "dicomnode binary not found at $DICOMNODE (swift build -c release, or --dicomnode PATH)"
DICOMNODE=$(cd "$(dirname "$DICOMNODE")" && pwd)/$(basename "$DICOMNODE")

# --- data (generated once, cached) ------------------------------------------------------------
GEN_VERSION=$(sed -n 's/^GENERATOR_VERSION = "\(.*\)"$/\1/p' "$LIB/make_ct_series.py")
MARKER=".dicomnode-bench"
WANT="generator=$GEN_VERSION files=$FILES"
if [ "$(cat "$DATA/$MARKER" 2>/dev/null || true)" != "$WANT" ]; then
  if [ -d "$DATA" ] && [ ! -f "$DATA/$MARKER" ] && [ -n "$(ls -A "$DATA")" ]; then
    die "$DATA exists, is not empty and was not made by this script; choose another --data"
  fi
  log "generating $FILES CT slices in $DATA (once) ..."
  mkdir -p "$(dirname "$DATA")"
  TMPGEN=$(mktemp -d "$DATA.tmp.XXXXXX")
  "$PYTHON" "$LIB/make_ct_series.py" --out "$TMPGEN" --count "$FILES"
  echo "$WANT" > "$TMPGEN/$MARKER"
  rm -rf "$DATA"
  mv "$TMPGEN" "$DATA"
fi
cd "$DATA"
mapfile -t LIST < <(find . -maxdepth 1 -name 'CT*.dcm' -printf '%f\n' | LC_ALL=C sort)
[ "${#LIST[@]}" -eq "$FILES" ] || die "$DATA holds ${#LIST[@]} CT*.dcm files, expected $FILES; delete it"
TOTAL_BYTES=$(du -cb -- "${LIST[@]}" | tail -1 | cut -f1)

if [ -n "$RESULTS" ]; then
  mkdir -p "$RESULTS"; R=$(cd "$RESULTS" && pwd)
else
  R=$(mktemp -d "${TMPDIR:-/tmp}/read-headers.XXXXXX"); trap 'rm -rf "$R"' EXIT
fi
printf 'id\ttool\tmode\tgroup\tcommand\tlines\texpected\tstatus\n' > "$R/cases.tsv"

# Warm the page cache: every measurement below reads from memory, not from the disk.
cat -- "${LIST[@]}" > /dev/null

FAILED=0
# q ARG...: the arguments as one command line for `hyperfine -N` (which splits it like a POSIX
# shell): plain words as they are, anything else in single quotes.
q() {
  local a out=()
  for a in "$@"; do
    if [[ "$a" =~ ^[A-Za-z0-9_./,+:=@%-]+$ ]]; then out+=("$a"); else out+=("'${a//\'/\'\\\'\'}'"); fi
  done
  printf '%s' "${out[*]}"
}

# run_case ID TOOL MODE GROUP EXPECT OUTPUT -- ARGV... (the file list is appended)
#   EXPECT: lines with the patient name the tool must print (0: no check, e.g. cat)
#   OUTPUT: hyperfine --output mode (pipe: read and discard the tool's stdout; null: /dev/null)
# The check runs the very command line that is timed, through hyperfine, once, under
# /usr/bin/time -v for the peak RSS.
run_case() {
  local id=$1 tool=$2 mode=$3 group=$4 expect=$5 output=$6; shift 7
  local cmd rc lines status=ok check_output="$R/$id.out"
  cmd=$(q "$@" "${LIST[@]}")
  [ "$expect" -gt 0 ] || check_output=null   # nothing to count: do not store what cat copies
  log "$id: checking output ..."
  hyperfine -N -i --runs 1 --style none --output "$check_output" --export-json "$R/$id.check.json" \
    -- "$(q /usr/bin/time -v -o "$R/$id.time") $cmd" >/dev/null 2>&1 || true
  rc=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["exit_codes"][0])' \
    "$R/$id.check.json" 2>/dev/null || echo unknown)
  lines=$(grep -cF -- "$PATIENT_NAME" "$R/$id.out" 2>/dev/null || true)
  lines=${lines:-0}
  if [ "$rc" != 0 ]; then
    status="exit-$rc"
  elif [ "$expect" -gt 0 ] && [ "$lines" -ne "$expect" ]; then
    status="printed-$lines-of-$expect"
  fi
  if [ "$status" != ok ]; then
    FAILED=1
    log "$id: FAILED ($status): $tool must exit 0 and print (0010,0010) [$PATIENT_NAME] once per file; stderr:"
    { "$@" "${LIST[@]}" 2>&1 >/dev/null || true; } | head -5 >&2
  else
    log "$id: timing ($RUNS runs) ..."
    hyperfine -N --warmup 1 --runs "$RUNS" --output="$output" --style basic \
      --export-json "$R/$id.json" -n "$tool ($mode)" -- "$cmd" >&2
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$tool" "$mode" "$group" \
    "$(q "$@") <${#LIST[@]} files>" "$lines" "$expect" "$status" >> "$R/cases.tsv"
}

N=$FILES
# Headers only. dcmdump has two ways to skip pixel data: +sb 7fe0,0010 (stop parsing before
# Pixel Data) and -M (do not load values longer than 4 KB). Both are measured; the ratio uses the
# faster. -q drops the warning +sb prints per file. pydicom: dcmread(stop_before_pixels=True).
run_case dicomnode-headers "dicomnode" "headers-only" dicomnode-headers "$N" pipe -- \
  "$DICOMNODE" dump --headers-only --tag "$TAG"
run_case dcmdump-headers-sb "dcmdump +sb 7fe0,0010" "headers-only" dcmdump-headers "$N" pipe -- \
  "$DCMDUMP" -q +sb 7fe0,0010 +P "$TAG"
run_case dcmdump-headers-M "dcmdump -M" "headers-only" dcmdump-headers "$N" pipe -- \
  "$DCMDUMP" -q -M +P "$TAG"
run_case pydicom-headers "pydicom stop_before_pixels" "headers-only" pydicom-headers "$N" pipe -- \
  "$PYTHON" "$LIB/pydicom_read.py" --headers-only
# Full read: pixel data loaded into memory. dcmdump's default +M loads all values.
run_case dicomnode-full "dicomnode" "full" dicomnode-full "$N" pipe -- \
  "$DICOMNODE" dump --tag "$TAG"
run_case dcmdump-full "dcmdump (+M, default)" "full" dcmdump-full "$N" pipe -- \
  "$DCMDUMP" -q +P "$TAG"
run_case pydicom-full "pydicom + ds.PixelData" "full" pydicom-full "$N" pipe -- \
  "$PYTHON" "$LIB/pydicom_read.py"
# The limit: copying the files out of the page cache.
run_case pagecache-cat "cat > /dev/null" "page cache" pagecache 0 null -- cat --
# Context: the fixed cost of starting Python and importing pydicom (no file read).
run_case pydicom-startup "python3 -c 'import pydicom'" "startup only" none 0 pipe -- \
  "$PYTHON" -c "import pydicom; import sys; sys.argv"

# --- report -----------------------------------------------------------------------------------
DN_VERSION=$(timeout 10 "$DICOMNODE" --version 2>/dev/null | head -1 || true)
BENCH_FILES=$FILES BENCH_BYTES=$TOTAL_BYTES BENCH_RUNS=$RUNS BENCH_DATA=$DATA \
BENCH_DICOMNODE_VERSION=${DN_VERSION:-unknown} \
BENCH_DCMDUMP_VERSION=$("$DCMDUMP" --version | head -1 | tr -d '$') \
BENCH_HYPERFINE_VERSION=$(hyperfine --version | awk '{print $NF}') \
"$PYTHON" - "$R/info.json" <<'EOF'
import json, os, platform, sys
import pydicom
e = os.environ
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.machine())
info = dict(
    files=int(e["BENCH_FILES"]), total_bytes=int(e["BENCH_BYTES"]), runs=int(e["BENCH_RUNS"]),
    data=e["BENCH_DATA"], machine=f"{os.cpu_count()} × {cpu}, Linux {platform.release()}",
    versions={"dicomnode": e["BENCH_DICOMNODE_VERSION"].strip() or "unknown",
              "dcmdump": e["BENCH_DCMDUMP_VERSION"].strip(), "pydicom": pydicom.__version__,
              "python": platform.python_version(), "hyperfine": e["BENCH_HYPERFINE_VERSION"]})
with open(sys.argv[1], "w") as f:
    json.dump(info, f, indent=2)
EOF

REPORT_ARGS=(--results "$R")
[ -n "$JSON_OUT" ] && REPORT_ARGS+=(--json "$JSON_OUT")
"$PYTHON" "$LIB/report.py" "${REPORT_ARGS[@]}" | tee "$R/report.txt"

if [ "$FAILED" -ne 0 ]; then
  log "FAILED: a tool did not print (0010,0010) for every file (see the check column)"
  exit 1
fi
if [ "$REQUIRE_AIMS" -eq 1 ] && grep -q "NOT met" "$R/report.txt"; then
  log "an aim was not met"
  exit 1
fi
