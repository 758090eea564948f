#!/usr/bin/env bash
# RLE Lossless and JPEG Lossless (SV1): dicomnode's codecs (written here) against DCMTK's
# dcmcrle/dcmdrle and dcmcjpeg/dcmdjpeg, on the same native multi-frame files, in one run.
#
#   bench/codecs-native.sh [--dicomnode BIN] [--data DIR] [--seconds S] [--runs N]
#
# Figures are MB/s of native pixel bytes (10^6 bytes) per second:
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

# mean seconds of a command (hyperfine, no shell)
mean() {
  hyperfine -N --warmup 1 --runs "$runs" --export-json "$work/h.json" "$@" >/dev/null 2>&1
  python3 -c "import json;print(json.load(open('$work/h.json'))['results'][0]['mean'])"
}
rate() { python3 -c "print('%.1f' % ($1 / $2 / 1e6))"; }
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }

printf '%-10s %-6s %-7s %12s %12s %12s %10s %10s\n' file codec op "ours-inproc" "ours-proc" "dcmtk-proc" "x(inproc)" "x(proc)"
status=0
for f in ct16 gray8 rgb8; do
  src=$data/$f.dcm
  for codec in rle sv1; do
    if [ $codec = rle ]; then enc=(/usr/bin/dcmcrle); dec=(/usr/bin/dcmdrle); else enc=(/usr/bin/dcmcjpeg +e1); dec=(/usr/bin/dcmdjpeg); fi
    line=$("$dicomnode" bench-codec -t $codec --seconds "$seconds" "$src")
    if ! grep -q "verified=yes" <<<"$line"; then echo "FAIL: $f $codec did not round-trip: $line" >&2; status=1; continue; fi
    native=$(sed -E 's/.*native_bytes=([0-9]+).*/\1/' <<<"$line")
    in_dec=$(sed -E 's/.*decode_MBps=([0-9.]+).*/\1/' <<<"$line")
    in_enc=$(sed -E 's/.*encode_MBps=([0-9.]+).*/\1/' <<<"$line")
    # Files to decode: ours and DCMTK's own encoding of the same source.
    "$dicomnode" transcode "$src" "$work/ours.dcm" -t $codec
    "${enc[@]}" "$src" "$work/dcmtk.dcm"
    t_oe=$(mean "$dicomnode transcode $src $work/o1.dcm -t $codec")
    t_od=$(mean "$dicomnode transcode $work/ours.dcm $work/o2.dcm -t explicit")
    t_de=$(mean "${enc[*]} $src $work/d1.dcm")
    t_dd=$(mean "${dec[*]} $work/dcmtk.dcm $work/d2.dcm")
    for op in decode encode; do
      if [ $op = decode ]; then inproc=$in_dec; ours=$(rate "$native" "$t_od"); dcmtk=$(rate "$native" "$t_dd")
      else inproc=$in_enc; ours=$(rate "$native" "$t_oe"); dcmtk=$(rate "$native" "$t_de"); fi
      printf '%-10s %-6s %-7s %12s %12s %12s %10s %10s\n' $f $codec $op "$inproc" "$ours" "$dcmtk" \
        "$(ratio "$inproc" "$dcmtk")" "$(ratio "$ours" "$dcmtk")"
    done
    printf '%-10s %-6s %-7s ours %s bytes, DCMTK %s bytes\n' $f $codec size "$(stat -c %s "$work/ours.dcm")" "$(stat -c %s "$work/dcmtk.dcm")"
  done
done
echo "(MB/s of native pixels; x = ours / DCMTK; in-process excludes file I/O and start-up, process figures include both)"
exit $status
