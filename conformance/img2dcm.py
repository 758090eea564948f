#!/usr/bin/env python3
"""`dicomnode img2dcm`: JPEG images as Secondary Capture (PS3.3 A.8.1) and PDF as Encapsulated PDF
(PS3.3 A.45.1), checked against dciodvfy, pydicom, Pillow, DCMTK and a running node.

1. Pillow makes a grey JPEG, colour JPEGs with 4:2:0 and 4:4:4 chroma sampling, a progressive
   JPEG, a PNG and a small PDF.
2. ``dicomnode img2dcm`` wraps the JPEGs into one series of a given study (a non-ASCII patient
   name, so ISO_IR 192 is used) and the PDF into another series of the same study.
3. ``/usr/bin/dciodvfy`` must report no error (its warnings are printed). One exception, printed:
   for the 4:4:4 colour JPEG (Photometric Interpretation YBR_FULL, PS3.5 §8.2.1) the
   "Unrecognized enumerated value <YBR_FULL>" error that dciodvfy also reports for DCMTK's own
   JPEG Baseline Secondary Capture SC_rgb_jpeg_dcmtk.dcm from pydicom's test files.
4. pydicom reads every file: SOP class, transfer syntax, Image Pixel attributes from the JPEG's
   frame header, the fragment equal to the JPEG bytes (not re-encoded), and the pixels decoded by
   pydicom (pylibjpeg) equal to Pillow's decode of the same JPEG within +-1 (4:2:0: upsampling is
   the decoder's choice, so the mean difference is checked under 1 and the largest is printed).
5. The PDF comes back out of Encapsulated Document unchanged.
6. The progressive JPEG, the PNG and a JPEG given as --pdf are refused with a clear message.
7. ``/usr/bin/dcmsend`` stores everything into ``dicomnode serve``; QIDO-RS and ``findscu`` find
   both series under the given study with the right instance counts.

    python3 conformance/img2dcm.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import Checks, Node, run, standard_args, tail  # noqa: E402

DCIODVFY = "/usr/bin/dciodvfy"
DCMSEND = "/usr/bin/dcmsend"
FINDSCU = "/usr/bin/findscu"

SC = "1.2.840.10008.5.1.4.1.1.7"
PDF_SOP = "1.2.840.10008.5.1.4.1.1.104.1"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
STUDY = "1.2.826.0.1.3680043.8.498.4242.1"
SERIES_IMG = "1.2.826.0.1.3680043.8.498.4242.1.1"
PATIENT_NAME = "Müller^Jürgen"
PATIENT_ID = "IMG2DCM-1"


def make_inputs(d: Path) -> dict[str, Path]:
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:48, 0:64]
    grey = Image.fromarray(((x * 4 + y * 2) % 256).astype(np.uint8), "L")
    rgb = np.stack([(x * 4) % 256, (y * 5) % 256, ((x + y) * 3) % 256], axis=-1).astype(np.uint8)
    rgb[10:30, 20:40] = [200, 30, 90]
    colour = Image.fromarray(rgb, "RGB")
    files = {
        "grey": d / "grey.jpg", "colour420": d / "colour420.jpg", "colour444": d / "colour444.jpg",
        "progressive": d / "progressive.jpg", "png": d / "image.png", "pdf": d / "report.pdf",
    }
    grey.save(files["grey"], "JPEG", quality=90)
    colour.save(files["colour420"], "JPEG", quality=90)                    # Pillow default: 4:2:0
    colour.save(files["colour444"], "JPEG", quality=90, subsampling=0)     # 4:4:4
    colour.save(files["progressive"], "JPEG", quality=90, progressive=True)
    colour.save(files["png"], "PNG")
    Image.new("RGB", (200, 100), (255, 255, 255)).save(files["pdf"], "PDF")
    return files


def dciodvfy_lines(path: Path) -> list[str]:
    r = subprocess.run([DCIODVFY, str(path)], capture_output=True, text=True)
    return [l.strip() for l in (r.stdout + r.stderr).splitlines() if l.strip()]


def dcmtk_ybr_full_errors() -> set[str]:
    """dciodvfy's errors about YBR_FULL on pydicom's SC_rgb_jpeg_dcmtk.dcm: a JPEG Baseline 4:4:4
    Secondary Capture written by DCMTK with Photometric Interpretation YBR_FULL (PS3.5 §8.2.1 allows
    YBR_FULL for unsubsampled YCbCr; dciodvfy's Secondary Capture table does not list it)."""
    import pydicom

    ref = Path(pydicom.__file__).parent / "data" / "test_files" / "SC_rgb_jpeg_dcmtk.dcm"
    if not ref.exists():
        return set()
    return {l for l in dciodvfy_lines(ref) if l.startswith("Error") and "<YBR_FULL>" in l}


def dciodvfy(checks: Checks, name: str, path: Path, tolerated: set[str] = frozenset()) -> None:
    lines = dciodvfy_lines(path)
    errors = [l for l in lines if l.startswith("Error") and l not in tolerated]
    for w in (l for l in lines if l.startswith("Warning") or l in tolerated):
        print(f"  dciodvfy {name}: {w}" + ("  [tolerated: dciodvfy says the same of DCMTK's SC_rgb_jpeg_dcmtk.dcm]"
                                            if w in tolerated else ""))
    checks.check(f"dciodvfy {name}: no errors", not errors, "; ".join(errors[:4]))


def sof_header(jpeg: bytes) -> tuple[int, int, int, list[tuple[int, int]]]:
    """(rows, columns, components, [(H, V)]) of the first SOF0/SOF1 (an independent reading)."""
    i = 2
    while i < len(jpeg):
        marker, length = jpeg[i + 1], int.from_bytes(jpeg[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1):
            seg = jpeg[i + 4:i + 2 + length]
            n = seg[5]
            return (int.from_bytes(seg[1:3], "big"), int.from_bytes(seg[3:5], "big"), n,
                    [(seg[7 + 3 * k] >> 4, seg[7 + 3 * k] & 15) for k in range(n)])
        i += 2 + length
    raise ValueError("no SOF")


def check_image(checks: Checks, name: str, dcm: Path, jpg: Path, instance: int) -> None:
    import numpy as np
    import pydicom
    from PIL import Image
    from pydicom.encaps import generate_fragments

    ds = pydicom.dcmread(dcm)
    jpeg = jpg.read_bytes()
    rows, cols, n, sampling = sof_header(jpeg)
    subsampled = n == 3 and any(s != sampling[0] for s in sampling[1:])
    want_pi = "MONOCHROME2" if n == 1 else ("YBR_FULL_422" if subsampled else "YBR_FULL")
    got = {
        "SOPClassUID": ds.SOPClassUID, "TransferSyntax": ds.file_meta.TransferSyntaxUID,
        "Rows": ds.Rows, "Columns": ds.Columns, "SamplesPerPixel": ds.SamplesPerPixel,
        "PhotometricInterpretation": ds.PhotometricInterpretation, "BitsAllocated": ds.BitsAllocated,
        "BitsStored": ds.BitsStored, "HighBit": ds.HighBit, "PixelRepresentation": ds.PixelRepresentation,
        "LossyImageCompression": ds.LossyImageCompression, "Method": ds.LossyImageCompressionMethod,
        "StudyInstanceUID": ds.StudyInstanceUID, "SeriesInstanceUID": ds.SeriesInstanceUID,
        "PatientName": str(ds.PatientName), "CharacterSet": ds.SpecificCharacterSet,
        "InstanceNumber": ds.InstanceNumber, "ConversionType": ds.ConversionType,
    }
    want = {
        "SOPClassUID": SC, "TransferSyntax": JPEG_BASELINE, "Rows": rows, "Columns": cols, "SamplesPerPixel": n,
        "PhotometricInterpretation": want_pi, "BitsAllocated": 8, "BitsStored": 8, "HighBit": 7,
        "PixelRepresentation": 0, "LossyImageCompression": "01", "Method": "ISO_10918_1",
        "StudyInstanceUID": STUDY, "SeriesInstanceUID": SERIES_IMG, "PatientName": PATIENT_NAME,
        "CharacterSet": "ISO_IR 192", "InstanceNumber": instance, "ConversionType": "WSD",
    }
    bad = [f"{k}={got[k]!r} (want {want[k]!r})" for k in want if got[k] != want[k]]
    if n == 3:
        if ds.get("PlanarConfiguration") != 0:
            bad.append(f"PlanarConfiguration={ds.get('PlanarConfiguration')!r}")
    checks.check(f"{name}: attributes from the JPEG frame header and the options", not bad, "; ".join(bad))

    frags = list(generate_fragments(ds.PixelData))[1:]     # the first item is the (empty) Basic Offset Table
    padded = jpeg + (b"\0" if len(jpeg) % 2 else b"")
    checks.check(f"{name}: one fragment holding the JPEG bytes unchanged ({len(jpeg)} bytes)",
                 len(frags) == 1 and frags[0] == padded and ds.PixelData[:8] == b"\xfe\xff\x00\xe0\x00\x00\x00\x00",
                 f"{len(frags)} fragments, first {len(frags[0]) if frags else 0} bytes")

    # pydicom decodes with pylibjpeg (libjpeg, not Pillow's libjpeg-turbo), without its own YCbCr ->
    # RGB step (its float conversion differs from libjpeg-turbo's integer one by up to 3); Pillow
    # decodes the same JPEG to YCbCr ("draft" mode) or grey.
    from pydicom.pixels import pixel_array
    im = Image.open(jpg)
    if n == 3:
        im.draft("YCbCr", im.size)
    ref = np.asarray(im).astype(int)
    try:
        arr = pixel_array(ds, decoding_plugin="pylibjpeg", as_rgb=False).astype(int)
    except Exception as e:  # noqa: BLE001
        checks.fail(f"{name}: pydicom (pylibjpeg) decodes the pixels", repr(e))
        return
    if arr.shape != ref.shape:
        checks.fail(f"{name}: pixels equal Pillow's decode", f"shape {arr.shape} vs {ref.shape}")
        return
    diff = np.abs(arr - ref)
    print(f"  {name}: |pydicom(pylibjpeg) - Pillow| max {diff.max()} mean {diff.mean():.3f}")
    if subsampled and sampling[0][1] > 1:
        # 4:2:0: libjpeg and libjpeg-turbo upsample the chrominance differently ("fancy" upsampling).
        checks.check(f"{name}: pixels equal Pillow's decode (4:2:0: mean diff < 1, upsampling is the decoder's)",
                     diff.mean() < 1.0, f"max {diff.max()} mean {diff.mean():.3f}")
    else:
        checks.check(f"{name}: pixels equal Pillow's decode within +-1", diff.max() <= 1,
                     f"max {diff.max()} mean {diff.mean():.3f}")


def qido(port: int, path: str) -> list[dict]:
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Accept": "application/dicom+json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = r.read()
    return json.loads(body) if body else []


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    import pydicom

    with tempfile.TemporaryDirectory(prefix="img2dcm-") as tmp:
        d = Path(tmp)
        files = make_inputs(d)
        out_img, out_pdf = d / "out-img", d / "out-pdf"

        # --- images ------------------------------------------------------------------------------
        tolerated = dcmtk_ybr_full_errors()
        jpgs = [files["grey"], files["colour420"], files["colour444"]]
        r = run([args.dicomnode, "img2dcm", *map(str, jpgs), "--out", str(out_img), "--study", STUDY,
                 "--series", SERIES_IMG, "--patient-name", PATIENT_NAME, "--patient-id", PATIENT_ID,
                 "--accession", "ACC42", "--title", "Wound photos"])
        print("  " + (r.stdout.strip() or r.stderr.strip()).replace("\n", "\n  "))
        checks.check("img2dcm: three JPEGs wrapped (exit 0)", r.returncode == 0, tail(r.stdout + r.stderr))
        for k, jpg in enumerate(jpgs):
            dcm = out_img / (jpg.stem + ".dcm")
            if not checks.check(f"{jpg.stem}: output written", dcm.exists(), str(dcm)):
                continue
            dciodvfy(checks, jpg.stem, dcm, tolerated if jpg.stem == "colour444" else set())
            check_image(checks, jpg.stem, dcm, jpg, k + 1)

        # --- PDF ---------------------------------------------------------------------------------
        pdf_dcm = out_pdf / "report.dcm"
        r = run([args.dicomnode, "img2dcm", "--pdf", str(files["pdf"]), "--out", str(out_pdf) + "/",
                 "--study", STUDY, "--patient-name", PATIENT_NAME, "--patient-id", PATIENT_ID, "--title", "Discharge letter"])
        print("  " + (r.stdout.strip() or r.stderr.strip()).replace("\n", "\n  "))
        checks.check("img2dcm --pdf: exit 0", r.returncode == 0, tail(r.stdout + r.stderr))
        if checks.check("pdf: output written", pdf_dcm.exists(), str(pdf_dcm)):
            dciodvfy(checks, "pdf", pdf_dcm)
            ds = pydicom.dcmread(pdf_dcm)
            pdf = files["pdf"].read_bytes()
            doc = bytes(ds.EncapsulatedDocument)
            checks.check(f"pdf: Encapsulated Document gives back the PDF unchanged ({len(pdf)} bytes)",
                         doc[:len(pdf)] == pdf and len(doc) == len(pdf) + len(pdf) % 2 and doc[len(pdf):] in (b"", b"\0"),
                         f"{len(doc)} bytes back")
            got = (ds.SOPClassUID, ds.file_meta.TransferSyntaxUID, ds.MIMETypeOfEncapsulatedDocument, ds.Modality,
                   ds.DocumentTitle, ds.BurnedInAnnotation, ds.ConversionType, ds.StudyInstanceUID,
                   "ConceptNameCodeSequence" in ds)
            want = (PDF_SOP, EXPLICIT_LE, "application/pdf", "DOC", "Discharge letter", "YES", "SD", STUDY, True)
            checks.check("pdf: SOP class, syntax, MIME type, modality, title, annotation, study", got == want,
                         f"{got} != {want}")

        # --- refusals ----------------------------------------------------------------------------
        for label, argv, needle in [
            ("progressive JPEG", [str(files["progressive"])], "progressive"),
            ("PNG", [str(files["png"])], "not a JPEG"),
            ("JPEG given as --pdf", ["--pdf", str(files["grey"])], "not a PDF"),
        ]:
            r = run([args.dicomnode, "img2dcm", *argv, "--out", str(d / "refused.dcm")])
            checks.check(f"refused: {label} (exit {r.returncode}: {r.stderr.strip()[:90]})",
                         r.returncode != 0 and needle in r.stderr and not (d / "refused.dcm").exists(),
                         tail(r.stdout + r.stderr))

        # --- into a running node -----------------------------------------------------------------
        with Node(args.dicomnode) as node:
            node.start()
            sent = sorted(out_img.glob("*.dcm")) + sorted(out_pdf.glob("*.dcm"))
            r = run([DCMSEND, "-aet", "IMG2DCM", "-aec", node.aet, "-dn", "127.0.0.1", str(node.port), *map(str, sent)])
            checks.check(f"dcmsend: {len(sent)} instances stored", r.returncode == 0, tail(r.stdout + r.stderr))

            try:
                series = qido(node.http_port, f"/dicom-web/studies/{STUDY}/series?includefield=all")
            except Exception as e:  # noqa: BLE001
                series = []
                print(f"  QIDO failed: {e!r}")
            found = {s.get("0020000E", {}).get("Value", [""])[0]:
                     (s.get("00080060", {}).get("Value", [""])[0], s.get("00201209", {}).get("Value", [0])[0])
                     for s in series}
            print(f"  QIDO series of {STUDY}: {found}")
            img = found.get(SERIES_IMG)
            docs = [v for k, v in found.items() if k != SERIES_IMG]
            checks.check("QIDO: image series (OT, 3 instances) and PDF series (DOC, 1) in the given study",
                         img == ("OT", 3) and docs == [("DOC", 1)], str(found))

            out = d / "find"
            out.mkdir()
            r = run([FINDSCU, "-aet", "FINDSCU", "-aec", node.aet, "-S", "-X", "-od", str(out),
                     "-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={STUDY}", "-k", "SeriesInstanceUID",
                     "-k", "Modality", "-k", "NumberOfSeriesRelatedInstances", "127.0.0.1", str(node.port)])
            rsp = [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]
            got = sorted((x.get("Modality", ""), int(x.get("NumberOfSeriesRelatedInstances", 0) or 0)) for x in rsp)
            print(f"  findscu SERIES under {STUDY}: {got}")
            checks.check("findscu: both series found under the given study", r.returncode == 0 and got == [("DOC", 1), ("OT", 3)],
                         f"rc {r.returncode} {got} {tail(r.stdout + r.stderr)}")

            out = d / "find-study"
            out.mkdir()
            r = run([FINDSCU, "-aet", "FINDSCU", "-aec", node.aet, "-S", "-X", "-od", str(out), "-k", "QueryRetrieveLevel=STUDY",
                     "-k", f"StudyInstanceUID={STUDY}", "-k", "PatientName", "-k", "PatientID", "-k", "SpecificCharacterSet",
                     "127.0.0.1", str(node.port)])
            rsp = [pydicom.dcmread(p) for p in sorted(out.glob("rsp*.dcm"))]
            names = [(str(x.get("PatientName", "")), x.get("PatientID", "")) for x in rsp]
            checks.check("findscu: the study carries the patient given (UTF-8 name)", names == [(PATIENT_NAME, PATIENT_ID)],
                         f"{names} {tail(r.stdout + r.stderr)}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
