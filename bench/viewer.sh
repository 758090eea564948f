#!/usr/bin/env bash
# Web viewer benchmark (issue 8): a web viewer's request sequence (lib/viewer_replay.py: QIDO,
# series, every series' metadata, a rendered image per series, then every frame over 6 keep-alive
# connections at once, Accept: multipart/related; type=application/octet-stream; transfer-syntax=*)
# against dicomnode and against Orthanc with its DICOMweb plugin, in one run, on the same N-slice CT
# series (512x512x16, lib/make_ct_series.py):
#   raw    the series stored uncompressed in both;
#   htj2k  the series stored as HTJ2K lossless RPCL: dicomnode receives it uncompressed and its
#          ingest policy (storage.compress_on_ingest: {CT: htj2k-rpcl}) compresses it; Orthanc, which
#          cannot encode HTJ2K, is loaded over its REST API with `dicomnode transcode`'s HTJ2K files.
#   progressive (htj2k only) the first PROGRESSIVE_BYTES of each frame (Range: bytes=0-…), which an
#          RPCL codestream orders lowest resolution first: each must decode (ojph_expand -skip_res 2)
#          to exactly the quarter-resolution image of the whole codestream. A server that answers
#          the Range with 200 (the whole frame) is reported "no Range", not timed.
# Each over three links: loopback, and a veth pair into a network namespace that the script creates
# and removes, shaped with `tc qdisc … tbf` to 1 Gbit/s and to 100 Mbit/s (netem is not available);
# the client runs inside the namespace. Every response is checked (lib/viewer_replay.py's checks:
# frames byte for byte against the stored files, HTJ2K frames decoded bit-exact against the native
# pixels once per server) and a failed check fails the round. Times: to the end of the metadata,
# to the first frame, to the last frame; medians over rounds; ratio orthanc/dicomnode (> 1:
# dicomnode faster). On loopback a "cold" round comes first: the page cache is dropped before each
# server's replay (both read from the disk, as when a study is opened a while after it arrived);
# it is reported on its own line, and the medians are of the rounds after it. dicomnode's RSS:
# max VmRSS sampled every 20 ms while the replays ran.
# A benchmark, not a test: CI does not run it. Needs root (network namespaces) and
# apt: dcmtk orthanc orthanc-dicomweb openjph-tools iproute2; PyPI: pydicom pylibjpeg-openjpeg numpy.
#
#   bench/viewer.sh [--dicomnode PATH] [--links loopback,1gbit,100mbit]
#   env: VIEWER_BENCH_SLICES (500), VIEWER_BENCH_ROUNDS (3; 1 for raw over 100mbit),
#        VIEWER_BENCH_COLD (1: the cold round on loopback; needs root),
#        VIEWER_BENCH_CONNECTIONS (6), PROGRESSIVE_BYTES (16384), DICOMNODE,
#        BENCH_DIR (${TMPDIR:-/tmp}/dicomnode-bench/viewer), KEEP_BENCH_DIR=1
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
LIB="$HERE/lib"
DICOMNODE=${DICOMNODE:-$ROOT/.build/release/dicomnode}
SLICES=${VIEWER_BENCH_SLICES:-500}
ROUNDS=${VIEWER_BENCH_ROUNDS:-3}
COLD=${VIEWER_BENCH_COLD:-1}
CONNECTIONS=${VIEWER_BENCH_CONNECTIONS:-6}
PROGRESSIVE=${PROGRESSIVE_BYTES:-16384}
WORK=${BENCH_DIR:-${TMPDIR:-/tmp}/dicomnode-bench/viewer}
LINKS=loopback,1gbit,100mbit
ORTHANC=/usr/sbin/Orthanc
STORESCU=/usr/bin/storescu
ECHOSCU=/usr/bin/echoscu
CURL=/usr/bin/curl
PYTHON=${PYTHON:-python3}
NS=dnviewer$$
VETH_H=dnvh$$ VETH_N=dnvn$$
HOST_IP=10.231.77.1 NS_IP=10.231.77.2

die() { echo "viewer-bench: $*" >&2; exit 2; }
log() { echo "viewer-bench: $*" >&2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) DICOMNODE="$2"; shift 2 ;;
    --links) LINKS="$2"; shift 2 ;;
    -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$SLICES" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ && "$PROGRESSIVE" =~ ^[1-9][0-9]*$ ]] \
  || die "VIEWER_BENCH_SLICES, VIEWER_BENCH_ROUNDS and PROGRESSIVE_BYTES must be positive integers"
[ -x "$DICOMNODE" ] || die "dicomnode not found at $DICOMNODE (swift build -c release, or --dicomnode PATH)"
DICOMNODE=$(cd "$(dirname "$DICOMNODE")" && pwd)/$(basename "$DICOMNODE")
for t in "$STORESCU" "$ECHOSCU" "$CURL" "$ORTHANC" /usr/bin/ojph_expand /usr/sbin/ip /usr/sbin/tc; do
  [ -x "$t" ] || die "$t not found (apt-get install dcmtk curl orthanc orthanc-dicomweb openjph-tools iproute2)"
done
PLUGIN=""
for p in /usr/share/orthanc/plugins/libOrthancDicomWeb.so /usr/lib/orthanc/libOrthancDicomWeb.so*; do
  [ -e "$p" ] && { PLUGIN=$p; break; }
done
[ -n "$PLUGIN" ] || die "Orthanc's DICOMweb plugin not found (apt-get install -y orthanc-dicomweb)"
"$PYTHON" -c "import pydicom, numpy, openjpeg" 2>/dev/null || die "$PYTHON cannot import pydicom, numpy and openjpeg (pylibjpeg-openjpeg)"
[[ "$LINKS" == loopback ]] || [ "$(id -u)" -eq 0 ] || die "shaped links need root (network namespaces); use --links loopback"
if [ "$COLD" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  log "not root: no cold round (dropping the page cache needs root); VIEWER_BENCH_COLD=0 to silence"
  COLD=0
fi
export TCP_NODELAY=1   # DCMTK and Orthanc leave Nagle on otherwise (ENVIRONMENT.md)

# The series, once: native, and as HTJ2K lossless RPCL for Orthanc.
GEN_VERSION=$(sed -n 's/^GENERATOR_VERSION = "\(.*\)"$/\1/p' "$LIB/make_ct_series.py")
RAW="$WORK/data/series-$SLICES" HT="$WORK/data/series-$SLICES-htj2k"
mkdir -p "$WORK/data"
if [ "$(cat "$RAW/.marker" 2>/dev/null || true)" != "generator=$GEN_VERSION files=$SLICES" ]; then
  log "generating $SLICES CT slices in $RAW (once) ..."
  rm -rf "$RAW" "$HT" && mkdir -p "$RAW"
  "$PYTHON" "$LIB/make_ct_series.py" --out "$RAW" --count "$SLICES" >/dev/null
  echo "generator=$GEN_VERSION files=$SLICES" > "$RAW/.marker"
fi
if [ "$(cat "$HT/.marker" 2>/dev/null || true)" != "generator=$GEN_VERSION files=$SLICES" ]; then
  log "transcoding the series to HTJ2K RPCL in $HT (once) ..."
  rm -rf "$HT" && mkdir -p "$HT"
  for f in "$RAW"/*.dcm; do "$DICOMNODE" transcode -t 1.2.840.10008.1.2.4.202 "$f" "$HT/$(basename "$f")"; done
  echo "generator=$GEN_VERSION files=$SLICES" > "$HT/.marker"
fi
mapfile -t RAW_FILES < <(find "$RAW" -maxdepth 1 -name '*.dcm' | LC_ALL=C sort)
mapfile -t HT_FILES < <(find "$HT" -maxdepth 1 -name '*.dcm' | LC_ALL=C sort)
[ "${#RAW_FILES[@]}" -eq "$SLICES" ] && [ "${#HT_FILES[@]}" -eq "$SLICES" ] || die "the series directories do not hold $SLICES files"
"$PYTHON" "$LIB/wado_client.py" info "$RAW" > "$WORK/data/info-$SLICES.txt"
STUDY=$(sed -n 1p "$WORK/data/info-$SLICES.txt"); SERIES_UID=$(sed -n 2p "$WORK/data/info-$SLICES.txt")
FIRST_UID=$(sed -n 3p "$WORK/data/info-$SLICES.txt")

RUN="$WORK/run"
rm -rf "$RUN" && mkdir -p "$RUN"
PIDS=()
SAMPLER_PID=""
cleanup() {
  local p
  [ -n "$SAMPLER_PID" ] && kill -TERM "$SAMPLER_PID" 2>/dev/null || true
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip link del "$VETH_H" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  if [ -z "${KEEP_BENCH_DIR:-}" ]; then rm -rf "$RUN"; else log "kept $RUN"; fi
}
trap cleanup EXIT
free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { local i; for i in $(seq 1 300); do "$CURL" -sf -o /dev/null "$1" && return 0; sleep 0.1; done; return 1; }
wait_echo() { local i; for i in $(seq 1 300); do "$ECHOSCU" -aec "$2" -to 2 127.0.0.1 "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
log "$(nproc) cores, load $LOAD; $SLICES slices; links $LINKS; $ROUNDS rounds; $CONNECTIONS connections"

# Servers: dicomnode and Orthanc for each data set.
declare -A HTTP_PORT PID_OF
DICOM_PORT=""
start_dicomnode() {  # NAME [config]; sets DICOM_PORT (not in a subshell: the tables must keep it)
  local port http; port=$(free_port); http=$(free_port)
  local args=(serve --data "$RUN/$1-data" --port "$port" --http-port "$http" --log-level warning)
  [ -n "${2:-}" ] && args+=(--config "$2")
  "$DICOMNODE" "${args[@]}" > "$RUN/$1.log" 2>&1 &
  PID_OF[$1]=$!; PIDS+=("$!"); HTTP_PORT[$1]=$http
  wait_http "http://127.0.0.1:$http/health" || die "$1 did not come up (see $RUN/$1.log)"
  wait_echo "$port" DICOMNODE || die "$1 did not answer C-ECHO (see $RUN/$1.log)"
  DICOM_PORT=$port
}
# Orthanc as tuned for speed on a LAN: HttpCompressionEnabled false. The replay's requests carry
# Accept-Encoding: gzip, deflate as a browser's do, and Orthanc's default (true) then gzips every
# frame (500 x 512 KiB), which made its loopback replay 4x slower: a handicap an administrator
# would switch off, not a fair reference. dicomnode gzips JSON only, never pixel data.
start_orthanc() {  # NAME
  local port http; port=$(free_port); http=$(free_port)
  mkdir -p "$RUN/$1/storage" "$RUN/$1/index"
  cat > "$RUN/$1/config.json" <<EOF
{
  "Name": "dicomnode-viewer-bench", "StorageDirectory": "$RUN/$1/storage", "IndexDirectory": "$RUN/$1/index",
  "StorageCompression": false, "DicomAet": "ORTHANC", "DicomPort": $port, "DicomCheckCalledAet": false,
  "HttpServerEnabled": true, "HttpPort": $http, "RemoteAccessAllowed": true, "AuthenticationEnabled": false,
  "KeepAlive": true, "TcpNoDelay": true, "SaveJobs": false, "HttpCompressionEnabled": false, "Plugins": ["$PLUGIN"],
  "DicomWeb": { "Enable": true, "Root": "/dicom-web/", "EnableWado": false }
}
EOF
  "$ORTHANC" "$RUN/$1/config.json" > "$RUN/$1.log" 2>&1 &
  PID_OF[$1]=$!; PIDS+=("$!"); HTTP_PORT[$1]=$http
  wait_http "http://127.0.0.1:$http/system" || die "$1 did not come up (see $RUN/$1.log)"
  wait_echo "$port" ORTHANC || die "$1 did not answer C-ECHO (see $RUN/$1.log)"
  DICOM_PORT=$port
}
cat > "$RUN/htj2k.yaml" <<EOF
storage:
  compress_on_ingest: {CT: htj2k-rpcl}
EOF
start_dicomnode dn-raw; "$STORESCU" -aec DICOMNODE 127.0.0.1 "$DICOM_PORT" "${RAW_FILES[@]}" > "$RUN/load.out" 2>&1 || die "storescu into dn-raw failed"
start_orthanc or-raw; "$STORESCU" -aec ORTHANC 127.0.0.1 "$DICOM_PORT" "${RAW_FILES[@]}" >> "$RUN/load.out" 2>&1 || die "storescu into or-raw failed"
start_dicomnode dn-ht "$RUN/htj2k.yaml"; "$STORESCU" -aec DICOMNODE 127.0.0.1 "$DICOM_PORT" "${RAW_FILES[@]}" >> "$RUN/load.out" 2>&1 || die "storescu into dn-ht failed"
start_orthanc or-ht
for f in "${HT_FILES[@]}"; do   # Orthanc's REST API takes any transfer syntax as it is
  "$CURL" -sf -o /dev/null -X POST --data-binary @"$f" "http://127.0.0.1:${HTTP_PORT[or-ht]}/instances" || die "POST $f to or-ht failed"
done
sync
log "loaded: dn-raw, or-raw (storescu), dn-ht (storescu, ingest policy htj2k-rpcl), or-ht (REST, HTJ2K files)"
# What each server's frames must equal: dicomnode's own stored files, the files Orthanc was given.
declare -A STORED=([dn-raw]="$RUN/dn-raw-data/objects" [or-raw]="$RAW" [dn-ht]="$RUN/dn-ht-data/objects" [or-ht]="$HT")
"$PYTHON" "$LIB/wado_client.py" rss "${PID_OF[dn-raw]}" "${PID_OF[dn-ht]}" --out "$RUN/rss.json" &
SAMPLER_PID=$!

host_for() { [ "$1" = loopback ] && echo 127.0.0.1 || echo "$HOST_IP"; }
in_link() {  # LINK cmd...: the client, inside the namespace for a shaped link
  local link=$1; shift
  if [ "$link" = loopback ]; then "$@"; else ip netns exec "$NS" "$@"; fi
}
shape() {  # RATE: tbf both ways on the veth pair (burst and queue sized for the rate)
  local rate=$1 burst=256kb
  [ "$rate" = 1gbit ] && burst=1mb
  tc qdisc replace dev "$VETH_H" root tbf rate "$rate" burst "$burst" latency 20ms
  ip netns exec "$NS" tc qdisc replace dev "$VETH_N" root tbf rate "$rate" burst "$burst" latency 20ms
}
if [[ "$LINKS" != loopback ]]; then
  ip netns add "$NS"
  ip link add "$VETH_H" type veth peer name "$VETH_N"
  ip link set "$VETH_N" netns "$NS"
  ip addr add "$HOST_IP/24" dev "$VETH_H"; ip link set "$VETH_H" up
  ip netns exec "$NS" ip addr add "$NS_IP/24" dev "$VETH_N"
  ip netns exec "$NS" ip link set "$VETH_N" up; ip netns exec "$NS" ip link set lo up
fi

RESULTS="$RUN/results.jsonl"; : > "$RESULTS"
declare -A skip_server
replay() {  # LINK SERVER DATASET MODE ROUND [extra args]
  local link=$1 server=$2 dataset=$3 mode=$4 round=$5; shift 5
  local base="http://$(host_for "$link"):${HTTP_PORT[$server]}/dicom-web" out
  out=$(in_link "$link" "$PYTHON" "$LIB/viewer_replay.py" "$base" --study "$STUDY" --stored "${STORED[$server]}" \
        --connections "$CONNECTIONS" --label "$server" "$@") || true
  [ -n "$out" ] || out='{"error_count": 1, "errors": ["the replay printed nothing"]}'
  "$PYTHON" - "$link" "$server" "$dataset" "$mode" "$round" "$out" >> "$RESULTS" <<'EOF'
import json, sys
r = json.loads(sys.argv[6]); r.update(link=sys.argv[1], server=sys.argv[2], dataset=sys.argv[3], mode=sys.argv[4], round=int(sys.argv[5]))
print(json.dumps(r))
EOF
  tail -1 "$RESULTS" | "$PYTHON" -c 'import json,sys; r=json.loads(sys.stdin.read()); print("viewer-bench: %-8s %-6s %-6s %-11s round %d: metadata %s s, first frame %s s, last frame %s s, %s frames checked (%s decoded bit-exact), errors %d %s" % (r["link"], r["server"], r["dataset"], r["mode"], r["round"], r.get("metadata_s"), r.get("first_frame_s"), r.get("last_frame_s"), r.get("frames_checked"), r.get("frames_decoded_bit_exact"), r.get("error_count", 0), (r.get("errors") or [""])[0][:160]))' >&2
}
drop_caches() {  # the page cache written back and dropped (root)
  sync; echo 3 > /proc/sys/vm/drop_caches
}
frame_probe() {  # SERVER LINK [curl args]: the HTTP status of frame 1 of the first instance
  local server=$1 link=$2; shift 2
  in_link "$link" "$CURL" -s -o "$RUN/probe.body" -w '%{http_code}' "$@" \
    -H "Accept: multipart/related; type=application/octet-stream; transfer-syntax=*" \
    "http://$(host_for "$link"):${HTTP_PORT[$server]}/dicom-web/studies/$STUDY/series/$SERIES_UID/instances/$FIRST_UID/frames/1"
}
range_supported() {  # SERVER LINK: does a Range on a frame come back 206?
  [ "$(frame_probe "$1" "$2" -H "Range: bytes=0-99")" = 206 ]
}

IFS=, read -r -a LINK_LIST <<< "$LINKS"
for link in "${LINK_LIST[@]}"; do
  case "$link" in loopback) ;; 1gbit|100mbit) shape "$link" ;; *) die "unknown link $link" ;; esac
  rounds=$ROUNDS
  for dataset in raw htj2k; do
    [ "$dataset" = raw ] && [ "$link" = 100mbit ] && rounds=1 || rounds=$ROUNDS
    [ "$dataset" = raw ] && servers=(dn-raw or-raw) || servers=(dn-ht or-ht)
    first=1
    # On loopback, a round 0 first: the page cache dropped before each server's replay, so both
    # read their files from the disk, as when a study is opened some time after it arrived. (The
    # rounds after it find the files in memory: dicomnode writes its objects with O_DIRECT, so
    # right after ingest its files are not cached and Orthanc's are; dropping makes it even.)
    [ "$link" = loopback ] && [ "$COLD" = 1 ] && first=0
    for round in $(seq "$first" "$rounds"); do
      for s in "${servers[@]}"; do
        if [ "$round" = "$first" ] && code=$(frame_probe "$s" "$link") && [ "$code" != 200 ]; then
          # Orthanc's DICOMweb plugin (DCMTK 3.6.7 underneath) does not know the HTJ2K syntaxes:
          # its frames answer 500 "Unknown transfer syntax". Recorded, not timed.
          log "$s cannot serve these frames (HTTP $code: $(head -c 160 "$RUN/probe.body" | tr -d '\n\t'))"
          echo "{\"link\": \"$link\", \"server\": \"$s\", \"dataset\": \"$dataset\", \"mode\": \"full\", \"round\": $round, \"unavailable\": \"frames answer HTTP $code\"}" >> "$RESULTS"
          skip_server[$s]=1
        fi
        [ -n "${skip_server[$s]:-}" ] && continue
        extra=()
        # The lossless round trip, decoded once per server and data set (on loopback, round 1).
        [ "$dataset" = htj2k ] && [ "$link" = loopback ] && [ "$round" = 1 ] && extra=(--decode --native "$RAW")
        [ "$round" = 0 ] && drop_caches
        replay "$link" "$s" "$dataset" full "$round" "${extra[@]}"
      done
    done
    if [ "$dataset" = htj2k ]; then
      for round in $(seq 1 "$ROUNDS"); do
        for s in "${servers[@]}"; do
          if [ -n "${skip_server[$s]:-}" ]; then
            continue
          elif range_supported "$s" "$link"; then
            replay "$link" "$s" htj2k progressive "$round" --progressive "$PROGRESSIVE" --skip-res 2
          elif [ "$round" = 1 ]; then
            log "$s answers a Range on a frame with the whole frame (no 206): progressive not available"
            echo "{\"link\": \"$link\", \"server\": \"$s\", \"dataset\": \"htj2k\", \"mode\": \"progressive\", \"round\": 1, \"unavailable\": \"no Range on frames\"}" >> "$RESULTS"
          fi
        done
      done
    fi
  done
done
kill -USR1 "$SAMPLER_PID" 2>/dev/null || true; sleep 0.2
kill -TERM "$SAMPLER_PID" 2>/dev/null || true; wait "$SAMPLER_PID" 2>/dev/null || true; SAMPLER_PID=""

"$PYTHON" - "$RESULTS" "$RUN/rss.json" "$LOAD" <<'EOF'
import glob, json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
failed = [r for r in rows if r.get("error_count")]
unavailable = [r for r in rows if r.get("unavailable")]
def med(key, link, server, mode):
    # Round 0 (cold) rows are reported on their own line, "cold".
    if mode == "cold":
        v = [r[key] for r in rows if r["link"] == link and r["server"] == server and r["mode"] == "full" and r["round"] == 0
             and not r.get("error_count") and r.get(key) is not None]
    else:
        v = [r[key] for r in rows if r["link"] == link and r["server"] == server and r["mode"] == mode and r["round"] > 0
             and not r.get("error_count") and r.get(key) is not None]
    return statistics.median(v) if v else None
print(f"\nviewer replay, load at start {sys.argv[3]}; medians in s (metadata / first frame / last frame)")
print(f"{'link':9} {'data':6} {'mode':12} {'dicomnode':>26} {'orthanc':>26}   last frame: orthanc/dicomnode")
for link in dict.fromkeys(r["link"] for r in rows):
    for data, dn, orr in (("raw", "dn-raw", "or-raw"), ("htj2k", "dn-ht", "or-ht")):
        for mode in ("cold", "full", "progressive"):
            a = [med(k, link, dn, mode) for k in ("metadata_s", "first_frame_s", "last_frame_s")]
            b = [med(k, link, orr, mode) for k in ("metadata_s", "first_frame_s", "last_frame_s")]
            if a[2] is None and b[2] is None: continue
            fmt = lambda t: " / ".join("-" if x is None else f"{x:.3f}" for x in t)
            ratio = f"{b[2] / a[2]:.2f}x" if a[2] and b[2] else ("n/a: " + next((r.get("unavailable", "failed") for r in rows if r["link"] == link and r["server"] == orr and r["mode"] == ("full" if mode == "cold" else mode)), "n/a"))
            best = med("last_frame_s", link, "or-raw", "cold" if mode == "cold" else "full")
            if data == "htj2k" and a[2] and best:
                ratio += f"; vs Orthanc raw {best / a[2]:.2f}x"
            print(f"{link:9} {data:6} {mode:12} {fmt(a):>26} {fmt(b):>26}   {ratio}")
rss = {}
for f in sorted(glob.glob(sys.argv[2] + ".*")):
    for pid, s in json.load(open(f)).items():
        rss[pid] = max(rss.get(pid, 0), s.get("max") or 0)
if rss:
    print("dicomnode max VmRSS while replaying (MiB): " + ", ".join(f"pid {p}: {v / 1024:.0f}" for p, v in rss.items()))
print(f"checks: {len(rows) - len(failed) - len(unavailable)} replays passed, {len(failed)} failed, {len(unavailable)} not available")
for r in unavailable:
    print("not available:", r["link"], r["server"], r["dataset"], r["mode"], r["unavailable"])
for r in failed[:10]:
    print("FAILED", r["link"], r["server"], r["dataset"], r["mode"], r["round"], r.get("errors", [])[:3])
sys.exit(1 if failed else 0)
EOF
