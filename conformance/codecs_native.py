#!/usr/bin/env python3
"""RLE Lossless and JPEG Lossless (process 14 / SV1), the codecs written in dicomnode, against
pydicom (pylibjpeg, pylibjpeg-libjpeg, pylibjpeg-rle) and DCMTK.

Decode: every RLE / JPEG Lossless file of pydicom's test data, and DCMTK `dcmcjpeg +el` files with
every predictor (selection values 1-7) and point transforms, go through
`dicomnode transcode F OUT -t explicit`; OUT's pixels must equal what pydicom decodes from F.
Encode: native files and synthetic images (8/12/16 bits, signed, 1 and 3 samples, odd sizes,
multi-frame) go through `dicomnode transcode F OUT -t rle|jpeg-lossless|sv1`; OUT must decode to
F's pixels in pydicom, through DCMTK `dcmdrle`/`dcmdjpeg`, and back through dicomnode, and
`dciodvfy` must find no error in OUT that it does not find in F.
Pixels are compared as stored: the Bits Stored low bits of every sample, colour-by-pixel.

    python3 conformance/codecs_native.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import iter_pixels
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from conformance.lib.node import Checks, run  # noqa: E402

DCMCJPEG, DCMDJPEG, DCMDRLE, DCMCRLE = "/usr/bin/dcmcjpeg", "/usr/bin/dcmdjpeg", "/usr/bin/dcmdrle", "/usr/bin/dcmcrle"
RLE, JLL14, JLLSV1 = "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70"
ROOTS = [Path(pydicom.__file__).parent / "data" / "test_files"]
try:
    import data_store
    ROOTS.append(Path(data_store.__file__).parent / "data")
except ImportError:
    pass


def stored_frames(path: Path) -> list[np.ndarray]:
    """pydicom's frames, raw, as unsigned Bits Allocated-wide samples with only the Bits Stored bits."""
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    mask = (1 << int(ds.BitsStored)) - 1
    out = []
    for a in iter_pixels(path, raw=True):
        u = a.view(a.dtype.str.replace("i", "u")) if a.dtype.kind == "i" else a
        out.append((u.astype(np.int64) & mask))
    return out


def same_pixels(a: Path, b: Path) -> tuple[bool, str]:
    try:
        fa, fb = stored_frames(a), stored_frames(b)
    except Exception as e:  # noqa: BLE001
        return False, f"pydicom: {type(e).__name__}: {e}"
    if len(fa) != len(fb):
        return False, f"{len(fa)} frames vs {len(fb)}"
    for i, (x, y) in enumerate(zip(fa, fb)):
        if x.shape != y.shape:
            return False, f"frame {i + 1}: shape {x.shape} vs {y.shape}"
        if not np.array_equal(x, y):
            return False, f"frame {i + 1}: {int(np.count_nonzero(x != y))} samples differ"
    return True, ""


def dciodvfy_errors(path: Path) -> set[str] | None:
    """The Error lines /usr/bin/dciodvfy prints for a file (file names left out); None when
    dciodvfy itself fails on it (it asserts on 32-bit native OW Pixel Data, e.g. rtdose.dcm)."""
    r = run(["/usr/bin/dciodvfy", str(path)], timeout=60)
    out = r.stdout + r.stderr
    if r.returncode < 0 or "Assertion" in out:
        return None
    return {line.replace(str(path), "FILE").strip() for line in out.splitlines() if line.startswith("Error")}


def corpus(syntaxes: set[str]) -> list[Path]:
    files = []
    for root in ROOTS:
        for p in sorted(root.rglob("*")):
            if not p.is_file() or p.suffix in (".py", ".pyc", ".json", ".txt", ".gz", ".bz2"):
                continue
            try:
                ds = pydicom.dcmread(p, stop_before_pixels=True)
                ts = str(ds.file_meta.TransferSyntaxUID)
            except Exception:  # noqa: BLE001
                continue
            if ts in syntaxes and "Rows" in ds:
                files.append(p)
    return files


def synthetic(path: Path, rows: int, cols: int, samples: int, bits: int, stored: int, signed: bool, frames: int = 1) -> Path:
    rng = np.random.default_rng(rows * 1000 + cols * 10 + stored)
    lo, hi = (-(1 << (stored - 1)), (1 << (stored - 1)) - 1) if signed else (0, (1 << stored) - 1)
    shape = (frames, rows, cols, samples)
    a = rng.integers(lo, hi + 1, size=shape, dtype=np.int64)
    a[:, rows // 2:, :, :] = np.clip(np.cumsum(a[:, rows // 2:, :, :] % 7 - 3, axis=2) + (lo + hi) // 2, lo, hi)
    a[:, 0, 0, :] = hi
    a[:, -1, -1, :] = lo
    udtype = {8: np.uint8, 16: np.uint16}[bits]
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality = "OT"
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, samples
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = bits, stored, stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    # Stored bit patterns (two's complement in Bits Stored bits, unused high bits 0), little endian.
    raw = (a & ((1 << stored) - 1)).astype(udtype).astype("<" + np.dtype(udtype).str[1:]).tobytes()
    ds.PixelData = raw + (b"\0" if len(raw) % 2 else b"")
    ds["PixelData"].VR = "OW" if bits > 8 else "OB"
    ds.save_as(path, enforce_file_format=True)
    return path


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dicomnode", required=True)
    args = ap.parse_args()
    node = os.path.abspath(args.dicomnode)
    checks = Checks()
    tmp = Path(tempfile.mkdtemp(prefix="codecs-native-"))

    def transcode(src: Path, dst: Path, ts: str) -> tuple[bool, str]:
        r = run([node, "transcode", str(src), str(dst), "-t", ts], timeout=120)
        return r.returncode == 0 and dst.exists(), (r.stderr or r.stdout).strip()[-300:]

    # 1. Decoding pydicom's RLE and JPEG Lossless files.
    for f in corpus({RLE, JLL14, JLLSV1}):
        out = tmp / f"dec-{f.name}"
        ok, why = transcode(f, out, "explicit")
        if ok:
            ok, why = same_pixels(f, out)
        checks.check(f"decode {f.name} like pydicom", ok, why)

    # 2. DCMTK lossless files with every predictor and a point transform.
    sources = [p for p in (ROOTS[0] / "CT_small.dcm", ROOTS[0] / "MR_small.dcm", ROOTS[0] / "SC_rgb.dcm",
                           ROOTS[0] / "OBXXXX1A.dcm") if p.exists()]
    sources.append(synthetic(tmp / "syn-12s.dcm", 37, 41, 1, 16, 12, True))
    for src in sources:
        for sv in range(1, 8):
            for pt in (0, 2):
                if pt and sv not in (1, 6):
                    continue
                jpeg = tmp / f"dcmtk-{src.stem}-sv{sv}-pt{pt}.dcm"
                r = run([DCMCJPEG, "+el", "+sv", str(sv), "+pt", str(pt), str(src), str(jpeg)])
                if r.returncode != 0:
                    checks.fail(f"dcmcjpeg +sv {sv} +pt {pt} {src.name}", r.stderr.strip()[-200:])
                    continue
                out = tmp / f"dec-{jpeg.name}"
                ok, why = transcode(jpeg, out, "explicit")
                if pt == 0:
                    if ok:
                        ok, why = same_pixels(jpeg, out)
                    checks.check(f"decode DCMTK process 14 predictor {sv} {src.name} like pydicom", ok, why)
                else:
                    # pylibjpeg-libjpeg 2.5 returns -1 for every sample of these (signed, Pt > 0)
                    # files; DCMTK's dcmdjpeg (IJG) is the reference for the point transform.
                    ref = tmp / f"dcmdjpeg-{jpeg.name}"
                    r = run([DCMDJPEG, str(jpeg), str(ref)])
                    if ok and r.returncode == 0:
                        ok, why = same_pixels(ref, out)
                    else:
                        ok, why = False, why or r.stderr.strip()[-200:]
                    checks.check(f"decode DCMTK process 14 predictor {sv} Pt {pt} {src.name} like dcmdjpeg", ok, why)

    # 3. Encoding: ours, then pydicom, DCMTK and ourselves decode it.
    natives = [p for p in (ROOTS[0] / "CT_small.dcm", ROOTS[0] / "MR_small.dcm", ROOTS[0] / "SC_rgb.dcm",
                           ROOTS[0] / "SC_rgb_16bit.dcm", ROOTS[0] / "OBXXXX1A.dcm", ROOTS[0] / "rtdose.dcm") if p.exists()]
    natives += [synthetic(tmp / "syn-8.dcm", 17, 13, 1, 8, 8, False),
                synthetic(tmp / "syn-12.dcm", 31, 29, 1, 16, 12, False, frames=3),
                synthetic(tmp / "syn-12s-odd.dcm", 31, 29, 1, 16, 12, True),
                synthetic(tmp / "syn-16s.dcm", 9, 301, 1, 16, 16, True),
                synthetic(tmp / "syn-16.dcm", 64, 65, 1, 16, 16, False),
                synthetic(tmp / "syn-rgb8.dcm", 11, 5, 3, 8, 8, False, frames=2),
                synthetic(tmp / "syn-rgb16.dcm", 20, 21, 3, 16, 16, False)]
    for src in natives:
        for name, decoder in (("rle", DCMDRLE), ("jpeg-lossless", DCMDJPEG), ("sv1", DCMDJPEG)):
            ds = pydicom.dcmread(src, stop_before_pixels=True)
            if name != "rle" and int(ds.BitsAllocated) > 16:
                continue  # JPEG lossless holds at most 16 bits
            enc = tmp / f"enc-{name}-{src.name}"
            ok, why = transcode(src, enc, name)
            if not checks.check(f"encode {src.name} to {name}", ok, why):
                continue
            ok, why = same_pixels(src, enc)
            checks.check(f"pydicom decodes our {name} of {src.name} to the source pixels", ok, why)
            if os.path.exists("/usr/bin/dciodvfy"):
                before, after = dciodvfy_errors(src), dciodvfy_errors(enc)
                if before is None:
                    print(f"SKIP dciodvfy on our {name} of {src.name}: dciodvfy fails on the source itself", flush=True)
                else:
                    extra = after - before if after is not None else {"dciodvfy failed on the output"}
                    checks.check(f"dciodvfy finds no error in our {name} of {src.name} that the source lacks",
                                 not extra, "; ".join(sorted(extra))[:300])
            back = tmp / f"dcmtk-{name}-{src.name}"
            r = run([decoder, str(enc), str(back)])
            ok, why = (r.returncode == 0, r.stderr.strip()[-200:])
            if ok:
                ok, why = same_pixels(src, back)
            checks.check(f"{Path(decoder).name} decodes our {name} of {src.name} to the source pixels", ok, why)
            ours = tmp / f"ours-{name}-{src.name}"
            ok, why = transcode(enc, ours, "explicit")
            if ok:
                ok, why = same_pixels(src, ours)
            checks.check(f"dicomnode decodes its own {name} of {src.name} to the source pixels", ok, why)
        # DCMTK's RLE encoder, our decoder.
        rle = tmp / f"dcmcrle-{src.name}"
        if run([DCMCRLE, str(src), str(rle)]).returncode == 0:
            out = tmp / f"dec-{rle.name}"
            ok, why = transcode(rle, out, "explicit")
            if ok:
                ok, why = same_pixels(src, out)
            checks.check(f"dicomnode decodes dcmcrle's RLE of {src.name}", ok, why)

    # 4. Bad input: a corrupt stream is an error naming the frame, not a crash.
    from pydicom.encaps import encapsulate, generate_frames
    for name in ("rle", "sv1"):
        good = tmp / f"enc-{name}-syn-12.dcm"
        if not good.exists():
            continue
        ds = pydicom.dcmread(good)
        frames = list(generate_frames(ds.PixelData, number_of_frames=int(ds.NumberOfFrames)))
        cut = frames[1][: len(frames[1]) // 2]
        frames[1] = cut + (b"\0" if len(cut) % 2 else b"")
        ds.PixelData = encapsulate(frames, has_bot=True)
        bad = tmp / f"bad-{name}.dcm"
        ds.save_as(bad)
        r = run([node, "transcode", str(bad), str(tmp / "bad-out.dcm"), "-t", "explicit"])
        checks.check(f"a {name} file whose frame 2 is cut in half fails naming frame 2, not a crash",
                     r.returncode == 1 and "frame 2" in r.stderr, f"rc {r.returncode}: {r.stderr.strip()[-200:]}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
