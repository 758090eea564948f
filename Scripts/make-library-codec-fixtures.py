#!/usr/bin/env python3
"""Writes Tests/Fixtures/codecs/library-codecs.json: what pydicom (with pylibjpeg, pylibjpeg-libjpeg,
pylibjpeg-openjpeg, pyjpegls) decodes from every JPEG Baseline/Extended, JPEG-LS, JPEG 2000 and HTJ2K
file of pydicom's and pydicom-data's sample files. The Swift test LibraryCodecCorpusTests reads the same
files in place and compares.

Per frame, the reference is pydicom's default decode (as_rgb: YBR_FULL/YBR_FULL_422 become RGB),
colour-by-pixel, in the data set's Bits Allocated container, little endian:
- lossless and deterministic decoders (JPEG-LS, JPEG 2000, HTJ2K): SHA-256 of those bytes;
- lossy JPEG (DCT; libjpeg implementations differ by rounding): the mean of all samples and every
  `stride`-th sample (base64, at most ~8192 per frame, first/middle/last frame), compared within ±1.

Run: python3 Scripts/make-library-codec-fixtures.py   (needs Scripts/install-deps.sh's pip packages)
"""
import base64, hashlib, json, os, sys, warnings

import numpy as np
import pydicom
from pydicom.pixels import iter_pixels

warnings.filterwarnings("ignore")
SYNTAXES = {
    "1.2.840.10008.1.2.4.50": "jpeg", "1.2.840.10008.1.2.4.51": "jpeg",
    "1.2.840.10008.1.2.4.80": "exact", "1.2.840.10008.1.2.4.81": "exact",
    "1.2.840.10008.1.2.4.90": "exact", "1.2.840.10008.1.2.4.91": "exact",
    "1.2.840.10008.1.2.4.201": "exact", "1.2.840.10008.1.2.4.202": "exact", "1.2.840.10008.1.2.4.203": "exact",
}
BUDGET = 8192


def corpus_dirs():
    p = os.path.dirname(pydicom.__file__)
    dirs = [os.path.join(p, "data", "test_files"), os.path.join(p, "data", "charset_files")]
    try:
        import data_store
        dirs.append(os.path.join(os.path.dirname(data_store.__file__), "data"))
    except ImportError:
        pass
    return dirs


def main():
    out = {"generator": "Scripts/make-library-codec-fixtures.py",
           "pydicom": pydicom.__version__, "files": []}
    try:
        import libjpeg, openjpeg, jpeg_ls
        out["decoders"] = {"pylibjpeg-libjpeg": libjpeg.__version__, "pylibjpeg-openjpeg": openjpeg.__version__,
                           "pyjpegls": getattr(jpeg_ls, "__version__", "?")}
    except ImportError as e:
        sys.exit(f"missing reference decoder: {e}")
    for d in corpus_dirs():
        for root, _, names in os.walk(d):
            for name in sorted(names):
                path = os.path.join(root, name)
                try:
                    ds = pydicom.dcmread(path, stop_before_pixels=True)
                    ts = str(ds.file_meta.TransferSyntaxUID)
                except Exception:
                    continue
                if ts not in SYNTAXES:
                    continue
                entry = {"name": name, "syntax": ts, "kind": SYNTAXES[ts]}
                nframes = int(ds.get("NumberOfFrames", 1) or 1)
                ba = int(ds.BitsAllocated)
                dtype = np.dtype(("<i" if int(ds.get("PixelRepresentation", 0)) else "<u") + str(ba // 8))
                try:
                    frames = []
                    for arr in iter_pixels(path):
                        frames.append(np.ascontiguousarray(arr.astype(dtype)).tobytes())
                except Exception as e:
                    entry["pydicomError"] = f"{type(e).__name__}: {e}"
                    out["files"].append(entry)
                    print(f"{name}: pydicom fails: {e}", file=sys.stderr)
                    continue
                entry["frames"] = len(frames)
                if SYNTAXES[ts] == "exact":
                    entry["sha256"] = [hashlib.sha256(f).hexdigest() for f in frames]
                else:
                    wanted = sorted({0, len(frames) // 2, len(frames) - 1})
                    samples = []
                    for i in wanted:
                        a = np.frombuffer(frames[i], dtype=dtype)
                        stride = max(1, -(-a.size // BUDGET))
                        samples.append({"frame": i, "mean": float(a.mean()), "stride": stride,
                                        "values": base64.b64encode(a[::stride].astype(np.uint8 if ba == 8 else dtype).tobytes()).decode()})
                    entry["samples"] = samples
                out["files"].append(entry)
                print(f"{name}: {ts} {len(frames)} frame(s)", file=sys.stderr)
    target = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "codecs", "library-codecs.json")
    with open(target, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {os.path.normpath(target)}: {len(out['files'])} files", file=sys.stderr)


if __name__ == "__main__":
    main()
