#!/usr/bin/env python3
"""The pydicom peer of `dicomnode dump [--headers-only] --tag 0010,0010 FILE...`.

Reads every file in one process and prints one dcmdump-like line with the Patient's Name
of each, so the benchmark can check that every file was really read.

    pydicom_read.py --headers-only FILE...   dcmread(stop_before_pixels=True)
    pydicom_read.py FILE...                  dcmread() and ds.PixelData touched
"""
import sys

from pydicom import dcmread


def main(argv):
    headers_only = "--headers-only" in argv
    files = [a for a in argv if a != "--headers-only"]
    out = []
    pixel_bytes = 0
    for path in files:
        if headers_only:
            ds = dcmread(path, stop_before_pixels=True)
        else:
            ds = dcmread(path)
            pixel_bytes += len(ds.PixelData)
        out.append(f"(0010,0010) PN [{ds.PatientName}]")
    out.append("")
    sys.stdout.write("\n".join(out))
    if not headers_only:
        print(f"pydicom_read: {pixel_bytes} bytes of pixel data", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
