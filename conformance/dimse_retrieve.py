#!/usr/bin/env python3
"""dicomnode serve as a Query/Retrieve SCP for C-MOVE and C-GET (PS3.4 §C.4.2, §C.4.3), and the
`dicomnode find/move/get` SCU commands against it.

A corpus (pydicom test files of a few patients/studies, a JPEG Baseline file and a generated
multi-instance CT series) is stored with dcmsend; then:
- DCMTK movescu (-P and -S, study and series level) to a DCMTK storescp the script starts: the
  received SOP Instance UIDs are exactly those stored for that study/series;
- movescu with an unknown Move Destination: A801 (PS3.4 Table C.4-2);
- DCMTK getscu, study level, into a temp dir: the exact UID set;
- pynetdicom C-GET (role selection SCP) and C-MOVE to a pynetdicom storage SCP: exact UID sets
  and the final sub-operation counts;
- a Move Destination that does not listen: every sub-operation failed (A702 with the count and
  the Failed SOP Instance UID List); a destination that aborts mid-move: completed + failed = all;
  the node still answers C-ECHO afterwards;
- `dicomnode find --json`, `dicomnode move`, `dicomnode get` checked by values.

    python3 conformance/dimse_retrieve.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import (  # noqa: E402
    DCMSEND, STORESCP, Checks, Node, free_port, make_ct_series, run, sample, standard_args, tail,
    wait_for_port)

MOVESCU = "/usr/bin/movescu"
GETSCU = "/usr/bin/getscu"
AET = "DICOMNODE"
DEST = "STORESCP"
PYDEST = "PYSCP"
DEAD = "DEADSCP"
ABORTER = "ABORTSCP"

CORPUS = [
    "test_files/CT_small.dcm",
    "test_files/MR_small.dcm",
    "test_files/rtplan.dcm",
    "test_files/rtdose.dcm",
]
JPEG = "test_files/SC_rgb_jpeg_dcmtk.dcm"


def uids_of(files: list[Path]) -> dict[str, str]:
    """SOP Instance UID → '(patient, study, series)' for each file."""
    import pydicom
    out = {}
    for f in files:
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
        except Exception:  # noqa: BLE001 - not DICOM (storescp leaves none, but be safe)
            continue
        out[str(ds.SOPInstanceUID)] = (str(ds.get("PatientID", "")), str(ds.StudyInstanceUID),
                                       str(ds.SeriesInstanceUID))
    return out


def received(folder: Path) -> set[str]:
    return set(uids_of([p for p in folder.rglob("*") if p.is_file()]))


class StoreSCP:
    """DCMTK storescp on a port, writing into a fresh directory per use."""

    def __init__(self, port: int, out: Path, accept_compressed: bool = True) -> None:
        self.port, self.out = port, out
        self.accept = ["+xa"] if accept_compressed else []     # without +xa: uncompressed syntaxes only
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "StoreSCP":
        self.out.mkdir(parents=True, exist_ok=True)
        from conformance.lib.node import peer_env
        self.proc = subprocess.Popen([STORESCP, "-aet", DEST, *self.accept, "-od", str(self.out), str(self.port)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=peer_env())
        wait_for_port(self.port, 10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def status_in(output: str, code: str) -> bool:
    return code.lower() in output.lower()


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    work = Path(tempfile.mkdtemp(prefix="dicomnode-retrieve-"))
    files = [p for p in (sample(n) for n in CORPUS) if p]
    jpeg = sample(JPEG)
    series = make_ct_series(work / "series", 6)
    all_files = files + series + ([jpeg] if jpeg else [])
    meta = uids_of(all_files)
    by_study: dict[str, set[str]] = {}
    by_series: dict[str, set[str]] = {}
    for uid, (_, study, ser) in meta.items():
        by_study.setdefault(study, set()).add(uid)
        by_series.setdefault(ser, set()).add(uid)
    series_uid = meta[uids_of(series[:1]).popitem()[0]][2]
    series_study = meta[uids_of(series[:1]).popitem()[0]][1]
    series_patient = meta[uids_of(series[:1]).popitem()[0]][0]
    ct_uid, (ct_patient, ct_study, _) = next((u, m) for u, m in uids_of(files[:1]).items())

    dest_port, py_port, dead_port, abort_port = free_port(), free_port(), free_port(), free_port()
    extra = ["--remote", f"{DEST}@127.0.0.1:{dest_port}", "--remote", f"{PYDEST}@127.0.0.1:{py_port}",
             "--remote", f"{DEAD}@127.0.0.1:{dead_port}", "--remote", f"{ABORTER}@127.0.0.1:{abort_port}"]
    node = Node(args.dicomnode, aet=AET, extra_args=extra)
    try:
        node.start()
    except RuntimeError as e:
        checks.fail("node starts", str(e))
        return checks.finish()
    port = node.port
    try:
        r = run([DCMSEND, "-aet", "CONFSCU", "-aec", AET, "-dn", "127.0.0.1", str(port), *map(str, all_files)])
        indexed = node.wait_indexed(meta.keys())
        checks.check("corpus stored", all(len(indexed.get(u, [])) == 1 for u in meta), tail(r.stdout + r.stderr))

        # --- movescu: study level (-S, -P) and series level ---------------------------------
        cases = [
            ("movescu -S study", ["-S", "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={series_study}"],
             by_study[series_study]),
            ("movescu -P study", ["-P", "-k", "QueryRetrieveLevel=STUDY", "-k", f"PatientID={ct_patient}",
                                  "-k", f"StudyInstanceUID={ct_study}"], by_study[ct_study]),
            ("movescu -S series", ["-S", "-k", "QueryRetrieveLevel=SERIES", "-k", f"StudyInstanceUID={series_study}",
                                   "-k", f"SeriesInstanceUID={series_uid}"], by_series[series_uid]),
            ("movescu -P patient", ["-P", "-k", "QueryRetrieveLevel=PATIENT", "-k", f"PatientID={series_patient}"],
             {u for u, m in meta.items() if m[0] == series_patient}),
        ]
        if jpeg:
            j_uid, (_, j_study, _) = next(iter(uids_of([jpeg]).items()))
            cases.append(("movescu -S study JPEG stored", ["-S", "-k", "QueryRetrieveLevel=STUDY",
                                                           "-k", f"StudyInstanceUID={j_study}"], by_study[j_study]))
        for i, (name, keys, expected) in enumerate(cases):
            out = work / f"move{i}"
            with StoreSCP(dest_port, out):
                r = run([MOVESCU, "-v", "-aet", "MOVESCU", "-aec", AET, "-aem", DEST, *keys, "127.0.0.1", str(port)])
            got = received(out)
            checks.check(name, got == expected and r.returncode == 0,
                         f"rc {r.returncode}, got {len(got)} expected {len(expected)}, "
                         f"extra {sorted(got - expected)[:2]} missing {sorted(expected - got)[:2]}; "
                         f"{tail(r.stdout + r.stderr)}")

        if jpeg:
            # PS3.4 §C.4.2.3.1 / issue 6: a destination that takes no compressed syntax gets the
            # instance decompressed (Explicit or Implicit VR LE), with pydicom's pixels.
            import numpy as np
            import pydicom
            out = work / "move-uncompressed"
            with StoreSCP(dest_port, out, accept_compressed=False):
                r = run([MOVESCU, "-v", "-aet", "MOVESCU", "-aec", AET, "-aem", DEST, "-S", "-k", "QueryRetrieveLevel=STUDY",
                         "-k", f"StudyInstanceUID={j_study}", "127.0.0.1", str(port)])
            got = sorted(out.glob("*"))
            ok, why = False, f"rc {r.returncode}, {len(got)} files; {tail(r.stdout + r.stderr)}"
            if r.returncode == 0 and len(got) == len(by_study[j_study]):
                sent = {str(d.SOPInstanceUID): d for d in (pydicom.dcmread(jpeg),)}
                back = [pydicom.dcmread(f) for f in got]
                mine = [b for b in back if str(b.SOPInstanceUID) in sent]
                ok = bool(mine) and all(not b.file_meta.TransferSyntaxUID.is_compressed
                                        and np.array_equal(b.pixel_array, sent[str(b.SOPInstanceUID)].pixel_array) for b in mine)
                why = f"{[(str(b.file_meta.TransferSyntaxUID)) for b in mine]}"
            checks.check("movescu to a destination without compressed syntaxes: JPEG decompressed, pydicom's pixels", ok, why)

        r = run([MOVESCU, "-v", "-aet", "MOVESCU", "-aec", AET, "-aem", "NOSUCHAE", "-S",
                 "-k", "QueryRetrieveLevel=STUDY", "-k", f"StudyInstanceUID={ct_study}", "127.0.0.1", str(port)])
        out = r.stdout + r.stderr
        checks.check("movescu unknown destination: A801", status_in(out, "a801") or "MoveDestinationUnknown" in out,
                     tail(out, 6))

        out = work / "move-nokey"
        with StoreSCP(dest_port, out):
            r = run([MOVESCU, "-v", "-aet", "MOVESCU", "-aec", AET, "-aem", DEST, "-S",
                     "-k", "QueryRetrieveLevel=STUDY", "127.0.0.1", str(port)])
        out_text = r.stdout + r.stderr
        checks.check("movescu without StudyInstanceUID: A900, nothing sent",
                     ("a900" in out_text.lower() or "DataSetDoesNotMatchSOPClass" in out_text) and not received(out),
                     tail(out_text, 4))

        # --- getscu ----------------------------------------------------------------------------
        out = work / "get"
        out.mkdir()
        r = run([GETSCU, "-v", "-S", "-aet", "GETSCU", "-aec", AET, "-k", "QueryRetrieveLevel=STUDY",
                 "-k", f"StudyInstanceUID={series_study}", "-od", str(out), "127.0.0.1", str(port)])
        got = received(out)
        checks.check("getscu -S study", got == by_study[series_study] and r.returncode == 0,
                     f"rc {r.returncode}, got {len(got)}/{len(by_study[series_study])}; {tail(r.stdout + r.stderr)}")

        # --- pynetdicom C-GET and C-MOVE ---------------------------------------------------------
        pynetdicom_checks(checks, port, py_port, dead_port, abort_port, meta, by_study, series_study, ct_study)
        ok, why = node.echo_ok()
        checks.check("node answers C-ECHO after failed moves", ok, why)

        # --- dicomnode find / move / get ---------------------------------------------------------
        cli_checks(checks, args.dicomnode, port, dest_port, work, meta, by_study, series_study)
        ok, why = node.echo_ok()
        checks.check("node answers C-ECHO at the end", ok, why)
    finally:
        node.stop()
        if checks.failed:
            print(f"node log: {node.log_path}", flush=True)
        else:
            node.cleanup()
            shutil.rmtree(work, ignore_errors=True)
    return checks.finish()


def pynetdicom_checks(checks: Checks, port: int, py_port: int, dead_port: int, abort_port: int,
                      meta: dict, by_study: dict, series_study: str, ct_study: str) -> None:
    from pydicom.dataset import Dataset
    from pynetdicom import AE, build_role, evt
    from pynetdicom.sop_class import (CTImageStorage, MRImageStorage, RTDoseStorage, RTPlanStorage,
                                      SecondaryCaptureImageStorage,
                                      StudyRootQueryRetrieveInformationModelGet,
                                      StudyRootQueryRetrieveInformationModelMove)
    storage = [CTImageStorage, MRImageStorage, RTDoseStorage, RTPlanStorage, SecondaryCaptureImageStorage]

    def identifier(study: str) -> Dataset:
        ds = Dataset()
        ds.QueryRetrieveLevel = "STUDY"
        ds.StudyInstanceUID = study
        return ds

    # C-GET with SCP role selection (PS3.7 §D.3.3.4)
    got: set[str] = set()

    def on_store(event):  # noqa: ANN001
        got.add(str(event.dataset.SOPInstanceUID))
        return 0x0000

    ae = AE(ae_title="PYGET")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    for c in storage:
        ae.add_requested_context(c)
    roles = [build_role(c, scp_role=True) for c in storage]
    assoc = ae.associate("127.0.0.1", port, ae_title=AET, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store)])
    final = None
    pending = 0
    if assoc.is_established:
        for status, _ in assoc.send_c_get(identifier(series_study), StudyRootQueryRetrieveInformationModelGet):
            if status is not None and status.Status == 0xFF00:
                pending += 1
            elif status is not None:
                final = status
        assoc.release()
    exp = by_study[series_study]
    checks.check("pynetdicom C-GET study", got == exp and final is not None and final.Status == 0
                 and final.NumberOfCompletedSuboperations == len(exp) and pending == len(exp) - 1,
                 f"got {len(got)}/{len(exp)}, final {final and hex(final.Status)}, pending {pending}")

    # C-GET without a context for the SOP class: A702 with the failed list (PS3.4 Table C.4-3)
    ae = AE(ae_title="PYGET")
    ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    ae.add_requested_context(MRImageStorage)
    assoc = ae.associate("127.0.0.1", port, ae_title=AET, ext_neg=[build_role(MRImageStorage, scp_role=True)],
                         evt_handlers=[(evt.EVT_C_STORE, on_store)])
    final, ident = None, None
    if assoc.is_established:
        for status, ds in assoc.send_c_get(identifier(series_study), StudyRootQueryRetrieveInformationModelGet):
            if status is not None and status.Status != 0xFF00:
                final, ident = status, ds
        assoc.release()
    failed_list = set(ident.FailedSOPInstanceUIDList) if ident is not None and "FailedSOPInstanceUIDList" in ident else set()
    checks.check("pynetdicom C-GET without a storage context: A702 + failed list",
                 final is not None and final.Status == 0xA702 and failed_list == exp
                 and final.NumberOfFailedSuboperations == len(exp),
                 f"final {final and hex(final.Status)}, failed list {len(failed_list)}")

    # C-CANCEL-RQ after the first sub-operation: FE00 with the counts (PS3.4 §C.4.3.3.3)
    got.clear()
    ae = AE(ae_title="PYGET")
    get_cx = ae.add_requested_context(StudyRootQueryRetrieveInformationModelGet)
    for c in storage:
        ae.add_requested_context(c)

    def on_store_cancel(event):  # noqa: ANN001
        got.add(str(event.dataset.SOPInstanceUID))
        if len(got) == 1:
            cx = next(c for c in event.assoc.accepted_contexts
                      if c.abstract_syntax == StudyRootQueryRetrieveInformationModelGet)
            event.assoc.send_c_cancel(1, cx.context_id)
        return 0x0000

    assoc = ae.associate("127.0.0.1", port, ae_title=AET, ext_neg=roles, evt_handlers=[(evt.EVT_C_STORE, on_store_cancel)])
    final = None
    if assoc.is_established:
        for status, _ in assoc.send_c_get(identifier(series_study), StudyRootQueryRetrieveInformationModelGet, msg_id=1):
            if status is not None and status.Status != 0xFF00:
                final = status
        assoc.release()
    exp = by_study[series_study]
    checks.check("pynetdicom C-GET cancelled after the first sub-operation: FE00 with counts",
                 final is not None and final.Status == 0xFE00 and len(got) < len(exp)
                 and final.NumberOfCompletedSuboperations == len(got)
                 and final.NumberOfRemainingSuboperations == len(exp) - len(got),
                 f"final {final and hex(final.Status)}, received {len(got)}/{len(exp)}, "
                 f"remaining {final and final.get('NumberOfRemainingSuboperations')}")
    del get_cx

    # C-MOVE to a pynetdicom storage SCP
    moved: set[str] = set()

    def on_moved(event):  # noqa: ANN001
        moved.add(str(event.dataset.SOPInstanceUID))
        return 0x0000

    scp = AE(ae_title=PYDEST)
    for c in storage:
        scp.add_supported_context(c)
    server = scp.start_server(("127.0.0.1", py_port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_moved)])

    def move(dest: str, study: str):  # noqa: ANN202
        ae = AE(ae_title="PYMOVE")
        ae.add_requested_context(StudyRootQueryRetrieveInformationModelMove)
        assoc = ae.associate("127.0.0.1", port, ae_title=AET)
        final, ident = None, None
        if assoc.is_established:
            for status, ds in assoc.send_c_move(identifier(study), dest, StudyRootQueryRetrieveInformationModelMove):
                if status is not None and status.Status != 0xFF00:
                    final, ident = status, ds
            assoc.release()
        return final, ident

    try:
        final, _ = move(PYDEST, ct_study)
        exp = by_study[ct_study]
        checks.check("pynetdicom C-MOVE study", moved == exp and final is not None and final.Status == 0
                     and final.NumberOfCompletedSuboperations == len(exp),
                     f"got {len(moved)}/{len(exp)}, final {final and hex(final.Status)}")
    finally:
        server.shutdown()

    # A Move Destination that does not listen: every sub-operation failed.
    final, ident = move(DEAD, series_study)
    exp = by_study[series_study]
    failed_list = set(ident.FailedSOPInstanceUIDList) if ident is not None and "FailedSOPInstanceUIDList" in ident else set()
    checks.check("C-MOVE to a destination not listening: failed count", final is not None
                 and final.Status == 0xA702 and final.NumberOfFailedSuboperations == len(exp) and failed_list == exp,
                 f"final {final and hex(final.Status)}, failed {final and final.get('NumberOfFailedSuboperations')}")

    # A destination that aborts after its second C-STORE: the rest counted as failed.
    count = [0]

    def on_abort(event):  # noqa: ANN001
        count[0] += 1
        if count[0] == 2:
            # Abort while the node waits for this C-STORE-RSP.
            threading.Thread(target=event.assoc.abort, daemon=True).start()
            time.sleep(1.0)
        return 0x0000

    scp = AE(ae_title=ABORTER)
    for c in storage:
        scp.add_supported_context(c)
    server = scp.start_server(("127.0.0.1", abort_port), block=False, evt_handlers=[(evt.EVT_C_STORE, on_abort)])
    try:
        final, _ = move(ABORTER, series_study)
    finally:
        server.shutdown()
    ok = (final is not None and final.Status in (0xB000, 0xA702)
          and final.NumberOfCompletedSuboperations + final.NumberOfFailedSuboperations == len(exp)
          and final.NumberOfFailedSuboperations >= 1)
    checks.check("C-MOVE to a destination that aborts mid-move: completed + failed = all", ok,
                 f"final {final and hex(final.Status)}, completed {final and final.get('NumberOfCompletedSuboperations')}, "
                 f"failed {final and final.get('NumberOfFailedSuboperations')}")


def cli_checks(checks: Checks, binary: str, port: int, dest_port: int, work: Path, meta: dict, by_study: dict,
               series_study: str) -> None:
    to = f"{AET}@127.0.0.1:{port}"
    r = run([binary, "find", "--to", to, "--level", "STUDY", "-k", "StudyInstanceUID", "-k", "PatientID",
             "-k", "NumberOfStudyRelatedInstances", "--json"])
    try:
        matches = json.loads(r.stdout)
    except ValueError:
        matches = []
    studies = {m.get("0020000D", {}).get("Value", [None])[0]: m for m in matches}
    counts_ok = all(str(studies[s].get("00201208", {}).get("Value", [None])[0]) == str(len(by_study[s]))
                    for s in by_study if s in studies)
    checks.check("dicomnode find --json: every study with its instance count",
                 set(studies) == set(by_study) and counts_ok and r.returncode == 0,
                 f"rc {r.returncode}, studies {len(studies)}/{len(by_study)}, counts ok {counts_ok}; {tail(r.stderr)}")

    r = run([binary, "find", "--to", to, "--level", "SERIES", "-k", f"StudyInstanceUID={series_study}",
             "-k", "SeriesInstanceUID", "-k", "Modality"])
    checks.check("dicomnode find text: series block with Modality CT",
                 r.returncode == 0 and r.stdout.count("# match") == 1 and "Modality = CT" in r.stdout,
                 tail(r.stdout + r.stderr))

    out = work / "cli-move"
    with StoreSCP(dest_port, out):
        r = run([binary, "move", "--to", to, "--dest", DEST, "-k", f"StudyInstanceUID={series_study}"])
    got = received(out)
    exp = by_study[series_study]
    checks.check("dicomnode move study", got == exp and r.returncode == 0 and f"completed {len(exp)}" in r.stdout,
                 f"rc {r.returncode}, got {len(got)}/{len(exp)}; {tail(r.stdout + r.stderr)}")

    r = run([binary, "move", "--to", to, "--dest", "NOSUCHAE", "-k", f"StudyInstanceUID={series_study}"])
    checks.check("dicomnode move unknown destination: A801", r.returncode != 0 and "A801" in r.stdout,
                 tail(r.stdout + r.stderr))

    out = work / "cli-get"
    r = run([binary, "get", "--to", to, "--out", str(out), "-k", f"StudyInstanceUID={series_study}"])
    got = received(out)
    checks.check("dicomnode get study into a directory", got == exp and r.returncode == 0,
                 f"rc {r.returncode}, got {len(got)}/{len(exp)}; {tail(r.stdout + r.stderr)}")


if __name__ == "__main__":
    sys.exit(main())
