#!/usr/bin/env bash
# RLE Lossless and JPEG Lossless (SV1): dicomnode's codecs (written here) against DCMTK's
# dcmcrle/dcmdrle and dcmcjpeg/dcmdjpeg, on the same native multi-frame files, in one run.
#
#   bench/codecs-native.sh [--dicomnode BIN] [--data DIR] [--seconds S] [--runs N]
#
# Figures are MB/s of native pixel bytes (10^6 bytes) per second, by wall clock and by CPU time
# (user + system; on a shared machine the wall clock also counts other processes' turns):
#   ours in-process   `dicomnode bench-codec`: decode and encode of every frame in memory, repeated
#                     for at least S seconds (no file I/O, no process start-up);
#   ours process      `dicomnode transcode` native → syntax (encode) and syntax → native (decode),
#                     whole process timed with hyperfine, as DCMTK is;
#   DCMTK process     dcmcrle / dcmdrle, dcmcjpeg +e1 / dcmdjpeg, whole process (read, code, write).
# The files are 31–37 MB so that process start-up is a small part of the process figures.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dicomnode=$root/.build/release/dicomnode
data=${TMPDIR:-/tmp}/dicomnode-bench/codecs
seconds=3
runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --dicomnode) dicomnode=$2; shift 2 ;;
    --data) data=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
python3 "$root/bench/lib/make_codec_bench.py" "$data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TCP_NODELAY=1

# "wall cpu" mean seconds of a command (hyperfine, no shell; cpu = user + system)
times() {
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/h.json" "$@" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/h.json'))['results'][0];print(r['mean'], r['user']+r['system'])"
}
rate() { python3 -c "print('%.1f' % ($1 / $2 / 1e6))"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

printf '%-6s %-4s %-6s | %9s %9s | %9s %9s | %9s %9s | %8s %8s\n' file ts op "in-wall" "in-cpu" "proc-wall" "proc-cpu" \
  "dcmtk-wall" "dcmtk-cpu" "x in-cpu" "x proc"
status=0
for f in ct16 gray8 rgb8; do
  src=$data/$f.dcm
  for codec in rle sv1; do
    if [ $codec = rle ]; then enc=(/usr/bin/dcmcrle); dec=(/usr/bin/dcmdrle); else enc=(/usr/bin/dcmcjpeg +e1); dec=(/usr/bin/dcmdjpeg); fi
    line=$("$dicomnode" bench-codec -t $codec --seconds "$seconds" "$src")
    if ! grep -q "verified=yes" <<<"$line"; then echo "FAIL: $f $codec did not round-trip: $line" >&2; status=1; continue; fi
    field() { sed -E "s/.*(^| )$1=([0-9.]+).*/\2/" <<<"$line"; }
    native=$(field native_bytes)
    # Files to decode: ours and DCMTK's own encoding of the same source.
    "$dicomnode" transcode "$src" "$work/ours.dcm" -t $codec
    "${enc[@]}" "$src" "$work/dcmtk.dcm"
    read -r w_oe c_oe < <(times "$dicomnode transcode $src $work/o1.dcm -t $codec")
    read -r w_od c_od < <(times "$dicomnode transcode $work/ours.dcm $work/o2.dcm -t explicit")
    read -r w_de c_de < <(times "${enc[*]} $src $work/d1.dcm")
    read -r w_dd c_dd < <(times "${dec[*]} $work/dcmtk.dcm $work/d2.dcm")
    for op in decode encode; do
      if [ $op = decode ]; then iw=$(field decode_MBps); ic=$(field decode_cpu_MBps); pw=$w_od; pc=$c_od; dw=$w_dd; dc=$c_dd
      else iw=$(field encode_MBps); ic=$(field encode_cpu_MBps); pw=$w_oe; pc=$c_oe; dw=$w_de; dc=$c_de; fi
      printf '%-6s %-4s %-6s | %9s %9s | %9s %9s | %9s %9s | %8s %8s\n' $f $codec $op "$iw" "$ic" \
        "$(rate "$native" "$pw")" "$(rate "$native" "$pc")" "$(rate "$native" "$dw")" "$(rate "$native" "$dc")" \
        "$(ratio "$ic" "$(rate "$native" "$dc")")" "$(ratio "$dc" "$pc")"
    done
    printf '%-6s %-4s size   | ours %s bytes, DCMTK %s bytes (native %s)\n' $f $codec \
      "$(stat -c %s "$work/ours.dcm")" "$(stat -c %s "$work/dcmtk.dcm")" "$native"
  done
done
echo "MB/s of native pixels (10^6 bytes). in-*: dicomnode bench-codec, in memory; proc-*: dicomnode transcode,"
echo "whole process; dcmtk-*: dcmdrle/dcmcrle/dcmdjpeg/dcmcjpeg +e1, whole process. cpu = user + system time."
echo "x in-cpu = ours in-process / DCMTK process (CPU); x proc = ours process / DCMTK process (CPU)."
exit $status
