#!/usr/bin/env python3
"""dicomnode serve as a Storage Commitment Push Model SCP (PS3.4 Annex J), against pynetdicom.

3 instances are stored; then N-ACTION-RQ (Action Type 1) on the well-known instance
1.2.840.10008.1.20.1.1 with a Transaction UID and a Referenced SOP Sequence:
- all 3 stored ones: N-ACTION-RSP 0000, then on the same association an N-EVENT-REPORT-RQ with
  Event Type 1, the same Transaction UID, the 3 references in Referenced SOP Sequence, no Failed SOP
  Sequence;
- the 3 plus one never stored: Event Type 2, 3 in Referenced SOP Sequence, 1 in Failed SOP
  Sequence with Failure Reason 0112 (no such object instance, PS3.4 §J.3.3.1.1);
- Action Type 7: 0123 (no such action type); no Transaction UID: 0120 (missing attribute);
  the association goes on (C-ECHO).
Then the report on a new association (PS3.4 §J.3.3), with a second node whose requestor
STGCMTSCU is a remote AE whose address is a pynetdicom SCP that accepts the node's proposed SCP
role (SCP/SCU Role Selection, PS3.7 §D.3.3.4):
- storage_commitment.report_association: new — the requestor releases right after the N-ACTION
  response; the report arrives on an association the node opens (calling AE = the node's, role
  selection proposed with SCP role), with the right Event Type, Transaction UID and references;
- report_association: same, the requestor aborts while it is still handling the report: the node
  falls back to a new association and the report arrives there;
- report_association: new with a requestor that is not a remote AE: the report comes on the same
  association.

    python3 conformance/dimse_stgcmt.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import socket
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import Checks, Node, standard_args, tail  # noqa: E402

STGCMT = "1.2.840.10008.1.20.1"
WELL_KNOWN = "1.2.840.10008.1.20.1.1"
CT = "1.2.840.10008.5.1.4.1.1.2"


def make_instances(n: int) -> list[Any]:
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    study, series = generate_uid(), generate_uid()
    out = []
    for i in range(n):
        ds = Dataset()
        ds.SOPClassUID, ds.SOPInstanceUID = CT, generate_uid()
        ds.PatientID, ds.PatientName = "STGCMT-1", "Commit^Test"
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.Modality, ds.InstanceNumber = "CT", i + 1
        ds.file_meta = FileMetaDataset()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        out.append(ds)
    return out


def request(transaction: str, refs: list[tuple[str, str]]) -> Any:
    from pydicom.dataset import Dataset

    ds = Dataset()
    ds.TransactionUID = transaction
    items = []
    for cls, inst in refs:
        it = Dataset()
        it.ReferencedSOPClassUID, it.ReferencedSOPInstanceUID = cls, inst
        items.append(it)
    ds.ReferencedSOPSequence = items
    return ds


def main() -> int:
    args = standard_args(__doc__ or "").parse_args()
    checks = Checks()
    from pydicom.uid import generate_uid
    from pynetdicom import AE, evt

    reports: list[tuple[int, Any]] = []
    got = threading.Event()

    def on_report(event: Any) -> int:
        reports.append((int(event.request.EventTypeID), event.event_information))
        got.set()
        return 0x0000, None   # pynetdicom: (status, Event Reply)

    with Node(args.dicomnode) as node:
        try:
            node.start()
        except RuntimeError as e:
            checks.fail("serve-starts", str(e))
            return checks.finish()
        ae = AE(ae_title="STGCMTSCU")
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
        ae.add_requested_context(CT, ["1.2.840.10008.1.2.1"])
        ae.add_requested_context(STGCMT)
        ae.add_requested_context("1.2.840.10008.1.1")
        assoc = ae.associate("127.0.0.1", node.port, ae_title=node.aet,
                             evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_report)])
        if not checks.check("associates", assoc.is_established, "not established"):
            return checks.finish()
        try:
            assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (AttributeError, OSError):
            pass
        stored = make_instances(3)
        statuses = [assoc.send_c_store(ds) for ds in stored]
        checks.check("store-3", all(s is not None and int(s.Status) == 0 for s in statuses), f"{statuses}")
        refs = [(CT, str(ds.SOPInstanceUID)) for ds in stored]
        missing = (CT, generate_uid())

        for label, sent, want_event, want_ok, want_failed in [
            ("all-stored", refs, 1, refs, []),
            ("one-missing", refs + [missing], 2, refs, [missing]),
        ]:
            reports.clear()
            got.clear()
            transaction = generate_uid()
            status, _ = assoc.send_n_action(request(transaction, sent), 1, STGCMT, WELL_KNOWN)
            checks.check(f"{label}/n-action-0000", status is not None and int(status.Status) == 0, f"{status}")
            got.wait(10)
            if not checks.check(f"{label}/n-event-report-received", len(reports) == 1, f"{len(reports)} reports"):
                continue
            event_type, info = reports[0]
            ok = [(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID))
                  for i in info.get("ReferencedSOPSequence", [])]
            failed = [(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID), int(i.FailureReason))
                      for i in info.get("FailedSOPSequence", [])]
            problems = []
            if event_type != want_event:
                problems.append(f"Event Type {event_type}, expected {want_event}")
            if str(info.get("TransactionUID", "")) != transaction:
                problems.append("Transaction UID differs")
            if sorted(ok) != sorted(want_ok):
                problems.append(f"Referenced SOP Sequence {len(ok)} items, expected {len(want_ok)}")
            if sorted(failed) != sorted((c, i, 0x0112) for c, i in want_failed):
                problems.append(f"Failed SOP Sequence {failed}, expected {want_failed} with reason 0x0112")
            checks.check(f"{label}/event-report-content", not problems, "; ".join(problems))

        status, _ = assoc.send_n_action(request(generate_uid(), refs), 7, STGCMT, WELL_KNOWN)
        checks.check("bad/action-type-7-0123", status is not None and int(status.Status) == 0x0123, f"{status}")
        from pydicom.dataset import Dataset
        empty = Dataset()
        empty.ReferencedSOPSequence = request("1.2.3", refs).ReferencedSOPSequence
        status, _ = assoc.send_n_action(empty, 1, STGCMT, WELL_KNOWN)
        checks.check("bad/no-transaction-uid-0120", status is not None and int(status.Status) == 0x0120, f"{status}")
        st = assoc.send_c_echo() if assoc.is_established else None
        checks.check("association-still-answers", st is not None and int(st.Status) == 0, f"{st}")
        if assoc.is_established:
            assoc.release()
        time.sleep(0.2)
        checks.check("serve-still-running", node.alive(), tail(node.log(), 5))
    new_association_cases(args.dicomnode, checks)
    return checks.finish()


def new_association_cases(binary: str, checks: Checks) -> None:
    from pydicom.uid import generate_uid
    from pynetdicom import AE, evt
    from conformance.lib.node import free_port

    received: list[dict[str, Any]] = []
    arrived = threading.Event()

    def on_listener_report(event: Any) -> tuple[int, None]:
        assoc = event.assoc
        received.append({
            "event_type": int(event.request.EventTypeID),
            "info": event.event_information,
            "calling": str(assoc.requestor.ae_title).strip(),
            "sop_instance": str(event.request.AffectedSOPInstanceUID),
            "contexts": [(c.abstract_syntax, c.as_scu, c.as_scp) for c in assoc.accepted_contexts],
        })
        arrived.set()
        return 0x0000, None

    listener = AE(ae_title="STGCMTSCU")
    listener.add_supported_context(STGCMT, ["1.2.840.10008.1.2.1", "1.2.840.10008.1.2"], scu_role=False, scp_role=True)
    listen_port = free_port()
    server = listener.start_server(("127.0.0.1", listen_port), block=False,
                                   evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_listener_report)])
    try:
        for mode in ["new", "same"]:
            config = Path(tempfile.mkdtemp(prefix="stgcmt-conf-")) / "node.yaml"
            config.write_text("storage_commitment:\n"
                              f"  report_association: {mode}\n"
                              "  report_timeout_seconds: 10\n"
                              "  report_retries: 2\n"
                              "  report_retry_interval_seconds: 1\n")
            with Node(binary, extra_args=["--config", str(config), "--remote", f"STGCMTSCU@127.0.0.1:{listen_port}"]) as node:
                try:
                    node.start()
                except RuntimeError as e:
                    checks.fail(f"{mode}/serve-starts", str(e))
                    continue
                run_new_association_case(node, mode, checks, received, arrived)
                checks.check(f"{mode}/serve-still-running", node.alive(), tail(node.log(), 5))
    finally:
        server.shutdown()


def run_new_association_case(node: Node, mode: str, checks: Checks, received: list[dict[str, Any]],
                             arrived: threading.Event) -> None:
    from pydicom.uid import generate_uid
    from pynetdicom import AE, evt

    same_reports: list[int] = []
    same_got = threading.Event()

    def on_same_report(event: Any) -> tuple[int, None]:
        same_reports.append(int(event.request.EventTypeID))
        same_got.set()
        if mode == "same":
            time.sleep(3)      # still handling it when the requestor aborts below
        return 0x0000, None

    def requestor(title: str) -> Any:
        ae = AE(ae_title=title)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30
        ae.add_requested_context(CT, ["1.2.840.10008.1.2.1"])
        ae.add_requested_context(STGCMT)
        return ae.associate("127.0.0.1", node.port, ae_title=node.aet,
                            evt_handlers=[(evt.EVT_N_EVENT_REPORT, on_same_report)])

    assoc = requestor("STGCMTSCU")
    if not checks.check(f"{mode}/associates", assoc.is_established, "not established"):
        return
    stored = make_instances(2)
    statuses = [assoc.send_c_store(ds) for ds in stored]
    checks.check(f"{mode}/store-2", all(s is not None and int(s.Status) == 0 for s in statuses), f"{statuses}")
    refs = sorted((CT, str(ds.SOPInstanceUID)) for ds in stored)
    missing = (CT, generate_uid())
    received.clear()
    arrived.clear()
    transaction = generate_uid()
    status, _ = assoc.send_n_action(request(transaction, refs + [missing]), 1, STGCMT, WELL_KNOWN)
    checks.check(f"{mode}/n-action-0000", status is not None and int(status.Status) == 0, f"{status}")
    if mode == "new":
        assoc.release()
    else:
        same_got.wait(10)
        assoc.abort()
    arrived.wait(15)
    if checks.check(f"{mode}/report-on-new-association", len(received) == 1,
                    f"{len(received)} reports on a new association; log: {tail(node.log(), 6)}"):
        r = received[0]
        info = r["info"]
        ok = sorted((str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID))
                    for i in info.get("ReferencedSOPSequence", []))
        failed = [(str(i.ReferencedSOPClassUID), str(i.ReferencedSOPInstanceUID), int(i.FailureReason))
                  for i in info.get("FailedSOPSequence", [])]
        problems = []
        if r["event_type"] != 2:
            problems.append(f"Event Type {r['event_type']}, expected 2")
        if str(info.get("TransactionUID", "")) != transaction:
            problems.append("Transaction UID differs")
        if ok != refs:
            problems.append(f"Referenced SOP Sequence {ok}, expected {refs}")
        if failed != [(missing[0], missing[1], 0x0112)]:
            problems.append(f"Failed SOP Sequence {failed}")
        if r["calling"] != node.aet:
            problems.append(f"calling AE {r['calling']!r}, expected {node.aet}")
        if r["sop_instance"] != WELL_KNOWN:
            problems.append(f"Affected SOP Instance {r['sop_instance']}")
        # The listener accepted the node's proposal: the node (requestor) is SCP, the listener SCU.
        if (STGCMT, True, False) not in r["contexts"]:
            problems.append(f"listener's contexts {r['contexts']}: the node's SCP role was not negotiated")
        checks.check(f"{mode}/new-association-report-content", not problems, "; ".join(problems))
    if mode == "new":
        checks.check("new/nothing-on-the-same-association", not same_reports, f"{same_reports}")
        # A requestor that is not a remote AE gets the report on its own association.
        same_reports.clear()
        same_got.clear()
        received.clear()
        other = requestor("OTHERSCU")
        if checks.check("new/unknown-requestor-associates", other.is_established, "not established"):
            status, _ = other.send_n_action(request(generate_uid(), refs), 1, STGCMT, WELL_KNOWN)
            checks.check("new/unknown-requestor-n-action-0000", status is not None and int(status.Status) == 0, f"{status}")
            same_got.wait(10)
            checks.check("new/unknown-requestor-report-on-same-association", same_reports == [1] and not received,
                         f"same {same_reports}, new {len(received)}")
            other.release()
    else:
        checks.check("same/report-tried-on-same-association-first", same_reports == [2], f"{same_reports}")


if __name__ == "__main__":
    sys.exit(main())
