#!/usr/bin/env python3
"""dicomnode serve as a Storage and Verification SCP, against independent SCUs.

Peers: DCMTK echoscu, storescu (one run per transfer syntax proposal, and +r +sd over a directory),
dcmsend (--scan-directories, -dn), pynetdicom (4 associations at once from threads).
For every instance sent: it is in DATA/index.sqlite exactly once, its object file holds the same
data set (byte for byte after the meta group when the transfer syntax is unchanged, element by
element otherwise), the file meta carries dicomnode's Implementation Class UID and the calling AE
as Source AE (PS3.10 §7.1), the transfer syntax is one that was proposed (compressed files stored
as sent), and DATA/incoming is empty afterwards. A wrong called AE title is rejected with
A-ASSOCIATE-RJ result 1 (rejected-permanent), source 1 (service-user), reason 7 (called AE title
not recognized); a calling AE title outside dimse.allowed_calling_ae_titles (--config) with
reason 3 (PS3.8 Table 9-21).

    python3 conformance/dimse_receive.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import (  # noqa: E402
    DCMSEND, DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, STORESCU,
    UNCOMPRESSED, Checks, Node, check_meta, compare_dataset_objects, compare_files, echoscu,
    make_ct_series, run, sample, sop_uids, split_part10, standard_args, tail)

CALLING = "CONFSCU"

UNCOMPRESSED_SAMPLES = [
    "test_files/CT_small.dcm",                    # Explicit VR LE
    "test_files/MR_small_implicit.dcm",           # Implicit VR LE
    "test_files/rtplan.dcm",                      # sequences, no pixel data
    "test_files/SC_rgb_small_odd_big_endian.dcm",  # Explicit VR BE, odd-sized image
    "test_files/waveform_ecg.dcm",                # waveform (OB/OW data outside 7FE0)
]

# (sample, storescu option proposing its transfer syntax and the uncompressed ones)
COMPRESSED_SAMPLES = [
    ("test_files/SC_rgb_jpeg_dcmtk.dcm", "-xy"),           # JPEG Baseline 1.2.840.10008.1.2.4.50
    ("test_files/JPEG-lossy.dcm", "-xx"),                  # JPEG Extended 4.51
    ("pydicom-data/JPEG-LL.dcm", "-xs"),                   # JPEG Lossless SV1 4.70
    ("test_files/MR_small_jpeg_ls_lossless.dcm", "-xt"),   # JPEG-LS lossless 4.80
    ("test_files/SC_rgb_jls_lossy_line.dcm", "-xu"),       # JPEG-LS near-lossless 4.81 (completed)
    ("test_files/MR_small_jp2klossless.dcm", "-xv"),       # JPEG 2000 lossless 4.90
    ("test_files/JPEG2000.dcm", "-xw"),                    # JPEG 2000 4.91
    ("test_files/MR_small_RLE.dcm", "-xr"),                # RLE Lossless 1.2.840.10008.1.2.5
    ("test_files/image_dfl.dcm", "-xd"),                   # Deflated Explicit VR LE, sent as is
]


def verify_received(checks: Checks, label: str, node: Node, sent: list[Path], calling: str,
                    allowed: dict[Path, set[str]]) -> None:
    """The per-instance checks for files sent as Part 10 files."""
    uid_of = {f: sop_uids(f)[1] for f in sent}
    by = node.wait_indexed(uid_of.values())
    for f in sent:
        name = f"{label}/{f.name}"
        rows = by.get(uid_of[f], [])
        if len(rows) != 1:
            checks.fail(name, f"indexed {len(rows)} times (SOP Instance UID {uid_of[f]})")
            continue
        row = rows[0]
        if not row.object_path.is_file():
            checks.fail(name, f"indexed object {row.object_path} does not exist")
            continue
        problems = compare_files(f, row.object_path) + check_meta(row.object_path, calling)
        stored_ts = sop_uids(row.object_path)[2]
        if stored_ts != row.transfer_syntax_uid:
            problems.append(f"index says {row.transfer_syntax_uid}, file meta says {stored_ts}")
        if stored_ts not in allowed[f]:
            problems.append(f"stored as {stored_ts}, expected one of {sorted(allowed[f])}")
        if row.file_size is not None and row.file_size != row.object_path.stat().st_size:
            problems.append(f"index fileSize {row.file_size} != {row.object_path.stat().st_size}")
        checks.check(name, not problems, "; ".join(problems[:4]))
    extra = set(by) - set(uid_of.values())
    checks.check(f"{label}/nothing-else-indexed", not extra, f"unexpected instances: {sorted(extra)[:3]}")
    left = node.wait_incoming_empty()
    checks.check(f"{label}/incoming-empty", not left, f"left in incoming: {[p.name for p in left[:3]]}")


def storescu_case(checks: Checks, binary: str, label: str, files: list[Path], options: list[str],
                  allowed: dict[Path, set[str]], args_after: list[str] | None = None) -> None:
    with Node(binary) as node:
        try:
            node.start()
        except RuntimeError as e:
            checks.fail(f"{label}/serve-starts", str(e))
            return
        r = run([STORESCU, "-aet", CALLING, "-aec", node.aet, *options, "127.0.0.1", str(node.port),
                 *(args_after if args_after is not None else [str(f) for f in files])])
        if not checks.check(f"{label}/storescu-exit-0", r.returncode == 0,
                            f"rc {r.returncode}: {tail(r.stdout + r.stderr)}"):
            print(f"  serve log: {tail(node.log(), 5)}")
        verify_received(checks, label, node, files, CALLING, allowed)


def has_identifiers(path: Path) -> bool:
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return all(k in ds for k in ("PatientID", "StudyInstanceUID", "SeriesInstanceUID"))


def unique_by_uid(paths: list[Path]) -> list[Path]:
    seen, out = set(), []
    for p in paths:
        uid = sop_uids(p)[1]
        if uid not in seen:
            seen.add(uid)
            out.append(p)
    return out


def pynetdicom_case(checks: Checks, binary: str, work: Path) -> None:
    """4 associations at once, each sending 5 instances with new SOP Instance UIDs."""
    import pydicom
    from pydicom.uid import generate_uid
    from pynetdicom import AE
    from pynetdicom.dsutils import encode

    base_path = sample("test_files/CT_small.dcm")
    if base_path is None:
        checks.fail("pynetdicom-4-assoc", "test_files/CT_small.dcm not found")
        return
    label = "pynetdicom-4-assoc"
    per_thread = 5
    datasets: list[list] = []
    for t in range(4):
        group = []
        for i in range(per_thread):
            ds = pydicom.dcmread(base_path)
            ds.SOPInstanceUID = generate_uid()
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
            ds.InstanceNumber = t * 100 + i
            group.append(ds)
        datasets.append(group)
    statuses: dict[str, int | None] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(4)
    with Node(binary) as node:
        try:
            node.start()
        except RuntimeError as e:
            checks.fail(f"{label}/serve-starts", str(e))
            return

        def worker(group: list) -> None:
            ae = AE(ae_title=f"PYNET{group[0].InstanceNumber // 100}")
            ae.add_requested_context(group[0].SOPClassUID, [EXPLICIT_VR_LE])
            barrier.wait(timeout=30)
            assoc = ae.associate("127.0.0.1", node.port, ae_title=node.aet)
            for ds in group:
                st = assoc.send_c_store(ds) if assoc.is_established else None
                with lock:
                    statuses[str(ds.SOPInstanceUID)] = int(st.Status) if st and "Status" in st else None
            if assoc.is_established:
                assoc.release()

        threads = [threading.Thread(target=worker, args=(g,)) for g in datasets]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        all_ds = [ds for g in datasets for ds in g]
        bad = {u: s for u, s in statuses.items() if s != 0}
        checks.check(f"{label}/all-status-0000", len(statuses) == len(all_ds) and not bad,
                     f"{len(statuses)} answered of {len(all_ds)}; not 0x0000: {list(bad.values())[:4]}")
        by = node.wait_indexed(statuses)
        problems = []
        for ds in all_ds:
            uid = str(ds.SOPInstanceUID)
            rows = by.get(uid, [])
            if len(rows) != 1:
                problems.append(f"{uid} indexed {len(rows)} times")
                continue
            got = pydicom.dcmread(rows[0].object_path)
            # pynetdicom sends exactly what its encoder makes: the stored bytes must be those
            wire = encode(ds, False, True)
            stored = split_part10(rows[0].object_path.read_bytes())[1]
            diffs = [] if wire == stored else [f"stored data set bytes ({len(stored)}) are not the "
                                                 f"bytes sent ({len(wire)})"]
            diffs += compare_dataset_objects(ds, got, EXPLICIT_VR_LE, str(got.file_meta.TransferSyntaxUID))
            diffs += check_meta(rows[0].object_path, f"PYNET{ds.InstanceNumber // 100}")
            if str(got.file_meta.TransferSyntaxUID) != EXPLICIT_VR_LE:
                diffs.append(f"stored as {got.file_meta.TransferSyntaxUID}, only Explicit VR LE proposed")
            if diffs:
                problems.append(f"{uid}: {'; '.join(diffs[:2])}")
        checks.check(f"{label}/20-instances-stored-byte-exact", not problems, "; ".join(problems[:3]))
        extra = set(by) - set(statuses)
        checks.check(f"{label}/nothing-else-indexed", not extra, f"{len(extra)} unexpected")
        left = node.wait_incoming_empty()
        checks.check(f"{label}/incoming-empty", not left, f"{len(left)} files left")


def rejection_cases(checks: Checks, binary: str) -> None:
    from pynetdicom import AE
    from pynetdicom.sop_class import Verification

    def associate(port: int, calling: str, called: str):  # type: ignore[no-untyped-def]
        ae = AE(ae_title=calling)
        ae.add_requested_context(Verification)
        ae.acse_timeout = 10
        return ae.associate("127.0.0.1", port, ae_title=called)

    def rj_triple(assoc) -> tuple | None:  # type: ignore[no-untyped-def]
        prim = assoc.acceptor.primitive
        if not assoc.is_rejected or prim is None:
            return None
        return (prim.result, prim.result_source, prim.diagnostic)

    with Node(binary, aet="NODEX") as node:
        try:
            node.start()
        except RuntimeError as e:
            checks.fail("called-ae/serve-starts", str(e))
            return
        r = echoscu(node.port, called="NODEY")
        checks.check("called-ae/echoscu-wrong-called-ae-fails", r.returncode != 0,
                     "echoscu succeeded calling NODEY on a node named NODEX")
        storesample = sample("test_files/CT_small.dcm")
        r = run([STORESCU, "-aec", "NODEY", "127.0.0.1", str(node.port), str(storesample)])
        checks.check("called-ae/storescu-wrong-called-ae-fails", r.returncode != 0,
                     "storescu succeeded calling NODEY")
        assoc = associate(node.port, "PYNET", "NODEY")
        got = rj_triple(assoc)
        if assoc.is_established:
            assoc.release()
        checks.check("called-ae/rj-1-1-7", got == (1, 1, 7),
                     f"expected A-ASSOCIATE-RJ result 1 source 1 reason 7, got "
                     f"{got if got else ('established' if assoc.is_established else 'no RJ (aborted or no answer)')}")
        ok, why = node.echo_ok()
        checks.check("called-ae/right-called-ae-accepted", ok, why)
        checks.check("called-ae/nothing-indexed", not node.index_rows(), "instances were indexed")

    # Calling AE: with dimse.allowed_calling_ae_titles set, any other title is not recognized
    # (PS3.8 Table 9-21, source 1 reason 3).
    config = Path(tempfile.mkdtemp(prefix="dimse-receive-config-")) / "node.yaml"
    # Every key of the dimse section (a section given in the file is decoded whole).
    config.write_text("dimse:\n  host: 127.0.0.1\n  port: 11112\n  max_pdu_length: 262144\n"
                      "  max_associations: 64\n  max_associations_per_calling_ae: 16\n"
                      "  artim_timeout_seconds: 30\n  idle_timeout_seconds: 300\n"
                      "  accept_any_called_ae_title: false\n"
                      "  allowed_calling_ae_titles: [KNOWNSCU]\n")
    try:
        calling_ae_case(checks, binary, config, associate, rj_triple)
    finally:
        shutil.rmtree(config.parent, ignore_errors=True)


def calling_ae_case(checks: Checks, binary: str, config: Path, associate, rj_triple) -> None:  # type: ignore[no-untyped-def]
    with Node(binary, extra_args=["--config", str(config)], echo_calling="KNOWNSCU") as node:
        try:
            node.start()
        except RuntimeError as e:
            checks.fail("calling-ae/serve-starts", str(e))
            return
        assoc = associate(node.port, "UNKNOWNSCU", node.aet)
        got, established = rj_triple(assoc), assoc.is_established
        if established:
            assoc.release()
        checks.check("calling-ae/unknown-calling-ae-rj-1-1-3", got == (1, 1, 3),
                     f"expected A-ASSOCIATE-RJ 1/1/3 for a calling AE not in "
                     f"allowed_calling_ae_titles, got {got if got else ('established' if established else 'no RJ')}")
        r = echoscu(node.port, called=node.aet, calling="OTHERSCU")
        checks.check("calling-ae/echoscu-unknown-calling-ae-fails", r.returncode != 0,
                     "echoscu as OTHERSCU succeeded")
        assoc = associate(node.port, "KNOWNSCU", node.aet)
        established = assoc.is_established
        if established:
            assoc.release()
        checks.check("calling-ae/known-calling-ae-accepted", established, "KNOWNSCU was not accepted")


def completed_copy(path: Path, out: Path) -> Path:
    """The sample with the Patient/Study/Series identifiers it lacks (Type 1 in PS3.3 C.7.1.1,
    C.7.2.1, C.7.3.1), pixel data untouched, same transfer syntax."""
    import pydicom
    from pydicom.uid import generate_uid

    ds = pydicom.dcmread(path)
    ds.PatientID = ds.get("PatientID") or "CONF0001"
    ds.PatientName = ds.get("PatientName") or "CONF^SAMPLE"
    ds.StudyInstanceUID = ds.get("StudyInstanceUID") or generate_uid()
    ds.SeriesInstanceUID = ds.get("SeriesInstanceUID") or generate_uid()
    ds.Modality = ds.get("Modality") or "OT"
    out.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(out, enforce_file_format=True)
    return out


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    binary = args.dicomnode
    if not Path(binary).exists():
        print(f"dicomnode binary not found: {binary}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="dimse-receive-"))
    try:
        # Verification
        with Node(binary) as node:
            try:
                node.start()
                r = echoscu(node.port, called=node.aet, calling=CALLING)
                checks.check("echoscu", r.returncode == 0, f"rc {r.returncode}: {tail(r.stdout + r.stderr)}")
                log = node.log()
                checks.check("serve-logs-association", CALLING in log,
                             "the calling AE title does not appear in the serve log")
            except RuntimeError as e:
                checks.fail("echoscu", str(e))

        uncompressed = [p for p in (sample(n) for n in UNCOMPRESSED_SAMPLES) if p is not None]
        ct = make_ct_series(work / "ct", 2)   # 2 slices of ~515 KiB: many P-DATA PDUs each
        uncompressed = unique_by_uid(uncompressed + ct)

        all_uncompressed = set(UNCOMPRESSED)
        storescu_case(checks, binary, "storescu-xi", uncompressed, ["-xi"],
                      {f: {IMPLICIT_VR_LE} for f in uncompressed})
        storescu_case(checks, binary, "storescu-xe", uncompressed, ["-xe"],
                      {f: all_uncompressed for f in uncompressed})
        storescu_case(checks, binary, "storescu-xb", uncompressed, ["-xb"],
                      {f: all_uncompressed for f in uncompressed})
        storescu_case(checks, binary, "storescu-xd", uncompressed, ["-xd"],
                      {f: all_uncompressed | {DEFLATED_EXPLICIT_VR_LE} for f in uncompressed})

        compressed: list[Path] = []
        for name, option in COMPRESSED_SAMPLES:
            path = sample(name)
            if path is None:
                checks.fail(f"sample/{name}", "sample file not found")
                continue
            if not has_identifiers(path):
                path = completed_copy(path, work / "completed" / path.name)
            ts = sop_uids(path)[2]
            compressed.append(path)
            storescu_case(checks, binary, f"storescu{option}-{path.stem}", [path], [option],
                          {path: {ts}})

        # A directory, recursively (+r +sd), proposing each file's own syntax is not possible with
        # storescu (ENVIRONMENT.md); uncompressed files only here, dcmsend does the mixed folder.
        tree = work / "tree"
        (tree / "a" / "b").mkdir(parents=True)
        for i, f in enumerate(uncompressed):
            shutil.copy(f, tree / ("a/b" if i % 2 else "a") / f"f{i}.dcm")
        copies = sorted(tree.rglob("*.dcm"))
        storescu_case(checks, binary, "storescu-r-sd", copies, ["+r", "+sd"],
                      {f: all_uncompressed for f in copies}, args_after=[str(tree)])

        # dcmsend over a mixed folder: contexts from the files, never decompress (-dn)
        mixed = work / "mixed"
        mixed.mkdir()
        mixed_files = unique_by_uid(uncompressed + compressed)
        for i, f in enumerate(mixed_files):
            shutil.copy(f, mixed / f"m{i:02d}.dcm")
        mixed_copies = sorted(mixed.glob("*.dcm"))
        with Node(binary) as node:
            try:
                node.start()
                r = run([DCMSEND, "-aet", CALLING, "-aec", node.aet, "--scan-directories", "-dn",
                         "127.0.0.1", str(node.port), str(mixed)])
                checks.check("dcmsend/exit-0", r.returncode == 0, f"rc {r.returncode}: {tail(r.stdout + r.stderr)}")
                allowed = {}
                for f in mixed_copies:
                    ts = sop_uids(f)[2]
                    # dcmsend proposes the file's own syntax; uncompressed ones may be converted
                    allowed[f] = all_uncompressed if ts in UNCOMPRESSED else {ts}
                verify_received(checks, "dcmsend", node, mixed_copies, CALLING, allowed)
                # the same files again: still exactly once in the index
                r = run([DCMSEND, "-aet", CALLING, "-aec", node.aet, "--scan-directories", "-dn",
                         "127.0.0.1", str(node.port), str(mixed)])
                by = node.index_by_uid()
                dup = {u: len(v) for u, v in by.items() if len(v) != 1}
                checks.check("dcmsend/resend-still-once", r.returncode == 0 and not dup
                             and len(by) == len(mixed_copies),
                             f"rc {r.returncode}; {len(by)} indexed for {len(mixed_copies)}; "
                             f"duplicates {list(dup.values())[:3]}")
                objects = node.object_files()
                checks.check("dcmsend/one-object-file-per-instance", len(objects) == len(mixed_copies),
                             f"{len(objects)} files under objects/ for {len(mixed_copies)} instances")
            except RuntimeError as e:
                checks.fail("dcmsend/serve-starts", str(e))

        # An instance without Study/Series Instance UID (Type 1, PS3.3 C.7.2.1, C.7.3.1): whatever
        # the node decides, the answer and the archive agree (refused: not indexed, no file left).
        bare = sample("test_files/SC_rgb_jls_lossy_line.dcm")
        if bare is not None:
            with Node(binary) as node:
                try:
                    node.start()
                    r = run([STORESCU, "-xu", "-aet", CALLING, "-aec", node.aet, "127.0.0.1",
                             str(node.port), str(bare)])
                    by = node.index_by_uid()
                    uid = sop_uids(bare)[1]
                    if r.returncode == 0:
                        checks.check("no-study-uid/stored-and-indexed-once", len(by.get(uid, [])) == 1,
                                     f"storescu succeeded but indexed {len(by.get(uid, []))} times")
                    else:
                        checks.check("no-study-uid/refused-not-indexed", not by,
                                     f"refused ({tail(r.stdout + r.stderr, 1)}) yet {len(by)} indexed")
                    left = node.wait_incoming_empty()
                    checks.check("no-study-uid/incoming-empty", not left, f"{len(left)} files left")
                    checks.check("no-study-uid/objects-match-index",
                                 len(node.object_files()) == len(node.index_rows()),
                                 f"{len(node.object_files())} object files, {len(node.index_rows())} rows")
                except RuntimeError as e:
                    checks.fail("no-study-uid/serve-starts", str(e))

        pynetdicom_case(checks, binary, work)
        rejection_cases(checks, binary)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
