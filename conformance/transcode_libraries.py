#!/usr/bin/env python3
"""`dicomnode transcode` into the syntaxes whose codecs wrap libraries (libjpeg-turbo, CharLS,
OpenJPEG, OpenJPH), checked by independent tools: dciodvfy and pydicom.

For each native source of pydicom's test data (grey 8/12/16-bit, signed and unsigned, one and ten
frames, MONOCHROME1, RGB, YBR_FULL_422, PALETTE COLOR) and each target syntax (JPEG Baseline,
JPEG-LS lossless and near-lossless, JPEG 2000 lossless and lossy, HTJ2K lossless and RPCL):

- `dicomnode transcode SRC OUT -t UID` either writes OUT, or refuses with a reason (exit status
  not 0, a message naming the problem) when the codec cannot take the image (JPEG Baseline of
  16-bit samples, for instance); a refusal must leave no OUT behind;
- OUT's File Meta names the target syntax; when OUT's pixels differ from SRC's, Lossy Image
  Compression (0028,2110) is "01" (PS3.3 §C.7.6.1.1.5), and when they do not it is not "01"
  unless SRC said so;
- `dciodvfy` finds no error in OUT that it does not find in SRC (issue 6: "transcoded files
  validate with dciodvfy no worse than their source"). Debian 12's dicom3tools predates HTJ2K
  and reads an HTJ2K file as native (it then fails on the encapsulated Pixel Data), so for HTJ2K
  targets it is given a copy whose File Meta names JPEG 2000 Lossless instead: the data set it
  checks is the same;
- a PALETTE COLOR image is refused in a syntax that may be lossy (PS3.5 §8.2) and written in the
  lossless ones;
- pydicom (pylibjpeg-libjpeg, pyjpegls, pylibjpeg-openjpeg) decodes OUT: for a lossless target
  to exactly SRC's pixels, frame by frame; for a lossy one to the same shape within a mean
  absolute difference of 2% of the source's range.

    python3 conformance/transcode_libraries.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.codecs_native import dciodvfy_errors  # noqa: E402
from conformance.lib.node import Checks, run, sample, standard_args, tail  # noqa: E402

SOURCES = [
    "test_files/CT_small.dcm",                     # 16 bits stored, signed
    "test_files/MR_small.dcm",                     # 16 bits, signed, 64x64
    "pydicom-data/emri_small.dcm",                 # 12 of 16 bits, 10 frames
    "pydicom-data/RG3_UNCR.dcm",                   # MONOCHROME1, 10 of 16 bits, 1760x1760
    "pydicom-data/SC_rgb.dcm",                     # RGB 8-bit
    "pydicom-data/SC_rgb_2frame.dcm",              # RGB, 2 frames
    "test_files/SC_ybr_full_422_uncompressed.dcm", # native YBR_FULL_422
    "pydicom-data/OBXXXX1A.dcm",                   # PALETTE COLOR 8-bit
]
# name, UID, lossless
TARGETS = [
    ("JPEG Baseline", "1.2.840.10008.1.2.4.50", False),
    ("JPEG-LS lossless", "1.2.840.10008.1.2.4.80", True),
    ("JPEG-LS near-lossless", "1.2.840.10008.1.2.4.81", False),
    ("JPEG 2000 lossless", "1.2.840.10008.1.2.4.90", True),
    ("JPEG 2000", "1.2.840.10008.1.2.4.91", False),
    ("HTJ2K lossless", "1.2.840.10008.1.2.4.201", True),
    ("HTJ2K lossless RPCL", "1.2.840.10008.1.2.4.202", True),
]


HTJ2K = {"1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"}


def frames_of(ds):
    """The frames as arrays, as pydicom decodes them (colour as RGB)."""
    import numpy as np
    from pydicom.pixels import iter_pixels

    return [np.asarray(f) for f in iter_pixels(ds)]


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    try:
        import numpy as np
        import pydicom
    except ImportError as e:
        checks.fail("python packages", f"{e} (Scripts/install-deps.sh installs them)")
        return checks.finish()
    work = Path(tempfile.mkdtemp(prefix="transcode-libs-"))
    written = refused = 0
    for name in SOURCES:
        src = sample(name)
        if not checks.check(f"{name}: sample present", src is not None, "not in the corpus"):
            continue
        source = pydicom.dcmread(src)
        src_frames = frames_of(source)
        src_errors = dciodvfy_errors(src)
        low = min(float(f.min()) for f in src_frames)
        high = max(float(f.max()) for f in src_frames)
        for label, uid, lossless in TARGETS:
            case = f"{name} → {label}"
            out = work / f"{Path(name).stem}-{uid}.dcm"
            r = run([args.dicomnode, "transcode", str(src), str(out), "-t", uid], timeout=300)
            if r.returncode != 0:
                # A refusal is fine when it says why and leaves nothing behind.
                refused += 1
                checks.check(f"{case}: refused with a reason, no file left",
                             "error" in (r.stderr + r.stdout).lower() and not out.exists(),
                             tail(r.stdout + r.stderr))
                continue
            written += 1
            ds = pydicom.dcmread(out)
            if str(source.get("PhotometricInterpretation", "")) == "PALETTE COLOR" and not lossless:
                checks.fail(f"{case}: PALETTE COLOR refused in a syntax that may be lossy", "written")
            checks.check(f"{case}: File Meta names the syntax", str(ds.file_meta.TransferSyntaxUID) == uid,
                         str(ds.file_meta.TransferSyntaxUID))
            checked = out
            if uid in HTJ2K:
                checked = work / f"{out.stem}-as-j2k.dcm"
                copy = pydicom.dcmread(out)
                copy.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.90"
                copy.save_as(checked, enforce_file_format=True)
            out_errors = dciodvfy_errors(checked)
            if src_errors is not None and out_errors is not None:
                new = sorted(out_errors - src_errors)
                checks.check(f"{case}: dciodvfy finds no new error", not new, "; ".join(new[:3]))
            try:
                got = frames_of(ds)
            except Exception as e:  # noqa: BLE001
                checks.fail(f"{case}: pydicom decodes it", f"{type(e).__name__}: {e}")
                continue
            if len(got) != len(src_frames) or any(a.shape != b.shape for a, b in zip(got, src_frames)):
                checks.fail(f"{case}: same frames and shape", f"{len(got)} frames {[g.shape for g in got[:1]]} vs "
                            f"{len(src_frames)} {[s.shape for s in src_frames[:1]]}")
                continue
            differ = [i + 1 for i, (a, b) in enumerate(zip(got, src_frames)) if not np.array_equal(a, b)]
            was_lossy = source.get("LossyImageCompression") == "01"
            checks.check(f"{case}: Lossy Image Compression is 01 exactly when the pixels changed (or were lossy before)",
                         (ds.get("LossyImageCompression") == "01") == (bool(differ) or was_lossy),
                         f"{repr(ds.get('LossyImageCompression'))}, {len(differ)} frames differ")
            if lossless:
                checks.check(f"{case}: pydicom decodes it to the source's pixels, bit-exact", not differ,
                             f"frames {differ[:5]} differ")
            else:
                mad = max(float(np.mean(np.abs(a.astype(np.float64) - b.astype(np.float64)))) for a, b in zip(got, src_frames))
                limit = 0.02 * max(1.0, high - low)
                checks.check(f"{case}: pydicom decodes it within a mean |diff| of 2% of the range",
                             mad <= limit, f"mean |diff| {mad:.2f} > {limit:.2f}")
    checks.check("most cases are written, not refused", written >= 3 * refused, f"{written} written, {refused} refused")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
