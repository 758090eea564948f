#!/usr/bin/env bash
# C-MOVE benchmark: a 500-slice CT series (512x512x16, lib/make_ct_series.py) moved at SERIES
# level by /usr/bin/movescu to a /usr/bin/storescp, from dicomnode and from DCMTK's dcmqrscp
# holding the same files, alternating, MOVE_BENCH_ROUNDS times each. Prints each round's wall time
# (movescu start to exit: association, C-MOVE-RQ, the sub-association's 500 C-STOREs, final
# response), the medians, MB/s and the ratio dcmqrscp/dicomnode (> 1: dicomnode is faster).
# storescp writes to a tmpfs-backed directory when /dev/shm exists (--ignore drops nothing: the
# files are received and written), so that the receiver's disk is not what is measured.
# Each round also times /usr/bin/storescu sending the same files straight to that storescp: the
# receiver's own ceiling, which no C-MOVE SCP can beat; the best ratio any SCP could reach is
# printed next to the measured one.
# A benchmark, not a test: CI does not run it. Work files under BENCH_DIR, removed at the end.
#
#   bench/move.sh [--dicomnode PATH]
#   env: MOVE_BENCH_SLICES (500), MOVE_BENCH_ROUNDS (5), DICOMNODE, BENCH_DIR, KEEP_BENCH_DIR=1,
#        STORESCP_OPTS (extra storescp options, e.g. "+B -pdu 131072": bit-preserving, 128 KiB PDUs)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIB="$HERE/lib"
DICOMNODE=${DICOMNODE:-$ROOT/.build/release/dicomnode}
SLICES=${MOVE_BENCH_SLICES:-500}
ROUNDS=${MOVE_BENCH_ROUNDS:-5}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/dicomnode-bench/move}
PYTHON=${PYTHON:-python3}
STORESCU=/usr/bin/storescu STORESCP=/usr/bin/storescp MOVESCU=/usr/bin/movescu ECHOSCU=/usr/bin/echoscu
DCMQRSCP=/usr/bin/dcmqrscp

die() { echo "move-bench: $*" >&2; exit 2; }
log() { echo "move-bench: $*" >&2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[ -x "$DICOMNODE" ] || die "dicomnode not found at $DICOMNODE"
for t in "$STORESCU" "$STORESCP" "$MOVESCU" "$ECHOSCU" "$DCMQRSCP"; do [ -x "$t" ] || die "$t not found (apt-get install dcmtk)"; done
export TCP_NODELAY=1   # DCMTK leaves Nagle on otherwise (ENVIRONMENT.md)

rm -rf "$WORK" && mkdir -p "$WORK"
RECV_BASE=$WORK
[ -d /dev/shm ] && RECV_BASE=$(mktemp -d /dev/shm/dicomnode-move-XXXX)
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  [ "$RECV_BASE" != "$WORK" ] && rm -rf "$RECV_BASE"
  if [ -z "${KEEP_BENCH_DIR:-}" ]; then rm -rf "$WORK"; else log "kept $WORK"; fi
}
trap cleanup EXIT
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
wait_echo() { local i; for i in $(seq 1 300); do "$ECHOSCU" -aec "$2" -to 2 127.0.0.1 "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
start_bg() { local logfile=$1; shift; "$@" > "$logfile" 2>&1 & LAST_PID=$!; PIDS+=("$LAST_PID"); }

log "$(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); generating $SLICES slices ..."
"$PYTHON" "$LIB/make_ct_series.py" --out "$WORK/series" --count "$SLICES" >/dev/null
SERIES_UID=$("$PYTHON" -c 'import pydicom,sys,os; d=sys.argv[1]; f=sorted(os.listdir(d))[0]; print(pydicom.dcmread(os.path.join(d,f),stop_before_pixels=True).SeriesInstanceUID)' "$WORK/series")
STUDY_UID=$("$PYTHON" -c 'import pydicom,sys,os; d=sys.argv[1]; f=sorted(os.listdir(d))[0]; print(pydicom.dcmread(os.path.join(d,f),stop_before_pixels=True).StudyInstanceUID)' "$WORK/series")
BYTES=$(du -sb "$WORK/series" | cut -f1)

# The receiver: one storescp, AE STORESCP, into a fresh directory per round.
RECV_PORT=$(free_port)
mkdir -p "$RECV_BASE/recv"
start_bg "$WORK/storescp.log" "$STORESCP" -aet STORESCP -od "$RECV_BASE/recv" +xa ${STORESCP_OPTS:-} "$RECV_PORT"
wait_echo "$RECV_PORT" STORESCP || die "storescp did not start"

# dicomnode
DN_PORT=$(free_port)
start_bg "$WORK/dicomnode.log" "$DICOMNODE" serve --data "$WORK/dn-data" --port "$DN_PORT" --http-port "$(free_port)" --log-level warning \
  --remote "STORESCP@127.0.0.1:$RECV_PORT"
wait_echo "$DN_PORT" DICOMNODE || die "dicomnode did not start"
"$DICOMNODE" store --to "DICOMNODE@127.0.0.1:$DN_PORT" "$WORK/series" > "$WORK/dn-store.out" 2>&1 || die "store into dicomnode failed"

# dcmqrscp, with the receiver in its HostTable
QR_PORT=$(free_port)
mkdir -p "$WORK/qr/db"
cat > "$WORK/qr/dcmqrscp.cfg" <<CFG
NetworkTCPPort  = $QR_PORT
MaxPDUSize      = 131072
MaxAssociations = 16
HostTable BEGIN
storescp = (STORESCP, 127.0.0.1, $RECV_PORT)
HostTable END
VendorTable BEGIN
VendorTable END
AETable BEGIN
QRSCP   $WORK/qr/db   RW   (10, 4096mb)   ANY
AETable END
CFG
start_bg "$WORK/dcmqrscp.log" "$DCMQRSCP" -c "$WORK/qr/dcmqrscp.cfg"
wait_echo "$QR_PORT" QRSCP || die "dcmqrscp did not start"
"$STORESCU" -aec QRSCP +sd +r 127.0.0.1 "$QR_PORT" "$WORK/series" > "$WORK/qr-store.out" 2>&1 || die "store into dcmqrscp failed"

move_once() {  # NAME AET PORT → prints seconds; checks the receiver got every slice
  local name=$1 aet=$2 port=$3
  rm -rf "$RECV_BASE/recv" && mkdir -p "$RECV_BASE/recv"
  local t0 t1
  t0=$(now)
  "$MOVESCU" -S -aec "$aet" -aem STORESCP -k QueryRetrieveLevel=SERIES -k StudyInstanceUID="$STUDY_UID" \
    -k SeriesInstanceUID="$SERIES_UID" 127.0.0.1 "$port" > "$WORK/move-$name.out" 2>&1 || die "movescu from $name failed (see $WORK/move-$name.out)"
  t1=$(now)
  sleep 0.3   # storescp may still be closing its last file
  local got
  got=$(find "$RECV_BASE/recv" -type f | wc -l)
  [ "$got" -eq "$SLICES" ] || die "$name: storescp received $got of $SLICES"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

ceiling_once() {  # storescu straight to the receiver: prints seconds
  rm -rf "$RECV_BASE/recv" && mkdir -p "$RECV_BASE/recv"
  local t0 t1
  t0=$(now)
  "$STORESCU" -aec STORESCP +sd +r 127.0.0.1 "$RECV_PORT" "$WORK/series" > "$WORK/ceiling.out" 2>&1 || die "storescu to storescp failed"
  t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

DN_TIMES=() QR_TIMES=() CEIL_TIMES=()
for r in $(seq 1 "$ROUNDS"); do
  d=$(move_once dicomnode DICOMNODE "$DN_PORT"); q=$(move_once dcmqrscp QRSCP "$QR_PORT"); c=$(ceiling_once)
  echo "round $r: dicomnode ${d} s   dcmqrscp ${q} s   storescu→storescp ${c} s"
  DN_TIMES+=("$d"); QR_TIMES+=("$q"); CEIL_TIMES+=("$c")
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
DN_MED=$(median "${DN_TIMES[@]}"); QR_MED=$(median "${QR_TIMES[@]}"); CEIL_MED=$(median "${CEIL_TIMES[@]}")
awk -v d="$DN_MED" -v q="$QR_MED" -v c="$CEIL_MED" -v b="$BYTES" -v n="$SLICES" 'BEGIN {
  printf "C-MOVE of %d slices (%.0f MB) to storescp, median of rounds:\n", n, b / 1e6
  printf "  dicomnode %.3f s (%.0f MB/s, %.0f instances/s)\n", d, b / 1e6 / d, n / d
  printf "  dcmqrscp  %.3f s (%.0f MB/s, %.0f instances/s)\n", q, b / 1e6 / q, n / q
  printf "  storescu→storescp (the receiver'"'"'s ceiling) %.3f s (%.0f MB/s)\n", c, b / 1e6 / c
  printf "  ratio dcmqrscp/dicomnode: %.2fx (> 1: dicomnode is faster); the ceiling allows at most %.2fx\n", q / d, q / c
}'
