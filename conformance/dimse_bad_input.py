#!/usr/bin/env python3
"""dicomnode serve against bad input on the wire, from a raw TCP peer (PDUs built with struct).

Each case sends something wrong and checks the answer PS3.8 asks for (before an association,
Sta2 + Evt19 → AA-1: A-ABORT with source 0; inside one, Sta6 + Evt19 → AA-8: A-ABORT with
source 2, service-provider, and the reason of Table 9-26; or A-ASSOCIATE-RJ with the result/source/reason of
Table 9-21; or a C-STORE-RSP with an error status 0xCxxx, PS3.4 Table B.2-1, "cannot understand").
After each case: the daemon still runs, DATA/incoming/ is empty, nothing new is indexed, and
DCMTK's echoscu still succeeds. A positive control (a well-formed C-STORE from the same raw client,
status 0x0000, indexed) shows the client itself is right.

    python3 conformance/dimse_bad_input.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import shutil
import socket
import struct
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib import pdu as P  # noqa: E402
from conformance.lib.node import Checks, Node, make_ct_series, sample, standard_args  # noqa: E402

CALLING = "RAWPEER"


def connect(node: Node) -> socket.socket:
    return socket.create_connection(("127.0.0.1", node.port), timeout=10)


def max_pdu_of(ac_body: bytes) -> int:
    """The acceptor's Maximum Length (PS3.8 §D.1) from the user information item; 0 = unlimited."""
    off = 68
    while off + 4 <= len(ac_body):
        itype, _, ilen = struct.unpack_from(">BBH", ac_body, off)
        if itype == 0x50:
            sub = ac_body[off + 4:off + 4 + ilen]
            soff = 0
            while soff + 4 <= len(sub):
                stype, _, slen = struct.unpack_from(">BBH", sub, soff)
                if stype == 0x51 and slen == 4:
                    return struct.unpack_from(">I", sub, soff + 4)[0]
                soff += 4 + slen
        off += 4 + ilen
    return 0


def associate(node: Node) -> tuple[socket.socket, P.Answer, int]:
    """A raw association (Verification id 1, CT Image Storage id 3, Implicit VR LE)."""
    sock = connect(node)
    sock.sendall(P.associate_rq(node.aet, CALLING))
    ans = P.read_pdu(sock)
    return sock, ans, (max_pdu_of(ans.body) if ans.pdu_type == P.A_ASSOCIATE_AC else 0)


def fragments(context_id: int, data: bytes, max_pdu: int, command: bool) -> list[bytes]:
    """P-DATA-TF PDUs of one message (PS3.8 §9.3.5), each within the peer's maximum length."""
    size = min(max_pdu or 16384, 16384) - 6   # PDV header (4 + 2) inside the PDU
    parts = [data[i:i + size] for i in range(0, len(data), size)] or [b""]
    return [P.p_data(P.pdv(context_id, part, command, i == len(parts) - 1)) for i, part in enumerate(parts)]


def implicit_le(ds) -> bytes:  # type: ignore[no-untyped-def]
    from pynetdicom.dsutils import encode

    return encode(ds, True, True)


class Case:
    def __init__(self, checks: Checks, node: Node) -> None:
        self.checks, self.node = checks, node

    def after(self, name: str, indexed_before: int, expect_new: int = 0) -> None:
        """The common checks after each case."""
        node, checks = self.node, self.checks
        checks.check(f"{name}/daemon-still-running", node.alive(),
                     f"serve exited with {node.proc.returncode if node.proc else '?'}")
        left = node.wait_incoming_empty()
        checks.check(f"{name}/incoming-empty", not left, f"left in incoming: {[p.name for p in left[:3]]}")
        now = len(node.index_rows())
        checks.check(f"{name}/index-{'+' + str(expect_new) if expect_new else 'unchanged'}",
                     now == indexed_before + expect_new, f"{indexed_before} → {now} instances indexed")
        ok, why = node.echo_ok() if node.alive() else (False, "daemon not running")
        checks.check(f"{name}/echoscu-after", ok, why)


def run_case(checks: Checks, node: Node, name: str, body: Callable[[], int]) -> None:
    """``body`` performs the exchange and its own checks and returns how many instances it stored."""
    before = len(node.index_rows())
    try:
        new = body()
    except OSError as e:
        checks.fail(f"{name}/exchange", f"socket error: {e}")
        new = 0
    Case(checks, node).after(name, before, new)


def main() -> int:
    args = standard_args(__doc__.splitlines()[0]).parse_args()
    if not Path(args.dicomnode).exists():
        print(f"dicomnode binary not found: {args.dicomnode}", file=sys.stderr)
        return 2
    import pydicom
    from pydicom.uid import generate_uid

    checks = Checks()
    work = Path(tempfile.mkdtemp(prefix="dimse-bad-"))
    node = Node(args.dicomnode)
    try:
        try:
            node.start()
        except RuntimeError as e:
            checks.fail("serve-starts", str(e))
            return checks.finish()
        ct_small = pydicom.dcmread(sample("test_files/CT_small.dcm"))
        big = pydicom.dcmread(make_ct_series(work / "ct", 1)[0])   # ~515 KiB: ~33 PDUs of 16 KiB

        def expect_abort(name: str, ans: P.Answer, reasons: set[int]) -> None:
            """In an association (Sta6 + Evt19 → AA-8): A-ABORT source 2 (service-provider) with a
            reason of PS3.8 Table 9-26."""
            got = ans.abort_source_reason()
            checks.check(f"{name}/a-abort-source-2-reason-{'-or-'.join(map(str, sorted(reasons)))}",
                         got is not None and got[0] == 2 and got[1] in reasons,
                         f"got {ans.describe()}")

        def expect_abort_sta2(name: str, ans: P.Answer) -> None:
            """Before any association (Sta2 + Evt19 → AA-1, PS3.8 Table 9-10): AA-1 sends an
            A-ABORT with source 0, service-user, whose reason field is not significant (Table 9-26)."""
            got = ans.abort_source_reason()
            checks.check(f"{name}/a-abort-aa-1-source-0", got is not None and got[0] == 0,
                         f"got {ans.describe()}")

        # 1. Garbage (an HTTP request): first byte 0x47 is no PDU type → Sta2 + Evt19 → AA-1.
        def garbage() -> int:
            with connect(node) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: dicomnode\r\n\r\n")
                expect_abort_sta2("garbage", P.read_pdu(s))
            return 0
        run_case(checks, node, "garbage", garbage)

        # 2. An A-ASSOCIATE-RQ header declaring 0xFFFFFFF0 bytes: refused before buffering it
        #    (an invalid PDU in Sta2 → AA-1).
        def huge_length() -> int:
            with connect(node) as s:
                s.sendall(struct.pack(">BBI", P.A_ASSOCIATE_RQ, 0, 0xFFFFFFF0) + bytes(64))
                expect_abort_sta2("length-0xFFFFFFF0", P.read_pdu(s))
            return 0
        run_case(checks, node, "length-0xFFFFFFF0", huge_length)

        # 3. Unknown PDU type 0x0A before any association: Sta2 + Evt19 → AA-1.
        def unknown_type() -> int:
            with connect(node) as s:
                s.sendall(P.pdu(0x0A, bytes(4)))
                expect_abort_sta2("pdu-type-0x0A", P.read_pdu(s))
            return 0
        run_case(checks, node, "pdu-type-0x0A", unknown_type)

        # 4. Unknown PDU type 0x0A inside an established association (Sta6 + Evt19 → AA-8):
        #    A-ABORT source 2, reason 1 unrecognized-PDU.
        def unknown_type_associated() -> int:
            s, ans, _ = associate(node)
            with s:
                if not checks.check("pdu-type-0x0A-in-association/associated",
                                    ans.pdu_type == P.A_ASSOCIATE_AC, f"got {ans.describe()}"):
                    return 0
                s.sendall(P.pdu(0x0A, bytes(4)))
                expect_abort("pdu-type-0x0A-in-association", P.read_pdu(s), {1})
            return 0
        run_case(checks, node, "pdu-type-0x0A-in-association", unknown_type_associated)

        # 5. Protocol version without bit 0 (PS3.8 §9.3.2): A-ASSOCIATE-RJ 1/2/2
        #    (rejected-permanent, service-provider ACSE, protocol-version-not-supported, Table 9-21).
        def bad_version() -> int:
            with connect(node) as s:
                s.sendall(P.associate_rq(node.aet, CALLING, protocol_version=0x0002))
                ans = P.read_pdu(s)
                checks.check("protocol-version-2/a-associate-rj-1-2-2", ans.rj_triple() == (1, 2, 2),
                             f"got {ans.describe()}")
            return 0
        run_case(checks, node, "protocol-version-2", bad_version)

        # 6. Unknown application context name: A-ASSOCIATE-RJ 1/1/2
        #    (application-context-name-not-supported, Table 9-21).
        def bad_app_context() -> int:
            with connect(node) as s:
                s.sendall(P.associate_rq(node.aet, CALLING, application_context="1.2.3.4.5"))
                ans = P.read_pdu(s)
                checks.check("application-context/a-associate-rj-1-1-2", ans.rj_triple() == (1, 1, 2),
                             f"got {ans.describe()}")
            return 0
        run_case(checks, node, "application-context", bad_app_context)

        # 7. Positive control: a well-formed C-STORE from this raw client is stored.
        def good_store() -> int:
            s, ans, max_pdu = associate(node)
            with s:
                ctx = P.accepted_contexts(ans.body) if ans.pdu_type == P.A_ASSOCIATE_AC else {}
                if not checks.check("control-c-store/ct-context-accepted",
                                    ctx.get(3, (None,))[0] == 0 and ctx[3][1] == P.IMPLICIT_VR_LE,
                                    f"got {ans.describe()}, contexts {ctx}"):
                    return 0
                ds = ct_small.copy()
                ds.SOPInstanceUID = generate_uid()
                for frame in fragments(3, P.c_store_rq(7, P.CT_IMAGE_STORAGE, ds.SOPInstanceUID), max_pdu, True):
                    s.sendall(frame)
                for frame in fragments(3, implicit_le(ds), max_pdu, False):
                    s.sendall(frame)
                cmd, ans = P.read_dimse_command(s)
                status = P.status_of(cmd) if cmd else None
                checks.check("control-c-store/status-0000", status == 0,
                             f"status {status!r} ({ans.describe() if cmd is None else 'C-STORE-RSP'})")
                s.sendall(P.release_rq())
                rp = P.read_pdu(s)
                checks.check("control-c-store/a-release-rp", rp.pdu_type == P.A_RELEASE_RP,
                             f"got {rp.describe()}")
                by = node.wait_indexed([str(ds.SOPInstanceUID)], timeout=5)
                return 1 if str(ds.SOPInstanceUID) in by else 0
        run_case(checks, node, "control-c-store", good_store)

        # 8. A valid association, then a truncated P-DATA-TF (header says 1000 bytes, 100 sent),
        #    then the connection closes (Evt17): nothing staged stays behind.
        def truncated_pdata() -> int:
            s, ans, _ = associate(node)
            with s:
                checks.check("truncated-p-data/associated", ans.pdu_type == P.A_ASSOCIATE_AC,
                             f"got {ans.describe()}")
                command = P.c_store_rq(9, P.CT_IMAGE_STORAGE, generate_uid())
                s.sendall(P.p_data(P.pdv(3, command, True, True)))
                s.sendall(struct.pack(">BBI", P.P_DATA_TF, 0, 1000) + struct.pack(">IBB", 994, 3, 0x00)
                          + bytes(94))
                time.sleep(0.3)
            return 0
        run_case(checks, node, "truncated-p-data", truncated_pdata)

        # 9. A C-STORE whose data set does not parse: (0008,0018) declares 0xFFFFFF00 bytes.
        #    Status must be in the C000-CFFF family ("Error: cannot understand", PS3.4 B.2.3).
        def unparsable() -> int:
            s, ans, max_pdu = associate(node)
            with s:
                if not checks.check("unparsable-data-set/associated", ans.pdu_type == P.A_ASSOCIATE_AC,
                                    f"got {ans.describe()}"):
                    return 0
                uid = generate_uid()
                bad = (struct.pack("<HHI", 0x0008, 0x0016, 26) + P.CT_IMAGE_STORAGE.encode() + b"\x00"
                       + struct.pack("<HHI", 0x0008, 0x0018, 0xFFFFFF00) + uid.encode()[:20])
                for frame in fragments(3, P.c_store_rq(11, P.CT_IMAGE_STORAGE, uid), max_pdu, True):
                    s.sendall(frame)
                for frame in fragments(3, bad, max_pdu, False):
                    s.sendall(frame)
                cmd, ans = P.read_dimse_command(s)
                status = P.status_of(cmd) if cmd else None
                checks.check("unparsable-data-set/status-cxxx",
                             status is not None and 0xC000 <= status <= 0xCFFF,
                             f"status {'0x%04X' % status if status is not None else None}"
                             f"{'' if cmd else ' (' + ans.describe() + ')'}")
                s.sendall(P.release_rq())
                rp = P.read_pdu(s)
                checks.check("unparsable-data-set/association-goes-on", rp.pdu_type == P.A_RELEASE_RP,
                             f"after the error status, A-RELEASE-RQ got {rp.describe()}")
            return 0
        run_case(checks, node, "unparsable-data-set", unparsable)

        # 10. A-ABORT in the middle of a multi-PDU instance (~515 KiB; 10 of ~33 PDUs sent).
        def abort_midway() -> int:
            s, ans, max_pdu = associate(node)
            with s:
                if not checks.check("a-abort-mid-instance/associated", ans.pdu_type == P.A_ASSOCIATE_AC,
                                    f"got {ans.describe()}"):
                    return 0
                ds = big.copy()
                ds.SOPInstanceUID = generate_uid()
                for frame in fragments(3, P.c_store_rq(13, P.CT_IMAGE_STORAGE, ds.SOPInstanceUID), max_pdu, True):
                    s.sendall(frame)
                frames = fragments(3, implicit_le(ds), max_pdu, False)
                checks.check("a-abort-mid-instance/multi-pdu", len(frames) > 10, f"only {len(frames)} PDUs")
                for frame in frames[:10]:
                    s.sendall(frame)
                time.sleep(0.3)   # let the node stage what it got
                s.sendall(P.abort(0, 0))
                time.sleep(0.3)
            return 0
        run_case(checks, node, "a-abort-mid-instance", abort_midway)

        # 11. The connection simply closes in the middle of a multi-PDU instance (Evt17).
        def close_midway() -> int:
            s, ans, max_pdu = associate(node)
            with s:
                ds = big.copy()
                ds.SOPInstanceUID = generate_uid()
                for frame in fragments(3, P.c_store_rq(15, P.CT_IMAGE_STORAGE, ds.SOPInstanceUID), max_pdu, True):
                    s.sendall(frame)
                for frame in fragments(3, implicit_le(ds), max_pdu, False)[:10]:
                    s.sendall(frame)
                time.sleep(0.3)
            return 0
        run_case(checks, node, "close-mid-instance", close_midway)

        # 12. A P-DATA-TF on a presentation context that was never proposed (id 5): the message
        #     cannot be interpreted (PS3.7 §7.1.1.1 ties every message to an accepted context):
        #     A-ABORT, from the service-user (source 0) or the provider (source 2, reason 6
        #     invalid-PDU-parameter-value).
        def unknown_context() -> int:
            s, ans, max_pdu = associate(node)
            with s:
                s.sendall(P.p_data(P.pdv(5, P.c_echo_rq(17), True, True)))
                ans = P.read_pdu(s)
                got = ans.abort_source_reason()
                checks.check("unknown-context-id/a-abort",
                             got is not None and (got[0] == 0 or got == (2, 6)),
                             f"got {ans.describe()}")
            return 0
        run_case(checks, node, "unknown-context-id", unknown_context)

        log = node.log()
        checks.check("serve-log-has-no-crash", "Fatal error" not in log and "Segmentation" not in log,
                     "the serve log shows a crash")
    finally:
        node.cleanup()
        shutil.rmtree(work, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
