#!/usr/bin/env python3
"""Video and document instances over DICOMweb, single part, as a browser's <video> element and a
viewer's `singlepart: ['video', 'pdf']` setting use them (PS3.18 §8.7.3.5, §8.7.4).

Real streams from an independent encoder: ffmpeg (the static build of imageio-ffmpeg, PyPI) makes
an MPEG-2 program stream, an H.264 High Profile MP4 and an HEVC Main MP4 from its test pattern;
pydicom wraps each as Video Photographic Image Storage in its syntax (PS3.5 §8.2.5–8.2.7: the
stream in the fragments of Pixel Data), and one H.264 stream again in the Fragmentable syntax
(.102.1) split over three fragments. DCMTK storescu sends two of them with C-STORE (-xm, -xn),
dicomweb-client the others with STOW-RS, together with an Encapsulated PDF of odd length. Then:

- /rendered of a video with Accept video/mp4 (video/mpeg, video/H265), */* or no Accept: 200 in
  that media type, Accept-Ranges: bytes, the body equal to the fragments end to end, and ffmpeg
  decodes it to the same frames (framemd5) as the file it was made from.
- Range: a span across a fragment boundary → 206 with its Content-Range and exactly those bytes;
  an open range from the last byte → 206 with one byte; a suffix range → 206 with the last bytes;
  a range past the end → 416 with `Content-Range: bytes */N`; a malformed Range, several ranges,
  another unit or a reversed range are ignored: 200 with the whole stream.
- Accept image/jpeg for a video → 406; /frames/1/rendered of a video → 406.
- WADO-URI (PS3.18 §9): contentType=the video's type, or none, → 200 with the stream;
  contentType=image/jpeg → 406 naming the video type.
- Metadata: the video's Pixel Data BulkDataURI is /bulkdata/7FE00010; it returns the stream
  single part (video type or application/octet-stream) and as the one part of multipart/related.
- /rendered of the PDF: application/pdf, the document without its pad byte; a Range → 206.

    python3 conformance/dicomweb_video.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.dicomweb import get, multipart  # noqa: E402
from conformance.lib.node import STORESCU, Checks, Node, run, standard_args, tail  # noqa: E402

VIDEO_PHOTOGRAPHIC = "1.2.840.10008.5.1.4.1.1.77.1.4.1"
ENCAPSULATED_PDF = "1.2.840.10008.5.1.4.1.1.104.1"
FRAMES = 30

# name, ffmpeg output options, file suffix, transfer syntax, fragments, media type, sent with
VIDEOS = [
    ("mpeg2", ["-c:v", "mpeg2video", "-b:v", "2M", "-f", "vob"], ".mpg",
     "1.2.840.10008.1.2.4.100", 1, "video/mpeg", ["-R", "-xm"]),
    ("h264", ["-c:v", "libx264", "-profile:v", "high", "-level", "4.1", "-pix_fmt", "yuv420p",
              "-movflags", "+faststart"], ".mp4",
     "1.2.840.10008.1.2.4.102", 1, "video/mp4", ["-R", "-xn"]),
    ("h264-fragmentable", None, ".mp4", "1.2.840.10008.1.2.4.102.1", 3, "video/mp4", None),
    ("hevc", ["-c:v", "libx265", "-tag:v", "hvc1", "-pix_fmt", "yuv420p",
              "-x265-params", "log-level=error"], ".mp4",
     "1.2.840.10008.1.2.4.107", 1, "video/h265", None),
]


def framemd5(ffmpeg: str, path: Path) -> list[str]:
    """The decoded frames' MD5s, as ffmpeg prints them (one line per frame)."""
    r = subprocess.run([ffmpeg, "-v", "error", "-i", str(path), "-map", "0:v", "-f", "framemd5", "-"],
                       capture_output=True, timeout=120)
    return [ln.split(b",")[-1].strip().decode() for ln in r.stdout.splitlines() if ln and not ln.startswith(b"#")]


def new_dataset(sop_class: str, syntax: str, study: str):
    """A data set of `sop_class` in `study` (a series of its own), with file meta for `syntax`."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = study
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientName = "Video^Conformance"
    ds.PatientID = "VIDEO-1"
    return ds


def video_dataset(stream: bytes, syntax: str, fragments: int, study: str, name: str):
    from pydicom.encaps import encapsulate

    ds = new_dataset(VIDEO_PHOTOGRAPHIC, syntax, study)
    ds.Modality = "XC"
    ds.SeriesDescription = name
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.Rows, ds.Columns = 240, 320
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "YBR_PARTIAL_420"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.NumberOfFrames = FRAMES
    ds.FrameTime = 40.0
    ds.CineRate = 25
    ds.FrameIncrementPointer = 0x00181063
    # PS3.5 §8.2.6: the stream whole in one fragment, or (Fragmentable syntaxes) over several.
    step = -(-len(stream) // fragments)
    pieces = [stream[i:i + step] for i in range(0, len(stream), step)]
    ds.PixelData = encapsulate(pieces, has_bot=False)
    ds["PixelData"].VR = "OB"
    ds.set_original_encoding(False, True)
    return ds


def pdf_dataset(document: bytes, study: str):
    from pydicom.uid import ExplicitVRLittleEndian

    ds = new_dataset(ENCAPSULATED_PDF, ExplicitVRLittleEndian, study)
    ds.Modality = "DOC"
    ds.MIMETypeOfEncapsulatedDocument = "application/pdf"
    ds.EncapsulatedDocumentLength = len(document)
    ds.EncapsulatedDocument = document + (b"\0" if len(document) % 2 else b"")
    return ds


def minimal_pdf() -> bytes:
    """A one-page PDF with a correct xref table, made odd in length by its trailing comment."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>"]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    if len(out) % 2 == 0:
        out += b"%"
    return bytes(out)


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    try:
        import imageio_ffmpeg
        import pydicom
        from pydicom.encaps import generate_fragments
        from pydicom.uid import generate_uid
        from dicomweb_client.api import DICOMwebClient
    except ImportError as e:
        checks.fail("python packages", f"{e} (Scripts/install-deps.sh installs them)")
        return checks.finish()
    ffmpeg = imageio_ffmpeg.get_ffmpeg_exe()
    work = Path(tempfile.mkdtemp(prefix="dicomweb-video-"))
    study = generate_uid()

    # --- the sources: ffmpeg streams, wrapped by pydicom ---------------------------------------
    made: dict[str, dict] = {}
    for name, options, suffix, syntax, fragments, media, storescu in VIDEOS:
        source = work / f"{name}{suffix}"
        if options is None:                  # the same stream as another entry
            source = made["h264"]["source"]
        else:
            r = subprocess.run([ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                                "-frames:v", str(FRAMES), *options, "-y", str(source)], capture_output=True, timeout=120)
            if not checks.check(f"ffmpeg makes the {name} stream", r.returncode == 0 and source.exists(),
                                tail(r.stderr.decode(errors="replace"))):
                continue
        stream = source.read_bytes()
        ds = video_dataset(stream, syntax, fragments, study, name)
        path = work / f"{name}.dcm"
        ds.save_as(path, enforce_file_format=True)
        stored = b"".join(generate_fragments(pydicom.dcmread(path).PixelData))
        made[name] = dict(source=source, stream=stream, fragments=stored, ds=ds, path=path, syntax=syntax,
                          media=media, storescu=storescu, nfrag=fragments, md5=framemd5(ffmpeg, source))
        checks.check(f"{name}: the source decodes to {FRAMES} frames", len(made[name]["md5"]) == FRAMES,
                     f"{len(made[name]['md5'])}")
    pdf = minimal_pdf()
    pdf_ds = pdf_dataset(pdf, study)

    with Node(args.dicomnode) as node:
        node.start()
        port = node.http_port
        client = DICOMwebClient(f"http://127.0.0.1:{port}/dicom-web")

        # --- in: C-STORE (DCMTK) and STOW-RS (dicomweb-client) ----------------------------------
        for name, v in made.items():
            if v["storescu"]:
                r = run([STORESCU, *v["storescu"], "-aec", node.aet, "127.0.0.1", str(node.port), str(v["path"])])
                checks.check(f"{name}: storescu {' '.join(v['storescu'])} stores it", r.returncode == 0,
                             tail(r.stdout + r.stderr))
        stow = [v["ds"] for v in made.values() if not v["storescu"]] + [pdf_ds]
        try:
            resp = client.store_instances(stow)
            checks.check("STOW-RS stores the other videos and the PDF",
                         "FailedSOPSequence" not in resp and len(resp.get("ReferencedSOPSequence", [])) == len(stow),
                         f"{resp}")
        except Exception as e:  # noqa: BLE001
            checks.fail("STOW-RS with dicomweb-client", repr(e))
        uids = [str(v["ds"].SOPInstanceUID) for v in made.values()] + [str(pdf_ds.SOPInstanceUID)]
        indexed = node.wait_indexed(uids)
        checks.check("every video and the PDF indexed once", all(len(indexed.get(u, [])) == 1 for u in uids),
                     f"{[u for u in uids if len(indexed.get(u, [])) != 1]}")
        rows = {u: indexed[u][0] for u in uids if indexed.get(u)}
        checks.check("the videos are indexed in the syntax they were sent in",
                     all(rows[str(v["ds"].SOPInstanceUID)].transfer_syntax_uid == v["syntax"]
                         for v in made.values() if str(v["ds"].SOPInstanceUID) in rows),
                     f"{[(n, rows[str(v['ds'].SOPInstanceUID)].transfer_syntax_uid) for n, v in made.items() if str(v['ds'].SOPInstanceUID) in rows]}")

        def resource(ds) -> str:
            return (f"/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}"
                    f"/instances/{ds.SOPInstanceUID}")

        # --- videos ----------------------------------------------------------------------------
        for name, v in made.items():
            path = resource(v["ds"])
            whole = v["fragments"]
            n = len(whole)
            for accept in [v["media"], "*/*", None]:
                headers = {"Accept": accept} if accept else {}
                status, h, body = get(port, path + "/rendered", headers)
                ok = checks.check(f"{name}: /rendered with Accept {accept} → 200 {v['media']}, the stream",
                                  status == 200 and h.get("content-type", "").lower() == v["media"]
                                  and h.get("accept-ranges") == "bytes" and body == whole,
                                  f"{status} {h.get('content-type')} {len(body)} of {n} bytes")
                if ok and accept == v["media"]:
                    out = work / f"{name}-rendered{v['source'].suffix}"
                    out.write_bytes(body)
                    got = framemd5(ffmpeg, out)
                    checks.check(f"{name}: ffmpeg decodes the returned stream to the source's {FRAMES} frames",
                                 got == v["md5"], f"{len(got)} frames, {sum(a == b for a, b in zip(got, v['md5']))} equal")
            # A span over a fragment boundary when there are several.
            first = max(0, n // v["nfrag"] - 500) if v["nfrag"] > 1 else 100
            last = min(n - 1, first + 1999)
            status, h, body = get(port, path + "/rendered", {"Accept": v["media"], "Range": f"bytes={first}-{last}"})
            checks.check(f"{name}: Range bytes={first}-{last} → 206 with those bytes",
                         status == 206 and h.get("content-range") == f"bytes {first}-{last}/{n}"
                         and body == whole[first:last + 1],
                         f"{status} {h.get('content-range')} {len(body)} bytes")
            status, h, body = get(port, path + "/rendered", {"Accept": v["media"], "Range": f"bytes={n - 1}-"})
            checks.check(f"{name}: Range bytes={n - 1}- → 206, the last byte",
                         status == 206 and h.get("content-range") == f"bytes {n - 1}-{n - 1}/{n}" and body == whole[-1:],
                         f"{status} {h.get('content-range')} {body!r}")
            status, h, _ = get(port, path + "/rendered", {"Accept": v["media"], "Range": f"bytes={n}-"})
            checks.check(f"{name}: Range past the end → 416 bytes */{n}",
                         status == 416 and h.get("content-range") == f"bytes */{n}", f"{status} {h}")
            status, h, body = get(port, path + "/rendered", {"Accept": v["media"], "Range": "bytes=-100"})
            checks.check(f"{name}: Range bytes=-100 → 206, the last 100 bytes",
                         status == 206 and h.get("content-range") == f"bytes {n - 100}-{n - 1}/{n}" and body == whole[-100:],
                         f"{status} {h.get('content-range')} {len(body)}")
            for bad in ["bytes=abc", "bytes=0-1,5-9", "items=0-9", "bytes=9-2"]:
                status, h, body = get(port, path + "/rendered", {"Accept": v["media"], "Range": bad})
                checks.check(f"{name}: Range {bad!r} is ignored (RFC 9110 §14.2) → 200, the whole stream",
                             status == 200 and body == whole and "content-range" not in h, f"{status} {len(body)}")
            status, _, body = get(port, path + "/rendered", {"Accept": "image/jpeg"})
            checks.check(f"{name}: Accept image/jpeg → 406 with a reason", status == 406 and len(body) > 0,
                         f"{status} {body[:200]!r}")
            status, _, body = get(port, path + "/frames/1/rendered", {"Accept": "*/*"})
            checks.check(f"{name}: /frames/1/rendered → 406 with a reason", status == 406 and b"video" in body,
                         f"{status} {body[:200]!r}")

            # WADO-URI (PS3.18 §9): the video type, also by default; an image type is not served.
            ds = v["ds"]
            wado = (f"/wado?requestType=WADO&studyUID={ds.StudyInstanceUID}&seriesUID={ds.SeriesInstanceUID}"
                    f"&objectUID={ds.SOPInstanceUID}")
            for content_type in [v["media"], None]:
                status, h, body = get(port, wado + (f"&contentType={content_type}" if content_type else ""))
                checks.check(f"{name}: WADO-URI contentType={content_type} → 200 {v['media']}, the stream",
                             status == 200 and h.get("content-type", "").lower() == v["media"] and body == whole,
                             f"{status} {h.get('content-type')} {len(body)}")
            status, _, body = get(port, wado + "&contentType=image/jpeg")
            checks.check(f"{name}: WADO-URI contentType=image/jpeg → 406 naming the video type",
                         status == 406 and v["media"].encode() in body, f"{status} {body[:200]!r}")

            # Metadata → BulkDataURI → the stream.
            status, _, body = get(port, path + "/metadata", {"Accept": "application/dicom+json"})
            uri = None
            try:
                uri = json.loads(body)[0]["7FE00010"].get("BulkDataURI")
            except (ValueError, KeyError, IndexError, TypeError):
                pass
            if not checks.check(f"{name}: metadata gives Pixel Data a /bulkdata/7FE00010 BulkDataURI",
                                status == 200 and bool(uri) and uri.endswith(path + "/bulkdata/7FE00010"),
                                f"{status} {uri}"):
                continue
            bulk = uri[uri.index("/dicom-web/"):]
            status, h, body = get(port, bulk, {"Accept": v["media"]})
            checks.check(f"{name}: bulk data with Accept {v['media']} → the stream single part",
                         status == 200 and h.get("content-type", "").lower() == v["media"] and body == whole,
                         f"{status} {h.get('content-type')} {len(body)}")
            status, h, body = get(port, bulk, {"Accept": "application/octet-stream"})
            checks.check(f"{name}: bulk data as application/octet-stream → the stream",
                         status == 200 and h.get("content-type") == "application/octet-stream" and body == whole,
                         f"{status} {h.get('content-type')} {len(body)}")
            status, h, body = get(port, bulk, {"Accept": f'multipart/related; type="{v["media"]}"'})
            parts = multipart(body, h.get("content-type", "")) if status == 200 else []
            checks.check(f"{name}: bulk data as multipart/related; type={v['media']} → one part, the stream",
                         len(parts) == 1 and parts[0][1] == whole
                         and parts[0][0].get("content-type", "").lower().startswith(v["media"]),
                         f"{status} {h.get('content-type')} {[(p[0], len(p[1])) for p in parts]}")

        # --- the PDF -----------------------------------------------------------------------------
        path = resource(pdf_ds)
        for accept in ["application/pdf", "*/*"]:
            status, h, body = get(port, path + "/rendered", {"Accept": accept})
            checks.check(f"PDF: /rendered with Accept {accept} → application/pdf, the document without its pad",
                         status == 200 and h.get("content-type") == "application/pdf" and body == pdf,
                         f"{status} {h.get('content-type')} {len(body)} of {len(pdf)} bytes")
        status, h, body = get(port, path + "/rendered", {"Accept": "application/pdf", "Range": "bytes=0-8"})
        checks.check("PDF: Range bytes=0-8 → 206 %PDF-1.4", status == 206 and body == pdf[:9]
                     and h.get("content-range") == f"bytes 0-8/{len(pdf)}", f"{status} {h.get('content-range')} {body!r}")
        status, _, body = get(port, path + "/rendered", {"Accept": "image/png"})
        checks.check("PDF: Accept image/png → 406", status == 406, f"{status} {body[:200]!r}")

        ok, why = node.echo_ok()
        checks.check("the node keeps serving", ok and node.alive(), why)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
