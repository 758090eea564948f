#!/usr/bin/env bash
# C-FIND benchmark: dicomnode's query latency on a large index, and side by side with DCMTK
# dcmqrscp and Orthanc on an archive all three hold.
#
#   (1) Large index: dicomnode serve runs once on an empty data directory (it creates the schema
#       and records its migrations), stops, and lib/find_index.py bulk-inserts FIND_BENCH_INSTANCES
#       synthetic instances straight into DATA/index.sqlite (10 per study in 2 series, one patient
#       per 10 studies; no DICOM is sent, no object files exist). dicomnode serve then answers
#       FIND_BENCH_QUERIES queries of each kind from one persistent pynetdicom association
#       (lib/find_latency.py): Study Root STUDY level by PatientID, PatientName prefix "SURNAME*",
#       StudyDate range of 7 days, AccessionNumber; IMAGE level by SeriesInstanceUID; and C-ECHO
#       (the client's floor). p50 / p95 in ms, request to final response.
#   (2) Side by side: lib/find_corpus.py writes FIND_BENCH_CMP_INSTANCES small files (16x16 CT/MR);
#       they are stored with `dicomnode store` into dicomnode, with /usr/bin/storescu into
#       /usr/bin/dcmqrscp (a generated dcmqrscp.cfg with one storage area) and into /usr/sbin/Orthanc
#       (a generated JSON config, StorageAccessOnFind Never); then the same queries go to each and
#       the ratios <server>/dicomnode are printed (> 1: dicomnode is faster).
#       dcmqrscp's index.dat is limited to 32 MiB (~4,100 records of ~8 KiB: "DB ALERT: attempt to
#       seek beyond 33554432 bytes") and to 500 studies per storage area, so the default archive is
#       4,000 instances in 400 studies; larger values are refused for dcmqrscp.
# A benchmark, not a test: CI does not run it. Work files under BENCH_DIR, removed at the end.
#
#   bench/find.sh [--dicomnode PATH] [--skip-large] [--skip-compare] [--skip-orthanc]
#   env: FIND_BENCH_INSTANCES (1000000), FIND_BENCH_CMP_INSTANCES (4000), FIND_BENCH_QUERIES (200),
#        DICOMNODE, BENCH_DIR (/tmp/dicomnode-bench/find), KEEP_BENCH_DIR=1 keeps the work files
#   quick run: FIND_BENCH_INSTANCES=50000 FIND_BENCH_CMP_INSTANCES=1000 FIND_BENCH_QUERIES=50 bench/find.sh
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIB="$HERE/lib"

DICOMNODE=${DICOMNODE:-$ROOT/.build/release/dicomnode}
INSTANCES=${FIND_BENCH_INSTANCES:-1000000}
CMP_INSTANCES=${FIND_BENCH_CMP_INSTANCES:-4000}
QUERIES=${FIND_BENCH_QUERIES:-200}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/dicomnode-bench/find}
SKIP_LARGE=0
SKIP_COMPARE=0
SKIP_ORTHANC=0
ORTHANC=/usr/sbin/Orthanc
DCMQRSCP=/usr/bin/dcmqrscp
STORESCU=/usr/bin/storescu
ECHOSCU=/usr/bin/echoscu
PYTHON=${PYTHON:-python3}

usage() { sed -n '2,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }
die() { echo "find-bench: $*" >&2; exit 2; }
log() { echo "find-bench: $*" >&2; }

while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    --skip-large) SKIP_LARGE=1; shift ;;
    --skip-compare) SKIP_COMPARE=1; shift ;;
    --skip-orthanc) SKIP_ORTHANC=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
done
[[ "$INSTANCES" =~ ^[1-9][0-9]*0$ ]] || die "FIND_BENCH_INSTANCES must be a positive multiple of 10"
[[ "$CMP_INSTANCES" =~ ^[1-9][0-9]*0$ ]] || die "FIND_BENCH_CMP_INSTANCES must be a positive multiple of 10"
[[ "$QUERIES" =~ ^[1-9][0-9]*$ ]] || die "FIND_BENCH_QUERIES must be a positive integer"
[ -x "$DICOMNODE" ] || die "dicomnode not found at $DICOMNODE (swift build -c release, or --dicomnode PATH)"
DICOMNODE=$(cd "$(dirname "$DICOMNODE")" && pwd)/$(basename "$DICOMNODE")
for tool in "$STORESCU" "$ECHOSCU" "$DCMQRSCP"; do [ -x "$tool" ] || die "$tool not found (apt-get install dcmtk)"; done
[ -x "$ORTHANC" ] || { log "no $ORTHANC: Orthanc skipped"; SKIP_ORTHANC=1; }
"$PYTHON" -c "import pydicom, pynetdicom, numpy" 2>/dev/null || die "$PYTHON cannot import pydicom, pynetdicom and numpy"

# DCMTK and Orthanc leave Nagle on otherwise and stall ~40 ms per message (ENVIRONMENT.md).
export TCP_NODELAY=1

rm -rf "$WORK" && mkdir -p "$WORK"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -z "${KEEP_BENCH_DIR:-}" ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

wait_echo() {  # PORT AET
  local i
  for i in $(seq 1 600); do
    if "$ECHOSCU" -aec "$2" -to 2 127.0.0.1 "$1" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  return 1
}

start_bg() {  # LOG CMD...: starts a server in the background; its pid is LAST_PID
  local logfile=$1; shift
  "$@" > "$logfile" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

stop_pid() {  # PID: SIGTERM and wait
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

echo "find-bench: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); queries per type: $QUERIES"

# --- (1) the large index ------------------------------------------------------------------------
if [ "$SKIP_LARGE" -eq 0 ]; then
  DATA="$WORK/large-data"
  PORT=$(free_port)
  log "creating the schema: dicomnode serve once on an empty $DATA ..."
  start_bg "$WORK/large-serve-0.log" "$DICOMNODE" serve --aet DICOMNODE --port "$PORT" --http-port "$(free_port)" --data "$DATA"
  wait_echo "$PORT" DICOMNODE || die "dicomnode did not answer C-ECHO (see $WORK/large-serve-0.log)"
  stop_pid "$LAST_PID"
  log "bulk-inserting $INSTANCES instances into $DATA/index.sqlite ..."
  t0=$(now)
  GEN=$("$PYTHON" "$LIB/find_index.py" --db "$DATA/index.sqlite" --instances "$INSTANCES")
  t1=$(now)
  echo "index: $GEN (total $(elapsed "$t0" "$t1") s, $(du -sh "$DATA/index.sqlite" | cut -f1))"
  t0=$(now)
  start_bg "$WORK/large-serve.log" "$DICOMNODE" serve --aet DICOMNODE --port "$PORT" --http-port "$(free_port)" --data "$DATA"
  wait_echo "$PORT" DICOMNODE || die "dicomnode did not start on the large index (see $WORK/large-serve.log)"
  t1=$(now)
  echo "dicomnode serve answered C-ECHO $(elapsed "$t0" "$t1") s after start on the large index"
  "$PYTHON" "$LIB/find_latency.py" --index "$DATA/index.sqlite" --queries "$QUERIES" \
    --server "dicomnode=DICOMNODE@127.0.0.1:$PORT" \
    --title "(1) dicomnode, $INSTANCES instances, one association, latency request -> final response" \
    --json "$WORK/large.json" || LARGE_FAILED=1
  stop_pid "$LAST_PID"
  rm -rf "$DATA"
fi

# --- (2) side by side ---------------------------------------------------------------------------
if [ "$SKIP_COMPARE" -eq 0 ]; then
  FILES="$WORK/files"
  log "writing $CMP_INSTANCES small files ..."
  GEN=$("$PYTHON" "$LIB/find_corpus.py" --out "$FILES" --instances "$CMP_INSTANCES")
  echo "archive: $GEN"
  SERVERS=()

  # dicomnode
  DN_PORT=$(free_port)
  start_bg "$WORK/dicomnode.log" "$DICOMNODE" serve --aet DICOMNODE --port "$DN_PORT" --http-port "$(free_port)" --data "$WORK/dn-data"
  DN_PID=$LAST_PID
  wait_echo "$DN_PORT" DICOMNODE || die "dicomnode did not answer C-ECHO"
  t0=$(now)
  "$DICOMNODE" store --to "DICOMNODE@127.0.0.1:$DN_PORT" "$FILES" > "$WORK/dn-store.out" 2>&1 \
    || die "dicomnode store failed: $(tail -3 "$WORK/dn-store.out")"
  t1=$(now)
  DN_COUNT=$("$PYTHON" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from instance").fetchone()[0])' "$WORK/dn-data/index.sqlite")
  echo "dicomnode: stored $DN_COUNT in $(elapsed "$t0" "$t1") s (dicomnode store)"
  [ "$DN_COUNT" -eq "$CMP_INSTANCES" ] || die "dicomnode indexed $DN_COUNT of $CMP_INSTANCES"
  SERVERS+=(--server "dicomnode=DICOMNODE@127.0.0.1:$DN_PORT")

  # dcmqrscp
  if [ "$CMP_INSTANCES" -le 4000 ]; then
    QR_PORT=$(free_port)
    mkdir -p "$WORK/qr/db"
    cat > "$WORK/qr/dcmqrscp.cfg" <<EOF
NetworkTCPPort  = $QR_PORT
MaxPDUSize      = 16384
MaxAssociations = 16
HostTable BEGIN
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
QRSCP   $WORK/qr/db   RW   (500, 1024mb)   ANY
AETable END
EOF
    start_bg "$WORK/dcmqrscp.log" "$DCMQRSCP" -c "$WORK/qr/dcmqrscp.cfg"
    wait_echo "$QR_PORT" QRSCP || die "dcmqrscp did not answer C-ECHO (see $WORK/dcmqrscp.log)"
    t0=$(now)
    "$STORESCU" -aec QRSCP +sd +r 127.0.0.1 "$QR_PORT" "$FILES" > "$WORK/qr-store.out" 2>&1 \
      || log "storescu into dcmqrscp exited non-zero (see $WORK/qr-store.out)"
    t1=$(now)
    echo "dcmqrscp: stored in $(elapsed "$t0" "$t1") s (storescu +sd +r)"
    grep -q "DB ALERT" "$WORK/dcmqrscp.log" && log "dcmqrscp reports DB ALERTs: its index is full"
    SERVERS+=(--server "dcmqrscp=QRSCP@127.0.0.1:$QR_PORT")
  else
    log "dcmqrscp skipped: its index.dat holds ~4,100 instances at most"
  fi

  # Orthanc
  if [ "$SKIP_ORTHANC" -eq 0 ]; then
    OR_PORT=$(free_port)
    OR_HTTP=$(free_port)
    mkdir -p "$WORK/orthanc/storage" "$WORK/orthanc/index"
    cat > "$WORK/orthanc/config.json" <<EOF
{
  "Name": "dicomnode-find-bench",
  "StorageDirectory": "$WORK/orthanc/storage",
  "IndexDirectory": "$WORK/orthanc/index",
  "StorageCompression": false,
  "DicomAet": "ORTHANC",
  "DicomPort": $OR_PORT,
  "DicomCheckCalledAet": false,
  "DicomAlwaysAllowFind": true,
  "DicomAlwaysAllowStore": true,
  "DicomAlwaysAllowEcho": true,
  "StorageAccessOnFind": "Never",
  "LimitFindResults": 0,
  "LimitFindInstances": 0,
  "HttpServerEnabled": true,
  "HttpPort": $OR_HTTP,
  "RemoteAccessAllowed": false,
  "AuthenticationEnabled": false,
  "SaveJobs": false,
  "Plugins": []
}
EOF
    start_bg "$WORK/orthanc.log" "$ORTHANC" "$WORK/orthanc/config.json"
    wait_echo "$OR_PORT" ORTHANC || die "Orthanc did not answer C-ECHO (see $WORK/orthanc.log)"
    t0=$(now)
    "$STORESCU" -aec ORTHANC +sd +r 127.0.0.1 "$OR_PORT" "$FILES" > "$WORK/or-store.out" 2>&1 \
      || log "storescu into Orthanc exited non-zero (see $WORK/or-store.out)"
    t1=$(now)
    OR_COUNT=$("$PYTHON" -c 'import json,sys,urllib.request; print(json.load(urllib.request.urlopen(sys.argv[1]))["CountInstances"])' \
      "http://127.0.0.1:$OR_HTTP/statistics" 2>/dev/null || echo "?")
    echo "orthanc: stored $OR_COUNT in $(elapsed "$t0" "$t1") s (storescu +sd +r)"
    SERVERS+=(--server "orthanc=ORTHANC@127.0.0.1:$OR_PORT")
  fi

  "$PYTHON" "$LIB/find_latency.py" --index "$WORK/dn-data/index.sqlite" --queries "$QUERIES" "${SERVERS[@]}" \
    --title "(2) $CMP_INSTANCES instances in each server, one association each, latency request -> final response" \
    --json "$WORK/compare.json" || CMP_FAILED=1
fi

[ -z "${LARGE_FAILED:-}" ] && [ -z "${CMP_FAILED:-}" ] || { echo "find-bench: some queries FAILED"; exit 1; }
exit 0
