#!/usr/bin/env python3
"""dicomnode serve as Modality Worklist SCP, MPPS SCP and HL7 v2 order receiver, against real peers.

Entries come in through `dicomnode worklist add` (a DICOM JSON file with a UTF-8 Chinese name, a
Part 10 worklist file written by pydicom) and raw HL7 ORM^O01 messages over MLLP from Python (the
ACK's MSA segment is checked: AA, AE, AR). Queries: DCMTK `findscu -W` (responses extracted with -X
and compared value by value: counts, a date range, a Chinese name matched by wildcard in UTF-8),
pynetdicom (a GB18030 query answered in GB18030, sequence keys returned), raw PDUs (a C-CANCEL
in the same write as the query ends with FE00 before every match was sent). MPPS from pynetdicom: N-CREATE IN PROGRESS makes the
scheduled step STARTED, N-SET COMPLETED makes it COMPLETED, then 0110 on a further N-SET; 0111
for a duplicate N-CREATE, 0112 for an unknown instance, 0106 for a bad status (PS3.4 F.7/F.8).
An HL7 cancel (ORC-1 CA) makes an entry DISCONTINUED.

    python3 conformance/dimse_worklist.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import Checks, Node, free_port, run, standard_args, tail  # noqa: E402

FINDSCU = "/usr/bin/findscu"
MWL = "1.2.840.10008.5.1.4.31"
MPPS = "1.2.840.10008.3.1.2.3.3"
CALLING = "WLSCU"


def json_item(name, pid, acc, station, modality, date, time_, sps_id, desc, status=None):
    sps = {
        "00400001": {"vr": "AE", "Value": [station]},
        "00080060": {"vr": "CS", "Value": [modality]},
        "00400002": {"vr": "DA", "Value": [date]},
        "00400003": {"vr": "TM", "Value": [time_]},
        "00400009": {"vr": "SH", "Value": [sps_id]},
        "00400007": {"vr": "LO", "Value": [desc]},
        "00400006": {"vr": "PN", "Value": [{"Alphabetic": "Tech^Tom"}]},
    }
    if status:
        sps["00400020"] = {"vr": "CS", "Value": [status]}
    return {
        "00080005": {"vr": "CS", "Value": ["ISO_IR 192"]},
        "00100010": {"vr": "PN", "Value": [name]},
        "00100020": {"vr": "LO", "Value": [pid]},
        "00100030": {"vr": "DA", "Value": ["19700101"]},
        "00100040": {"vr": "CS", "Value": ["O"]},
        "00080050": {"vr": "SH", "Value": [acc]},
        "00401001": {"vr": "SH", "Value": ["RP-" + acc]},
        "00321060": {"vr": "LO", "Value": [desc]},
        "00080090": {"vr": "PN", "Value": [{"Alphabetic": "Ref^Rita"}]},
        "00100021": {"vr": "LO", "Value": ["HOSP"]},
        "00400100": {"vr": "SQ", "Value": [sps]},
    }


def mllp(port: int, message: str | bytes, raw: bool = False) -> str:
    """Sends one MLLP frame (or raw bytes) and returns the ACK text inside the reply frame."""
    payload = message.encode() if isinstance(message, str) else message
    frame = payload if raw else b"\x0b" + payload + b"\x1c\x0d"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(frame)
        buf = b""
        while not buf.endswith(b"\x1c\x0d"):
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
    return buf.strip(b"\x0b\x1c\x0d").decode("utf-8", errors="replace")


def msa(ack: str) -> list[str]:
    for seg in ack.split("\r"):
        if seg.startswith("MSA|"):
            return seg.split("|")
    return []


def orm(control_id: str, order_control: str, acc: str, *, patient="Brown^Bob", pid="H100", station="US01",
        modality="US", start="20261124140000", status="", msg_type="ORM^O01") -> str:
    segs = [
        f"MSH|^~\\&|RIS|HOSP|DICOMNODE|RAD|20261124120000||{msg_type}|{control_id}|P|2.5",
        f"PID|||{pid}^^^HOSP||{patient}||19800202|M",
        "PV1||O||||||1234^Referrer^Ray",
        f"ORC|{order_control}|PO-{acc}|FO-{acc}||{status}",
        f"OBR|1|PO-{acc}|FO-{acc}|US001^Abdomen \\T\\ pelvis US|||{start}|||||||||||{acc}|RP-{acc}|SPS-{acc}|{station}|||{modality}"
        f"||||||||||T1&Tech&Tina",
        "ZDS|1.2.826.0.1.3680043.8.498.777^DICOMNODE^Application^DICOM",
    ]
    return "\r".join(segs) + "\r"


def findscu(port: int, keys: list[str], outdir: Path) -> tuple[int, list]:
    """findscu -W -X: the responses as pydicom data sets (sorted by accession number)."""
    import pydicom
    outdir.mkdir(parents=True, exist_ok=True)
    for f in outdir.glob("rsp*.dcm"):
        f.unlink()
    argv = [FINDSCU, "-W", "-aet", CALLING, "-aec", "DICOMNODE", "-X", "-od", str(outdir), "127.0.0.1", str(port)]
    for k in keys:
        argv += ["-k", k]
    r = run(argv, timeout=60)
    rsps = [pydicom.dcmread(f) for f in sorted(outdir.glob("rsp*.dcm"))]
    rsps.sort(key=lambda d: str(d.get("AccessionNumber", "")))
    if r.returncode != 0:
        print(tail(r.stdout + r.stderr, 6), flush=True)
    return r.returncode, rsps


BASE_KEYS = ["PatientName", "PatientID", "ReferringPhysicianName", "PatientBirthDate", "AccessionNumber", "StudyInstanceUID", "RequestedProcedureID",
             "ScheduledProcedureStepSequence[0].ScheduledStationAETitle",
             "ScheduledProcedureStepSequence[0].Modality",
             "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate",
             "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartTime",
             "ScheduledProcedureStepSequence[0].ScheduledProcedureStepID",
             "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus"]


def with_key(keys: list[str], key: str, value: str) -> list[str]:
    return [k for k in keys if k != key] + [f"{key}={value}"]


def sps(ds):
    seq = ds.get("ScheduledProcedureStepSequence")
    return seq[0] if seq else None


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    checks = Checks()
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pynetdicom import AE
    from pynetdicom.sop_class import ModalityPerformedProcedureStep, ModalityWorklistInformationFind

    work = Path(tempfile.mkdtemp(prefix="dicomnode-wl-"))
    hl7_port = free_port()
    cfg = work / "node.yaml"
    cfg.write_text(f"worklist:\n  enabled: true\n  hl7_port: {hl7_port}\n  expire_after_hours: 24\n")
    data = work / "data"
    node = Node(args.dicomnode, data=data, extra_args=["--config", str(cfg)], workdir=work)

    # --- worklist add: DICOM JSON (array) and a Part 10 worklist file ------------------------------
    items = [
        json_item("Doe^John", "P1", "A1", "CT01", "CT", "20261124", "090000", "S1", "CT head"),
        json_item("王^小东", "P2", "A2", "MR01", "MR", "20261125", "101500", "S2", "MR knee"),
    ]
    (work / "items.json").write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    r = run([node.binary, "worklist", "add", "--data", str(data), str(work / "items.json")])
    checks.check("worklist add: DICOM JSON array of 2 items", r.returncode == 0 and r.stdout.count("added") == 2,
                 tail(r.stdout + r.stderr))

    wl = Dataset()
    wl.SpecificCharacterSet = "ISO_IR 100"
    wl.PatientName = "Smith^Jane"
    wl.PatientID = "P3"
    wl.AccessionNumber = "A3"
    wl.RequestedProcedureID = "RP-A3"
    wl.RequestedProcedureDescription = "CT chest"
    wl.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.333"
    step = Dataset()
    step.ScheduledStationAETitle = "CT02"
    step.Modality = "CT"
    step.ScheduledProcedureStepStartDate = "20261201"
    step.ScheduledProcedureStepStartTime = "0800"
    step.ScheduledProcedureStepID = "S3"
    step.ScheduledProcedureStepDescription = "CT chest"
    wl.ScheduledProcedureStepSequence = [step]
    wl.file_meta = FileMetaDataset()
    wl.file_meta.MediaStorageSOPClassUID = MWL
    wl.file_meta.MediaStorageSOPInstanceUID = "1.2.826.0.1.3680043.8.498.334"
    wl.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    wl.save_as(work / "a3.wl", enforce_file_format=True)
    r = run([node.binary, "worklist", "add", "--data", str(data), str(work / "a3.wl")])
    checks.check("worklist add: Part 10 .wl file", r.returncode == 0 and "A3" in r.stdout, tail(r.stdout + r.stderr))

    # Many entries for the C-CANCEL check (a station of their own).
    bulk = [json_item(f"Bulk^{i:04d}", f"B{i}", f"BULK{i:04d}", "BULK01", "OT", "20270101", "120000",
                      f"BS{i}", "bulk") for i in range(600)]
    (work / "bulk.json").write_text(json.dumps(bulk), encoding="utf-8")
    r = run([node.binary, "worklist", "add", "--data", str(data), str(work / "bulk.json")], timeout=300)
    checks.check("worklist add: 600 entries", r.returncode == 0, tail(r.stdout + r.stderr))

    try:
        node.start()
    except RuntimeError as e:
        checks.fail("node starts with worklist and HL7 port", str(e))
        return checks.finish()

    try:
        # --- HL7 ORM^O01 over MLLP ------------------------------------------------------------------
        deadline = time.monotonic() + 10
        ack = ""
        while time.monotonic() < deadline:
            try:
                ack = mllp(hl7_port, orm("MSG001", "NW", "H1"))
                break
            except OSError:
                time.sleep(0.2)
        m = msa(ack)
        checks.check("HL7 NW: ACK MSA|AA|MSG001", m[1:3] == ["AA", "MSG001"], repr(ack))
        checks.check("HL7 ACK: MSH-9 ACK, sender/receiver swapped",
                     ack.startswith("MSH|^~\\&|DICOMNODE|RAD|RIS|HOSP|") and "|ACK^O01" in ack, repr(ack))
        ack = mllp(hl7_port, orm("MSG002", "NW", "H2", patient="Green^Gail", pid="H200", station="US02"))
        checks.check("HL7 NW second order: AA", msa(ack)[1:3] == ["AA", "MSG002"], repr(ack))
        ack = mllp(hl7_port, "this is not HL7\r")
        checks.check("HL7 garbage in a frame: AR, connection answered", msa(ack)[1:2] == ["AR"], repr(ack))
        ack = mllp(hl7_port, orm("MSG003", "NW", "H3", msg_type="ADT^A01"))
        checks.check("HL7 ADT^A01: AR (unsupported message type)", msa(ack)[1:3] == ["AR", "MSG003"], repr(ack))
        ack = mllp(hl7_port, orm("MSG004", "CA", "NOPE"))
        checks.check("HL7 cancel of an unknown order: AE with a reason",
                     msa(ack)[1:3] == ["AE", "MSG004"] and len(msa(ack)) > 3 and msa(ack)[3] != "", repr(ack))
        ack = mllp(hl7_port, orm("MSG005", "ZZ", "H1"))
        checks.check("HL7 unknown ORC-1: AE", msa(ack)[1:3] == ["AE", "MSG005"], repr(ack))
        # Two frames in one write, noise before the first: two ACKs in order.
        two = (b"noise\x0b" + orm("MSG006", "NW", "H6", station="US06").encode() + b"\x1c\x0d"
               + b"\x0b" + orm("MSG007", "NW", "H7", station="US06").encode() + b"\x1c\x0d")
        with socket.create_connection(("127.0.0.1", hl7_port), timeout=10) as s:
            s.sendall(two)
            buf = b""
            while buf.count(b"\x1c\x0d") < 2:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
        acks = [a.strip(b"\x0b").decode() for a in buf.split(b"\x1c\x0d") if a.strip()]
        checks.check("MLLP: two frames in one write → two ACKs in order",
                     [msa(a)[2] if len(msa(a)) > 2 else "" for a in acks] == ["MSG006", "MSG007"], repr(acks))

        out = work / "find"
        # --- findscu -W --------------------------------------------------------------------------------
        rc, rsps = findscu(node.port, with_key(BASE_KEYS, "ScheduledProcedureStepSequence[0].Modality", "CT"), out)
        checks.check("findscu -W modality CT: 2 matches (A1, A3)",
                     rc == 0 and [str(d.AccessionNumber) for d in rsps] == ["A1", "A3"],
                     f"rc {rc}, {[str(d.get('AccessionNumber')) for d in rsps]}")
        if len(rsps) == 2:
            a1, a3 = rsps
            s1 = sps(a1)
            ok = (str(a1.PatientName) == "Doe^John" and a1.PatientID == "P1" and a1.RequestedProcedureID == "RP-A1"
                  and s1 is not None and s1.ScheduledStationAETitle == "CT01" and s1.ScheduledProcedureStepStartDate == "20261124"
                  and s1.ScheduledProcedureStepStartTime == "090000" and s1.ScheduledProcedureStepID == "S1"
                  and s1.ScheduledProcedureStepStatus == "SCHEDULED")
            checks.check("findscu -W: A1 values returned exactly (sequence keys too)", ok, str(a1))
            checks.check("findscu -W: Part 10 item A3 values and its study UID",
                         str(a3.PatientName) == "Smith^Jane" and a3.StudyInstanceUID == "1.2.826.0.1.3680043.8.498.333"
                         and sps(a3) is not None and sps(a3).ScheduledStationAETitle == "CT02", str(a3))
        rc, rsps = findscu(node.port, with_key(BASE_KEYS, "ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate",
                                              "20261124-20261125"), out)
        accs = [str(d.AccessionNumber) for d in rsps]
        checks.check("findscu -W date range 20261124-20261125: A1, A2, H1, H2, H6, H7",
                     rc == 0 and accs == ["A1", "A2", "H1", "H2", "H6", "H7"], f"rc {rc}, {accs}")
        rc, rsps = findscu(node.port, ["SpecificCharacterSet=ISO_IR 192"] + with_key(BASE_KEYS, "PatientName", "王*"), out)
        checks.check("findscu -W UTF-8 Chinese name wildcard: 1 match, name returned in UTF-8",
                     rc == 0 and len(rsps) == 1 and str(rsps[0].PatientName) == "王^小东"
                     and rsps[0].SpecificCharacterSet == "ISO_IR 192",
                     f"rc {rc}, {[str(d.get('PatientName')) for d in rsps]}")
        rc, rsps = findscu(node.port, with_key(BASE_KEYS, "PatientName", "doe*"), out)
        checks.check("findscu -W PN case-insensitive wildcard doe*: 1 match",
                     rc == 0 and [str(d.AccessionNumber) for d in rsps] == ["A1"], f"{[str(d.get('AccessionNumber')) for d in rsps]}")
        rc, rsps = findscu(node.port, with_key(BASE_KEYS, "ScheduledProcedureStepSequence[0].ScheduledStationAETitle", "US01"), out)
        ok = rc == 0 and len(rsps) == 1
        if ok:
            h1 = rsps[0]
            s = sps(h1)
            ok = (str(h1.AccessionNumber) == "H1" and str(h1.PatientName) == "Brown^Bob" and h1.PatientID == "H100"
                  and h1.StudyInstanceUID == "1.2.826.0.1.3680043.8.498.777" and h1.RequestedProcedureID == "RP-H1"
                  and str(h1.ReferringPhysicianName) == "Referrer^Ray" and h1.PatientBirthDate == "19800202"
                  and s is not None and s.Modality == "US" and s.ScheduledProcedureStepStartDate == "20261124"
                  and s.ScheduledProcedureStepStartTime == "140000" and s.ScheduledProcedureStepID == "SPS-H1"
                  and s.ScheduledProcedureStepStatus == "SCHEDULED")
        checks.check("findscu -W: HL7 order H1 mapped (PID, PV1-8, OBR-18/19/20/21/24, OBR-7, ZDS-1)", ok,
                     str(rsps[0]) if rsps else f"rc {rc}, none")
        rc, rsps = findscu(node.port, with_key(BASE_KEYS, "PatientID", "NOBODY"), out)
        checks.check("findscu -W no match: 0 responses, success", rc == 0 and rsps == [], f"rc {rc}, {len(rsps)}")

        # --- dicomnode worklist find (our SCU) against the node, compared with what findscu saw --------
        r = run([node.binary, "worklist", "find", "--to", f"{node.aet}@127.0.0.1:{node.port}", "--json",
                 "-k", "SpecificCharacterSet=ISO_IR 192", "-k", "PatientName=王*", "-k", "AccessionNumber",
                 "-k", "ScheduledProcedureStepSequence[0].Modality", "-k", "ScheduledProcedureStepSequence[0].ScheduledStationAETitle"])
        got = None
        try:
            got = json.loads(r.stdout)
        except ValueError:
            pass
        ok = (r.returncode == 0 and isinstance(got, list) and len(got) == 1
              and got[0].get("00100010", {}).get("Value", [{}])[0].get("Alphabetic") == "王^小东"
              and got[0].get("00080050", {}).get("Value") == ["A2"]
              and got[0].get("00400100", {}).get("Value", [{}])[0].get("00080060", {}).get("Value") == ["MR"]
              and got[0].get("00400100", {}).get("Value", [{}])[0].get("00400001", {}).get("Value") == ["MR01"])
        checks.check("dicomnode worklist find --json 王*: entry A2 with its name, modality and station", ok,
                     tail(r.stdout + r.stderr))
        r = run([node.binary, "worklist", "find", "--to", f"{node.aet}@127.0.0.1:{node.port}",
                 "-k", "ScheduledProcedureStepSequence[0].Modality=CT", "-k", "AccessionNumber"])
        accs = sorted(line.split("= ")[1] for line in r.stdout.splitlines() if "AccessionNumber =" in line)
        checks.check("dicomnode worklist find modality CT: A1 and A3 (as findscu -W)", r.returncode == 0 and accs == ["A1", "A3"],
                     tail(r.stdout + r.stderr))

        # --- pynetdicom ---------------------------------------------------------------------------------
        ae = AE(ae_title=CALLING)
        ae.add_requested_context(ModalityWorklistInformationFind)
        ae.add_requested_context(ModalityPerformedProcedureStep)
        ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 30

        def mwl(query: Dataset) -> tuple[int, list[Dataset]]:
            assoc = ae.associate("127.0.0.1", node.port, ae_title="DICOMNODE")
            if not assoc.is_established:
                return -1, []
            found, final = [], -1
            for status, ident in assoc.send_c_find(query, ModalityWorklistInformationFind):
                if status is None:
                    break
                if status.Status in (0xFF00, 0xFF01):
                    found.append(ident)
                else:
                    final = status.Status
            assoc.release()
            return final, found

        q = Dataset()
        q.SpecificCharacterSet = "GB18030"
        q.PatientName = "王^小东"
        q.PatientID = ""
        q.AccessionNumber = ""
        q.ScheduledProcedureStepSequence = [Dataset()]
        q.ScheduledProcedureStepSequence[0].Modality = ""
        q.ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription = ""
        final, found = mwl(q)
        ok = final == 0 and len(found) == 1
        if ok:
            d = found[0]
            ok = (d.SpecificCharacterSet == "GB18030" and str(d.PatientName) == "王^小东" and d.AccessionNumber == "A2"
                  and d.ScheduledProcedureStepSequence[0].Modality == "MR"
                  and d.ScheduledProcedureStepSequence[0].ScheduledProcedureStepDescription == "MR knee")
        checks.check("pynetdicom GB18030 query: exact Chinese name, answered in GB18030 with sequence keys", ok,
                     f"final {final:#06x}, {[str(x) for x in found]}" if isinstance(final, int) else str(found))

        q = Dataset()
        q.PatientName = ""
        q.ScheduledProcedureStepSequence = [Dataset()]
        q.ScheduledProcedureStepSequence[0].ScheduledStationAETitle = "CT*"
        q.ScheduledProcedureStepSequence[0].ScheduledPerformingPhysicianName = "tech^tom"
        final, found = mwl(q)
        checks.check("pynetdicom station wildcard CT* and performing physician tech^tom: only A1",
                     final == 0 and sorted(str(d.PatientName) for d in found) == ["Doe^John"],
                     f"final {final:#06x}, {[str(d.PatientName) for d in found]}")

        q = Dataset()
        q.PatientName = ""
        q.ScheduledProcedureStepSequence = [Dataset(), Dataset()]
        final, found = mwl(q)
        checks.check("pynetdicom two SPS items in the query: A900", final == 0xA900, f"{final:#06x}")
        q = Dataset()
        q.PatientName = ""
        q.ScheduledProcedureStepSequence = [Dataset()]
        q.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate = "2026-11-xx"
        final, found = mwl(q)
        checks.check("pynetdicom malformed date range: C000 family", 0xC000 <= final <= 0xCFFF, f"{final:#06x}")

        # C-CANCEL in the same write as the C-FIND-RQ (PS3.7 §9.3.2.3; lib/pdu.find_then_cancel):
        # FE00, not every match sent. (Sent on the first pending response it raced the node.)
        q = Dataset()
        q.PatientName = ""
        q.AccessionNumber = ""
        q.ScheduledProcedureStepSequence = [Dataset()]
        q.ScheduledProcedureStepSequence[0].ScheduledStationAETitle = "BULK01"
        from conformance.lib import pdu as P
        r = P.find_then_cancel(node.port, "DICOMNODE", str(ModalityWorklistInformationFind), P.implicit_le(q), message_id=7)
        checks.check("C-CANCEL: final FE00 after fewer than 600 matches, the association still answers",
                     r.final == 0xFE00 and r.pending < 600 and r.echo == 0x0000,
                     f"final {r.final}, {r.pending} pending, C-ECHO {r.echo} {r.why}")

        # --- MPPS ------------------------------------------------------------------------------------------
        # The response command sets as received (pynetdicom's status data set has only the status).
        rsp_commands: list = []

        def on_recv(event):
            cs = getattr(event.message, "command_set", None)
            if cs is not None and int(cs.CommandField) & 0x8000:
                rsp_commands.append(cs)

        from pynetdicom import evt
        handlers = [(evt.EVT_DIMSE_RECV, on_recv)]

        def affected_uid() -> str:
            return str(rsp_commands[-1].get("AffectedSOPInstanceUID", "")) if rsp_commands else ""

        assoc = ae.associate("127.0.0.1", node.port, ae_title="DICOMNODE", evt_handlers=handlers)
        mpps_uid = "1.2.826.0.1.3680043.8.498.9001"
        if assoc.is_established:
            c = Dataset()
            c.SpecificCharacterSet = "ISO_IR 100"
            c.PatientName = "Doe^John"
            c.PatientID = "P1"
            c.PerformedProcedureStepID = "PPS1"
            c.PerformedStationAETitle = "CT01"
            c.PerformedProcedureStepStartDate = "20261124"
            c.PerformedProcedureStepStartTime = "091000"
            c.PerformedProcedureStepStatus = "IN PROGRESS"
            c.Modality = "CT"
            ssa = Dataset()
            ssa.StudyInstanceUID = "1.2.3"
            ssa.AccessionNumber = "A1"
            ssa.ScheduledProcedureStepID = "S1"
            ssa.RequestedProcedureID = "RP-A1"
            c.ScheduledStepAttributesSequence = [ssa]
            st, _ = assoc.send_n_create(c, ModalityPerformedProcedureStep, mpps_uid)
            checks.check("MPPS N-CREATE IN PROGRESS: 0000, response carries Affected SOP Instance UID",
                         st is not None and st.Status == 0 and affected_uid() == mpps_uid, f"{st} {affected_uid()}")
            st, _ = assoc.send_n_create(c, ModalityPerformedProcedureStep, mpps_uid, msg_id=2)
            checks.check("MPPS duplicate N-CREATE: 0111", st is not None and st.Status == 0x0111, str(st))
            bad = Dataset()
            bad.PerformedProcedureStepStatus = "COMPLETED"
            bad.ScheduledStepAttributesSequence = [ssa]
            st, _ = assoc.send_n_create(bad, ModalityPerformedProcedureStep, "1.2.826.0.1.3680043.8.498.9002", msg_id=3)
            checks.check("MPPS N-CREATE with status COMPLETED: 0106", st is not None and st.Status == 0x0106, str(st))
            other = Dataset()
            other.PerformedProcedureStepStatus = "IN PROGRESS"
            st, _ = assoc.send_n_create(other, ModalityPerformedProcedureStep, None, msg_id=4)
            checks.check("MPPS N-CREATE without an instance UID: 0000, a 2.25 UID assigned and returned",
                         st is not None and st.Status == 0 and affected_uid().startswith("2.25."), f"{st} {affected_uid()}")
            assoc.release()
        else:
            checks.fail("MPPS association", "not established")

        q = Dataset()
        q.AccessionNumber = "A1"
        q.ScheduledProcedureStepSequence = [Dataset()]
        q.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus = ""
        final, found = mwl(q)
        checks.check("after N-CREATE: worklist entry A1 is STARTED",
                     final == 0 and len(found) == 1 and found[0].ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus == "STARTED",
                     str([str(d) for d in found]))

        assoc = ae.associate("127.0.0.1", node.port, ae_title="DICOMNODE", evt_handlers=handlers)
        if assoc.is_established:
            mod = Dataset()
            mod.PerformedProcedureStepStatus = "COMPLETED"
            mod.PerformedProcedureStepEndDate = "20261124"
            mod.PerformedProcedureStepEndTime = "093000"
            st, _ = assoc.send_n_set(mod, ModalityPerformedProcedureStep, mpps_uid)
            checks.check("MPPS N-SET COMPLETED: 0000 with Affected SOP Instance UID",
                         st is not None and st.Status == 0 and affected_uid() == mpps_uid, f"{st} {affected_uid()}")
            st, _ = assoc.send_n_set(mod, ModalityPerformedProcedureStep, mpps_uid, msg_id=2)
            checks.check("MPPS N-SET after COMPLETED: 0110 with a comment",
                         st is not None and st.Status == 0x0110 and bool(st.get("ErrorComment")), str(st))
            st, _ = assoc.send_n_set(mod, ModalityPerformedProcedureStep, "1.2.826.0.1.3680043.8.498.9999", msg_id=3)
            checks.check("MPPS N-SET unknown instance: 0112", st is not None and st.Status == 0x0112, str(st))
            assoc.release()
        final, found = mwl(q)
        checks.check("after N-SET COMPLETED: worklist entry A1 is COMPLETED",
                     final == 0 and len(found) == 1 and found[0].ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus == "COMPLETED",
                     str([str(d) for d in found]))

        # --- HL7 cancel -------------------------------------------------------------------------------
        ack = mllp(hl7_port, orm("MSG010", "CA", "H1"))
        checks.check("HL7 CA for H1: AA", msa(ack)[1:3] == ["AA", "MSG010"], repr(ack))
        q = Dataset()
        q.AccessionNumber = "H1"
        q.ScheduledProcedureStepSequence = [Dataset()]
        q.ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus = ""
        final, found = mwl(q)
        checks.check("after HL7 cancel: H1 is DISCONTINUED",
                     final == 0 and len(found) == 1 and found[0].ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus == "DISCONTINUED",
                     str([str(d) for d in found]))
        ack = mllp(hl7_port, orm("MSG011", "SC", "H2", status="IP"))
        q.AccessionNumber = "H2"
        final, found = mwl(q)
        checks.check("HL7 SC with ORC-5 IP: H2 is STARTED",
                     msa(ack)[1] == "AA" and len(found) == 1
                     and found[0].ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus == "STARTED",
                     repr(ack) + str([str(d) for d in found]))
        checks.check("node still serving after everything", node.proc is not None and node.proc.poll() is None, "exited")
    finally:
        node.stop()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
