#!/usr/bin/env bash
# DICOMweb benchmark: dicomnode's WadoGateway vs Orthanc with its DICOMweb plugin, in one run, on
# the same N-slice CT series (512x512x16, lib/make_ct_series.py) loaded into both by storescu.
#   (1) WADO-RS of the whole series (Accept: multipart/related; type="application/dicom";
#       transfer-syntax=*), curl to /dev/null, the servers alternating, WADO_BENCH_ROUNDS rounds:
#       time to first byte (curl time_starttransfer), to last byte (time_total), bytes, and the
#       CPU seconds of the server (/proc/PID/stat) and of curl in each round. Once per server,
#       before the timed rounds, the body is checked part by part (lib/wado_client.py verify):
#       dicomnode's parts must be the stored files byte for byte, Orthanc's must hold the same
#       instances with the same Pixel Data. Every timed body must have the verified size
#       (adjusted for the boundary's length) and HTTP 200, or the round is FAILED.
#   (1b) WADO_BENCH_PARALLEL curl retrieves of the series at once against each server (one server
#       after the other): wall time of all, every body checked as above (0: skipped).
#   (2) WADO_BENCH_RENDERED rendered JPEGs per server (.../instances/{i}/rendered, Accept:
#       image/jpeg), one keep-alive connection each (TCP_NODELAY), requests alternating: p50/p95.
#       A server that answers 404/406/... is reported "not available", not failed.
#   (3) RSS: VmRSS idle after loading, min/max sampled every 20 ms in each phase (sequential
#       retrieves, parallel retrieves, rendered), VmHWM (peak of the process's life).
# Prints the medians, MB/s and the ratios orthanc/dicomnode (> 1: dicomnode is faster).
# A benchmark, not a test: CI does not run it. Work files under BENCH_DIR, removed at the end.
#
#   bench/wado.sh [--dicomnode PATH] [--perf]
#     --perf: after the timed rounds, one more dicomnode retrieve under `perf record -g`; the
#             top of `perf report` goes to $BENCH_DIR/run/perf.txt (kept: KEEP_BENCH_DIR=1)
#   env: WADO_BENCH_SLICES (500), WADO_BENCH_ROUNDS (5), WADO_BENCH_RENDERED (100),
#        WADO_BENCH_PARALLEL (4), DICOMNODE,
#        BENCH_DIR (${TMPDIR:-/tmp}/dicomnode-bench/wado), KEEP_BENCH_DIR=1
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIB="$HERE/lib"
DICOMNODE=${DICOMNODE:-$ROOT/.build/release/dicomnode}
SLICES=${WADO_BENCH_SLICES:-500}
ROUNDS=${WADO_BENCH_ROUNDS:-5}
RENDERED=${WADO_BENCH_RENDERED:-100}
PARALLEL=${WADO_BENCH_PARALLEL:-4}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/dicomnode-bench/wado}
PYTHON=${PYTHON:-python3}
ORTHANC=/usr/sbin/Orthanc
STORESCU=/usr/bin/storescu ECHOSCU=/usr/bin/echoscu CURL=/usr/bin/curl
PERF=0
ACCEPT='multipart/related; type="application/dicom"; transfer-syntax=*'

die() { echo "wado-bench: $*" >&2; exit 2; }
log() { echo "wado-bench: $*" >&2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    --perf) PERF=1; shift ;;
    -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$SLICES" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ && "$RENDERED" =~ ^[1-9][0-9]*$ && "$PARALLEL" =~ ^[0-9]+$ ]] \
  || die "WADO_BENCH_SLICES, WADO_BENCH_ROUNDS, WADO_BENCH_RENDERED must be positive integers, WADO_BENCH_PARALLEL >= 0"
[ -x "$DICOMNODE" ] || die "dicomnode not found at $DICOMNODE (swift build -c release, or --dicomnode PATH)"
DICOMNODE=$(cd "$(dirname "$DICOMNODE")" && pwd)/$(basename "$DICOMNODE")
for t in "$STORESCU" "$ECHOSCU" "$CURL" /usr/bin/time; do [ -x "$t" ] || die "$t not found (apt-get install dcmtk curl time)"; done
[ -x "$ORTHANC" ] || die "Orthanc not found (apt-get install -y orthanc orthanc-dicomweb)"
PLUGIN=""
for p in /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so*; do
  [ -e "$p" ] && { PLUGIN=$p; break; }
done
[ -n "$PLUGIN" ] || die "Orthanc's DICOMweb plugin not found (apt-get install -y orthanc-dicomweb)"
"$PYTHON" -c "import pydicom, numpy, PIL" 2>/dev/null || die "$PYTHON cannot import pydicom, numpy and PIL"
[ "$PERF" -eq 0 ] || command -v perf >/dev/null || die "--perf needs perf (apt-get install linux-perf)"
export TCP_NODELAY=1   # DCMTK and Orthanc leave Nagle on otherwise (ENVIRONMENT.md)
CLK_TCK=$(getconf CLK_TCK)

# --- data (generated once, cached beside the run directory) --------------------------------
GEN_VERSION=$(sed -n 's/^GENERATOR_VERSION = "\(.*\)"$/\1/p' "$LIB/make_ct_series.py")
SERIES="$WORK/data/series-$SLICES"
mkdir -p "$WORK/data"
if [ "$(cat "$SERIES/.marker" 2>/dev/null || true)" != "generator=$GEN_VERSION files=$SLICES" ]; then
  log "generating $SLICES CT slices in $SERIES (once) ..."
  rm -rf "$SERIES" && mkdir -p "$SERIES"
  "$PYTHON" "$LIB/make_ct_series.py" --out "$SERIES" --count "$SLICES" >/dev/null
  echo "generator=$GEN_VERSION files=$SLICES" > "$SERIES/.marker"
fi
mapfile -t FILES < <(find "$SERIES" -maxdepth 1 -name '*.dcm' | LC_ALL=C sort)
[ "${#FILES[@]}" -eq "$SLICES" ] || die "$SERIES holds ${#FILES[@]} files, expected $SLICES"
FILE_BYTES=$(du -cb "${FILES[@]}" | tail -1 | cut -f1)
cat "${FILES[@]}" > /dev/null   # warm: storescu reads from memory

RUN="$WORK/run"
rm -rf "$RUN" && mkdir -p "$RUN"
"$PYTHON" "$LIB/wado_client.py" info "$SERIES" > "$RUN/info.txt"
STUDY=$(sed -n 1p "$RUN/info.txt"); SERIES_UID=$(sed -n 2p "$RUN/info.txt")
tail -n +3 "$RUN/info.txt" > "$RUN/uids.txt"

PIDS=()
SAMPLER_PID=""
cleanup() {
  local p
  [ -n "$SAMPLER_PID" ] && kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -z "${KEEP_BENCH_DIR:-}" ]; then rm -rf "$RUN"; else log "kept $RUN"; fi
}
trap cleanup EXIT
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
wait_http() { local i; for i in $(seq 1 300); do "$CURL" -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
wait_echo() { local i; for i in $(seq 1 300); do "$ECHOSCU" -aec "$2" -to 2 127.0.0.1 "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }   # PID VmRSS|VmHWM
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }                 # user + system

LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
log "$(nproc) cores, load $LOAD; series of $SLICES files, $FILE_BYTES bytes"

# --- servers ----------------------------------------------------------------------------------
DN_PORT=$(free_port); DN_HTTP=$(free_port)
"$DICOMNODE" serve --data "$RUN/dn-data" --port "$DN_PORT" --http-port "$DN_HTTP" --log-level warning \
  > "$RUN/dicomnode.log" 2>&1 &
DN_PID=$!; PIDS+=("$DN_PID")
DN_BASE="http://127.0.0.1:$DN_HTTP/dicom-web"

OR_PORT=$(free_port); OR_HTTP=$(free_port)
mkdir -p "$RUN/orthanc/storage" "$RUN/orthanc/index"
cat > "$RUN/orthanc/config.json" <<EOF
{
  "Name": "dicomnode-wado-bench",
  "StorageDirectory": "$RUN/orthanc/storage",
  "IndexDirectory": "$RUN/orthanc/index",
  "StorageCompression": false,
  "DicomAet": "ORTHANC",
  "DicomPort": $OR_PORT,
  "DicomCheckCalledAet": false,
  "HttpServerEnabled": true,
  "HttpPort": $OR_HTTP,
  "RemoteAccessAllowed": true,
  "AuthenticationEnabled": false,
  "KeepAlive": true,
  "TcpNoDelay": true,
  "SaveJobs": false,
  "Plugins": ["$PLUGIN"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false }
}
EOF
"$ORTHANC" "$RUN/orthanc/config.json" > "$RUN/orthanc.log" 2>&1 &
OR_PID=$!; PIDS+=("$OR_PID")
OR_BASE="http://127.0.0.1:$OR_HTTP/dicom-web"

wait_http "http://127.0.0.1:$DN_HTTP/health" || die "dicomnode's HTTP did not come up (see $RUN/dicomnode.log)"
wait_echo "$DN_PORT" DICOMNODE || die "dicomnode did not answer C-ECHO (see $RUN/dicomnode.log)"
wait_http "http://127.0.0.1:$OR_HTTP/system" || die "Orthanc's HTTP did not come up (see $RUN/orthanc.log)"
wait_echo "$OR_PORT" ORTHANC || die "Orthanc did not answer C-ECHO (see $RUN/orthanc.log)"
"$CURL" -sf -o /dev/null "$OR_BASE/studies" || die "Orthanc has no DICOMweb at $OR_BASE (plugin $PLUGIN; see $RUN/orthanc.log)"

# --- load the same files into both ------------------------------------------------------------
load() {  # NAME AET PORT BASE
  local t0 t1 n i
  t0=$(now)
  "$STORESCU" -aec "$2" 127.0.0.1 "$3" "${FILES[@]}" > "$RUN/$1.store.out" 2>&1 || die "storescu into $1 failed (see $RUN/$1.store.out)"
  t1=$(now)
  for i in $(seq 1 50); do
    n=$("$PYTHON" "$LIB/wado_client.py" count "$4" "$STUDY" "$SERIES_UID" 2>/dev/null || echo 0)
    [ "$n" -eq "$SLICES" ] && break
    sleep 0.1
  done
  [ "$n" -eq "$SLICES" ] || die "$1: QIDO-RS finds $n instances in the series, expected $SLICES"
  log "$1: loaded $SLICES instances in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s; QIDO-RS finds $n"
}
load dicomnode DICOMNODE "$DN_PORT" "$DN_BASE"
load orthanc ORTHANC "$OR_PORT" "$OR_BASE"
sync

RSS_IDLE_DN=$(proc_kib "$DN_PID" VmRSS); RSS_IDLE_OR=$(proc_kib "$OR_PID" VmRSS)
"$PYTHON" "$LIB/wado_client.py" rss "$DN_PID" "$OR_PID" --out "$RUN/rss.json" &
SAMPLER_PID=$!

# --- check the bodies once, part by part (also the warm-up) --------------------------------------
verify() {  # NAME BASE MODE [--stored DIR] → RUN/NAME.verify.json
  "$PYTHON" "$LIB/wado_client.py" verify "$2" "$STUDY" "$SERIES_UID" "$SERIES" --mode "$3" --expect "$SLICES" "${@:4}" \
    > "$RUN/$1.verify.json" || die "$1: WADO-RS body check failed: $(cat "$RUN/$1.verify.json")"
  log "$1: WADO-RS body checked ($3): $(cat "$RUN/$1.verify.json")"
}
verify dicomnode "$DN_BASE" exact --stored "$RUN/dn-data/objects"
verify orthanc "$OR_BASE" pixel
jfield() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

expected_size() {  # NAME HEADERS_FILE: the verified body's size, for this response's boundary
  local blen
  blen=$(tr -d '\r' < "$2" | sed -n 's/^[Cc]ontent-[Tt]ype:.*boundary="\{0,1\}\([^";]*\).*/\1/p' | awk '{ print length($0) }')
  echo $(( $(jfield "$RUN/$1.verify.json" size) + (${blen:-0} - $(jfield "$RUN/$1.verify.json" boundary_len)) * $(jfield "$RUN/$1.verify.json" delimiters) ))
}

# --- timed rounds -------------------------------------------------------------------------------
printf 'server\tround\tttfb\ttotal\tbytes\tstatus\tserver_cpu\tcurl_cpu\tcheck\n' > "$RUN/retrieve.tsv"
retrieve_once() {  # NAME BASE PID ROUND
  local name=$1 base=$2 pid=$3 round=$4 c0 c1 code ttfb total size blen expect check cu
  c0=$(cpu_ticks "$pid")
  read -r code ttfb total size < <(/usr/bin/time -f '%U %S' -o "$RUN/curl.time" \
    "$CURL" -s -o /dev/null -D "$RUN/headers.txt" -H "Accept: $ACCEPT" \
    -w '%{http_code} %{time_starttransfer} %{time_total} %{size_download}\n' \
    "$base/studies/$STUDY/series/$SERIES_UID") || true
  code=${code:-000} ttfb=${ttfb:-0} total=${total:-0} size=${size:-0}
  c1=$(cpu_ticks "$pid")
  cu=$(awk 'END { printf "%.2f", $1 + $2 }' "$RUN/curl.time")
  expect=$(expected_size "$name" "$RUN/headers.txt")
  check=ok
  if [ "$code" != 200 ]; then check="FAILED:http-$code"; elif [ "$size" -ne "$expect" ]; then check="FAILED:bytes-$size-expected-$expect"; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$round" "$ttfb" "$total" "$size" "$code" \
    "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')" "$cu" "$check" >> "$RUN/retrieve.tsv"
  printf '  %-9s ttfb %.4f s  total %.3f s  %s bytes  server cpu %s s  curl cpu %s s  %s\n' "$name" "$ttfb" "$total" "$size" \
    "$(tail -1 "$RUN/retrieve.tsv" | cut -f7)" "$cu" "$check" >&2
}
log "WADO-RS series, $ROUNDS rounds, alternating ..."
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then
    retrieve_once dicomnode "$DN_BASE" "$DN_PID" "$r"; retrieve_once orthanc "$OR_BASE" "$OR_PID" "$r"
  else
    retrieve_once orthanc "$OR_BASE" "$OR_PID" "$r"; retrieve_once dicomnode "$DN_BASE" "$DN_PID" "$r"
  fi
done

kill -USR1 "$SAMPLER_PID"; sleep 0.1   # RSS phase 0 (checks and sequential rounds) ends

# --- parallel retrieves -------------------------------------------------------------------------
printf 'server\tclients\twall\tbytes\tserver_cpu\tcheck\n' > "$RUN/parallel.tsv"
parallel_once() {  # NAME BASE PID
  local name=$1 base=$2 pid=$3 c0 c1 t0 t1 k pids=() total=0 check=ok code size
  c0=$(cpu_ticks "$pid")
  t0=$(now)
  for k in $(seq 1 "$PARALLEL"); do
    "$CURL" -s -o /dev/null -D "$RUN/par-$k.headers" -H "Accept: $ACCEPT" -w '%{http_code} %{size_download}\n' \
      "$base/studies/$STUDY/series/$SERIES_UID" > "$RUN/par-$k.out" &
    pids+=($!)
  done
  for k in "${pids[@]}"; do wait "$k" || true; done
  t1=$(now)
  c1=$(cpu_ticks "$pid")
  for k in $(seq 1 "$PARALLEL"); do
    read -r code size < "$RUN/par-$k.out" || true
    if [ "${code:-000}" != 200 ]; then check="FAILED:http-${code:-none}"
    elif [ "${size:-0}" -ne "$(expected_size "$name" "$RUN/par-$k.headers")" ]; then check="FAILED:bytes-$size"; fi
    total=$((total + ${size:-0}))
  done
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$PARALLEL" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "$total" \
    "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }')" "$check" >> "$RUN/parallel.tsv"
  log "$(tail -1 "$RUN/parallel.tsv" | tr '\t' ' ')"
}
if [ "$PARALLEL" -gt 0 ]; then
  log "WADO-RS series, $PARALLEL clients at once, each server in turn ..."
  parallel_once dicomnode "$DN_BASE" "$DN_PID"
  parallel_once orthanc "$OR_BASE" "$OR_PID"
fi
kill -USR1 "$SAMPLER_PID"; sleep 0.1   # RSS phase 1 (parallel) ends

# --- rendered JPEG ------------------------------------------------------------------------------
log "rendered JPEG, $RENDERED requests per server, alternating ..."
"$PYTHON" "$LIB/wado_client.py" rendered --server "dicomnode=$DN_BASE" --server "orthanc=$OR_BASE" \
  --study "$STUDY" --series "$SERIES_UID" --uids "$RUN/uids.txt" --count "$RENDERED" > "$RUN/rendered.jsonl" \
  || die "rendered requests failed"

RSS_END_DN=$(proc_kib "$DN_PID" VmRSS); RSS_END_OR=$(proc_kib "$OR_PID" VmRSS)
kill -TERM "$SAMPLER_PID"; wait "$SAMPLER_PID" || true; SAMPLER_PID=""
HWM_DN=$(proc_kib "$DN_PID" VmHWM); HWM_OR=$(proc_kib "$OR_PID" VmHWM)

# --- optional profile of one more dicomnode retrieve (untimed) ---------------------------------
if [ "$PERF" -eq 1 ]; then
  log "perf record of one dicomnode retrieve ..."
  perf record -g -o "$RUN/perf.data" -p "$DN_PID" > "$RUN/perf.log" 2>&1 &
  PERF_PID=$!
  sleep 1
  "$CURL" -s -o /dev/null -H "Accept: $ACCEPT" -w 'perf run: %{time_total} s\n' "$DN_BASE/studies/$STUDY/series/$SERIES_UID" >&2
  kill -INT "$PERF_PID"; wait "$PERF_PID" || true
  perf report -i "$RUN/perf.data" --stdio --no-children -g none --sort dso,sym 2>/dev/null | grep -v '^$' | head -150 > "$RUN/perf.txt" || true
  perf report -i "$RUN/perf.data" --stdio --no-children -g none --sort comm,dso 2>/dev/null | grep -v '^#' | grep -v '^$' | head -30 > "$RUN/perf-dso.txt" || true
  log "perf: $RUN/perf.txt, $RUN/perf-dso.txt"
fi

# --- report -------------------------------------------------------------------------------------
DN_VERSION=$("$DICOMNODE" --version 2>/dev/null | awk "NR == 1" || true)
OR_VERSION=$("$ORTHANC" --version 2>/dev/null | awk "NR == 1 { print \$2 }" || true)
DW_VERSION=$(dpkg-query -W -f '${Version}' orthanc-dicomweb 2>/dev/null || echo "?")
"$PYTHON" "$LIB/wado_report.py" --retrieve "$RUN/retrieve.tsv" --rendered "$RUN/rendered.jsonl" --rss "$RUN/rss.json" --parallel "$RUN/parallel.tsv" \
  --pids "dicomnode=$DN_PID" "orthanc=$OR_PID" \
  --idle "dicomnode=$RSS_IDLE_DN" "orthanc=$RSS_IDLE_OR" --end "dicomnode=$RSS_END_DN" "orthanc=$RSS_END_OR" \
  --hwm "dicomnode=$HWM_DN" "orthanc=$HWM_OR" --slices "$SLICES" --file-bytes "$FILE_BYTES" \
  --info "dicomnode ${DN_VERSION:-?}; Orthanc $OR_VERSION + DICOMweb plugin $DW_VERSION; curl $("$CURL" --version | awk "NR == 1 { print \$2 }"); $(nproc) cores, load at start $LOAD" \
  | tee "$RUN/report.txt"
grep -q FAILED "$RUN/report.txt" && exit 1
exit 0
