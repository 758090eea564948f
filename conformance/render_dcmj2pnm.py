#!/usr/bin/env python3
"""`dicomnode render` against DCMTK's `/usr/bin/dcmj2pnm` (PS3.4 Annex N display pipelines).

For the native (uncompressed) grey, colour and palette images of pydicom's test files and
pydicom-data, each case renders one frame with ``dicomnode render FILE --out x.png`` and with
``dcmj2pnm +on`` (PNG) under the same VOI choice, decodes both PNGs (dicomnode's with a small zlib
+ struct reader, below, and with Pillow, which must agree; DCMTK's with Pillow) and checks that the sizes agree and that the mean absolute difference per sample
is under 1 grey level. The figure is printed for every case. Resized renderings (--size,
--region) are checked the same way against dcmj2pnm's full-size rendering cut and scaled by Pillow.

VOI choices, matched option for option:
- an explicit window: ``--window C,W`` / ``+Ww C W`` (``,sigmoid`` / ``+Wfs`` for SIGMOID);
- the file's first window: no ``--window`` / ``+Wi 1``;
- the file's first VOI LUT: no ``--window`` (the file has no window) / ``+Wl 1``;
- the frame's range when the file has no window: no ``--window`` / ``+Wm``.
DCMTK writes the grey level below the window function's value, dicomnode the nearest one (PS3.3
gives y as a real number): about half the grey samples differ by exactly 1, a mean of 0.3–0.5.
dcmj2pnm's own default is ``-W`` (no VOI transformation: the whole range the bits allow is
shown), which PS3.3 does not define; it is never used here. Overlays are switched off in
dcmj2pnm (``-O``): dicomnode renders pixel data only. Known difference: DCMTK 3.6.7 has no
LINEAR_EXACT, so that function is only checked by the unit tests.

    python3 conformance/render_dcmj2pnm.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import Checks, standard_args, tail  # noqa: E402

DCMJ2PNM = "/usr/bin/dcmj2pnm"
TOLERANCE = 1.0   # mean absolute difference, grey levels per sample


def corpus_dirs() -> tuple[Path, Path | None]:
    """pydicom's test_files and pydicom-data's data folder, listed directly (no get_testdata_files)."""
    import pydicom

    test_files = Path(os.path.dirname(pydicom.__file__)) / "data" / "test_files"
    try:
        import data_store  # type: ignore[import-not-found]
        store = Path(os.path.dirname(data_store.__file__)) / "data"
    except ImportError:
        store = None
    return test_files, store


PYDICOM_PALETTE = ["pydicom-palette"]   # reference marker: pydicom instead of dcmj2pnm

# (label, folder ("t": test_files, "d": pydicom-data), file, our extra args, dcmj2pnm extra args)
CASES: list[tuple[str, str, str, list[str], list[str]]] = [
    # grey, explicit windows
    ("CT_small/window-40,400", "t", "CT_small.dcm", ["--window", "40,400"], ["+Ww", "40", "400"]),
    ("CT_small/window-sigmoid", "t", "CT_small.dcm", ["--window", "40,400,sigmoid"], ["+Ww", "40", "400", "+Wfs"]),
    ("CT_small/min-max", "t", "CT_small.dcm", [], ["+Wm"]),
    ("MR_small/file-window", "t", "MR_small.dcm", [], ["+Wi", "1"]),
    ("MR_small/window-500,1000", "t", "MR_small.dcm", ["--window", "500,1000"], ["+Ww", "500", "1000"]),
    ("MR_small_bigendian/file-window", "t", "MR_small_bigendian.dcm", [], ["+Wi", "1"]),
    ("MR_small_implicit/file-window", "t", "MR_small_implicit.dcm", [], ["+Wi", "1"]),
    ("CR-MONOCHROME1/file-window", "t", "dicomdirtests/77654033/CR1/6154", [], ["+Wi", "1"]),
    ("CR-MONOCHROME1/window-1800,600", "t", "dicomdirtests/77654033/CR1/6154", ["--window", "1800,600"], ["+Ww", "1800", "600"]),
    ("rtdose-32bit/frame-3-min-max", "t", "rtdose.dcm", ["--frame", "3"], ["+F", "3", "+Wm"]),
    ("image_dfl-deflated/min-max", "t", "image_dfl.dcm", [], ["+Wm"]),
    ("liver_1frame-1bit/min-max", "t", "liver_1frame.dcm", [], ["+Wm"]),
    ("examples_overlay-12bit/file-window", "t", "examples_overlay.dcm", [], ["+Wi", "1"]),
    ("693_UNCI-CT512/file-window", "d", "693_UNCI.dcm", [], ["+Wi", "1"]),
    ("MR2_UNCI-rescaled/file-window", "d", "MR2_UNCI.dcm", [], ["+Wi", "1"]),
    ("RG1_UNCI-MONOCHROME1/file-window", "d", "RG1_UNCI.dcm", [], ["+Wi", "1"]),
    ("emri_small/frame-5-min-max", "d", "emri_small.dcm", ["--frame", "5"], ["+F", "5", "+Wm"]),
    ("mlut_18-modality-LUT/min-max", "d", "mlut_18.dcm", [], ["+Wm"]),
    ("vlut_04-VOI-LUT/file-lut", "d", "vlut_04.dcm", [], ["+Wl", "1"]),
    # colour
    ("ExplVR_BigEnd-RGB-planar", "t", "ExplVR_BigEnd.dcm", [], []),
    ("SC_rgb_small_odd-RGB", "t", "SC_rgb_small_odd.dcm", [], []),
    ("SC_ybr_full_422_uncompressed", "t", "SC_ybr_full_422_uncompressed.dcm", [], []),
    ("examples_rgb_color", "t", "examples_rgb_color.dcm", [], []),
    ("US1_UNCI-RGB", "d", "US1_UNCI.dcm", [], []),
    ("SC_ybr_full_uncompressed", "d", "SC_ybr_full_uncompressed.dcm", [], []),
    ("color-pl-planar", "d", "color-pl.dcm", [], []),
    ("SC_rgb_16bit/frame-1", "d", "SC_rgb_16bit.dcm", [], []),
    # palette
    ("examples_palette", "t", "examples_palette.dcm", [], []),
    ("OBXXXX1A-palette", "d", "OBXXXX1A.dcm", [], []),
    ("OT-PAL-8-face-palette", "d", "OT-PAL-8-face.dcm", [], []),
    # DCMTK 3.6.7 cannot read segmented palettes ("empty 'LookupTableData' attribute"): pydicom's
    # apply_color_lut is the reference for this one (16-bit entries scaled to 8 bits as dicomnode does).
    ("gdcm-US-ALOKA-16-segmented-palette", "d", "gdcm-US-ALOKA-16.dcm", [], PYDICOM_PALETTE),
]


# Resizing: dcmj2pnm's full-size rendering, scaled here, is the reference. Shrinking ("AREA"): the
# exact area average, computed by repeating every pixel k times along each axis so that the output
# size divides the input and averaging blocks (Pillow's BOX filter counts whole pixels by their
# centres instead, which differs at fractional ratios). Enlarging ("BILINEAR"): Pillow's bilinear
# filter, which aligns pixel centres as dicomnode does (DCMTK's own enlargement aligns differently
# and is not used). (label, folder, file, our args, dcmj2pnm args, size, filter)
RESIZE_CASES: list[tuple[str, str, str, list[str], list[str], tuple[int, int], str]] = [
    ("CT_small/shrink-64x64", "t", "CT_small.dcm", ["--window", "40,400", "--size", "64x64"], ["+Ww", "40", "400"], (64, 64), "AREA"),
    ("693_UNCI/thumbnail-128x128", "d", "693_UNCI.dcm", ["--size", "128x128"], ["+Wi", "1"], (128, 128), "AREA"),
    ("US1_UNCI-RGB/shrink-160x120", "d", "US1_UNCI.dcm", ["--size", "160x"], [], (160, 120), "AREA"),
    ("MR_small/shrink-64-to-50", "t", "MR_small.dcm", ["--size", "50x50"], ["+Wi", "1"], (50, 50), "AREA"),
    ("CT_small/enlarge-256x256", "t", "CT_small.dcm", ["--window", "40,400", "--size", "256x256"], ["+Ww", "40", "400"], (256, 256), "BILINEAR"),
    ("CT_small/region-then-size", "t", "CT_small.dcm", ["--window", "40,400", "--region", "0.25,0.25,0.75,0.75", "--size", "32x32"],
     ["+Ww", "40", "400"], (32, 32), "AREA"),
]


# 16-bit grey PNG (`--bits 16` / `+on2`): the same pipeline with 65536 output levels.
CASES16: list[tuple[str, str, str, list[str], list[str]]] = [
    ("CT_small/16-bit/window-40,400", "t", "CT_small.dcm", ["--window", "40,400"], ["+Ww", "40", "400"]),
    ("MR_small/16-bit/file-window", "t", "MR_small.dcm", [], ["+Wi", "1"]),
    ("RG1_UNCI-MONOCHROME1/16-bit/file-window", "d", "RG1_UNCI.dcm", [], ["+Wi", "1"]),
    ("mlut_18-modality-LUT/16-bit/min-max", "d", "mlut_18.dcm", [], ["+Wm"]),
]
TOLERANCE16 = 1.0     # one level of 65536, as for 8 bits


# --- a small PNG reader (PNG §11–12): 8-bit grey (0), RGB (2), palette (3), grey+alpha (4), RGBA (6)

def read_png(path: Path) -> tuple[int, int, int, bytes]:
    """Returns (width, height, channels, samples) with samples 8-bit, channels 1 (grey) or 3 (RGB)."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, palette = 8, b"", b""
    width = height = depth = ctype = interlace = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"bad CRC in {kind!r}")
        if kind == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    if depth != 8 or interlace != 0:
        raise ValueError(f"bit depth {depth}, interlace {interlace} not read here")
    bpp = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = bytearray(height * stride)
    prev = bytearray(stride)
    try:
        import numpy as np
    except ImportError:
        np = None  # type: ignore[assignment]
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if np is not None and f in (0, 1, 2):
            # Sub and Up are additions modulo 256: a running sum along the row, or the row above added.
            v = np.frombuffer(bytes(line), np.uint8).astype(np.int64)
            if f == 1:
                v = np.cumsum(v.reshape(width, bpp), axis=0).reshape(-1)
            elif f == 2:
                v = v + np.frombuffer(bytes(prev), np.uint8)
            line = bytearray((v & 0xFF).astype(np.uint8).tobytes())
        else:
            for x in range(stride):
                a = line[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if f == 1:
                    line[x] = (line[x] + a) & 0xFF
                elif f == 2:
                    line[x] = (line[x] + b) & 0xFF
                elif f == 3:
                    line[x] = (line[x] + ((a + b) >> 1)) & 0xFF
                elif f == 4:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    line[x] = (line[x] + pred) & 0xFF
        out[y * stride:(y + 1) * stride] = line
        prev = line
    if ctype == 3:
        rgb = bytearray()
        for i in out:
            rgb += palette[3 * i:3 * i + 3]
        return width, height, 3, bytes(rgb)
    if ctype == 4:
        return width, height, 1, bytes(out[0::2])
    if ctype == 6:
        rgb = bytearray()
        for i in range(0, len(out), 4):
            rgb += out[i:i + 3]
        return width, height, 3, bytes(rgb)
    return width, height, bpp, bytes(out)


def read_png_pillow(path: Path) -> tuple[int, int, int, bytes]:
    """The same through Pillow: an independent decoder (and fast on libpng's Paeth-filtered rows)."""
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        if im.mode not in ("L", "RGB"):
            im = im.convert("RGB" if im.mode in ("P", "RGBA") else "L")
        return im.width, im.height, 1 if im.mode == "L" else 3, im.tobytes()


def pydicom_palette(path: Path) -> tuple[int, int, int, bytes]:
    """PALETTE COLOR through pydicom's apply_color_lut (which expands segmented palettes)."""
    import numpy as np
    import pydicom
    from pydicom.pixels import apply_color_lut

    ds = pydicom.dcmread(path)
    rgb = apply_color_lut(ds.pixel_array, ds).astype(np.uint32)
    if rgb.max() > 255:
        rgb = (rgb * 255 + 32767) // 65535
    return int(ds.Columns), int(ds.Rows), 3, rgb.astype(np.uint8).tobytes()


def area_average(im, size: tuple[int, int]):
    """The exact area average of a Pillow image scaled down to ``size``: each output pixel the mean of
    the input area it covers, fractional pixels weighted by the part covered."""
    from math import gcd

    import numpy as np
    from PIL import Image

    a = np.asarray(im).astype(np.float64)
    if a.ndim == 2:
        a = a[:, :, None]
    h, w = a.shape[:2]
    ow, oh = size
    ky, kx = oh // gcd(h, oh), ow // gcd(w, ow)
    big = np.repeat(np.repeat(a, ky, axis=0), kx, axis=1)
    by, bx = h * ky // oh, w * kx // ow
    out = big.reshape(oh, by, ow, bx, a.shape[2]).mean(axis=(1, 3))
    out = np.floor(out + 0.5).astype(np.uint8)
    return Image.fromarray(out[:, :, 0] if out.shape[2] == 1 else out)


def mean_abs_diff(a: bytes, b: bytes) -> float:
    try:
        import numpy as np

        return float(np.abs(np.frombuffer(a, np.uint8).astype(np.int32) - np.frombuffer(b, np.uint8).astype(np.int32)).mean())
    except ImportError:
        return sum(abs(x - y) for x, y in zip(a, b)) / max(1, len(a))


def case_files(checks: Checks, label: str, root: Path | None, name: str, work: Path) -> tuple[Path, Path, Path] | None:
    """The sample file of a case and the two PNG paths (ours, DCMTK's); a FAIL line when the sample is missing."""
    path = root / name if root else None
    if path is None or not path.exists():
        checks.fail(label, f"sample file {name} not found")
        return None
    stem = label.replace("/", "_")
    return path, work / f"{stem}-ours.png", work / f"{stem}-dcmtk.png"


def main() -> int:
    args = standard_args(__doc__ or "").parse_args()
    checks = Checks()
    binary = os.path.abspath(args.dicomnode)
    if not os.access(binary, os.X_OK) or not os.access(DCMJ2PNM, os.X_OK):
        checks.fail("setup", f"missing {binary} or {DCMJ2PNM}")
        return checks.finish()
    test_files, store = corpus_dirs()
    work = Path(tempfile.mkdtemp(prefix="dicomnode-render-"))
    for label, folder, name, ours_args, dcmtk_args in CASES:
        found = case_files(checks, label, test_files if folder == "t" else store, name, work)
        if found is None:
            continue
        path, ours, theirs = found
        r = subprocess.run([binary, "render", str(path), "--out", str(ours), *ours_args],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            checks.fail(label, f"dicomnode render exit {r.returncode}: {tail(r.stderr)}")
            continue
        if dcmtk_args != PYDICOM_PALETTE:
            d = subprocess.run([DCMJ2PNM, "+on", "-O", *dcmtk_args, str(path), str(theirs)],
                               capture_output=True, text=True, timeout=120)
            if d.returncode != 0 or not theirs.exists():
                checks.fail(label, f"dcmj2pnm exit {d.returncode}: {tail(d.stderr)}")
                continue
        try:
            w1, h1, c1, p1 = read_png(ours)
            if read_png_pillow(ours) != (w1, h1, c1, p1):
                checks.fail(label, "Pillow reads dicomnode's PNG differently from the reader here")
                continue
            w2, h2, c2, p2 = pydicom_palette(path) if dcmtk_args == PYDICOM_PALETTE else read_png_pillow(theirs)
        except (ValueError, KeyError, OSError, zlib.error) as e:
            checks.fail(label, f"PNG unreadable: {e}")
            continue
        if (w1, h1, c1) != (w2, h2, c2):
            checks.fail(label, f"dicomnode {w1}x{h1}x{c1}, dcmj2pnm {w2}x{h2}x{c2}")
            continue
        mad = mean_abs_diff(p1, p2)
        exact = sum(1 for x, y in zip(p1, p2) if x == y) / max(1, len(p1))
        checks.check(f"{label} ({w1}x{h1}x{c1}): mean |diff| {mad:.3f}, {100 * exact:.1f}% equal",
                     mad < TOLERANCE, f"mean absolute difference {mad:.3f} >= {TOLERANCE}")
    for label, folder, name, ours_args, dcmtk_args in CASES16:
        import numpy as np
        from PIL import Image

        found = case_files(checks, label, test_files if folder == "t" else store, name, work)
        if found is None:
            continue
        path, ours, theirs = found
        r = subprocess.run([binary, "render", str(path), "--bits", "16", "--out", str(ours), *ours_args],
                           capture_output=True, text=True, timeout=120)
        d = subprocess.run([DCMJ2PNM, "+on2", "-O", *dcmtk_args, str(path), str(theirs)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or d.returncode != 0:
            checks.fail(label, f"dicomnode exit {r.returncode} {tail(r.stderr)}; dcmj2pnm exit {d.returncode} {tail(d.stderr)}")
            continue
        with Image.open(ours) as a, Image.open(theirs) as b:
            pa, pb = np.asarray(a).astype(np.int64), np.asarray(b).astype(np.int64)
        if pa.shape != pb.shape:
            checks.fail(label, f"dicomnode {pa.shape}, dcmj2pnm {pb.shape}")
            continue
        mad = float(np.abs(pa - pb).mean())
        checks.check(f"{label} ({pa.shape[1]}x{pa.shape[0]}, 16-bit): mean |diff| {mad:.1f} of 65535",
                     mad < TOLERANCE16, f"mean absolute difference {mad:.1f} >= {TOLERANCE16}")

    for label, folder, name, ours_args, dcmtk_args, size, filter_name in RESIZE_CASES:
        from PIL import Image

        found = case_files(checks, label, test_files if folder == "t" else store, name, work)
        if found is None:
            continue
        path, ours, theirs = found
        r = subprocess.run([binary, "render", str(path), "--out", str(ours), *ours_args],
                           capture_output=True, text=True, timeout=120)
        d = subprocess.run([DCMJ2PNM, "+on", "-O", *dcmtk_args, str(path), str(theirs)],
                           capture_output=True, text=True, timeout=120)
        if r.returncode != 0 or d.returncode != 0:
            checks.fail(label, f"dicomnode exit {r.returncode} {tail(r.stderr)}; dcmj2pnm exit {d.returncode} {tail(d.stderr)}")
            continue
        with Image.open(theirs) as im:
            if "--region" in ours_args:
                x1, y1, x2, y2 = (float(v) for v in ours_args[ours_args.index("--region") + 1].split(","))
                im = im.crop((int(x1 * im.width), int(y1 * im.height), -(-int(x2 * im.width * 1000) // 1000), -(-int(y2 * im.height * 1000) // 1000)))
            if filter_name == "AREA":
                ref = area_average(im, size)
            else:
                ref = im.resize(size, getattr(Image.Resampling, filter_name))
            c2 = 1 if ref.mode == "L" else 3
            w2, h2, p2 = ref.width, ref.height, ref.tobytes()
        w1, h1, c1, p1 = read_png(ours)
        if (w1, h1, c1) != (w2, h2, c2):
            checks.fail(label, f"dicomnode {w1}x{h1}x{c1}, reference {w2}x{h2}x{c2}")
            continue
        mad = mean_abs_diff(p1, p2)
        checks.check(f"{label} ({w1}x{h1}x{c1}, dcmj2pnm + {filter_name}): mean |diff| {mad:.3f}",
                     mad < TOLERANCE, f"mean absolute difference {mad:.3f} >= {TOLERANCE}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
