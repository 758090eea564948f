#!/usr/bin/env python3
"""Copies a series N times with new Study/Series/SOP Instance UIDs, so that every copy is a
distinct set of instances (for the parallel store benchmark). Pixel data and the rest are kept.

    clone_series.py --src DIR --out DIR --copies 8 [--per-copy N]

Writes OUT/part-K/*.dcm for K in 0..copies-1, each with --per-copy files (default: all of SRC,
cycling through SRC when more are asked for). Deterministic UIDs (2.25 + hash).
"""
import argparse
import hashlib
import os
import sys

import pydicom


def uid(*parts):
    digest = hashlib.sha256("/".join(["dicomnode-bench-clone", *map(str, parts)]).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--copies", type=int, default=8)
    ap.add_argument("--per-copy", type=int, default=0)
    args = ap.parse_args()
    names = sorted(n for n in os.listdir(args.src) if n.endswith(".dcm"))
    if not names:
        sys.exit(f"clone_series: no .dcm files in {args.src}")
    per = args.per_copy or len(names)
    for k in range(args.copies):
        out = os.path.join(args.out, f"part-{k}")
        os.makedirs(out, exist_ok=True)
        for i in range(per):
            ds = pydicom.dcmread(os.path.join(args.src, names[i % len(names)]))
            ds.StudyInstanceUID = uid("study", k)
            ds.SeriesInstanceUID = uid("series", k)
            ds.SOPInstanceUID = uid("instance", k, i)
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.InstanceNumber = i + 1
            ds.save_as(os.path.join(out, f"CT{i + 1:06d}.dcm"), enforce_file_format=True)
    print(f"clone_series: {args.copies} copies of {per} files in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
