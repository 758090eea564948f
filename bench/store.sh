#!/usr/bin/env bash
# Store benchmark: dicomnode serve vs DCMTK storescp vs Orthanc, receiving C-STORE from storescu.
#
# On the same data and the same disk, in one run:
#   (0) the disk's limit: N_SLICES files of one slice's size, each written and fsync'd in turn;
#   (0b) the sender's ceiling: the series over one association to storescp writing into tmpfs;
#   then for each server (dicomnode serve, /usr/bin/storescp --fork, /usr/sbin/Orthanc):
#   (1) one /usr/bin/storescu association sending an N_SLICES-slice CT series (512x512, 16-bit,
#       ~515 KiB per file), and
#   (2) PARALLEL storescu processes at once, N_TOTAL distinct instances in all.
# Prints instances/s, MB/s, peak RSS (GNU time's maximum resident set size of the server and its
# children), the ratios dicomnode/fsync-limit, dicomnode/Orthanc, dicomnode/storescp and a compact
# table. Every server must have stored every instance (counted in its index or output folder),
# or its row is marked FAILED and the script exits 1. A benchmark, not a test: CI does not run it.
#
#   bench/store.sh [--dicomnode PATH] [--work DIR] [--skip-orthanc]
#   env: N_SLICES (500), N_TOTAL (4000), PARALLEL (8), DICOMNODE, BENCH_DIR, SETTLE_SECONDS (35)
#   quick run: N_SLICES=50 N_TOTAL=400 SETTLE_SECONDS=0 bench/store.sh
#
# Between steps the script deletes what the previous step wrote (thousands of files), then waits
# SETTLE_SECONDS before the next server starts. On ext4 without a journal (this machine's root
# filesystem) an inode deleted in the last 30–35 s is "recently deleted": the allocator skips it,
# so every file created in that window scans past all of them (recently_deleted() and a buffer
# lookup per skipped inode, a quarter of a receiver's CPU in `perf`), a cost that falls on
# whichever server runs right after a deletion. Waiting gives each server the same settled disk.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIB="$HERE/lib"

DICOMNODE=${DICOMNODE:-$ROOT/.build/release/dicomnode}
N_SLICES=${N_SLICES:-500}
N_TOTAL=${N_TOTAL:-4000}
PARALLEL=${PARALLEL:-8}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/dicomnode-bench/store}
SKIP_ORTHANC=0
SETTLE_SECONDS=${SETTLE_SECONDS:-35}
ORTHANC=/usr/sbin/Orthanc
STORESCU=/usr/bin/storescu
STORESCP=/usr/bin/storescp
ECHOSCU=/usr/bin/echoscu
PYTHON=${PYTHON:-python3}

usage() { sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "store-bench: $*" >&2; exit 2; }
log() { echo "store-bench: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    --skip-orthanc) SKIP_ORTHANC=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$N_SLICES" =~ ^[1-9][0-9]*$ ]] || die "N_SLICES must be a positive integer"
[[ "$PARALLEL" =~ ^[1-9][0-9]*$ ]] || die "PARALLEL must be a positive integer"
[[ "$N_TOTAL" =~ ^[1-9][0-9]*$ ]] && [ $((N_TOTAL % PARALLEL)) -eq 0 ] \
  || die "N_TOTAL must be a positive multiple of PARALLEL ($PARALLEL)"
PER_ASSOC=$((N_TOTAL / PARALLEL))

[ -x "$DICOMNODE" ] || die "dicomnode not found at $DICOMNODE (swift build -c release, or --dicomnode PATH)"
DICOMNODE=$(cd "$(dirname "$DICOMNODE")" && pwd)/$(basename "$DICOMNODE")
for tool in "$STORESCU" "$STORESCP" "$ECHOSCU" /usr/bin/time; do
  [ -x "$tool" ] || die "$tool not found (apt-get install dcmtk time)"
done
if [ "$SKIP_ORTHANC" -eq 0 ] && [ ! -x "$ORTHANC" ]; then
  log "Orthanc not installed: apt-get install -y orthanc"
  DEBIAN_FRONTEND=noninteractive apt-get install -y orthanc >/dev/null 2>&1 || die "could not install orthanc (or use --skip-orthanc)"
fi
"$PYTHON" -c "import pydicom, numpy" 2>/dev/null || die "$PYTHON cannot import pydicom and numpy"

# DCMTK and Orthanc leave Nagle on otherwise and stall ~40 ms per message (ENVIRONMENT.md).
export TCP_NODELAY=1

# --- data (generated once, cached) ----------------------------------------------------------
GEN_VERSION=$(sed -n 's/^GENERATOR_VERSION = "\(.*\)"$/\1/p' "$LIB/make_ct_series.py")
SERIES="$WORK/data/series-$N_SLICES"
PARTS="$WORK/data/parallel-$PARALLEL-x-$PER_ASSOC"
mkdir -p "$WORK/data"
if [ "$(cat "$SERIES/.marker" 2>/dev/null || true)" != "generator=$GEN_VERSION files=$N_SLICES" ]; then
  log "generating $N_SLICES CT slices in $SERIES (once) ..."
  rm -rf "$SERIES" && mkdir -p "$SERIES"
  "$PYTHON" "$LIB/make_ct_series.py" --out "$SERIES" --count "$N_SLICES"
  echo "generator=$GEN_VERSION files=$N_SLICES" > "$SERIES/.marker"
fi
if [ "$(cat "$PARTS/.marker" 2>/dev/null || true)" != "from=$N_SLICES parts=$PARALLEL per=$PER_ASSOC" ]; then
  log "writing $PARALLEL x $PER_ASSOC distinct instances in $PARTS (once) ..."
  rm -rf "$PARTS" && mkdir -p "$PARTS"
  "$PYTHON" "$LIB/clone_series.py" --src "$SERIES" --out "$PARTS" --copies "$PARALLEL" --per-copy "$PER_ASSOC"
  echo "from=$N_SLICES parts=$PARALLEL per=$PER_ASSOC" > "$PARTS/.marker"
fi
mapfile -t SERIES_FILES < <(find "$SERIES" -maxdepth 1 -name 'CT*.dcm' | LC_ALL=C sort)
[ "${#SERIES_FILES[@]}" -eq "$N_SLICES" ] || die "$SERIES holds ${#SERIES_FILES[@]} files, expected $N_SLICES"
SERIES_BYTES=$(du -cb "${SERIES_FILES[@]}" | tail -1 | cut -f1)
PARTS_BYTES=$(find "$PARTS" -name 'CT*.dcm' -printf '%s\n' | awk '{s+=$1} END {print s}')
SLICE_SIZE=$(stat -c %s "${SERIES_FILES[0]}")
# Warm the page cache with what storescu reads, so that the senders read from memory.
cat "${SERIES_FILES[@]}" > /dev/null
find "$PARTS" -name 'CT*.dcm' -exec cat {} + > /dev/null

STORE="$WORK/run"
rm -rf "$STORE" && mkdir -p "$STORE"
RESULTS="$STORE/results.tsv"
printf 'server\tcase\tfiles\tbytes\tseconds\tstored\texpected\trss_kib\n' > "$RESULTS"
SERVER_PID=""
TIME_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then kill "$SERVER_PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

wait_echo() {  # PORT AET
  local i
  for i in $(seq 1 300); do
    if "$ECHOSCU" -aec "$2" -to 2 127.0.0.1 "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

# start_server CMD...: runs the server under GNU time (peak RSS incl. forked children); sets
# TIME_PID and SERVER_PID (the server itself, the child of time).
start_server() {
  local name=$1; shift
  /usr/bin/time -v -o "$STORE/$name.time" "$@" > "$STORE/$name.log" 2>&1 &
  TIME_PID=$!
  local i
  for i in $(seq 1 50); do
    SERVER_PID=$(pgrep -P "$TIME_PID" | head -1 || true)
    [ -n "$SERVER_PID" ] && return 0
    sleep 0.1
  done
  die "$name did not start (see $STORE/$name.log)"
}

stop_server() {  # NAME: SIGTERM, wait, and set RSS (peak resident set size, KiB)
  local name=$1
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  wait "$TIME_PID" 2>/dev/null || true
  SERVER_PID=""
  RSS=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$STORE/$name.time")
}

# settle: let the inodes deleted by the previous step stop being "recently deleted" (see the top).
settle() {
  sync
  if [ "$SETTLE_SECONDS" -gt 0 ]; then
    log "waiting ${SETTLE_SECONDS}s for deleted inodes to settle ..."
    sleep "$SETTLE_SECONDS"
  fi
}

# run_cases NAME AET PORT COUNT_FUNCTION: the single-association and the parallel case.
run_cases() {
  local name=$1 aet=$2 port=$3 count_fn=$4 t0 t1 stored k pids=() rc=0
  sync
  t0=$(now)
  "$STORESCU" -aec "$aet" 127.0.0.1 "$port" "${SERIES_FILES[@]}" > "$STORE/$name.single.out" 2>&1 || rc=$?
  t1=$(now)
  stored=$($count_fn)
  [ "$rc" -eq 0 ] || log "$name: storescu exit $rc (see $STORE/$name.single.out)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$name" "1 assoc" "$N_SLICES" "$SERIES_BYTES" \
    "$(elapsed "$t0" "$t1")" "$stored" "$N_SLICES" >> "$RESULTS"
  sync
  rc=0
  t0=$(now)
  for k in $(seq 0 $((PARALLEL - 1))); do
    "$STORESCU" -aec "$aet" 127.0.0.1 "$port" +sd "$PARTS/part-$k" > "$STORE/$name.part$k.out" 2>&1 &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || rc=$?; done
  t1=$(now)
  stored=$($count_fn)
  [ "$rc" -eq 0 ] || log "$name: a storescu exited $rc (see $STORE/$name.part*.out)"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "$name" "$PARALLEL assoc" "$N_TOTAL" "$PARTS_BYTES" \
    "$(elapsed "$t0" "$t1")" "$stored" "$((N_SLICES + N_TOTAL))" >> "$RESULTS"
}

set_rss() {  # NAME RSS: fill the rss column of the server's rows
  "$PYTHON" - "$RESULTS" "$1" "$2" <<'EOF'
import sys
path, name, rss = sys.argv[1:]
lines = open(path).read().splitlines()
out = [lines[0]] + [l + rss if l.split("\t")[0] == name and l.endswith("\t") else l for l in lines[1:]]
open(path, "w").write("\n".join(out) + "\n")
EOF
}

# --- (0) the disk's limit -------------------------------------------------------------------
log "fsync limit: $N_SLICES files of $SLICE_SIZE bytes, write + fsync each, best of 3 ..."
settle
FS_SECONDS=""
for attempt in 1 2 3; do
  sync
  read -r _ FS_FILES _ secs _ FS_BYTES < <("$PYTHON" "$LIB/fsync_limit.py" --dir "$STORE/fsync" \
    --count "$N_SLICES" --size "$SLICE_SIZE")
  rm -rf "$STORE/fsync"
  if [ -z "$FS_SECONDS" ] || awk -v a="$secs" -v b="$FS_SECONDS" 'BEGIN { exit !(a < b) }'; then
    FS_SECONDS=$secs
  fi
done
printf 'fsync-limit\twrite+fsync\t%s\t%s\t%s\t%s\t%s\t-\n' "$FS_FILES" "$FS_BYTES" "$FS_SECONDS" "$FS_FILES" "$FS_FILES" >> "$RESULTS"
rm -rf "$STORE/fsync"
settle

# --- (0b) the sender's ceiling -------------------------------------------------------------------
# How fast storescu can send the series over one association at all: storescp (no --fork) writing
# into tmpfs, where nothing reaches the disk and nothing is fsync'd. No durable receiver can be
# faster than this with storescu as the sender; the issue's "0.9x the fsync limit" is out of reach
# whenever this row is below it.
SHM_OUT=""
if [ -d /dev/shm ]; then
  SHM_OUT=$(mktemp -d /dev/shm/store-bench-XXXXXX)
  PORT=$(free_port)
  log "sender ceiling: storescp into $SHM_OUT on $PORT ..."
  start_server tmpfs-sink "$STORESCP" -aet SINK -od "$SHM_OUT" "$PORT"
  wait_echo "$PORT" SINK || die "storescp (tmpfs) did not answer C-ECHO"
  t0=$(now)
  "$STORESCU" -aec SINK 127.0.0.1 "$PORT" "${SERIES_FILES[@]}" > "$STORE/tmpfs-sink.out" 2>&1 || log "tmpfs sink: storescu failed"
  t1=$(now)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n' "tmpfs-sink" "1 assoc" "$N_SLICES" "$SERIES_BYTES" \
    "$(elapsed "$t0" "$t1")" "$(find "$SHM_OUT" -type f -name 'CT.*' | wc -l)" "$N_SLICES" >> "$RESULTS"
  stop_server tmpfs-sink
  set_rss tmpfs-sink "$RSS"
  rm -rf "$SHM_OUT"
fi

# --- (a) dicomnode --------------------------------------------------------------------------
PORT=$(free_port)
log "dicomnode serve on $PORT ..."
start_server dicomnode "$DICOMNODE" serve --aet DICOMNODE --port "$PORT" --http-port "$(free_port)" --data "$STORE/dicomnode-data"
wait_echo "$PORT" DICOMNODE || die "dicomnode did not answer C-ECHO (see $STORE/dicomnode.log)"
count_dicomnode() {
  "$PYTHON" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from instance").fetchone()[0])' \
    "$STORE/dicomnode-data/index.sqlite" 2>/dev/null || echo 0
}
run_cases dicomnode DICOMNODE "$PORT" count_dicomnode
stop_server dicomnode
set_rss dicomnode "$RSS"
rm -rf "$STORE/dicomnode-data"
settle

# --- (b) storescp (writes files, nothing else; --fork: one process per association) --------
PORT=$(free_port)
mkdir -p "$STORE/storescp-out"
log "storescp on $PORT ..."
start_server storescp "$STORESCP" --fork -aet STORESCP -od "$STORE/storescp-out" "$PORT"
wait_echo "$PORT" STORESCP || die "storescp did not answer C-ECHO"
count_storescp() { find "$STORE/storescp-out" -type f -name 'CT.*' | wc -l; }
run_cases storescp STORESCP "$PORT" count_storescp
stop_server storescp
set_rss storescp "$RSS"
rm -rf "$STORE/storescp-out"
settle

# --- (c) Orthanc ------------------------------------------------------------------------------
if [ "$SKIP_ORTHANC" -eq 0 ]; then
  PORT=$(free_port)
  HTTP_PORT=$(free_port)
  mkdir -p "$STORE/orthanc/storage" "$STORE/orthanc/index"
  cat > "$STORE/orthanc/config.json" <<EOF
{
  "Name": "dicomnode-bench",
  "StorageDirectory": "$STORE/orthanc/storage",
  "IndexDirectory": "$STORE/orthanc/index",
  "StorageCompression": false,
  "DicomAet": "ORTHANC",
  "DicomPort": $PORT,
  "DicomCheckCalledAet": false,
  "DicomThreadsCount": $((PARALLEL > 4 ? PARALLEL : 4)),
  "UnknownSopClassAccepted": true,
  "HttpServerEnabled": true,
  "HttpPort": $HTTP_PORT,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "SaveJobs": false,
  "Plugins": []
}
EOF
  log "Orthanc on $PORT (HTTP $HTTP_PORT) ..."
  start_server orthanc "$ORTHANC" "$STORE/orthanc/config.json"
  wait_echo "$PORT" ORTHANC || die "Orthanc did not answer C-ECHO (see $STORE/orthanc.log)"
  count_orthanc() {
    "$PYTHON" -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["CountInstances"])' \
      "http://127.0.0.1:$HTTP_PORT/statistics" 2>/dev/null || echo 0
  }
  run_cases orthanc ORTHANC "$PORT" count_orthanc
  stop_server orthanc
set_rss orthanc "$RSS"
  rm -rf "$STORE/orthanc/storage" "$STORE/orthanc/index"
fi

# --- report -----------------------------------------------------------------------------------
DN_VERSION=$("$DICOMNODE" --version 2>/dev/null | head -1 || true)
"$PYTHON" "$LIB/store_report.py" "$RESULTS" \
  --info "dicomnode ${DN_VERSION:-?}; $("$STORESCU" --version | head -1 | tr -d '$'); Orthanc $("$ORTHANC" --version 2>/dev/null | head -1 | awk '{print $2}'); $(nproc) cores; data on $(df -P "$WORK" | awk 'NR==2 {print $1}')" \
  | tee "$STORE/report.txt"
grep -q FAILED "$STORE/report.txt" && exit 1
exit 0
