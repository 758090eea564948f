#!/usr/bin/env python3
"""Writes Tests/Fixtures/codecs/native-codecs.json: for every RLE Lossless and JPEG Lossless
(process 14 / SV1) file in pydicom's test files and pydicom-data, what pydicom 3 (with
pylibjpeg, pylibjpeg-libjpeg and pylibjpeg-rle) decodes each frame to.

Each frame is recorded as the 64-bit FNV-1a hash (hex) of its samples as dicomnode's decoders return them:
little endian, Bits Allocated wide, colour-by-pixel (Planar Configuration 0), raw (no colour
conversion), with only the Bits Stored low bits kept (pydicom sign-extends signed samples, our
decoders return the stored bit patterns; bits above Bits Stored are not pixel data, PS3.5 §8.1.1).

Usage: python3 Scripts/make-codec-fixtures.py  (from the repository root)
"""
import hashlib, json, os, sys
import numpy as np
import pydicom, data_store
from pydicom.pixels import iter_pixels

SYNTAXES = {'1.2.840.10008.1.2.5': 'RLE', '1.2.840.10008.1.2.4.57': 'JPEG-LL-14', '1.2.840.10008.1.2.4.70': 'JPEG-LL-SV1'}
ROOTS = {'pydicom': os.path.join(os.path.dirname(pydicom.__file__), 'data', 'test_files'),
         'pydicom-data': os.path.join(os.path.dirname(data_store.__file__), 'data')}


def frame_hash(arr, bits_allocated, bits_stored):
    dtype = {8: np.uint8, 16: np.uint16, 32: np.uint32}[bits_allocated]
    a = np.ascontiguousarray(arr).view(dtype.__name__.replace('uint', 'int') if arr.dtype.kind == 'i' else arr.dtype)
    a = a.astype(np.int64) & ((1 << bits_stored) - 1)
    return fnv1a64(a.astype('<' + np.dtype(dtype).str[1:]).tobytes())


def fnv1a64(data):
    # FNV-1a, 64 bits: offset basis 0xcbf29ce484222325, prime 0x100000001b3 (Swift tests compute the same).
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return '%016x' % h


def main():
    out = []
    for corpus, root in ROOTS.items():
        for dirpath, _, names in os.walk(root):
            for name in sorted(names):
                path = os.path.join(dirpath, name)
                try:
                    ds = pydicom.dcmread(path)
                except Exception:
                    continue
                ts = str(getattr(getattr(ds, 'file_meta', None), 'TransferSyntaxUID', ''))
                if ts not in SYNTAXES or 'PixelData' not in ds or 'Rows' not in ds:
                    continue
                entry = {'corpus': corpus, 'path': os.path.relpath(path, root), 'syntax': SYNTAXES[ts],
                         'rows': int(ds.Rows), 'columns': int(ds.Columns), 'samples': int(ds.SamplesPerPixel),
                         'bitsAllocated': int(ds.BitsAllocated), 'bitsStored': int(ds.BitsStored)}
                try:
                    entry['frames'] = [frame_hash(a, ds.BitsAllocated, ds.BitsStored) for a in iter_pixels(path, raw=True)]
                except Exception as e:  # pydicom cannot decode it either: we must fail too
                    entry['frames'] = []
                    entry['pydicomError'] = f'{type(e).__name__}: {e}'
                out.append(entry)
                print(entry['path'], entry['syntax'], len(entry['frames']), entry.get('pydicomError', ''), file=sys.stderr)
    out.sort(key=lambda e: (e['corpus'], e['path']))
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'Tests', 'Fixtures', 'codecs', 'native-codecs.json')
    with open(dest, 'w') as f:
        json.dump({'generatedBy': 'Scripts/make-codec-fixtures.py', 'pydicom': pydicom.__version__, 'files': out}, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
