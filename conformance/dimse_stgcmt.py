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

    python3 conformance/dimse_stgcmt.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import socket
import sys
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
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
