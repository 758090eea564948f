#!/usr/bin/env python3
"""Writes a synthetic but realistic CT series for the read benchmark.

One study, one series, N axial slices: CT Image Storage, 512x512, 16 bits signed,
Explicit VR Little Endian, a header of ~100 elements (incl. sequences and a private
block), pixel data of a noisy elliptical phantom (numpy, fixed seed). Deterministic:
the same arguments give byte-identical files.

    make_ct_series.py --out DIR [--count 500] [--seed 20240501]
"""
import argparse
import hashlib
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian

GENERATOR_VERSION = "1"
PATIENT_NAME = "BENCH^CTSERIES"
ROWS = COLS = 512


def uid(*parts):
    # Deterministic UUID-derived UIDs (PS3.5 §B.2): "2.25." + a 128-bit integer from a hash.
    digest = hashlib.sha256("/".join(["dicomnode-bench", *map(str, parts)]).encode()).digest()
    return "2.25." + str(int.from_bytes(digest[:16], "big"))


def code(value, scheme, meaning):
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def phantom(rng, z, count):
    """Stored values (HU + 1024) of an elliptical body with lungs and a spine; padding -2000."""
    y, x = np.mgrid[0:ROWS, 0:COLS].astype(np.float32)
    cx, cy = COLS / 2, ROWS / 2
    t = z / max(count - 1, 1)
    a, b = 220 - 30 * abs(t - 0.5), 160 - 20 * abs(t - 0.5)
    body = ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1
    img = np.full((ROWS, COLS), -2000, dtype=np.float32)
    img[body] = 1024 + 40
    for sx in (-1, 1):
        lung = ((x - cx - sx * 90) / (70 + 20 * t)) ** 2 + ((y - cy + 10) / 90) ** 2 <= 1
        img[lung] = 1024 - 820
    spine = (x - cx) ** 2 + (y - cy - 110) ** 2 <= 22 ** 2
    img[spine] = 1024 + 700
    noise = rng.normal(0, 18, size=(ROWS, COLS)).astype(np.float32)
    img[body] += noise[body]
    return np.clip(img, -2000, 4095).astype("<i2")


def make_slice(i, count, rng):
    study, series, frame = uid("study"), uid("series"), uid("frame")
    sop = uid("instance", i)
    z = -400.0 + 1.25 * i

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = uid("implementation")
    meta.ImplementationVersionName = "DICOMNODE_BENCH"
    meta.SourceApplicationEntityTitle = "BENCHGEN"

    ds = Dataset()
    ds.file_meta = meta
    # SOP Common, General Image (PS3.3 C.12.1, C.7.6.1)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.InstanceCreationDate = "20240501"
    ds.InstanceCreationTime = "101500"
    ds.InstanceCreatorUID = uid("creator")
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop
    ds.StudyDate = ds.SeriesDate = ds.AcquisitionDate = ds.ContentDate = "20240501"
    ds.StudyTime = "101000"
    ds.SeriesTime = "101200"
    ds.AcquisitionTime = ds.ContentTime = f"1012{i % 60:02d}.{i:06d}"
    ds.AccessionNumber = "ACC20240501"
    ds.Modality = "CT"
    ds.Manufacturer = "DICOMNODE"
    ds.InstitutionName = "Benchmark General Hospital"
    ds.InstitutionAddress = "1 Benchmark Road"
    ds.ReferringPhysicianName = "REFERRER^ALICE"
    ds.StationName = "CTSCAN01"
    ds.StudyDescription = "CT CHEST WITH CONTRAST"
    ds.ProcedureCodeSequence = Sequence([code("ZIP1", "99LOCAL", "CT chest with contrast")])
    ds.SeriesDescription = "Chest 1.25mm"
    ds.BodyPartExamined = "CHEST"
    ds.InstitutionalDepartmentName = "Radiology"
    ds.PerformingPhysicianName = "PERFORMER^BOB"
    ds.OperatorsName = "TECH^CAROL"
    ds.ManufacturerModelName = "Benchmark CT 64"
    ref_study = Dataset()
    ref_study.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.1"
    ref_study.ReferencedSOPInstanceUID = uid("ref-study")
    ds.ReferencedStudySequence = Sequence([ref_study])
    ref_pps = Dataset()
    ref_pps.ReferencedSOPClassUID = "1.2.840.10008.3.1.2.3.3"
    ref_pps.ReferencedSOPInstanceUID = uid("mpps")
    ds.ReferencedPerformedProcedureStepSequence = Sequence([ref_pps])
    # Patient (C.7.1.1)
    ds.PatientName = PATIENT_NAME
    ds.PatientID = "BENCH0001"
    ds.IssuerOfPatientID = "BENCHHOSP"
    ds.PatientBirthDate = "19600101"
    ds.PatientSex = "O"
    ds.PatientAge = "064Y"
    ds.PatientSize = "1.75"
    ds.PatientWeight = "72"
    ds.AdditionalPatientHistory = "Synthetic data for benchmarking"
    # CT Image, General Equipment, acquisition (C.8.2.1)
    ds.ContrastBolusAgent = "IODINE"
    ds.ScanOptions = "HELICAL MODE"
    ds.SliceThickness = "1.25"
    ds.KVP = "120"
    ds.SpacingBetweenSlices = "1.25"
    ds.DataCollectionDiameter = "500"
    ds.DeviceSerialNumber = "SN000123"
    ds.SoftwareVersions = "bench-1.0"
    ds.ProtocolName = "CHEST_CONTRAST"
    ds.ReconstructionDiameter = "360"
    ds.DistanceSourceToDetector = "949.075"
    ds.DistanceSourceToPatient = "541"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "160"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "250"
    ds.Exposure = "125"
    ds.FilterType = "BODY FILTER"
    ds.GeneratorPower = "30"
    ds.FocalSpots = "0.7"
    ds.ConvolutionKernel = "STANDARD"
    ds.PatientPosition = "FFS"
    ds.RevolutionTime = 0.5
    ds.SingleCollimationWidth = 0.625
    ds.TotalCollimationWidth = 40
    ds.TableSpeed = 39.375
    ds.TableFeedPerRotation = 39.375
    ds.SpiralPitchFactor = 0.984375
    ds.CTDIvol = 8.5
    ds.CTDIPhantomTypeCodeSequence = Sequence([code("113691", "DCM", "IEC Body Dosimetry Phantom")])
    # General Study / Series, Frame of Reference, Image Plane (C.7.2.1, C.7.3.1, C.7.4.1, C.7.6.2)
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = series
    ds.StudyID = "1001"
    ds.SeriesNumber = "3"
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = str(i + 1)
    ds.ImagePositionPatient = ["-180", "-180", f"{z:.2f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.FrameOfReferenceUID = frame
    ds.PositionReferenceIndicator = "SN"
    ds.SliceLocation = f"{z:.2f}"
    ds.ImageComments = f"Slice {i + 1} of {count}"
    req = Dataset()
    req.RequestedProcedureID = "RP1001"
    req.ScheduledProcedureStepID = "SPS1001"
    req.ScheduledProtocolCodeSequence = Sequence([code("CTCHEST", "99LOCAL", "CT chest")])
    ds.RequestAttributesSequence = Sequence([req])
    # Image Pixel, CT Image (C.7.6.3, C.8.2.1)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = ROWS
    ds.Columns = COLS
    ds.PixelSpacing = ["0.703125", "0.703125"]
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.PixelPaddingValue = -2000
    ds.WindowCenter = ["40", "-600"]
    ds.WindowWidth = ["400", "1500"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.WindowCenterWidthExplanation = ["SOFT TISSUE", "LUNG"]
    ds.LossyImageCompression = "00"
    # A small private block, as real scanners write (PS3.5 §7.8)
    block = ds.private_block(0x0009, "DICOMNODE BENCH", create=True)
    block.add_new(0x01, "LO", "bench private string")
    block.add_new(0x02, "SL", i)
    block.add_new(0x03, "DS", "0.5")
    block.add_new(0x04, "OB", bytes(range(64)))
    ds.PixelData = phantom(rng, i, count).tobytes()
    return ds


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=20240501)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    for i in range(args.count):
        ds = make_slice(i, args.count, rng)
        ds.save_as(os.path.join(args.out, f"CT{i + 1:06d}.dcm"), enforce_file_format=True)
    print(f"make_ct_series: wrote {args.count} slices to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
