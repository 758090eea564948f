#!/usr/bin/env python3
"""DICOMweb client side of bench/wado.sh (not timed where it matters: curl times the series).

    wado_client.py info DIR                       study UID, series UID, SOP UIDs by Instance Number
    wado_client.py count BASE STUDY SERIES        QIDO-RS: how many instances the series holds
    wado_client.py verify BASE STUDY SERIES DIR --mode exact|pixel [--expect N] [--stored DIR]
        WADO-RS of the whole series (Accept: multipart/related; type="application/dicom";
        transfer-syntax=*), every part checked against the files in DIR: `exact` — each part is
        byte for byte one of the server's stored files (--stored: dicomnode keeps what was
        stored) and its data set after the File Meta Information byte for byte the data set of
        one of the files sent (the receiver writes its own File Meta); `pixel` — each part's
        data set, read by pydicom, has the same SOP Instance UID set and Pixel Data bytes as
        the file sent (Orthanc rewrites the file meta / header). Prints one JSON line with the
        body size, the boundary length and the number of delimiters, so that the timed curl runs
        can check their byte counts exactly.
    wado_client.py rendered --server NAME=BASE ... --study S --series SE --uids FILE [--count 100]
        Rendered JPEG (PS3.18 §10.4.1.1.3, Accept: image/jpeg) of instances in turn, the servers
        alternating request by request, one keep-alive connection per server with TCP_NODELAY.
        A server answering the first request with anything but 200 image/jpeg is "not available"
        (status and reason recorded) and not asked again. One JSON line per server.
    wado_client.py rss PID... --out FILE          samples VmRSS every 20 ms until SIGTERM/SIGINT;
                                                  each SIGUSR1 (and the end) writes the phase's
                                                  min/max/last per PID as JSON to FILE.0, FILE.1 ...
"""
import argparse
import hashlib
import http.client
import io
import json
import os
import signal
import socket
import statistics
import sys
import time
import urllib.parse

SERIES_ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*'


def series_files(directory):
    return sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".dcm"))


def cmd_info(args):
    import pydicom
    rows = []
    for path in series_files(args.dir):
        ds = pydicom.dcmread(path, stop_before_pixels=True)
        rows.append((int(ds.InstanceNumber), ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID))
    rows.sort()
    print(rows[0][1])
    print(rows[0][2])
    for r in rows:
        print(r[3])


def connect(base):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)
    conn.connect()
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return conn, u.path.rstrip("/")


def get(base, path, accept):
    conn, prefix = connect(base)
    try:
        conn.request("GET", prefix + path, headers={"Accept": accept})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type", ""), resp.read()
    finally:
        conn.close()


def cmd_count(args):
    status, ctype, body = get(args.base, f"/studies/{args.study}/series/{args.series}/instances?limit=1000",
                              "application/dicom+json")
    if status == 204:
        print(0)
    elif status != 200:
        sys.exit(f"QIDO-RS: HTTP {status}: {body[:200]!r}")
    else:
        print(len(json.loads(body)))


def boundary_of(content_type):
    for param in content_type.split(";")[1:]:
        k, _, v = param.strip().partition("=")
        if k.lower() == "boundary":
            return v.strip().strip('"').encode()
    return None


def split_multipart(body, boundary):
    """Parts of a multipart body (RFC 2046 §5.1.1) as (headers, content), and the delimiter count."""
    delimiter = b"\r\n--" + boundary
    segments = (b"\r\n" + body).split(delimiter)
    parts = []
    closed = False
    for seg in segments[1:]:
        if seg.startswith(b"--"):
            closed = True
            break
        if not seg.startswith(b"\r\n"):
            raise ValueError("delimiter not followed by CRLF")
        head, sep, content = seg[2:].partition(b"\r\n\r\n")
        if not sep:
            raise ValueError("part without a blank line after its headers")
        headers = {}
        for line in head.split(b"\r\n"):
            k, _, v = line.decode("latin-1").partition(":")
            headers[k.strip().lower()] = v.strip()
        parts.append((headers, content))
    if not closed:
        raise ValueError("no close delimiter")
    return parts, len(segments) - 1


def dataset_bytes(part10):
    """The bytes after the File Meta Information (PS3.10 §7.1: preamble, DICM, group 0002 whose
    first element, (0002,0000) UL, gives the group's length)."""
    if part10[128:132] != b"DICM" or part10[132:138] != b"\x02\x00\x00\x00UL":
        raise ValueError("not a Part 10 file with a File Meta Information Group Length")
    return part10[144 + int.from_bytes(part10[140:144], "little"):]


def cmd_verify(args):
    import pydicom
    status, ctype, body = get(args.base, f"/studies/{args.study}/series/{args.series}", SERIES_ACCEPT)
    out = {"status": status, "size": len(body), "ok": False}
    try:
        if status != 200:
            raise ValueError(f"HTTP {status}: {body[:200]!r}")
        boundary = boundary_of(ctype)
        if not boundary or not ctype.lower().startswith("multipart/related"):
            raise ValueError(f"Content-Type {ctype!r}")
        parts, delimiters = split_multipart(body, boundary)
        out.update(parts=len(parts), boundary_len=len(boundary), delimiters=delimiters,
                   part_types=sorted({h.get("content-type", "") for h, _ in parts}))
        files = series_files(args.dir)
        if len(parts) != args.expect:
            raise ValueError(f"{len(parts)} parts, expected {args.expect}")
        if args.mode == "exact":
            # Each part must be one of the stored files byte for byte (transfer-syntax=* keeps what
            # is stored), and its data set (after the File Meta Information, which the receiver
            # writes anew, PS3.10 §7.1) the data set of one of the files sent, byte for byte.
            if not args.stored:
                raise ValueError("--mode exact needs --stored DIR (the server's object store)")
            stored = set()
            for root, _, names in os.walk(args.stored):
                for n in names:
                    with open(os.path.join(root, n), "rb") as f:
                        stored.add(hashlib.sha256(f.read()).digest())
            sent = {}
            for path in files:
                with open(path, "rb") as f:
                    sent[hashlib.sha256(dataset_bytes(f.read())).digest()] = path
            seen = set()
            for i, (_, content) in enumerate(parts):
                if hashlib.sha256(content).digest() not in stored:
                    raise ValueError(f"part {i} ({len(content)} bytes) equals none of the {len(stored)} stored files")
                h = hashlib.sha256(dataset_bytes(content)).digest()
                if h not in sent:
                    raise ValueError(f"part {i}: its data set equals none of the files sent")
                seen.add(h)
            if len(seen) != len(files):
                raise ValueError(f"{len(seen)} distinct files returned of {len(files)}")
        else:
            by_uid = {}
            for path in files:
                ds = pydicom.dcmread(path)
                by_uid[ds.SOPInstanceUID] = ds.PixelData
            seen = set()
            for i, (_, content) in enumerate(parts):
                ds = pydicom.dcmread(io.BytesIO(content))
                uid = ds.SOPInstanceUID
                if uid not in by_uid:
                    raise ValueError(f"part {i}: SOP Instance UID {uid} was not sent")
                if ds.PixelData != by_uid[uid]:
                    raise ValueError(f"part {i}: Pixel Data differs from the file sent")
                seen.add(uid)
            if len(seen) != len(files):
                raise ValueError(f"{len(seen)} distinct instances returned of {len(files)}")
        out["ok"] = True
    except Exception as e:  # reported, and the shell script fails on ok=false
        out["error"] = str(e)
    print(json.dumps(out))
    sys.exit(0 if out["ok"] else 1)


def percentile(values, p):
    s = sorted(values)
    k = (len(s) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def check_jpeg(body):
    import numpy as np
    from PIL import Image
    im = Image.open(io.BytesIO(body))
    im.load()
    px = np.asarray(im.convert("L"))
    return {"width": im.width, "height": im.height, "mode": im.mode,
            "min": int(px.min()), "max": int(px.max()), "mean": round(float(px.mean()), 1)}


def cmd_rendered(args):
    uids = [l.strip() for l in open(args.uids) if l.strip()]
    servers = []
    for spec in args.server:
        name, _, base = spec.partition("=")
        conn, prefix = connect(base)
        servers.append({"name": name, "base": base, "conn": conn, "prefix": prefix, "times": [],
                        "bytes": 0, "reconnects": 0, "available": True, "result": {"server": name}})

    def one(s, uid):
        path = f"{s['prefix']}/studies/{args.study}/series/{args.series}/instances/{uid}/rendered"
        for attempt in (0, 1):
            try:
                t0 = time.perf_counter()
                s["conn"].request("GET", path, headers={"Accept": "image/jpeg"})
                resp = s["conn"].getresponse()
                body = resp.read()
                t1 = time.perf_counter()
                if resp.getheader("Connection", "").lower() == "close":
                    s["conn"].close()
                return resp.status, resp.getheader("Content-Type", ""), body, t1 - t0
            except (http.client.HTTPException, ConnectionError, OSError):
                if attempt:
                    raise
                s["conn"].close()
                s["conn"], _ = connect(s["base"])
                s["reconnects"] += 1

    order = [uids[(k * 7) % len(uids)] for k in range(args.warmup + args.count)]
    for k, uid in enumerate(order):
        for s in (servers if k % 2 == 0 else servers[::-1]):
            if not s["available"]:
                continue
            status, ctype, body, dt = one(s, uid)
            ok = status == 200 and ctype.lower().startswith("image/jpeg") and body[:2] == b"\xff\xd8"
            if not ok:
                s["available"] = False
                s["result"].update(available=False, status=status, content_type=ctype,
                                   reason=body[:160].decode("utf-8", "replace"), after=k)
                continue
            if k == 0:
                s["result"]["image"] = check_jpeg(body)
            if k >= args.warmup:
                s["times"].append(dt)
                s["bytes"] += len(body)
    for s in servers:
        r = s["result"]
        if s["available"]:
            t = s["times"]
            r.update(available=True, n=len(t), p50_ms=percentile(t, 50) * 1e3, p95_ms=percentile(t, 95) * 1e3,
                     mean_ms=statistics.mean(t) * 1e3, min_ms=min(t) * 1e3, avg_bytes=s["bytes"] // len(t),
                     reconnects=s["reconnects"])
        print(json.dumps(r))


def read_rss(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cmd_rss(args):
    """Samples until SIGTERM; SIGUSR1 closes a phase. Phase n's min/max/last go to OUT.n."""
    events = []
    signal.signal(signal.SIGTERM, lambda *_: events.append("stop"))
    signal.signal(signal.SIGINT, lambda *_: events.append("stop"))
    signal.signal(signal.SIGUSR1, lambda *_: events.append("phase"))
    phase = 0

    def fresh():
        return {pid: {"min": None, "max": None, "last": None, "samples": 0} for pid in args.pids}

    def dump(stats):
        with open(f"{args.out}.{phase}", "w") as f:
            json.dump({str(k): v for k, v in stats.items()}, f)

    stats = fresh()
    while True:
        for pid, st in stats.items():
            v = read_rss(pid)
            if v is None:
                continue
            st["min"] = v if st["min"] is None else min(st["min"], v)
            st["max"] = v if st["max"] is None else max(st["max"], v)
            st["last"] = v
            st["samples"] += 1
        while events:
            event = events.pop(0)
            dump(stats)
            phase += 1
            stats = fresh()
            if event == "stop":
                return
        time.sleep(0.02)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("info"); p.add_argument("dir"); p.set_defaults(fn=cmd_info)
    p = sub.add_parser("count")
    for a in ("base", "study", "series"):
        p.add_argument(a)
    p.set_defaults(fn=cmd_count)
    p = sub.add_parser("verify")
    for a in ("base", "study", "series", "dir"):
        p.add_argument(a)
    p.add_argument("--mode", choices=("exact", "pixel"), required=True)
    p.add_argument("--expect", type=int, default=500)
    p.add_argument("--stored", help="exact mode: the server's object store (files compared byte for byte)")
    p.set_defaults(fn=cmd_verify)
    p = sub.add_parser("rendered")
    p.add_argument("--server", action="append", required=True, help="NAME=BASE_URL")
    p.add_argument("--study", required=True)
    p.add_argument("--series", required=True)
    p.add_argument("--uids", required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--warmup", type=int, default=5)
    p.set_defaults(fn=cmd_rendered)
    p = sub.add_parser("rss")
    p.add_argument("pids", nargs="+", type=int)
    p.add_argument("--out", required=True)
    p.set_defaults(fn=cmd_rss)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
