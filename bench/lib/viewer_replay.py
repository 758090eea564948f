#!/usr/bin/env python3
"""Replays the request sequence of a web viewer (OHIF v3, DICOMweb data source, study lazy-load)
against a DICOMweb server, times it, and checks every response against the files that were stored.

The sequence (issue 8, scope 1):
  1. GET {base}/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030,00080060
  2. GET {base}/studies/{s}/series
  3. GET {base}/studies/{s}/series/{se}/metadata for each series
  4. one rendered image per series for the series list (GET .../instances/{i}/rendered,
     Accept: image/jpeg; a server without it answers 4xx and is reported, not failed)
  5. every frame of every instance, in Instance Number order, over CONNECTIONS keep-alive
     connections at once as a browser does: GET .../instances/{i}/frames/{n} with
     Accept: multipart/related; type=application/octet-stream; transfer-syntax=*
Every request carries `Accept-Encoding: gzip, deflate`, as a browser's does; compressed answers
(a server may gzip its JSON) are decoded by the client. Times are from the first request: to the end of the metadata, to the first frame and to the last
frame complete. With --progressive BYTES, step 5 asks for the first BYTES of each frame's response
only (Range: bytes=0-(BYTES-1)), as a progressive HTJ2K viewer does first.

Checks (after the timed run, so that they cost the server nothing while it is timed):
  - QIDO finds the study with the included attributes; the series list and every metadata list the
    expected instances (SOP Instance UIDs equal to the stored files');
  - every frame: HTTP 200 (206 with --progressive), a multipart/related body with one part, and
    its bytes equal to the stored frame: the native frame bytes, or the stored fragments of an
    encapsulated frame (a trailing pad byte of the fragment is ignored);
  - --decode: an HTJ2K / JPEG 2000 frame is also decoded (pylibjpeg-openjpeg) and compared sample by
    sample with the pixels of the --native files (the lossless round trip, bit-exact);
  - --progressive: each truncated codestream is decoded by OpenJPH's ojph_expand at reduced
    resolution (-skip_res K, the resolutions that the bytes hold) and must equal ojph_expand's decode
    of the whole stored codestream at the same resolution.
Prints one JSON object. Exit status 1 when any check failed.

  viewer_replay.py BASE --study UID --stored DIR [--native DIR] [--connections 6]
                   [--progressive BYTES --skip-res K] [--decode] [--label NAME] [--client curl|python]
Step 4-5's requests go through one `curl --parallel --parallel-max CONNECTIONS` by default (times:
the first frame is the quickest transfer's time from the start of curl, the last frame curl's
end), or through Python threads with --client python.
"""
import argparse
import gc
import http.client
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

import pydicom
from pydicom.encaps import generate_frames

FRAME_ACCEPT = "multipart/related; type=application/octet-stream; transfer-syntax=*"
# Every browser request says which content codings the browser decodes; a server may compress
# what it likes (JSON, typically) and the client decodes it, as the browser would.
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate"}


def decoded(body, coding):
    import zlib
    coding = coding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    if coding == "deflate":
        try:
            return zlib.decompress(body)
        except zlib.error:
            return zlib.decompress(body, -zlib.MAX_WBITS)
    return body


class Connection:
    """One keep-alive HTTP/1.1 connection, reopened if the server closed it."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port, self.prefix = u.hostname, u.port or 80, u.path.rstrip("/")
        self.conn = None

    def get(self, path, headers):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
                self.conn.connect()
                import socket
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.conn.request("GET", self.prefix + path, headers={**BROWSER_HEADERS, **headers})
                r = self.conn.getresponse()
                body = decoded(r.read(), r.getheader("Content-Encoding", ""))
                if r.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
                return r.status, {k.lower(): v for k, v in r.getheaders()}, body
            except (ConnectionError, http.client.HTTPException, OSError):
                self.conn = None
                if attempt == 1:
                    raise
        raise RuntimeError("unreachable")


def boundary_of(content_type):
    for p in content_type.split(";"):
        p = p.strip()
        if p.lower().startswith("boundary="):
            return p[9:].strip('"')
    return None


def single_part(content_type, body, truncated=False):
    """The payload of a one-part multipart/related body (the part's content type, its bytes). With
    truncated, the body may end anywhere after the part's headers: what is there is the payload."""
    b = boundary_of(content_type)
    if not content_type.lower().startswith("multipart/related") or not b:
        raise ValueError(f"not multipart/related with a boundary: {content_type!r}")
    start = body.find(b"--" + b.encode())
    if start < 0:
        raise ValueError("no opening delimiter")
    head_end = body.find(b"\r\n\r\n", start)
    if head_end < 0:
        raise ValueError("no end of part headers")
    part_type = ""
    for line in body[start:head_end].split(b"\r\n")[1:]:
        k, _, v = line.decode("latin-1").partition(":")
        if k.strip().lower() == "content-type":
            part_type = v.strip()
    payload = body[head_end + 4:]
    end = payload.find(b"\r\n--" + b.encode())
    if end >= 0:
        if payload[end + 4 + len(b):end + 6 + len(b)] != b"--":
            raise ValueError("more than one part")
        payload = payload[:end]
    elif not truncated:
        raise ValueError("no closing delimiter")
    return part_type, payload


def same_fragment(a, b):
    """Equal, or equal but for one trailing pad byte (PS3.5 §A.4: fragments have even length)."""
    if a == b:
        return True
    if len(a) == len(b) + 1 and a[-1] == 0 and a[:-1] == b:
        return True
    return len(b) == len(a) + 1 and b[-1] == 0 and b[:-1] == a


def stored_frames(directory):
    """SOP Instance UID → (instance number, [frame bytes], transfer syntax UID, dataset)."""
    out = {}
    paths = sorted(os.path.join(d, f) for d, _, files in os.walk(directory) for f in files)
    for path in paths:
        try:
            ds = pydicom.dcmread(path)
        except Exception:                     # noqa: BLE001 - not a DICOM file (an index, a marker)
            continue
        if "PixelData" not in ds or "SOPInstanceUID" not in ds:
            continue
        n = int(getattr(ds, "NumberOfFrames", 1) or 1)
        ts = str(ds.file_meta.TransferSyntaxUID)
        if ds.file_meta.TransferSyntaxUID.is_compressed:
            frames = list(generate_frames(ds.PixelData, number_of_frames=n))
        else:
            size = len(ds.PixelData) // n
            frames = [ds.PixelData[i * size:(i + 1) * size] for i in range(n)]
        out[str(ds.SOPInstanceUID)] = (int(getattr(ds, "InstanceNumber", 0) or 0), frames, ts, ds)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base")
    ap.add_argument("--study", required=True)
    ap.add_argument("--stored", required=True, help="the files the server was loaded with")
    ap.add_argument("--native", help="uncompressed files of the same instances (for --decode)")
    ap.add_argument("--connections", type=int, default=6)
    ap.add_argument("--progressive", type=int, default=0, metavar="BYTES")
    ap.add_argument("--skip-res", type=int, default=2)
    ap.add_argument("--decode", action="store_true")
    ap.add_argument("--label", default="")
    ap.add_argument("--client", choices=["curl", "python"], default="curl",
                    help="who sends the rendered and frame requests: curl --parallel (default) or Python threads")
    a = ap.parse_args()

    stored = stored_frames(a.stored)
    # The reference data (every stored file, read by pydicom) is loaded before the clock starts;
    # frozen, it is out of the cyclic collector's sight, which otherwise walks all of it again
    # during the timed JSON parsing (the metadata's 3 MB parse took 60-150 ms instead of ~40).
    gc.freeze()
    errors = []
    timings = {}
    t0 = time.perf_counter()
    main_conn = Connection(a.base)
    json_accept = {"Accept": "application/dicom+json"}

    # 1-3: QIDO, series, metadata (one connection, in order, as the viewer waits for each).
    st, h, body = main_conn.get("/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030,00080060", json_accept)
    studies = json.loads(body) if st == 200 else []
    found = [s for s in studies if s.get("0020000D", {}).get("Value", [None])[0] == a.study]
    if st != 200 or len(found) != 1:
        errors.append(f"QIDO studies: HTTP {st}, study found {len(found)} times")
    elif "00081030" not in found[0] or "00080061" not in found[0]:
        # Study Description (included) and Modalities in Study, which the viewer's study list shows;
        # Modality (0008,0060) is a series attribute (PS3.18 §10.6.3.3.1 lists study attributes).
        errors.append("QIDO studies: Study Description or Modalities in Study missing from the study")
    st, h, body = main_conn.get(f"/studies/{a.study}/series", json_accept)
    series = [s["0020000E"]["Value"][0] for s in (json.loads(body) if st == 200 else [])]
    if st != 200 or not series:
        errors.append(f"series: HTTP {st}, {len(series)} series")
    instances = []           # (series, sop, instance number, frames)
    for se in series:
        st, h, body = main_conn.get(f"/studies/{a.study}/series/{se}/metadata", json_accept)
        if st != 200:
            errors.append(f"metadata {se}: HTTP {st}")
            continue
        for item in json.loads(body):
            sop = item["00080018"]["Value"][0]
            number = int(item.get("00200013", {}).get("Value", [0])[0] or 0)
            frames = int(item.get("00280008", {}).get("Value", [1])[0] or 1)
            instances.append((se, sop, number, frames))
    timings["metadata_s"] = time.perf_counter() - t0
    if sorted(i[1] for i in instances) != sorted(stored):
        errors.append(f"metadata lists {len(instances)} instances, {len(stored)} were stored, or other UIDs")
    instances.sort(key=lambda i: (i[0], i[2]))

    # 4-5: a rendered image per series, then every frame, over CONNECTIONS connections.
    jobs = queue.Queue()
    for se in series:
        first = next((i for i in instances if i[0] == se), None)
        if first:
            jobs.put(("rendered", f"/studies/{a.study}/series/{se}/instances/{first[1]}/rendered", {"Accept": "image/jpeg"}, None))
    frame_headers = {"Accept": FRAME_ACCEPT}
    if a.progressive:
        frame_headers["Range"] = f"bytes=0-{a.progressive - 1}"
    for se, sop, _, nframes in instances:
        for n in range(1, nframes + 1):
            jobs.put(("frame", f"/studies/{a.study}/series/{se}/instances/{sop}/frames/{n}", frame_headers, (sop, n)))
    results = []
    lock = threading.Lock()
    first_frame = [None]

    def worker():
        conn = Connection(a.base)
        while True:
            try:
                kind, path, headers, key = jobs.get_nowait()
            except queue.Empty:
                return
            try:
                st, h, body = conn.get(path, headers)
            except Exception as e:              # noqa: BLE001 - reported as a failed check
                st, h, body = 0, {}, str(e).encode()
            done = time.perf_counter()
            with lock:
                results.append((kind, key, st, h, body, done))
                if kind == "frame" and st in (200, 206) and first_frame[0] is None:
                    first_frame[0] = done

    if a.client == "curl":
        curl_requests(a, jobs, results, first_frame, t0)
    else:
        threads = [threading.Thread(target=worker) for _ in range(a.connections)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    frame_results = [r for r in results if r[0] == "frame"]
    timings["first_frame_s"] = (first_frame[0] - t0) if first_frame[0] else None
    timings["last_frame_s"] = max((r[5] for r in frame_results), default=t0) - t0
    frame_bytes = sum(len(r[4]) for r in frame_results)

    # Checks.
    rendered = [r for r in results if r[0] == "rendered"]
    rendered_ok = sum(1 for r in rendered if r[2] == 200 and r[4][:2] == b"\xff\xd8")
    statuses = {}
    checked = decoded = progressive_ok = 0
    tmp = tempfile.mkdtemp(prefix="viewer-replay-")
    native = stored_frames(a.native) if (a.decode and a.native) else {}
    full_cache = {}
    for _, (sop, n), st, h, body, _ in frame_results:
        statuses[st] = statuses.get(st, 0) + 1
        want = 206 if a.progressive else 200
        if st != want:
            if len(errors) < 20:
                errors.append(f"frame {sop}/{n}: HTTP {st} (expected {want}): {body[:120]!r}")
            continue
        try:
            part_type, payload = single_part(h.get("content-type", ""), body, truncated=bool(a.progressive))
        except ValueError as e:
            errors.append(f"frame {sop}/{n}: {e}")
            continue
        _, frames, ts, ds = stored[sop]
        expect = frames[n - 1]
        if a.progressive:
            if not expect.startswith(payload[:len(expect)]) or len(payload) > len(expect) + 1:
                errors.append(f"frame {sop}/{n}: the first {len(payload)} bytes are not the stored codestream's")
                continue
            # The prefix decodes at reduced resolution to exactly what the whole codestream gives.
            low = ojph_decode(tmp, payload + b"\xff\xd9", a.skip_res)
            if sop not in full_cache:
                full_cache.clear()
                full_cache[sop] = ojph_decode(tmp, bytes(expect), a.skip_res)
            if low is None or low != full_cache[sop]:
                errors.append(f"frame {sop}/{n}: {len(payload)} bytes do not decode to the codestream's image at 1/{2 ** a.skip_res} resolution")
                continue
            progressive_ok += 1
            checked += 1
            continue
        if not same_fragment(payload, bytes(expect)):
            errors.append(f"frame {sop}/{n}: {len(payload)} bytes ({part_type}) differ from the stored frame ({len(expect)} bytes)")
            continue
        checked += 1
        if native and ts in ("1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203",
                             "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"):
            import numpy as np
            from openjpeg import decode
            arr = decode(payload)
            nds = native[sop][3]
            ref = nds.pixel_array if int(getattr(nds, "NumberOfFrames", 1) or 1) == 1 else nds.pixel_array[n - 1]
            if arr.shape != ref.shape or not np.array_equal(arr.astype(np.int64), ref.astype(np.int64)):
                errors.append(f"frame {sop}/{n}: decoded pixels differ from the native file's")
                continue
            decoded += 1
    out = {
        "label": a.label,
        "base": a.base,
        "connections": a.connections,
        "progressive_bytes": a.progressive,
        "series": len(series),
        "instances": len(instances),
        "frames": len(frame_results),
        "frames_checked": checked,
        "frames_decoded_bit_exact": decoded,
        "progressive_checked": progressive_ok,
        "rendered_ok": f"{rendered_ok}/{len(rendered)}",
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "frame_body_bytes": frame_bytes,
        "metadata_s": round(timings["metadata_s"], 4),
        "first_frame_s": round(timings["first_frame_s"], 4) if timings["first_frame_s"] is not None else None,
        "last_frame_s": round(timings["last_frame_s"], 4),
        "errors": errors[:20],
        "error_count": len(errors),
    }
    print(json.dumps(out))
    return 1 if errors or checked != len(stored_frames_count(stored)) else 0


def curl_requests(a, jobs, results, first_frame, t0):
    """The rendered images, then the frames, each through one `curl --parallel` (CONNECTIONS
    keep-alive connections; a C client, so that the client's own CPU is a small part of what is
    timed on a 2-core machine). curl's `header` options apply to every URL of a run, hence one run
    per kind of request. Bodies go to /dev/shm and are read back for the checks afterwards."""
    work = tempfile.mkdtemp(prefix="viewer-replay-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    base = a.base.rstrip("/")
    items = []
    while not jobs.empty():
        items.append(jobs.get_nowait())
    for kind in ("rendered", "frame"):
        batch = [(i, it) for i, it in enumerate(items) if it[0] == kind]
        if not batch:
            continue
        # `compressed`: curl sends Accept-Encoding as a browser does and decodes what comes back.
        config = ["compressed"] + [f'header = "{k}: {v}"' for k, v in batch[0][1][2].items()]
        for i, (_, path, _, _) in batch:
            config.append(f'url = "{base}{path}"')
            config.append(f'output = "{work}/{i}"')
        cfg = os.path.join(work, f"{kind}.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join(config) + "\n")
        start = time.perf_counter()
        r = subprocess.run(["/usr/bin/curl", "-s", "--parallel", "--parallel-max", str(a.connections), "-K", cfg,
                            "-w", "%{filename_effective} %{http_code} %{time_total} %{content_type}\n"],
                           capture_output=True, text=True)
        end = time.perf_counter()
        seen = {}
        for line in r.stdout.splitlines():
            parts = line.split(" ", 3)
            if len(parts) >= 3:
                seen[os.path.basename(parts[0])] = (int(parts[1]), float(parts[2]), parts[3] if len(parts) > 3 else "")
        first = None
        for i, (_, _, _, key) in batch:
            st, took, ctype = seen.get(str(i), (0, 0.0, ""))
            try:
                with open(os.path.join(work, str(i)), "rb") as f:
                    body = f.read()
            except OSError:
                body = b""
            results.append((kind, key, st, {"content-type": ctype}, body, end))
            if st in (200, 206):
                first = took if first is None else min(first, took)
        if kind == "frame" and first is not None:
            first_frame[0] = start + first
    subprocess.run(["rm", "-rf", work])


def stored_frames_count(stored):
    return [1 for v in stored.values() for _ in v[1]]


def ojph_decode(tmp, codestream, skip):
    src, dst = os.path.join(tmp, "f.j2c"), os.path.join(tmp, "f.pgm")
    with open(src, "wb") as f:
        f.write(codestream)
    r = subprocess.run(["/usr/bin/ojph_expand", "-i", src, "-o", dst, "-skip_res", str(skip), "-resilient", "true"],
                       capture_output=True)
    if r.returncode != 0 or not os.path.exists(dst):
        return None
    with open(dst, "rb") as f:
        data = f.read()
    os.remove(dst)
    return data


if __name__ == "__main__":
    sys.exit(main())
