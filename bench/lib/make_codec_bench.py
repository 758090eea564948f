#!/usr/bin/env python3
"""Writes the native multi-frame files bench/codecs-native.sh times (Explicit VR Little Endian):

  ct16.dcm   60 frames 512x512, 16-bit signed: the CT phantom of make_ct_series.py (noise in the body)
  gray8.dcm  40 frames 1024x768, 8-bit: pydicom-data's JPGLosslessP14SV1_1s_1f_8b.dcm, shifted per frame
  rgb8.dcm   40 frames 640x480 RGB, 8-bit: frames of pydicom-data's color3d_jpeg_baseline.dcm as RGB

Usage: make_codec_bench.py OUTDIR   (skips files that exist)
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def save(path, frames, photometric, signed=False):
    frames = np.ascontiguousarray(frames)
    n, rows, cols = frames.shape[:3]
    samples = frames.shape[3] if frames.ndim == 4 else 1
    bits = frames.dtype.itemsize * 8
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7.2" if bits == 16 else "1.2.840.10008.5.1.4.1.1.7.4"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), generate_uid()
    ds.Modality, ds.PatientName = "OT", "BENCH^CODECS"
    ds.Rows, ds.Columns, ds.SamplesPerPixel, ds.NumberOfFrames = rows, cols, samples, n
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PhotometricInterpretation = photometric
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.PixelData = frames.astype(frames.dtype.newbyteorder("<")).tobytes()
    ds["PixelData"].VR = "OW" if bits == 16 else "OB"
    ds.save_as(path, enforce_file_format=True)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    import data_store
    data = os.path.join(os.path.dirname(data_store.__file__), "data")
    p = os.path.join(out, "ct16.dcm")
    if not os.path.exists(p):
        import make_ct_series as ct
        rng = np.random.default_rng(7)
        save(p, np.stack([ct.phantom(rng, z, 60) for z in range(60)]), "MONOCHROME2", signed=True)
    p = os.path.join(out, "gray8.dcm")
    if not os.path.exists(p):
        base = pydicom.dcmread(os.path.join(data, "JPGLosslessP14SV1_1s_1f_8b.dcm")).pixel_array
        save(p, np.stack([np.roll(base, 7 * k, axis=1) for k in range(40)]), "MONOCHROME2")
    p = os.path.join(out, "rgb8.dcm")
    if not os.path.exists(p):
        ds = pydicom.dcmread(os.path.join(data, "color3d_jpeg_baseline.dcm"))
        arr = ds.pixel_array[:40]  # pydicom converts YBR_FULL_422 to RGB
        save(p, arr, "RGB")


if __name__ == "__main__":
    main()
