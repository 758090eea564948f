#!/usr/bin/env python3
"""dicomnode's DICOMweb gateway (PS3.18) against dicomweb-client, pydicom and raw HTTP.

Instances go in two ways: C-STORE from DCMTK storescu and STOW-RS from dicomweb-client. Then:
- QIDO-RS: per study, the counts and the values of the study-level attributes equal what pydicom
  reads from the files sent; filters (PatientID, wildcard names, date ranges, UID lists, limit and
  offset, includefield) give exactly the expected studies; no match is 204.
- WADO-RS: every instance retrieved with transfer-syntax=* is byte for byte the object file in the
  archive; the data set in it equals the file sent; without transfer-syntax an Implicit VR file
  comes back as Explicit VR Little Endian with the same data set.
- Metadata: every top-level attribute pydicom reads from the file is in the JSON with the same
  value (bulk values as BulkDataURIs, which resolve to the file's bytes).
- Frames: native frames equal pydicom's pixel bytes frame by frame; encapsulated frames with
  transfer-syntax=* equal pydicom's encapsulated frames.
- WADO-URI: application/dicom is the stored object; anonymize=yes gives the PS3.15 Basic Profile
  de-identified object (pydicom checks names, IDs, private tags, UIDs; dciodvfy reports no new
  error) and a Burned In Annotation YES image is refused with 403.
- Bad input from a raw socket (path traversal, a 1 MB Accept header, STOW without boundary, a
  truncated STOW body, unknown query keys, bad UIDs): 4xx with a reason, nothing stored from a
  broken part, no staging file left, the node keeps serving.

    python3 conformance/dicomweb.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import (  # noqa: E402
    EXPLICIT_VR_LE, IMPLICIT_VR_LE, STORESCU, Checks, Node, compare_files, run, sample, split_part10,
    standard_args, tail)

DCIODVFY = "/usr/bin/dciodvfy"   # Debian dicom3tools

# Sent with C-STORE (storescu proposes each file's own syntax with -xs/-xv etc. where needed).
CSTORE_SAMPLES = [
    ("test_files/CT_small.dcm", []),                     # Explicit VR LE, one frame
    ("test_files/MR_small_implicit.dcm", []),            # Implicit VR LE
    ("test_files/rtplan.dcm", []),                       # no pixel data
    ("pydicom-data/emri_small.dcm", []),                  # 10 frames, native
    ("test_files/SC_rgb_small_odd.dcm", []),             # RGB, odd size
]
# Sent with STOW-RS.
STOW_SAMPLES = [
    "test_files/MR_small.dcm",
    "test_files/JPEG2000.dcm",                           # encapsulated, one frame
    "pydicom-data/emri_small_RLE.dcm",                   # RLE, 10 frames, one fragment each
    "test_files/SC_rgb_jpeg_dcmtk.dcm",                  # JPEG baseline
]


def http(port: int, raw: bytes, timeout: float = 10.0) -> tuple[int, dict[str, str], bytes]:
    """Sends raw bytes, reads one response (Content-Length or chunked or until close)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split()[1])
        except (IndexError, ValueError):
            return 0, {}, data
        headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
        if "content-length" in headers:
            n = int(headers["content-length"])
            while len(body) < n:
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while not body.endswith(b"0\r\n\r\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                body += chunk
            out, rest = b"", body
            while rest:
                size_line, _, rest = rest.partition(b"\r\n")
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    break
                out += rest[:size]
                rest = rest[size + 2:]
            body = out
        return status, headers, body


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    h = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    return http(port, f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n{h}Connection: close\r\n\r\n".encode())


def multipart(body: bytes, content_type: str) -> list[tuple[dict[str, str], bytes]]:
    """The parts of a multipart/related body."""
    boundary = [p.split("=", 1)[1].strip('"') for p in content_type.split(";") if p.strip().startswith("boundary=")][0]
    delim = b"--" + boundary.encode()
    parts = []
    for piece in body.split(b"\r\n" + delim)[0:]:
        if piece.startswith(delim):
            piece = piece[len(delim):]
        if piece.startswith(b"--"):
            break
        piece = piece.lstrip(b"\r\n") if piece.startswith(b"\r\n") else piece
        head, _, payload = piece.partition(b"\r\n\r\n")
        hdrs = {k.strip().lower(): v.strip() for k, _, v in
                (ln.partition(":") for ln in head.decode("latin-1").split("\r\n") if ln)}
        parts.append((hdrs, payload))
    return parts


def value(item: dict, tag: str):
    v = item.get(tag, {}).get("Value")
    return v[0] if v else None


def pn_text(v) -> str | None:
    if isinstance(v, dict):
        return v.get("Alphabetic")
    return v


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    try:
        import pydicom
        from pydicom.encaps import generate_frames
        from dicomweb_client.api import DICOMwebClient
    except ImportError as e:
        checks.fail("python packages", f"{e} (Scripts/install-deps.sh installs them)")
        return checks.finish()

    files: dict[str, Path] = {}
    for name, _ in CSTORE_SAMPLES:
        p = sample(name)
        if p:
            files[name] = p
    for name in STOW_SAMPLES:
        p = sample(name)
        if p:
            files[name] = p
    checks.check("sample files present", len(files) == len(CSTORE_SAMPLES) + len(STOW_SAMPLES),
                 f"missing: {sorted((set(n for n, _ in CSTORE_SAMPLES) | set(STOW_SAMPLES)) - set(files))}")
    source = {}   # SOP Instance UID -> (name, pydicom dataset)
    work = Path(tempfile.mkdtemp(prefix="dicomweb-conf-"))
    for name, p in files.items():
        ds = pydicom.dcmread(p)
        if str(ds.SOPInstanceUID) in source:
            # pydicom-data's variants of one image share its UIDs: a new UID keeps both.
            from pydicom.uid import generate_uid
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            files[name] = work / Path(name).name
            ds.save_as(files[name], enforce_file_format=True)
        source[str(ds.SOPInstanceUID)] = (name, ds)

    with Node(args.dicomnode) as node:
        node.start()
        port = node.http_port
        base = f"http://127.0.0.1:{port}/dicom-web"
        client = DICOMwebClient(base)

        # --- in: C-STORE and STOW-RS ------------------------------------------------------------
        cstore = [str(files[n]) for n, _ in CSTORE_SAMPLES if n in files]
        r = run([STORESCU, "-aec", node.aet, "127.0.0.1", str(node.port), *cstore])
        checks.check("storescu stores the C-STORE samples", r.returncode == 0, tail(r.stdout + r.stderr))
        stow_ds = [pydicom.dcmread(files[n]) for n in STOW_SAMPLES if n in files]
        try:
            resp = client.store_instances(stow_ds)
            refs = resp.get("ReferencedSOPSequence", [])
            checks.check("STOW-RS: every part is in ReferencedSOPSequence",
                         sorted(str(i.ReferencedSOPInstanceUID) for i in refs) == sorted(str(d.SOPInstanceUID) for d in stow_ds),
                         f"{resp}")
            checks.check("STOW-RS: no FailedSOPSequence", "FailedSOPSequence" not in resp, f"{resp}")
        except Exception as e:  # noqa: BLE001
            checks.fail("STOW-RS with dicomweb-client", repr(e))
        indexed = node.wait_indexed(source.keys())
        checks.check("every instance indexed once", all(len(indexed.get(u, [])) == 1 for u in source),
                     f"{[u for u in source if len(indexed.get(u, [])) != 1]}")

        status, _, body = get(port, "/metrics")
        metrics = dict(ln.rsplit(" ", 1) for ln in body.decode().splitlines() if ln and not ln.startswith("#"))
        checks.check("/metrics counts the instances stored (C-STORE and STOW-RS) and the associations",
                     status == 200 and float(metrics.get("dicomnode_instances_stored_total", -1)) == len(source)
                     and float(metrics.get("dicomnode_dimse_associations_accepted_total", 0)) >= 1,
                     f"{status} {[(k, v) for k, v in metrics.items() if k.startswith('dicomnode')]}")

        # --- QIDO-RS ----------------------------------------------------------------------------
        studies: dict[str, list] = {}
        for uid, (_, ds) in source.items():
            studies.setdefault(str(ds.StudyInstanceUID), []).append(ds)
        found = client.search_for_studies()
        by_uid = {value(s, "0020000D"): s for s in found}
        checks.check("QIDO /studies: one result per study sent", sorted(by_uid) == sorted(studies),
                     f"{len(by_uid)} results for {len(studies)} studies")
        bad = []
        for suid, sets in studies.items():
            s = by_uid.get(suid, {})
            ds = sets[0]
            want = {
                "00201208": len(sets),
                "00201206": len({str(d.SeriesInstanceUID) for d in sets}),
                "00100020": str(ds.get("PatientID", "")) or None,
                "00080020": str(ds.get("StudyDate", "")) or None,
                "00100010": str(ds.get("PatientName", "")) or None,
            }
            got = {k: value(s, k) for k in want}
            got["00100010"] = pn_text(got["00100010"])
            if got != want:
                bad.append(f"{suid}: {got} != {want}")
            mods = sorted({str(d.Modality) for d in sets if "Modality" in d})
            if sorted(s.get("00080061", {}).get("Value", [])) != mods:
                bad.append(f"{suid}: ModalitiesInStudy {s.get('00080061')} != {mods}")
        checks.check("QIDO /studies: counts, names, IDs, dates and modalities equal the files sent", not bad, "; ".join(bad[:3]))

        some = next(iter(studies.values()))[0]
        pid = str(some.PatientID)
        want = sorted({str(d.StudyInstanceUID) for sets in studies.values() for d in sets if str(d.get("PatientID", "")) == pid})
        got = sorted(value(s, "0020000D") for s in client.search_for_studies(search_filters={"PatientID": pid}))
        checks.check("QIDO PatientID filter", got == want, f"{got} != {want}")
        name = str(some.PatientName)
        prefix = name[:3].lower() + "*"
        want = sorted({str(d.StudyInstanceUID) for sets in studies.values() for d in sets
                       if str(d.get("PatientName", "")).upper().startswith(name[:3].upper())})
        got = sorted(value(s, "0020000D") for s in client.search_for_studies(search_filters={"PatientName": prefix}))
        checks.check("QIDO PatientName wildcard, case-insensitive", got == want, f"{prefix}: {got} != {want}")
        dates = sorted(str(d.StudyDate) for sets in studies.values() for d in sets[:1] if d.get("StudyDate"))
        lo, hi = dates[0], dates[len(dates) // 2]
        want = sorted(u for u, sets in studies.items() if sets[0].get("StudyDate") and lo <= str(sets[0].StudyDate) <= hi)
        got = sorted(value(s, "0020000D") for s in client.search_for_studies(search_filters={"StudyDate": f"{lo}-{hi}"}))
        checks.check("QIDO StudyDate range", got == want, f"{lo}-{hi}: {got} != {want}")
        two = sorted(studies)[:2]
        got = sorted(value(s, "0020000D") for s in client.search_for_studies(search_filters={"StudyInstanceUID": ",".join(two)}))
        checks.check("QIDO UID list", got == two, f"{got} != {two}")
        page1 = [value(s, "0020000D") for s in client.search_for_studies(limit=2, offset=0)]
        page2 = [value(s, "0020000D") for s in client.search_for_studies(limit=2, offset=2)]
        allp = [value(s, "0020000D") for s in client.search_for_studies()]
        checks.check("QIDO limit/offset page through the same order", page1 + page2 == allp[:4] and len(page1) == 2,
                     f"{page1} {page2} vs {allp[:4]}")
        ct = source[str(pydicom.dcmread(files["test_files/CT_small.dcm"]).SOPInstanceUID)][1]
        series = client.search_for_series(str(ct.StudyInstanceUID), fields=["00080021"])
        checks.check("QIDO series: Modality and SeriesInstanceUID", len(series) == 1 and value(series[0], "00080060") == "CT"
                     and value(series[0], "0020000E") == str(ct.SeriesInstanceUID), f"{series}")
        _, plain_h, plain = get(port, "/dicom-web/studies?includefield=all")
        status, headers, body = get(port, "/dicom-web/studies?includefield=all", {"Accept-Encoding": "gzip, deflate"})
        import gzip
        checks.check("QIDO with Accept-Encoding: gzip is gzip'd and decompresses to the plain answer",
                     status == 200 and headers.get("content-encoding") == "gzip" and gzip.decompress(body) == plain
                     and len(body) < len(plain), f"{status} {headers.get('content-encoding')} {len(body)} vs {len(plain)}")
        status, headers, body = get(port, "/dicom-web/studies?PatientID=NO-SUCH-PATIENT")
        checks.check("QIDO no match: 204", status == 204, f"{status} {body[:80]!r}")
        status, headers, body = get(port, "/dicom-web/studies?NoSuchKeyword=1")
        checks.check("QIDO unknown key: 400 with a reason", status == 400 and b"NoSuchKeyword" in body, f"{status} {body[:120]!r}")
        status, headers, body = get(port, "/dicom-web/studies?StudyDate=2020-13-45x")
        checks.check("QIDO malformed date: 400", status == 400, f"{status} {body[:120]!r}")
        status, headers, body = get(port, "/dicom-web/studies?includefield=all",
                                    {"Accept": 'multipart/related; type="application/dicom+xml"'})
        parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
        checks.check("QIDO as multipart/related XML on request", status == 200 and len(parts) == len(studies)
                     and all(b"<NativeDicomModel" in p for _, p in parts), f"{status} {len(parts)}")

        # --- WADO-RS instances ------------------------------------------------------------------
        rows = node.index_by_uid()
        mismatched, dataset_diff = [], []
        for uid, (name, ds) in source.items():
            try:
                got = client.retrieve_instance(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), uid,
                                               media_types=(("application/dicom", "*"),))
            except Exception as e:  # noqa: BLE001
                mismatched.append(f"{name}: {e!r}")
                continue
            from io import BytesIO
            buf = BytesIO()
            got.save_as(buf, enforce_file_format=True)
            stored = rows[uid][0].object_path.read_bytes()
            # dicomweb-client re-encodes what it parsed; compare the raw part too.
            status, headers, body = get(port, f"/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{uid}",
                                        {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            if len(parts) != 1 or parts[0][1] != stored:
                mismatched.append(f"{name}: part != object file")
            # STOW-RS parts arrive unchanged; storescu re-encodes (compare_files allows for that).
            diffs = compare_files(files[name], rows[uid][0].object_path, byte_exact=name in STOW_SAMPLES)
            if diffs:
                dataset_diff.append(f"{name}: {diffs[:2]}")
        checks.check("WADO-RS transfer-syntax=*: each instance is byte for byte the stored object", not mismatched, "; ".join(mismatched[:3]))
        checks.check("WADO-RS: the stored data set is the one sent", not dataset_diff, f"{dataset_diff}")

        mr = source[str(pydicom.dcmread(files["test_files/MR_small_implicit.dcm"]).SOPInstanceUID)][1]
        status, headers, body = get(port, f"/dicom-web/studies/{mr.StudyInstanceUID}/series/{mr.SeriesInstanceUID}/instances/{mr.SOPInstanceUID}",
                                    {"Accept": 'multipart/related; type="application/dicom"'})
        parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
        ok = False
        if len(parts) == 1:
            from io import BytesIO
            back = pydicom.dcmread(BytesIO(parts[0][1]))
            ok = (str(back.file_meta.TransferSyntaxUID) == EXPLICIT_VR_LE and back.PixelData == mr.PixelData
                  and back.PatientName == mr.PatientName and parts[0][0].get("content-type", "").endswith(EXPLICIT_VR_LE))
        checks.check("WADO-RS default syntax: Implicit VR stored, Explicit VR LE sent, same data", ok, f"{status} {len(parts)}")
        status, _, body = get(port, f"/dicom-web/studies/{mr.StudyInstanceUID}",
                              {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.100'})
        checks.check("WADO-RS syntax no codec encodes (MPEG2): 406 with a reason", status == 406 and len(body) > 10, f"{status} {body[:100]!r}")
        status, headers, body = get(port, f"/dicom-web/studies/{mr.StudyInstanceUID}/series/{mr.SeriesInstanceUID}/instances/{mr.SOPInstanceUID}",
                                    {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.80'})
        parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
        ok = False
        if len(parts) == 1:
            from io import BytesIO
            back = pydicom.dcmread(BytesIO(parts[0][1]))
            import numpy as np
            ok = str(back.file_meta.TransferSyntaxUID) == "1.2.840.10008.1.2.4.80" and np.array_equal(back.pixel_array, mr.pixel_array)
        checks.check("WADO-RS transcodes to JPEG-LS lossless on request; pydicom (pyjpegls) decodes the same pixels", ok, f"{status} {len(parts)}")

        # --- metadata ---------------------------------------------------------------------------
        bad = []
        bulk_checked = 0
        for uid, (name, ds) in source.items():
            md = client.retrieve_instance_metadata(str(ds.StudyInstanceUID), str(ds.SeriesInstanceUID), uid)
            for elem in ds:
                key = f"{elem.tag:08X}"
                if elem.tag == 0xFFFCFFFC:
                    continue          # Data Set Trailing Padding is no attribute (PS3.5 §7.7)
                if elem.tag == 0x7FE00010:
                    if "BulkDataURI" not in md.get(key, {}):
                        bad.append(f"{name}: Pixel Data without BulkDataURI")
                    continue
                if key not in md:
                    bad.append(f"{name}: {key} missing")
                    continue
                if elem.VR in ("SQ",) or elem.VR.startswith("O") or elem.VR == "UN":
                    if "BulkDataURI" in md[key] and bulk_checked < 5:
                        data = client.retrieve_bulkdata(md[key]["BulkDataURI"])
                        if not data or data[0] != elem.value:
                            bad.append(f"{name}: {key} bulk data differs")
                        bulk_checked += 1
                    continue
                want = elem.to_json_dict(bulk_data_element_handler=None, bulk_data_threshold=1 << 30).get("Value")
                got = md[key].get("Value")
                if elem.VR in ("DS", "IS", "FL", "FD") and want and got:
                    # FL values: the shortest decimal of the float32 (ours) or its double expansion (pydicom).
                    want, got = [float(x) for x in want], [float(x) for x in got]
                    if len(want) == len(got) and all(abs(a - b) <= 1e-6 * max(1.0, abs(a)) for a, b in zip(want, got)):
                        got = want
                if want != got and not (want in (None, [], [""]) and got in (None, [], [""])):
                    bad.append(f"{name}: {key} {str(got)[:40]} != {str(want)[:40]}")
        checks.check("metadata: every attribute equals what pydicom reads (bulk data via BulkDataURI)", not bad,
                     f"{len(bad)} differences, e.g. {bad[:3]}")

        # --- frames -----------------------------------------------------------------------------
        bad = []
        for uid, (name, ds) in source.items():
            if "PixelData" not in ds:
                continue
            n = int(ds.get("NumberOfFrames", 1) or 1)
            ts = ds.file_meta.TransferSyntaxUID
            if ts.is_compressed:
                want = list(generate_frames(ds.PixelData, number_of_frames=n))
                accept = "multipart/related; type=application/octet-stream; transfer-syntax=*"
            else:
                flen = int(ds.Rows) * int(ds.Columns) * int(ds.get("SamplesPerPixel", 1)) * int(ds.BitsAllocated) // 8
                raw = ds.PixelData
                if not ts.is_little_endian and ds.BitsAllocated > 8:
                    import numpy as np
                    raw = np.frombuffer(raw, dtype=f">u{ds.BitsAllocated // 8}").astype(f"<u{ds.BitsAllocated // 8}").tobytes()
                want = [raw[i * flen:(i + 1) * flen] for i in range(n)]
                accept = 'multipart/related; type="application/octet-stream"'
            numbers = list(range(1, n + 1))
            status, headers, body = get(port, f"/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{uid}/frames/{','.join(map(str, numbers))}",
                                        {"Accept": accept})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            got = [p for _, p in parts]
            # Odd-length native frames: the last frame is as long as the others.
            if got != want:
                bad.append(f"{name}: {status}, {len(got)} frames vs {len(want)}")
        checks.check("frames: each frame equals pydicom's (native bytes or stored fragments)", not bad, "; ".join(bad[:3]))
        j2k = next((d for n_, d in source.values() if n_ == "test_files/JPEG2000.dcm"), None)
        if j2k is not None:
            status, headers, body = get(port, f"/dicom-web/studies/{j2k.StudyInstanceUID}/series/{j2k.SeriesInstanceUID}/instances/{j2k.SOPInstanceUID}/frames/1",
                                        {"Accept": "multipart/related; type=\"image/jp2\"; transfer-syntax=1.2.840.10008.1.2.4.91"})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            want = list(generate_frames(j2k.PixelData, number_of_frames=1))
            checks.check("frames as image/jp2 (PS3.18 Table 8.7.3-4): the stored codestream with its media type",
                         len(parts) == 1 and parts[0][1] == want[0]
                         and parts[0][0].get("content-type") == "image/jp2; transfer-syntax=1.2.840.10008.1.2.4.91",
                         f"{status} {[h for h, _ in parts]}")
            status, headers, body = get(port, f"/dicom-web/studies/{j2k.StudyInstanceUID}/series/{j2k.SeriesInstanceUID}/instances/{j2k.SOPInstanceUID}/frames/1",
                                        {"Accept": "multipart/related; type=\"image/jp2\""})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            ok = False
            if len(parts) == 1 and parts[0][0].get("content-type") == "image/jp2; transfer-syntax=1.2.840.10008.1.2.4.90":
                from openjpeg import decode as j2k_decode
                import numpy as np
                ok = np.array_equal(j2k_decode(parts[0][1]), j2k.pixel_array)
            checks.check("frames as image/jp2 without a syntax: re-encoded as its default 4.90 (lossless), decoding to the stored pixels",
                         ok, f"{status} {[h for h, _ in parts]}")
            status, _, _ = get(port, f"/dicom-web/studies/{j2k.StudyInstanceUID}/series/{j2k.SeriesInstanceUID}/instances/{j2k.SOPInstanceUID}/frames/1",
                               {"Accept": "multipart/related; type=\"image/jpx\""})
            checks.check("frames in a media type no codec encodes (image/jpx): 406", status == 406, f"{status}")
        emri = next((d for n_, d in source.values() if n_ == "pydicom-data/emri_small.dcm"), None)
        if emri is not None:
            path = f"/dicom-web/studies/{emri.StudyInstanceUID}/series/{emri.SeriesInstanceUID}/instances/{emri.SOPInstanceUID}/frames/"
            results = {fl: get(port, path + fl)[0] for fl in ["0", "11", "1,,3", "1000000000", "abc"]}
            checks.check("frames out of range: 0 and bad lists 400, beyond the count 404",
                         results == {"0": 400, "11": 404, "1,,3": 400, "1000000000": 404, "abc": 400}, f"{results}")

        # --- transcoding through the codecs --------------------------------------------------------
        import numpy as np
        rle = next((d for n_, d in source.values() if n_ == "pydicom-data/emri_small_RLE.dcm"), None)
        if rle is not None:
            n = int(rle.NumberOfFrames)
            status, headers, body = get(port, f"/dicom-web/studies/{rle.StudyInstanceUID}/series/{rle.SeriesInstanceUID}/instances/{rle.SOPInstanceUID}/frames/{','.join(str(i) for i in range(1, n + 1))}",
                                        {"Accept": "multipart/related; type=application/octet-stream"})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            want = rle.pixel_array.astype(rle.pixel_array.dtype.newbyteorder("<"))
            ok = len(parts) == n and all(p == want[i].tobytes() for i, (_, p) in enumerate(parts))
            checks.check("frames of an RLE instance decoded to Explicit VR LE equal pydicom's pixels", ok,
                         f"{status} {len(parts)} parts, {[h.get('content-type') for h, _ in parts[:1]]}")
            status, headers, body = get(port, f"/dicom-web/studies/{rle.StudyInstanceUID}/series/{rle.SeriesInstanceUID}/instances/{rle.SOPInstanceUID}",
                                        {"Accept": 'multipart/related; type="application/dicom"'})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            ok = False
            if len(parts) == 1:
                from io import BytesIO
                back = pydicom.dcmread(BytesIO(parts[0][1]))
                ok = str(back.file_meta.TransferSyntaxUID) == EXPLICIT_VR_LE and np.array_equal(back.pixel_array, rle.pixel_array)
            checks.check("WADO-RS of an RLE instance without transfer-syntax: Explicit VR LE, same pixels", ok, f"{status} {len(parts)}")

        # --- rendered ---------------------------------------------------------------------------
        from io import BytesIO
        from PIL import Image
        path = f"/dicom-web/studies/{ct.StudyInstanceUID}/series/{ct.SeriesInstanceUID}/instances/{ct.SOPInstanceUID}"
        hu = ct.pixel_array.astype(np.float64) * float(ct.get("RescaleSlope", 1)) + float(ct.get("RescaleIntercept", 0))
        c, w = 40.0, 400.0
        # PS3.3 §C.11.2.1.2.1 LINEAR to 0..255.
        ref = np.clip(((hu - (c - 0.5)) / (w - 1) + 0.5) * 255.0, 0, 255)
        for fmt, tol in (("png", 1.0), ("jpeg", 4.0)):
            status, headers, body = get(port, f"{path}/rendered?window={int(c)},{int(w)}", {"Accept": f"image/{fmt}"})
            ok, why = False, f"{status} {headers.get('content-type')}"
            if status == 200:
                img = np.asarray(Image.open(BytesIO(body)).convert("L"), dtype=np.float64)
                mad = float(np.abs(img - ref).mean()) if img.shape == ref.shape else 999
                ok = headers.get("content-type") == f"image/{fmt}" and img.shape == ref.shape and mad < tol
                why = f"shape {img.shape} vs {ref.shape}, mean abs diff {mad:.2f} (limit {tol})"
            checks.check(f"rendered {fmt.upper()} with window=40,400 matches the PS3.3 LINEAR window of pydicom's pixels", ok, why)
        status, headers, body = get(port, f"{path}/thumbnail", {"Accept": "image/jpeg"})
        size = Image.open(BytesIO(body)).size if status == 200 else None
        checks.check("thumbnail: a JPEG of at most 128 pixels a side", status == 200 and size is not None and max(size) <= 128, f"{status} {size}")
        status, headers, body = get(port, f"{path}/rendered?viewport=64,64", {"Accept": "image/png"})
        size = Image.open(BytesIO(body)).size if status == 200 else None
        checks.check("rendered viewport=64,64 is 64x64 (square image)", size == (64, 64), f"{status} {size}")
        status, _, body = get(port, f"{path}/rendered?window=40", {"Accept": "image/jpeg"})
        checks.check("rendered with a bad window: 400 with a reason", status == 400 and len(body) > 10, f"{status} {body[:80]!r}")
        j2k_rendered = next((d for n_, d in source.values() if n_ == "test_files/JPEG2000.dcm"), None)
        if j2k_rendered is not None:
            status, headers, body = get(port, f"/dicom-web/studies/{j2k_rendered.StudyInstanceUID}/series/{j2k_rendered.SeriesInstanceUID}/instances/{j2k_rendered.SOPInstanceUID}/rendered",
                                        {"Accept": "image/png"})
            ok = status == 200 and Image.open(BytesIO(body)).size == (int(j2k_rendered.Columns), int(j2k_rendered.Rows))
            checks.check("rendered from a JPEG 2000 instance (decoded through the codec registry)", ok, f"{status}")
        status, headers, body = get(port, f"/wado?requestType=WADO&studyUID={ct.StudyInstanceUID}&seriesUID={ct.SeriesInstanceUID}"
                                    f"&objectUID={ct.SOPInstanceUID}&contentType=image%2Fjpeg&rows=64&columns=64&windowCenter=40&windowWidth=400")
        size = Image.open(BytesIO(body)).size if status == 200 else None
        checks.check("WADO-URI image/jpeg with rows, columns and a window", status == 200 and headers.get("content-type") == "image/jpeg"
                     and size == (64, 64), f"{status} {size}")
        status, headers, body = get(port, f"/wado?requestType=WADO&studyUID={ct.StudyInstanceUID}&seriesUID={ct.SeriesInstanceUID}"
                                    f"&objectUID={ct.SOPInstanceUID}")
        checks.check("WADO-URI without contentType: an image comes as image/jpeg (PS3.18 §9.1.2.4.1)",
                     status == 200 and headers.get("content-type") == "image/jpeg" and body[:2] == b"\xff\xd8", f"{status} {headers.get('content-type')}")

        # --- WADO-URI ---------------------------------------------------------------------------
        status, headers, body = get(port, f"/wado?requestType=WADO&studyUID={ct.StudyInstanceUID}&seriesUID={ct.SeriesInstanceUID}"
                                    f"&objectUID={ct.SOPInstanceUID}&contentType=application%2Fdicom")
        checks.check("WADO-URI application/dicom is the stored object",
                     status == 200 and body == rows[str(ct.SOPInstanceUID)][0].object_path.read_bytes(), f"{status}")
        status, headers, body = get(port, f"/wado?requestType=WADO&studyUID={ct.StudyInstanceUID}&seriesUID={ct.SeriesInstanceUID}"
                                    f"&objectUID={ct.SOPInstanceUID}&contentType=application%2Fdicom&transferSyntax={IMPLICIT_VR_LE}")
        ok = False
        if status == 200:
            from io import BytesIO
            back = pydicom.dcmread(BytesIO(body))
            ok = str(back.file_meta.TransferSyntaxUID) == IMPLICIT_VR_LE and back.PixelData == ct.PixelData
        checks.check("WADO-URI transferSyntax converts", ok, f"{status}")
        anonymize_checks(checks, node, port, files, source, ct)

        # --- bad input --------------------------------------------------------------------------
        before = len(node.index_rows())
        cases = {
            "traversal ../": b"GET /dicom-web/studies/../../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "traversal %2e%2e": b"GET /dicom-web/studies/%2e%2e/%2e%2e/etc/passwd/metadata HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "absolute path in UID": b"GET /dicom-web/studies/%2Fetc%2Fpasswd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "bad UID": b"GET /dicom-web/studies/1.2.abc/series HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "WADO-URI traversal": b"GET /wado?requestType=WADO&studyUID=..&seriesUID=1.2&objectUID=1.3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            "1 MB Accept": b"GET /dicom-web/studies HTTP/1.1\r\nHost: x\r\nAccept: " + b"a" * (1 << 20) + b"\r\nConnection: close\r\n\r\n",
        }
        for label, raw in cases.items():
            status, _, body = http(port, raw)
            # traversal either never matches a route (404) or is refused (400); 431/400 for huge headers.
            checks.check(f"bad input: {label} → 4xx", 400 <= status < 500 and b"root:" not in body, f"{status} {body[:80]!r}")
        good = files["test_files/CT_small.dcm"].read_bytes()
        stow_cases = {
            "STOW without boundary": ('multipart/related; type="application/dicom"', b"--x\r\n\r\n" + good + b"\r\n--x--\r\n", 400),
            "STOW wrong boundary": ('multipart/related; type="application/dicom"; boundary=nope', b"--x\r\n\r\n" + good + b"\r\n--x--\r\n", 400),
            "STOW wrong type": ("application/json", b"{}", 415),
            "STOW metadata type": ('multipart/related; type="application/dicom+json"; boundary=x', b"--x\r\n\r\n{}\r\n--x--\r\n", 415),
        }
        for label, (ctype, body_bytes, want_status) in stow_cases.items():
            raw = (f"POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: {ctype}\r\nContent-Length: {len(body_bytes)}\r\n"
                   f"Connection: close\r\n\r\n").encode() + body_bytes
            status, _, body = http(port, raw)
            checks.check(f"bad input: {label} → {want_status}", status == want_status and len(body) > 0, f"{status} {body[:100]!r}")
        # A truncated body: Content-Length promises more than is sent, then the client goes away.
        from pydicom.uid import generate_uid
        fresh = pydicom.dcmread(files["test_files/CT_small.dcm"])
        fresh.SOPInstanceUID = generate_uid()
        from io import BytesIO
        b = BytesIO()
        fresh.save_as(b, enforce_file_format=True)
        part = b"--T\r\nContent-Type: application/dicom\r\n\r\n" + b.getvalue()[:3000]
        raw = (f"POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; type=\"application/dicom\"; boundary=T\r\n"
               f"Content-Length: {len(part) + 100000}\r\n\r\n").encode() + part
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            try:
                s.recv(1000)
            except OSError:
                pass
        time.sleep(0.5)
        # A body that ends (chunked, complete) but without the close delimiter.
        body_bytes = part
        chunked = f"{len(body_bytes):x}\r\n".encode() + body_bytes + b"\r\n0\r\n\r\n"
        raw = (b"POST /dicom-web/studies HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/related; type=\"application/dicom\"; boundary=T\r\n"
               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n") + chunked
        status, _, body = http(port, raw)
        checks.check("bad input: STOW body without close delimiter → 409 with FailedSOPSequence", status == 409 and b"00081198" in body,
                     f"{status} {body[:120]!r}")
        after = node.index_rows()
        checks.check("bad input: nothing stored from a broken part", len(after) == before
                     and str(fresh.SOPInstanceUID) not in {r.sop_instance_uid for r in after}, f"{before} -> {len(after)}")
        checks.check("bad input: no staging file left", not node.wait_incoming_empty(), f"{node.incoming_files()}")
        status, _, body = get(port, "/health")
        checks.check("the node keeps serving (GET /health 200 after bad input)", status == 200 and json.loads(body)["status"] == "ok",
                     f"{status} {body[:100]!r}")
        checks.check("serve log shows no crash", "Fatal error" not in node.log() and node.alive(), tail(node.log()))
    ingest_compression(args.dicomnode, checks, files)
    return checks.finish()


def private_tags(ds) -> list[str]:
    """Private attributes at any depth of a pydicom data set."""
    found = []
    for elem in ds.iterall():
        if elem.tag.is_private:
            found.append(str(elem.tag))
    return found


def dciodvfy_errors(path: Path) -> tuple[set[str], str]:
    """dciodvfy's error lines for a file (Debian dicom3tools), and its whole output."""
    r = run([DCIODVFY, str(path)])
    out = r.stdout + r.stderr
    return {line.strip() for line in out.splitlines() if line.strip().startswith("Error")}, out


def anonymize_checks(checks: Checks, node: Node, port: int, files: dict, source: dict, ct) -> None:
    """WADO-URI anonymize=yes (PS3.18 §9.4.1): the PS3.15 Annex E Basic Profile, checked with
    pydicom and dciodvfy on a real file (pydicom's CT_small.dcm, which has GE private tags)."""
    import pydicom
    from io import BytesIO
    wado = f"/wado?requestType=WADO&studyUID={ct.StudyInstanceUID}&seriesUID={ct.SeriesInstanceUID}&objectUID={ct.SOPInstanceUID}"
    checks.check("CT_small.dcm has a patient name, an ID and private tags (the test means something)",
                 str(ct.PatientName) != "" and str(ct.PatientID) != "" and len(private_tags(ct)) > 0,
                 f"{ct.PatientName!r} {ct.PatientID!r} {len(private_tags(ct))}")
    status, headers, body = get(port, wado + "&contentType=application%2Fdicom&anonymize=yes")
    anon = pydicom.dcmread(BytesIO(body)) if status == 200 else None
    checks.check("WADO-URI anonymize=yes: 200 application/dicom", anon is not None
                 and headers.get("content-type") == "application/dicom", f"{status} {body[:100]!r}")
    if anon is None:
        return
    dummy = {"", "ANONYMIZED"}
    checks.check("anonymize=yes: PatientName and PatientID empty or dummy",
                 str(anon.get("PatientName", "")) in dummy and str(anon.get("PatientID", "")) in dummy,
                 f"{anon.get('PatientName')!r} {anon.get('PatientID')!r}")
    checks.check("anonymize=yes: no private attribute at any depth", not private_tags(anon), f"{private_tags(anon)[:5]}")
    checks.check("anonymize=yes: new SOP Instance UID, and the File Meta follows it",
                 anon.SOPInstanceUID != ct.SOPInstanceUID and anon.file_meta.MediaStorageSOPInstanceUID == anon.SOPInstanceUID
                 and str(anon.SOPInstanceUID).startswith("2.25."), f"{anon.SOPInstanceUID}")
    checks.check("anonymize=yes: Study/Series Instance UID replaced, SOP Class kept",
                 anon.StudyInstanceUID != ct.StudyInstanceUID and anon.SeriesInstanceUID != ct.SeriesInstanceUID
                 and anon.SOPClassUID == ct.SOPClassUID, f"{anon.StudyInstanceUID}")
    code = anon.get("DeidentificationMethodCodeSequence")
    checks.check("anonymize=yes: Patient Identity Removed YES, method text and code 113100 (PS3.15 §E.1.1)",
                 anon.get("PatientIdentityRemoved") == "YES" and bool(anon.get("DeidentificationMethod"))
                 and code is not None and len(code) == 1 and code[0].CodeValue == "113100" and code[0].CodingSchemeDesignator == "DCM",
                 f"{anon.get('PatientIdentityRemoved')!r} {code}")
    removed = [k for k in ("InstitutionName", "PatientBirthDate", "StudyDate", "AccessionNumber", "ReferringPhysicianName")
               if str(anon.get(k, "")) not in ("",)]
    checks.check("anonymize=yes: institution, birth date, study date, accession, referring physician gone or empty",
                 not removed, f"{[(k, str(anon.get(k))) for k in removed]}")
    checks.check("anonymize=yes: pixel data unchanged", anon.PixelData == ct.PixelData, "pixels differ")
    status2, _, body2 = get(port, wado + "&contentType=application%2Fdicom&anonymize=yes")
    checks.check("anonymize=yes twice: the same new UIDs (derived from the node's secret)",
                 status2 == 200 and pydicom.dcmread(BytesIO(body2)).SOPInstanceUID == anon.SOPInstanceUID, f"{status2}")
    with tempfile.TemporaryDirectory(prefix="anon-") as tmp:
        anon_path = Path(tmp) / "anon.dcm"
        anon_path.write_bytes(body)
        (before, out_before), (after, out_after) = dciodvfy_errors(files["test_files/CT_small.dcm"]), dciodvfy_errors(anon_path)
        # dciodvfy names the IOD it checked against: proof that it ran and read both files.
        checks.check("anonymize=yes: dciodvfy checks both files as CTImage and reports no error the original did not have",
                     "CTImage" in out_before and "CTImage" in out_after and not (after - before),
                     f"new: {sorted(after - before)[:4]} {tail(out_after)}")
    # Other IODs sent (MR, Enhanced-style multi-frame MR, RT Plan, Secondary Capture): no new dciodvfy error either.
    for name in ("test_files/MR_small_implicit.dcm", "pydicom-data/emri_small.dcm", "test_files/rtplan.dcm",
                 "test_files/SC_rgb_small_odd.dcm"):
        if name not in files:
            continue
        d = pydicom.dcmread(files[name])
        st, _, b = get(port, f"/wado?requestType=WADO&studyUID={d.StudyInstanceUID}&seriesUID={d.SeriesInstanceUID}"
                             f"&objectUID={d.SOPInstanceUID}&contentType=application%2Fdicom&anonymize=yes")
        with tempfile.TemporaryDirectory(prefix="anon-") as tmp:
            anon_path = Path(tmp) / "anon.dcm"
            anon_path.write_bytes(b)
            (before, _), (after, _) = dciodvfy_errors(files[name]), dciodvfy_errors(anon_path)
        checks.check(f"anonymize=yes {Path(name).name}: dciodvfy reports no error the original did not have",
                     st == 200 and not (after - before),
                     f"{st} new: {sorted(after - before)[:4]}")
    status, headers, body = get(port, wado + f"&contentType=application%2Fdicom&anonymize=yes&transferSyntax={IMPLICIT_VR_LE}")
    ok = False
    if status == 200:
        back = pydicom.dcmread(BytesIO(body))
        ok = (str(back.file_meta.TransferSyntaxUID) == IMPLICIT_VR_LE and back.SOPInstanceUID == anon.SOPInstanceUID
              and str(back.get("PatientName", "")) in dummy and back.PixelData == ct.PixelData)
    checks.check("anonymize=yes with transferSyntax: de-identified, then converted", ok, f"{status}")
    status, headers, body = get(port, wado + "&contentType=image%2Fjpeg&anonymize=yes")
    checks.check("anonymize=yes with image/jpeg: the rendered image (PS3.18 §9.4 defines anonymize for application/dicom)",
                 status == 200 and body[:2] == b"\xff\xd8", f"{status}")
    status, _, body = get(port, wado + "&contentType=application%2Fdicom&anonymize=no")
    checks.check("anonymize=no: 400 (the defined token is yes)", status == 400 and len(body) > 10, f"{status} {body[:80]!r}")
    # Two instances of one study (MR_small by STOW-RS, MR_small_implicit by C-STORE share their
    # study): one new Study Instance UID for both.
    by_study: dict[str, list] = {}
    for _, d in source.values():
        by_study.setdefault(str(d.StudyInstanceUID), []).append(d)
    pair = next((v for v in by_study.values() if len(v) >= 2), None)
    if pair is not None:
        got = []
        for d in pair[:2]:
            st, _, b = get(port, f"/wado?requestType=WADO&studyUID={d.StudyInstanceUID}&seriesUID={d.SeriesInstanceUID}"
                                 f"&objectUID={d.SOPInstanceUID}&contentType=application%2Fdicom&anonymize=yes")
            got.append(pydicom.dcmread(BytesIO(b)) if st == 200 else None)
        ok = all(got) and got[0].StudyInstanceUID == got[1].StudyInstanceUID and got[0].SOPInstanceUID != got[1].SOPInstanceUID
        checks.check("anonymize=yes: two instances of one study keep one (new) Study Instance UID", ok,
                     f"{[g.StudyInstanceUID if g else None for g in got]}")
    else:
        checks.fail("anonymize=yes: two instances of one study", "no study with two instances among the samples")
    # Burned In Annotation YES: refused with 403 and a reason.
    with tempfile.TemporaryDirectory(prefix="anon-") as tmp:
        from pydicom.uid import generate_uid
        burned = pydicom.dcmread(files["test_files/CT_small.dcm"])
        burned.SOPInstanceUID = generate_uid()
        burned.file_meta.MediaStorageSOPInstanceUID = burned.SOPInstanceUID
        burned.BurnedInAnnotation = "YES"
        path = Path(tmp) / "burned.dcm"
        burned.save_as(path, enforce_file_format=True)
        r = run([STORESCU, "-aec", node.aet, "127.0.0.1", str(node.port), str(path)])
        burned_wado = (f"/wado?requestType=WADO&studyUID={burned.StudyInstanceUID}&seriesUID={burned.SeriesInstanceUID}"
                       f"&objectUID={burned.SOPInstanceUID}&anonymize=yes")
        status, _, body = get(port, burned_wado + "&contentType=application%2Fdicom")
        checks.check("anonymize=yes of a Burned In Annotation YES image: 403 with a reason",
                     r.returncode == 0 and status == 403 and b"Burned In Annotation" in body, f"{status} {body[:120]!r}")
        status, _, body = get(port, burned_wado + "&contentType=image%2Fpng")
        checks.check("anonymize=yes rendered from a Burned In Annotation YES image: 403 too", status == 403, f"{status}")


def ingest_compression(binary: str, checks: Checks, files: dict) -> None:
    """storage.compress_on_ingest: a CT sent uncompressed is stored as JPEG-LS lossless (what WADO-RS
    with transfer-syntax=* returns), with the same pixels; an MR, not named, is stored as sent."""
    import numpy as np
    import pydicom
    from io import BytesIO
    work = Path(tempfile.mkdtemp(prefix="dicomweb-ingest-"))
    config = work / "node.yaml"
    config.write_text("storage:\n  compress_on_ingest:\n    CT: jpeg-ls\n")
    with Node(binary, extra_args=["--config", str(config)]) as node:
        node.start()
        ct_path, mr_path = files["test_files/CT_small.dcm"], files["test_files/MR_small.dcm"]
        r = run([STORESCU, "-aec", node.aet, "127.0.0.1", str(node.port), str(ct_path), str(mr_path)])
        checks.check("compress_on_ingest: storescu gets success", r.returncode == 0, tail(r.stdout + r.stderr))
        for path, want_ts in ((ct_path, "1.2.840.10008.1.2.4.80"), (mr_path, None)):
            ds = pydicom.dcmread(path)
            status, headers, body = get(node.http_port, f"/dicom-web/studies/{ds.StudyInstanceUID}/series/{ds.SeriesInstanceUID}/instances/{ds.SOPInstanceUID}",
                                        {"Accept": 'multipart/related; type="application/dicom"; transfer-syntax=*'})
            parts = multipart(body, headers.get("content-type", "")) if status == 200 else []
            ok, why = False, f"{status} {len(parts)}"
            if len(parts) == 1:
                back = pydicom.dcmread(BytesIO(parts[0][1]))
                ts = str(back.file_meta.TransferSyntaxUID)
                ok = ts == (want_ts or str(ds.file_meta.TransferSyntaxUID)) and np.array_equal(back.pixel_array, ds.pixel_array)
                why = f"stored as {ts}"
            checks.check(f"compress_on_ingest: {ds.Modality} stored as {want_ts or 'sent'}, same pixels", ok, why)


if __name__ == "__main__":
    sys.exit(main())
