#!/usr/bin/env python3
"""A stand-in for the dicomnode binary, built on pynetdicom, to try the dimse_*.py scripts without it.

With STANDIN_BROKEN=1 it alters the last byte of every data set it stores, so that the scripts
can be seen to fail. It implements just enough of the CLI contract (serve, echo, store, check) and the archive layout
(DATA/index.sqlite table ``instance``, DATA/objects, DATA/incoming) for the scripts to run end to
end. It is not a reference: where pynetdicom answers bad input differently from PS3.8, the scripts
report FAIL against it, as they should.

    python3 conformance/dimse_receive.py --dicomnode conformance/lib/standin_dicomnode.py
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import sqlite3
import sys
import threading
import uuid
from pathlib import Path

IMPLEMENTATION_CLASS_UID = "2.25.245165474372861539364424426493717386391"


def parse_peer(text: str) -> tuple[str, str, int]:
    ae, _, hostport = text.partition("@")
    host, _, port = hostport.rpartition(":")
    return ae, host, int(port)


def open_index(data: Path) -> sqlite3.Connection:
    con = sqlite3.connect(data / "index.sqlite", check_same_thread=False, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("CREATE TABLE IF NOT EXISTS instance (sopInstanceUID TEXT PRIMARY KEY, sopClassUID TEXT,"
                " transferSyntaxUID TEXT, objectPath TEXT, fileSize INTEGER)")
    return con


def serve(args: argparse.Namespace) -> int:
    from pydicom.dataset import FileMetaDataset
    from pydicom.filewriter import write_file_meta_info
    from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
    from pynetdicom.sop_class import Verification

    data = Path(args.data)
    for sub in ("incoming", "objects"):
        (data / sub).mkdir(parents=True, exist_ok=True)
    con = open_index(data)
    lock = threading.Lock()

    def on_store(event):  # type: ignore[no-untyped-def]
        try:
            ds = event.dataset
            sop_class, sop_uid = str(ds.SOPClassUID), str(ds.SOPInstanceUID)
        except Exception as e:
            print(f"store: data set does not parse: {e}", file=sys.stderr, flush=True)
            return 0xC210
        ts = str(event.context.transfer_syntax)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = sop_uid
        meta.TransferSyntaxUID = ts
        meta.ImplementationClassUID = IMPLEMENTATION_CLASS_UID
        meta.SourceApplicationEntityTitle = event.assoc.requestor.ae_title.strip()
        tmp = data / "incoming" / f"{uuid.uuid4().hex}.part"
        with open(tmp, "wb") as f:
            f.write(b"\x00" * 128 + b"DICM")
            write_file_meta_info(f, meta, enforce_standard=True)
            payload = event.request.DataSet.getvalue()
            if os.environ.get("STANDIN_BROKEN"):  # to see the scripts fail: alter the last byte
                payload = payload[:-1] + bytes([payload[-1] ^ 0xFF])
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        name = hashlib.sha256(sop_uid.encode()).hexdigest()
        rel = Path("objects") / name[:2] / f"{name}.dcm"
        (data / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, data / rel)
        with lock:
            con.execute("INSERT OR REPLACE INTO instance VALUES (?,?,?,?,?)",
                        (sop_uid, sop_class, ts, str(rel), (data / rel).stat().st_size))
        return 0x0000

    ae = AE(ae_title=args.aet)
    ae.require_called_aet = True
    if args.config:
        import re

        m = re.search(r"allowed_calling_ae_titles:\s*\[([^\]]*)\]", Path(args.config).read_text())
        if m:
            ae.require_calling_aet = [t.strip() for t in m.group(1).split(",") if t.strip()]
    ae.maximum_associations = 64
    for cx in AllStoragePresentationContexts:
        ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
    ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
    def on_established(event):  # type: ignore[no-untyped-def]
        print(f"association from {event.assoc.requestor.ae_title} to {args.aet}", file=sys.stderr,
              flush=True)

    server = ae.start_server(("127.0.0.1", args.port), block=False,
                             evt_handlers=[(evt.EVT_C_STORE, on_store),
                                           (evt.EVT_ESTABLISHED, on_established)])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"standin serve {args.aet} on {args.port}", file=sys.stderr, flush=True)
    stop.wait()
    server.shutdown()
    return 0


def echo(args: argparse.Namespace) -> int:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    called, host, port = parse_peer(args.peer)
    ae = AE(ae_title=args.aet)
    ae.add_requested_context(Verification)
    assoc = ae.associate(host, port, ae_title=called)
    if not assoc.is_established:
        print("echo: association failed", file=sys.stderr)
        return 1
    status = assoc.send_c_echo()
    assoc.release()
    return 0 if status and status.Status == 0 else 1


def store(args: argparse.Namespace) -> int:
    import pydicom
    from pynetdicom import AE

    called, host, port = parse_peer(args.to)
    files: list[Path] = []
    for p in args.paths:
        p = Path(p)
        files.extend(sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p])
    sent = failed = 0
    chunks = [files[i::max(args.parallel, 1)] for i in range(max(args.parallel, 1))]
    lock = threading.Lock()

    def work(chunk: list[Path]) -> None:
        nonlocal sent, failed
        datasets = []
        for f in chunk:
            try:
                datasets.append(pydicom.dcmread(f))
            except Exception:
                with lock:
                    failed += 1
        ae = AE(ae_title=args.aet)
        for ds in datasets:
            ae.add_requested_context(ds.SOPClassUID, [ds.file_meta.TransferSyntaxUID])
        assoc = ae.associate(host, port, ae_title=called) if datasets else None
        for ds in datasets:
            ok = False
            if assoc is not None and assoc.is_established:
                st = assoc.send_c_store(ds)
                ok = bool(st) and st.Status == 0
            with lock:
                if ok:
                    sent += 1
                else:
                    failed += 1
        if assoc is not None and assoc.is_established:
            assoc.release()

    threads = [threading.Thread(target=work, args=(c,)) for c in chunks if c]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"store: sent {sent}, failed {failed}")
    return 1 if failed else 0


def check(args: argparse.Namespace) -> int:
    data = Path(args.data)
    con = open_index(data)
    rows = con.execute("SELECT objectPath FROM instance").fetchall()
    indexed = {(data / r[0]).resolve() for r in rows}
    files = {p.resolve() for p in (data / "objects").rglob("*") if p.is_file()}
    missing, orphans = indexed - files, files - indexed
    if missing or orphans:
        print(f"inconsistent: {len(missing)} indexed without file, {len(orphans)} files not indexed")
        return 1
    print(f"consistent: {len(rows)} instances")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="verb", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--config")
    s.add_argument("--aet", default="DICOMNODE")
    s.add_argument("--port", type=int, default=11112)
    s.add_argument("--http-port", type=int, default=8080)  # accepted; the stand-in serves no HTTP
    s.add_argument("--data", default="dicomnode-data")
    s.add_argument("--remote", action="append", default=[])
    e = sub.add_parser("echo")
    e.add_argument("peer")
    e.add_argument("--aet", default="DICOMNODE")
    st = sub.add_parser("store")
    st.add_argument("paths", nargs="+")
    st.add_argument("--to", required=True)
    st.add_argument("--aet", default="DICOMNODE")
    st.add_argument("--parallel", type=int, default=1)
    c = sub.add_parser("check")
    c.add_argument("--data", default="dicomnode-data")
    c.add_argument("--repair", action="store_true")
    args = ap.parse_args()
    return {"serve": serve, "echo": echo, "store": store, "check": check}[args.verb](args)


if __name__ == "__main__":
    sys.exit(main())
