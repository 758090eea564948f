#!/usr/bin/env bash
# Codecs around libraries: decode and encode MB/s of dicomnode's JPEG Baseline (libjpeg-turbo), JPEG-LS
# (CharLS) and JPEG 2000 (OpenJPEG) codecs against DCMTK's dcmcjpeg/dcmdjpeg and dcmcjpls/dcmdjpls
# (and, for JPEG 2000, which DCMTK lacks, against pylibjpeg-openjpeg in Python), on the same files in one run.
#
# Usage: bench/codecs-libs.sh [--dicomnode PATH] [--repeat N]
# MB/s = 10^6 bytes of native pixel data per second. dicomnode is timed in process (bench-codec-lib, no
# start-up, no file I/O); DCMTK is timed as whole processes (one per file: start-up, file read and write
# included), over large images (1–7 MB native each, 120-frame colour cine for JPEG) so start-up is small;
# the DCMTK start-up alone (dcmconv on a 1 KB file) is printed too.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/dicomnode
REPEAT=3
while [ $# -gt 0 ]; do
  case "$1" in
    --dicomnode) BIN=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || { echo "build first: swift build -c release" >&2; exit 2; }
export TCP_NODELAY=1
WORK=$(mktemp -d "${TMPDIR:-/tmp}/codecs-libs.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK"/{grey16,rgb8,jls,jpeg,j2k,out}

# 1. Native inputs: pydicom's large 16-bit images; 8-bit colour (a 120-frame cine, decompressed once, and
#    US1) and 8-bit grey (MR2 scaled to 8 bits).
python3 - "$WORK" <<'PY'
import os, sys, shutil, pydicom, numpy as np, data_store
work = sys.argv[1]
p = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files")
q = os.path.join(os.path.dirname(data_store.__file__), "data")
def find(name):
    for d in (p, q):
        for root, _, fs in os.walk(d):
            if name in fs: return os.path.join(root, name)
    sys.exit(f"missing {name}")
for n in ["MR2_UNCR.dcm", "RG1_UNCR.dcm", "RG3_UNCR.dcm", "693_UNCR.dcm", "mlut_18.dcm", "MR-SIEMENS-DICOM-WithOverlays.dcm"]:
    shutil.copy(find(n), os.path.join(work, "grey16", n))
shutil.copy(find("US1_UNCR.dcm"), os.path.join(work, "rgb8", "US1_UNCR.dcm"))
shutil.copy(find("color3d_jpeg_baseline.dcm"), os.path.join(work, "color3d_jpeg.dcm"))
ds = pydicom.dcmread(find("MR2_UNCR.dcm"))
a = (ds.pixel_array >> 4).astype(np.uint8)
ds.BitsAllocated = 8; ds.BitsStored = 8; ds.HighBit = 7; ds.PixelRepresentation = 0
ds.PixelData = a.tobytes()
ds.save_as(os.path.join(work, "rgb8", "MR2_grey8.dcm"))
PY
/usr/bin/dcmdjpeg "$WORK/color3d_jpeg.dcm" "$WORK/rgb8/color3d_native.dcm"
rm "$WORK/color3d_jpeg.dcm"

native_bytes() {  # total native pixel bytes of the files in $1
  python3 - "$1" <<'PY'
import os, sys, pydicom
t = 0
for f in sorted(os.listdir(sys.argv[1])):
    ds = pydicom.dcmread(os.path.join(sys.argv[1], f), stop_before_pixels=True)
    t += ds.Rows * ds.Columns * ds.get("SamplesPerPixel", 1) * ds.BitsAllocated // 8 * int(ds.get("NumberOfFrames", 1) or 1)
print(t)
PY
}
now() { date +%s.%N; }
mbps() { python3 -c "import sys; print(f'{$1 * $2 / 1e6 / ($3):.1f}')"; }

# Whole-process DCMTK timing: every file of $2 through command $1 (IN OUT), $REPEAT times.
dcmtk_time() {
  local cmd=$1 dir=$2 out=$3 t0 t1
  mkdir -p "$out"
  t0=$(now)
  for _ in $(seq "$REPEAT"); do
    for f in "$dir"/*.dcm; do $cmd "$f" "$out/$(basename "$f")"; done
  done
  t1=$(now)
  python3 -c "print($t1 - $t0)"
}
ours() {  # prints MB/s from the bench-codec-lib line
  "$BIN" bench-codec-lib --repeat "$REPEAT" "$@" | sed -n 's/.*mb_per_s=//p'
}

GREY=$(native_bytes "$WORK/grey16"); RGB=$(native_bytes "$WORK/rgb8")
echo "inputs: grey16 $(ls "$WORK/grey16" | wc -l) files, $((GREY / 1000000)) MB native; 8-bit $(ls "$WORK/rgb8" | wc -l) files (one 120 frames), $((RGB / 1000000)) MB native; repeat $REPEAT"
t0=$(now); for _ in $(seq 20); do /usr/bin/dcmconv "$WORK/rgb8/MR2_grey8.dcm" "$WORK/out/startup.dcm" >/dev/null 2>&1 || true; done; t1=$(now)
echo "DCMTK process start-up + 1 MB read/write (dcmconv): $(python3 -c "print(f'{($t1 - $t0) / 20 * 1000:.0f}')") ms per file"
printf "\n%-26s %12s %12s %8s\n" "codec" "dicomnode" "reference" "ratio"
row() { printf "%-26s %12s %12s %8s\n" "$1" "$2" "$3" "$(python3 -c "print(f'{$2 / $3:.2f}x')")"; }

# 2. JPEG Baseline, quality 90, RGB → YBR_FULL_422 (dcmcjpeg's defaults: +eb, +q 90, +cy, 4:2:2).
t=$(dcmtk_time "/usr/bin/dcmcjpeg -q +eb +q 90" "$WORK/rgb8" "$WORK/jpeg")
row "JPEG Baseline encode MB/s" "$(ours --encode --syntax 1.2.840.10008.1.2.4.50 --quality 90 "$WORK"/rgb8/*.dcm)" "$(mbps "$RGB" "$REPEAT" "$t")"
t=$(dcmtk_time "/usr/bin/dcmdjpeg -q" "$WORK/jpeg" "$WORK/out/jpeg")
row "JPEG Baseline decode MB/s" "$(ours --syntax 1.2.840.10008.1.2.4.50 "$WORK"/jpeg/*.dcm)" "$(mbps "$RGB" "$REPEAT" "$t")"

# 3. JPEG-LS lossless (dcmcjpls default: lossless, sample interleave).
t=$(dcmtk_time "/usr/bin/dcmcjpls -q" "$WORK/grey16" "$WORK/jls")
row "JPEG-LS encode MB/s" "$(ours --encode --syntax 1.2.840.10008.1.2.4.80 "$WORK"/grey16/*.dcm)" "$(mbps "$GREY" "$REPEAT" "$t")"
t=$(dcmtk_time "/usr/bin/dcmdjpls -q" "$WORK/jls" "$WORK/out/jls")
row "JPEG-LS decode MB/s" "$(ours --syntax 1.2.840.10008.1.2.4.80 "$WORK"/jls/*.dcm)" "$(mbps "$GREY" "$REPEAT" "$t")"

# 4. JPEG 2000 lossless: DCMTK has no JPEG 2000 codec; the reference is pylibjpeg-openjpeg (OpenJPEG
#    2.5 called from Python, in process, arrays in memory) on the same frames.
PYJ2K=$(python3 - "$WORK/grey16" "$REPEAT" <<'PY'
import os, sys, time, pydicom, numpy as np
from openjpeg import encode, decode
d, r = sys.argv[1], int(sys.argv[2])
arrs = []
for f in sorted(os.listdir(d)):
    ds = pydicom.dcmread(os.path.join(d, f))
    a = ds.pixel_array
    arrs.append((a, int(ds.BitsStored)))
total = sum(a.nbytes for a, _ in arrs)
t0 = time.perf_counter(); streams = []
for _ in range(r):
    streams = [encode(a, bits_stored=b, codec_format=0) for a, b in arrs]
t1 = time.perf_counter()
for _ in range(r):
    for s in streams: decode(s)
t2 = time.perf_counter()
print(f"{total * r / 1e6 / (t1 - t0):.1f} {total * r / 1e6 / (t2 - t1):.1f}")
PY
)
python3 - "$WORK/grey16" "$WORK/j2k" <<'PY'
import os, sys, pydicom
from pydicom.uid import JPEG2000Lossless
for f in sorted(os.listdir(sys.argv[1])):
    ds = pydicom.dcmread(os.path.join(sys.argv[1], f))
    ds.compress(JPEG2000Lossless, encoding_plugin="pylibjpeg")
    ds.save_as(os.path.join(sys.argv[2], f))
PY
row "JPEG 2000 lossless encode" "$(ours --encode --syntax 1.2.840.10008.1.2.4.90 "$WORK"/grey16/*.dcm)" "${PYJ2K% *}"
row "JPEG 2000 lossless decode" "$(ours --syntax 1.2.840.10008.1.2.4.90 "$WORK"/j2k/*.dcm)" "${PYJ2K#* }"

# 5. HTJ2K lossless RPCL: dicomnode encodes with OpenJPH (in process) and decodes with OpenJPEG; the
#    reference is OpenJPH's own ojph_compress / ojph_expand, one process per file, on the unsigned
#    16-bit images (as PGM, which is what those tools read).
if [ -x /usr/bin/ojph_compress ] && [ -x /usr/bin/ojph_expand ]; then
  mkdir -p "$WORK"/{htj2k_in,htj2k_pgm,htj2k_j2c,htj2k_dcm}
  python3 - "$WORK" <<'PY'
import os, sys, pydicom, numpy as np
from pydicom.encaps import encapsulate
w = sys.argv[1]
for f in sorted(os.listdir(os.path.join(w, "grey16"))):
    ds = pydicom.dcmread(os.path.join(w, "grey16", f))
    if int(ds.PixelRepresentation) != 0:
        continue
    a = ds.pixel_array.astype(">u2")
    with open(os.path.join(w, "htj2k_pgm", f[:-4] + ".pgm"), "wb") as out:
        out.write(b"P5\n%d %d\n%d\n" % (a.shape[1], a.shape[0], (1 << int(ds.BitsStored)) - 1))
        out.write(a.tobytes())
    ds.save_as(os.path.join(w, "htj2k_in", f))
PY
  HT=$(native_bytes "$WORK/htj2k_in")
  t0=$(now)
  for _ in $(seq "$REPEAT"); do
    for f in "$WORK"/htj2k_pgm/*.pgm; do
      /usr/bin/ojph_compress -i "$f" -o "$WORK/htj2k_j2c/$(basename "${f%.pgm}").j2c" -reversible true -prog_order RPCL >/dev/null
    done
  done
  t1=$(now)
  row "HTJ2K lossless encode" "$(ours --encode --syntax 1.2.840.10008.1.2.4.202 "$WORK"/htj2k_in/*.dcm)" "$(mbps "$HT" "$REPEAT" "$(python3 -c "print($t1 - $t0)")")"
  python3 - "$WORK" <<'PY'
import os, sys, pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import UID
w = sys.argv[1]
for f in sorted(os.listdir(os.path.join(w, "htj2k_in"))):
    ds = pydicom.dcmread(os.path.join(w, "htj2k_in", f))
    with open(os.path.join(w, "htj2k_j2c", f[:-4] + ".j2c"), "rb") as j:
        ds.PixelData = encapsulate([j.read()])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.4.202")
    ds.save_as(os.path.join(w, "htj2k_dcm", f), enforce_file_format=True)
PY
  t0=$(now)
  for _ in $(seq "$REPEAT"); do
    for f in "$WORK"/htj2k_j2c/*.j2c; do /usr/bin/ojph_expand -i "$f" -o "$WORK/out/x.pgm" >/dev/null; done
  done
  t1=$(now)
  row "HTJ2K lossless decode" "$(ours --syntax 1.2.840.10008.1.2.4.202 "$WORK"/htj2k_dcm/*.dcm)" "$(mbps "$HT" "$REPEAT" "$(python3 -c "print($t1 - $t0)")")"
else
  echo "HTJ2K: ojph_compress/ojph_expand missing (apt-get install openjph-tools)"
fi

echo
echo "reference: DCMTK $(/usr/bin/dcmdjpeg --version 2>/dev/null | head -1 | sed 's/^\$//') whole processes for JPEG and JPEG-LS; pylibjpeg-openjpeg in process for JPEG 2000; OpenJPH ojph_compress/ojph_expand whole processes for HTJ2K."
