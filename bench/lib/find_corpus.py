#!/usr/bin/env python3
"""Writes N small Part 10 files (CT/MR, 16x16 pixels, Explicit VR LE) for the side-by-side C-FIND
benchmark: the same archive stored into dicomnode, dcmqrscp and Orthanc.

Shape: min(500, N/10) studies — 500 is dcmqrscp's upper limit of studies per storage area
(DB_UpperMaxStudies) — each with 2 series and N/studies instances; studies/10 patients (at least
1) named "SURNAME^Given" from studies/40 surnames (as find_index.py); dates over 2015–2024.

    find_corpus.py --out DIR --instances 20000
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from find_index import CT, GIVEN, MR, surnames  # noqa: E402

ROOT = "2.25.1618033988749894848204586834365"
MAX_STUDIES = 500


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--instances", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=4242)
    a = ap.parse_args()
    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian

    rng = random.Random(a.seed)
    n_studies = max(1, min(MAX_STUDIES, a.instances // 10))
    per_study = a.instances // n_studies
    n_patients = max(1, n_studies // 10)
    names = surnames(max(1, n_patients // 4), rng)
    patients = [(f"CP{p:06d}", f"{rng.choice(names)}^{rng.choice(GIVEN)}") for p in range(1, n_patients + 1)]
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    pixels = np.arange(256, dtype=np.uint16).reshape(16, 16).tobytes()
    start = datetime.date(2015, 1, 1)
    written = 0
    for s in range(1, n_studies + 1):
        pid, name = patients[rng.randrange(n_patients)]
        date = (start + datetime.timedelta(days=rng.randrange(3652))).strftime("%Y%m%d")
        secs = rng.randrange(86400)
        tm = f"{secs // 3600:02d}{secs // 60 % 60:02d}{secs % 60:02d}"
        study_uid = f"{ROOT}.{s}"
        modalities = ["CT", rng.choice(("CT", "MR"))]
        d = out / f"s{s:04d}"
        d.mkdir(exist_ok=True)
        for n in range(per_study):
            k = 1 + n * 2 // per_study
            modality = modalities[k - 1]
            ds = Dataset()
            ds.SOPClassUID = CT if modality == "CT" else MR
            ds.SOPInstanceUID = f"{study_uid}.{k}.{n + 1}"
            ds.StudyDate, ds.StudyTime, ds.AccessionNumber = date, tm, f"C{s:08d}"
            ds.Modality = modality
            ds.PatientName, ds.PatientID = name, pid
            ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, f"{study_uid}.{k}"
            ds.StudyID, ds.StudyDescription = f"S{s}", f"Bench study {s % 97}"
            ds.SeriesNumber, ds.InstanceNumber = k, n + 1
            ds.Rows = ds.Columns = 16
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
            ds.PixelData = pixels
            ds.file_meta = FileMetaDataset()
            ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
            ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.save_as(d / f"i{n:05d}.dcm", enforce_file_format=True)
            written += 1
    print(f"files {written} studies {n_studies} patients {n_patients}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
