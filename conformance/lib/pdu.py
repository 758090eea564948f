"""Hand-made PS3.8 upper-layer PDUs and DIMSE command sets for raw-socket peers (dimse_bad_input.py).

Everything is built with struct from the tables of PS3.8 §9.3 (PDU structure) and PS3.7 §9.3 /
Annex E (command sets, always Implicit VR Little Endian), so that the bytes on the wire are exactly
the ones a test means, including wrong ones.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

APPLICATION_CONTEXT = "1.2.840.10008.3.1.1.1"   # PS3.7 Annex A.2.1
VERIFICATION = "1.2.840.10008.1.1"
CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
IMPLICIT_VR_LE = "1.2.840.10008.1.2"
IMPLEMENTATION_UID = "2.25.1234567890123456789"

A_ASSOCIATE_RQ, A_ASSOCIATE_AC, A_ASSOCIATE_RJ = 0x01, 0x02, 0x03
P_DATA_TF, A_RELEASE_RQ, A_RELEASE_RP, A_ABORT = 0x04, 0x05, 0x06, 0x07
PDU_NAMES = {1: "A-ASSOCIATE-RQ", 2: "A-ASSOCIATE-AC", 3: "A-ASSOCIATE-RJ", 4: "P-DATA-TF",
             5: "A-RELEASE-RQ", 6: "A-RELEASE-RP", 7: "A-ABORT"}


def pdu(pdu_type: int, body: bytes) -> bytes:
    """PS3.8 §9.3.1: type (1), reserved (1), length of the rest (4, big endian)."""
    return struct.pack(">BBI", pdu_type, 0, len(body)) + body


def item(item_type: int, body: bytes) -> bytes:
    """A variable item (PS3.8 §9.3.2.1-3): type, reserved, 2-byte big-endian length."""
    return struct.pack(">BBH", item_type, 0, len(body)) + body


def ae_field(title: str) -> bytes:
    return title.encode("ascii").ljust(16, b" ")[:16]


def associate_rq(called: str, calling: str,
                 contexts: list[tuple[int, str, list[str]]] | None = None,
                 max_length: int = 16384, protocol_version: int = 0x0001,
                 application_context: str = APPLICATION_CONTEXT) -> bytes:
    """A-ASSOCIATE-RQ (PS3.8 §9.3.2, Table 9-11): by default Verification (id 1) and CT Image
    Storage (id 3), each with Implicit VR Little Endian only."""
    if contexts is None:
        contexts = [(1, VERIFICATION, [IMPLICIT_VR_LE]), (3, CT_IMAGE_STORAGE, [IMPLICIT_VR_LE])]
    body = struct.pack(">HH", protocol_version, 0) + ae_field(called) + ae_field(calling) + bytes(32)
    body += item(0x10, application_context.encode())
    for cid, abstract, syntaxes in contexts:
        sub = item(0x30, abstract.encode()) + b"".join(item(0x40, ts.encode()) for ts in syntaxes)
        body += item(0x20, struct.pack(">BBBB", cid, 0, 0, 0) + sub)
    user = item(0x51, struct.pack(">I", max_length)) + item(0x52, IMPLEMENTATION_UID.encode())
    body += item(0x50, user)
    return pdu(A_ASSOCIATE_RQ, body)


def abort(source: int = 0, reason: int = 0) -> bytes:
    """A-ABORT (PS3.8 §9.3.8, Table 9-26)."""
    return pdu(A_ABORT, struct.pack(">BBBB", 0, 0, source, reason))


def release_rq() -> bytes:
    return pdu(A_RELEASE_RQ, bytes(4))


def pdv(context_id: int, data: bytes, command: bool, last: bool) -> bytes:
    """A Presentation Data Value item (PS3.8 §9.3.5.1, Annex E.2): length, context id, header."""
    header = (0x01 if command else 0) | (0x02 if last else 0)
    return struct.pack(">IBB", len(data) + 2, context_id, header) + data


def p_data(*pdvs: bytes) -> bytes:
    return pdu(P_DATA_TF, b"".join(pdvs))


# --- DIMSE command sets (PS3.7 §9.3, always Implicit VR Little Endian, PS3.7 §6.3.1) -----------

def _element(group: int, elem: int, value: bytes) -> bytes:
    if len(value) % 2:
        value += b"\x00"
    return struct.pack("<HHI", group, elem, len(value)) + value


def _ui(value: str) -> bytes:
    return value.encode("ascii")


def _us(value: int) -> bytes:
    return struct.pack("<H", value)


def command_set(elements: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(_element(0x0000, e, v) for e, v in elements)
    return _element(0x0000, 0x0000, struct.pack("<I", len(body))) + body


def c_store_rq(message_id: int, sop_class: str, sop_instance: str) -> bytes:
    """C-STORE-RQ (PS3.7 Table 9.3-1), data set present."""
    return command_set([(0x0002, _ui(sop_class)), (0x0100, _us(0x0001)), (0x0110, _us(message_id)),
                        (0x0700, _us(0x0000)), (0x0800, _us(0x0000)), (0x1000, _ui(sop_instance))])


def c_echo_rq(message_id: int) -> bytes:
    return command_set([(0x0002, _ui(VERIFICATION)), (0x0100, _us(0x0030)), (0x0110, _us(message_id)),
                        (0x0800, _us(0x0101))])


def parse_command(data: bytes) -> dict[int, bytes]:
    """(0000,eeee) element → value bytes of an Implicit VR LE command set."""
    out, off = {}, 0
    while off + 8 <= len(data):
        group, elem, length = struct.unpack_from("<HHI", data, off)
        out[(group << 16) | elem] = data[off + 8:off + 8 + length]
        off += 8 + length
    return out


# --- reading answers ------------------------------------------------------------------------------

@dataclass
class Answer:
    """What came back: a PDU (type and body), or nothing before the peer closed or the time ran out."""

    pdu_type: int | None
    body: bytes = b""
    note: str = ""

    def describe(self) -> str:
        if self.pdu_type is None:
            return self.note or "no PDU"
        name = PDU_NAMES.get(self.pdu_type, f"type 0x{self.pdu_type:02X}")
        if self.pdu_type in (A_ABORT, A_ASSOCIATE_RJ) and len(self.body) >= 4:
            a, b, c, d = self.body[:4]
            if self.pdu_type == A_ABORT:
                return f"{name} source {c} reason {d}"
            return f"{name} result {b} source {c} reason {d}"
        return name

    def abort_source_reason(self) -> tuple[int, int] | None:
        if self.pdu_type == A_ABORT and len(self.body) >= 4:
            return self.body[2], self.body[3]
        return None

    def rj_triple(self) -> tuple[int, int, int] | None:
        if self.pdu_type == A_ASSOCIATE_RJ and len(self.body) >= 4:
            return self.body[1], self.body[2], self.body[3]
        return None


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return buf


def read_pdu(sock: socket.socket, timeout: float = 10.0, max_body: int = 1 << 20) -> Answer:
    sock.settimeout(timeout)
    try:
        head = _recv_exact(sock, 6)
        if len(head) < 6:
            return Answer(None, note=f"connection closed after {len(head)} bytes, no PDU")
        pdu_type, _, length = struct.unpack(">BBI", head)
        body = _recv_exact(sock, min(length, max_body))
        return Answer(pdu_type, body)
    except socket.timeout:
        return Answer(None, note=f"no answer within {timeout}s")
    except ConnectionResetError:
        return Answer(None, note="connection reset, no PDU")


def accepted_contexts(ac_body: bytes) -> dict[int, tuple[int, str]]:
    """context id → (result, transfer syntax) from an A-ASSOCIATE-AC body (PS3.8 §9.3.3.2)."""
    out: dict[int, tuple[int, str]] = {}
    off = 68
    while off + 4 <= len(ac_body):
        itype, _, ilen = struct.unpack_from(">BBH", ac_body, off)
        value = ac_body[off + 4:off + 4 + ilen]
        if itype == 0x21 and len(value) >= 4:
            cid, result = value[0], value[2]
            ts = ""
            if len(value) >= 8:
                _, _, tlen = struct.unpack_from(">BBH", value, 4)
                ts = value[8:8 + tlen].decode("ascii", "replace").rstrip("\x00 ")
            out[cid] = (result, ts)
        off += 4 + ilen
    return out


def read_dimse_command(sock: socket.socket, timeout: float = 15.0) -> tuple[dict[int, bytes] | None, Answer]:
    """Reads P-DATA-TF PDUs until a complete command set; returns it (None on any other PDU)."""
    data = b""
    while True:
        ans = read_pdu(sock, timeout)
        if ans.pdu_type != P_DATA_TF:
            return None, ans
        off = 0
        while off + 6 <= len(ans.body):
            (length,) = struct.unpack_from(">I", ans.body, off)
            header = ans.body[off + 5]
            data += ans.body[off + 6:off + 4 + length]
            off += 4 + length
            if header & 0x01 and header & 0x02:
                return parse_command(data), ans


def status_of(command: dict[int, bytes]) -> int | None:
    value = command.get(0x00000900)
    return struct.unpack("<H", value)[0] if value and len(value) == 2 else None


# --- C-FIND with a C-CANCEL in the same write ----------------------------------------------------

@dataclass
class CancelledFind:
    """What came back for a C-FIND-RQ cancelled at once: pending responses counted, the final
    status, the status of a C-ECHO on the same association afterwards, and why it stopped short."""

    pending: int
    final: int | None
    echo: int | None
    why: str = ""


def find_then_cancel(port: int, called: str, sop_class: str, identifier: bytes, message_id: int = 77,
                     timeout: float = 30.0) -> CancelledFind:
    """Associates (`sop_class` as context 1, Verification as 3), then sends the C-FIND-RQ, its
    identifier (Implicit VR LE bytes) and a C-CANCEL-RQ for it in one TCP write (PS3.7 §9.3.2.3:
    the requestor may cancel at any time while the operation runs), reads every response to the
    final one, sends a C-ECHO-RQ and releases. Cancelling on the first pending response instead
    races a fast SCP: it may have sent every match before the cancel arrives."""
    find_rq = command_set([(0x0002, _ui(sop_class)), (0x0100, _us(0x0020)), (0x0110, _us(message_id)),
                           (0x0700, _us(0x0000)), (0x0800, _us(0x0001))])
    cancel_rq = command_set([(0x0100, _us(0x0FFF)), (0x0120, _us(message_id)), (0x0800, _us(0x0101))])
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.sendall(associate_rq(called, "RAWCANCEL", [(1, sop_class, [IMPLICIT_VR_LE]), (3, VERIFICATION, [IMPLICIT_VR_LE])]))
        ac = read_pdu(sock, timeout)
        accepted = accepted_contexts(ac.body) if ac.pdu_type == A_ASSOCIATE_AC else {}
        if accepted.get(1, (1,))[0] != 0 or accepted.get(3, (1,))[0] != 0:
            return CancelledFind(0, None, None, f"association: PDU type {ac.pdu_type}, contexts {accepted}")
        sock.sendall(p_data(pdv(1, find_rq, True, True)) + p_data(pdv(1, identifier, False, True))
                     + p_data(pdv(1, cancel_rq, True, True)))
        pending, final, command = 0, None, b""
        while final is None:
            ans = read_pdu(sock, timeout)
            if ans.pdu_type != P_DATA_TF:
                return CancelledFind(pending, None, None, f"PDU type {ans.pdu_type} before the final response")
            off = 0
            while off + 6 <= len(ans.body):
                (length,) = struct.unpack_from(">I", ans.body, off)
                header = ans.body[off + 5]
                if header & 0x01:
                    command += ans.body[off + 6:off + 4 + length]
                    if header & 0x02:
                        status = status_of(parse_command(command))
                        command = b""
                        if status in (0xFF00, 0xFF01):
                            pending += 1
                        else:
                            final = status
                off += 4 + length
        sock.sendall(p_data(pdv(3, c_echo_rq(message_id + 1), True, True)))
        echo, _ = read_dimse_command(sock, timeout)
        sock.sendall(release_rq())
        read_pdu(sock, timeout)
        return CancelledFind(pending, final, status_of(echo) if echo is not None else None)


def implicit_le(ds) -> bytes:  # noqa: ANN001
    """A pydicom data set's bytes in Implicit VR Little Endian (a DIMSE identifier)."""
    import io

    from pydicom.filebase import DicomFileLike
    from pydicom.filewriter import write_dataset

    buffer = DicomFileLike(io.BytesIO())
    buffer.is_little_endian, buffer.is_implicit_VR = True, True
    write_dataset(buffer, ds)
    return buffer.parent.getvalue()
