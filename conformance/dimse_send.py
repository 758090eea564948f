#!/usr/bin/env python3
"""dicomnode echo and dicomnode store as SCUs, against independent SCPs.

Peers: DCMTK storescp (+xa: accepts every transfer syntax it knows; +B: writes what it received as
it was received) and a pynetdicom Storage SCP run in this process (records the calling AE, the
accepted transfer syntax and the exact data set bytes of every C-STORE). For every file sent: the
peer received it exactly once, in the file's own transfer syntax (an SCU has no reason to convert
when the SCP accepts it), with the same data set (byte for byte at the pynetdicom SCP; element by
element at storescp). The summary line must count honestly: `sent N`, `failed M`, exit 1 when
M > 0 (an instance refused with status A700, nothing listening on the port).

    python3 conformance/dimse_send.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import threading
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import (  # noqa: E402
    DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, STORESCP, Checks,
    compare_dataset_objects, compare_files, free_port, make_ct_series, run, sample, sop_uids,
    split_part10, standard_args, tail, wait_for_port)

CALLING = "DNSEND"

SAMPLES = [
    "test_files/CT_small.dcm", "test_files/MR_small_implicit.dcm", "test_files/rtplan.dcm",
    "test_files/SC_rgb_small_odd_big_endian.dcm", "test_files/waveform_ecg.dcm",
    "test_files/SC_rgb_jpeg_dcmtk.dcm", "test_files/JPEG-lossy.dcm", "pydicom-data/JPEG-LL.dcm",
    "test_files/MR_small_jpeg_ls_lossless.dcm", "test_files/MR_small_jp2klossless.dcm",
    "test_files/JPEG2000.dcm", "test_files/MR_small_RLE.dcm",
]
DEFLATED_SAMPLE = "test_files/image_dfl.dcm"   # sent on its own: its deflated stream has odd length


@dataclass
class Received:
    sop_instance_uid: str
    calling_aet: str
    transfer_syntax: str
    data_set: bytes


@dataclass
class PynetSCP:
    """A pynetdicom Storage SCP that keeps what it receives; ``refuse`` UIDs get status 0xA700."""

    aet: str = "PYNETSCP"
    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    associations: int = 0
    concurrent: int = 0
    max_concurrent: int = 0

    def __post_init__(self) -> None:
        from pynetdicom import AE, ALL_TRANSFER_SYNTAXES, AllStoragePresentationContexts, evt
        from pynetdicom.sop_class import Verification

        self.lock = threading.Lock()
        ae = AE(ae_title=self.aet)
        ae.require_called_aet = True
        ae.maximum_associations = 16
        for cx in AllStoragePresentationContexts:
            ae.add_supported_context(cx.abstract_syntax, ALL_TRANSFER_SYNTAXES)
        ae.add_supported_context(Verification, ALL_TRANSFER_SYNTAXES)
        self.port = free_port()

        def on_store(event):  # type: ignore[no-untyped-def]
            uid = str(event.request.AffectedSOPInstanceUID)
            with self.lock:
                if uid in self.refuse:
                    return 0xA700
                self.received.append(Received(uid, event.assoc.requestor.ae_title.strip(),
                                              str(event.context.transfer_syntax),
                                              event.request.DataSet.getvalue()))
            return 0x0000

        def on_open(event):  # type: ignore[no-untyped-def]
            with self.lock:
                self.associations += 1
                self.concurrent += 1
                self.max_concurrent = max(self.max_concurrent, self.concurrent)

        def on_close(event):  # type: ignore[no-untyped-def]
            with self.lock:
                self.concurrent -= 1

        self.server = ae.start_server(("127.0.0.1", self.port), block=False, evt_handlers=[
            (evt.EVT_C_STORE, on_store), (evt.EVT_ESTABLISHED, on_open),
            (evt.EVT_RELEASED, on_close), (evt.EVT_ABORTED, on_close)])

    def reset(self) -> None:
        with self.lock:
            self.received.clear()
            self.associations = self.max_concurrent = self.concurrent = 0

    def stop(self) -> None:
        self.server.shutdown()


def summary_counts(text: str) -> tuple[int | None, int | None]:
    sent = re.findall(r"\bsent (\d+)", text)
    failed = re.findall(r"\bfailed (\d+)", text)
    return (int(sent[-1]) if sent else None, int(failed[-1]) if failed else None)


def dicomnode(binary: str, *args: str, timeout: float = 180):  # type: ignore[no-untyped-def]
    return run([binary, *args], timeout=timeout)


def check_store_result(checks: Checks, label: str, r, want_sent: int, want_failed: int) -> None:  # type: ignore[no-untyped-def]
    out = r.stdout + r.stderr
    sent, failed = summary_counts(out)
    want_rc_ok = want_failed == 0
    checks.check(f"{label}/exit-status", (r.returncode == 0) == want_rc_ok,
                 f"rc {r.returncode} with {want_failed} expected failures: {tail(out)}")
    checks.check(f"{label}/summary-sent-{want_sent}-failed-{want_failed}",
                 (sent, failed) == (want_sent, want_failed),
                 f"summary says sent {sent}, failed {failed}: {tail(out, 2)}")


CONVERTIBLE = (IMPLICIT_VR_LE, EXPLICIT_VR_LE, EXPLICIT_VR_BE, DEFLATED_EXPLICIT_VR_LE)


def wire_dataset(rec: "Received"):  # type: ignore[no-untyped-def]
    from io import BytesIO

    from pydicom.filereader import read_dataset

    data = inflated(rec.data_set, rec.transfer_syntax)
    return read_dataset(BytesIO(data), rec.transfer_syntax == IMPLICIT_VR_LE,
                        rec.transfer_syntax != EXPLICIT_VR_BE)


def inflated(data: bytes, ts: str) -> bytes:
    """Deflated Explicit VR LE (PS3.5 §A.5): the same data set may be deflated to other bytes."""
    if ts != DEFLATED_EXPLICIT_VR_LE:
        return data
    try:
        return zlib.decompress(data, -15)
    except zlib.error as e:
        return f"not a deflate stream: {e}".encode()


def verify_pynet(checks: Checks, label: str, scp: PynetSCP, files: list[Path], calling: str) -> None:
    by_uid: dict[str, list[Received]] = {}
    for rec in scp.received:
        by_uid.setdefault(rec.sop_instance_uid, []).append(rec)
    for f in files:
        _, uid, ts = sop_uids(f)
        recs = by_uid.get(uid, [])
        name = f"{label}/{f.name}"
        if len(recs) != 1:
            checks.fail(name, f"received {len(recs)} times")
            continue
        rec = recs[0]
        problems = []
        if rec.transfer_syntax != ts and not (ts in CONVERTIBLE and rec.transfer_syntax in CONVERTIBLE):
            problems.append(f"sent as {rec.transfer_syntax}, the file is {ts} (no lossless conversion)")
        elif rec.transfer_syntax == ts and ts != DEFLATED_EXPLICIT_VR_LE:
            if rec.data_set != split_part10(f.read_bytes())[1]:
                problems.append(f"data set bytes on the wire ({len(rec.data_set)}) are not the file's")
        else:   # converted between uncompressed syntaxes: the same elements and values
            problems += compare_dataset_objects(pydicom.dcmread(f), wire_dataset(rec), ts,
                                                rec.transfer_syntax)[:3]
        if rec.calling_aet != calling:
            problems.append(f"calling AE {rec.calling_aet!r} != {calling!r}")
        checks.check(name, not problems, "; ".join(problems))
    extra = set(by_uid) - {sop_uids(f)[1] for f in files}
    checks.check(f"{label}/nothing-else-received", not extra, f"{len(extra)} unexpected instances")


def verify_storescp(checks: Checks, label: str, out_dir: Path, files: list[Path]) -> None:
    got: dict[str, list[Path]] = {}
    for p in out_dir.iterdir():
        if p.is_file():
            try:
                got.setdefault(sop_uids(p)[1], []).append(p)
            except Exception:
                continue
    for f in files:
        _, uid, ts = sop_uids(f)
        name = f"{label}/{f.name}"
        paths = got.get(uid, [])
        if len(paths) != 1:
            checks.fail(name, f"storescp wrote {len(paths)} files for it")
            continue
        problems = compare_files(f, paths[0])
        rts = sop_uids(paths[0])[2]
        if rts != ts and not (ts in CONVERTIBLE and rts in CONVERTIBLE):
            problems.insert(0, f"received as {rts}, the file is {ts} (no lossless conversion)")
        checks.check(name, not problems, "; ".join(problems[:3]))


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    binary = args.dicomnode
    if not Path(binary).exists():
        print(f"dicomnode binary not found: {binary}", file=sys.stderr)
        return 2
    checks = Checks()
    work = Path(tempfile.mkdtemp(prefix="dimse-send-"))
    scp = PynetSCP()
    storescp = None
    try:
        src = work / "src"
        (src / "sub").mkdir(parents=True)
        files: list[Path] = []
        seen: set[str] = set()
        for i, p in enumerate([sample(n) for n in SAMPLES] + make_ct_series(work / "ct", 2)):
            if p is None or sop_uids(p)[1] in seen:
                continue
            seen.add(sop_uids(p)[1])
            dest = src / ("sub" if i % 3 == 0 else "") / p.name
            shutil.copy(p, dest)
            files.append(dest)

        # Verification (PS3.4 Annex A)
        r = dicomnode(binary, "echo", f"{scp.aet}@127.0.0.1:{scp.port}", "--aet", CALLING)
        checks.check("echo/pynetdicom", r.returncode == 0, f"rc {r.returncode}: {tail(r.stdout + r.stderr)}")
        checks.check("echo/pynetdicom-saw-association", scp.associations == 1,
                     f"the SCP saw {scp.associations} associations")
        r = dicomnode(binary, "echo", f"WRONGAE@127.0.0.1:{scp.port}", "--aet", CALLING)
        checks.check("echo/wrong-called-ae-fails", r.returncode != 0,
                     "exit 0 although the SCP rejected the called AE title")
        r = dicomnode(binary, "echo", f"NOBODY@127.0.0.1:{free_port()}", timeout=60)
        checks.check("echo/nothing-listening-fails", r.returncode != 0, "exit 0 with nothing listening")

        # storescp
        out_dir = work / "storescp-out"
        out_dir.mkdir()
        port = free_port()
        import subprocess

        from conformance.lib.node import peer_env
        storescp = subprocess.Popen([STORESCP, "-aet", "STORESCP", "+xa", "+B", "-od", str(out_dir),
                                     str(port)], stdout=subprocess.DEVNULL,
                                    stderr=open(work / "storescp.log", "wb"), env=peer_env())
        if not wait_for_port(port):
            checks.fail("storescp/starts", "storescp did not listen")
        else:
            r = dicomnode(binary, "echo", f"STORESCP@127.0.0.1:{port}", "--aet", CALLING)
            checks.check("echo/storescp", r.returncode == 0, f"rc {r.returncode}: {tail(r.stdout + r.stderr)}")
            r = dicomnode(binary, "store", str(src), "--to", f"STORESCP@127.0.0.1:{port}", "--aet", CALLING)
            check_store_result(checks, "store-storescp", r, len(files), 0)
            verify_storescp(checks, "store-storescp", out_dir, files)

        # pynetdicom SCP, one association then four
        scp.reset()
        r = dicomnode(binary, "store", str(src), "--to", f"{scp.aet}@127.0.0.1:{scp.port}", "--aet", CALLING)
        check_store_result(checks, "store-pynetdicom", r, len(files), 0)
        verify_pynet(checks, "store-pynetdicom", scp, files, CALLING)

        scp.reset()
        r = dicomnode(binary, "store", str(src), "--to", f"{scp.aet}@127.0.0.1:{scp.port}", "--aet", CALLING,
                      "--parallel", "4")
        check_store_result(checks, "store-parallel-4", r, len(files), 0)
        verify_pynet(checks, "store-parallel-4", scp, files, CALLING)
        checks.check("store-parallel-4/associations-2-to-4",
                     2 <= scp.associations <= 4 and scp.max_concurrent <= 4,
                     f"{scp.associations} associations, at most {scp.max_concurrent} at once")

        # a refused instance (status A700, PS3.4 Table B.2-1) is counted as failed, the rest sent
        refused = sop_uids(files[0])[1]
        scp.reset()
        scp.refuse = {refused}
        r = dicomnode(binary, "store", str(src), "--to", f"{scp.aet}@127.0.0.1:{scp.port}", "--aet", CALLING)
        scp.refuse = set()
        check_store_result(checks, "store-one-refused", r, len(files) - 1, 1)
        got = {rec.sop_instance_uid for rec in scp.received}
        checks.check("store-one-refused/others-delivered",
                     got == {sop_uids(f)[1] for f in files[1:]},
                     f"{len(got)} delivered of {len(files) - 1}")

        # Deflated Explicit VR LE (PS3.5 §A.5), alone: to storescp and to the pynetdicom SCP
        dfl = sample(DEFLATED_SAMPLE)
        if dfl is not None:
            dfl_dir = work / "deflated"
            dfl_dir.mkdir()
            dfl_copy = dfl_dir / dfl.name
            shutil.copy(dfl, dfl_copy)
            if storescp is not None and storescp.poll() is None:
                for p in out_dir.iterdir():
                    p.unlink()
                r = dicomnode(binary, "store", str(dfl_dir), "--to", f"STORESCP@127.0.0.1:{port}",
                              "--aet", CALLING)
                check_store_result(checks, "store-deflated-storescp", r, 1, 0)
                verify_storescp(checks, "store-deflated-storescp", out_dir, [dfl_copy])
            scp.reset()
            r = dicomnode(binary, "store", str(dfl_dir), "--to", f"{scp.aet}@127.0.0.1:{scp.port}",
                          "--aet", CALLING)
            check_store_result(checks, "store-deflated-pynetdicom", r, 1, 0)
            verify_pynet(checks, "store-deflated-pynetdicom", scp, [dfl_copy], CALLING)

        # nothing listening
        r = dicomnode(binary, "store", str(src), "--to", f"NOBODY@127.0.0.1:{free_port()}", "--aet", CALLING,
                      timeout=120)
        check_store_result(checks, "store-nothing-listening", r, 0, len(files))
    finally:
        scp.stop()
        if storescp is not None:
            storescp.terminate()
            storescp.wait(10)
        shutil.rmtree(work, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
