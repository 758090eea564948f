"""A minimal C-FIND SCU on a raw socket, for latency benchmarks where pynetdicom's own cost
(~0.5 ms to decode each pending response, on threads) would hide the servers' differences.

It associates (Study Root FIND and Verification, Explicit and Implicit VR Little Endian), sends
the identifier encoded by pydicom in the accepted syntax, and reads P-DATA-TF until the final
response: command sets are parsed (for the status), data sets of pending responses are skipped
unread. TCP_NODELAY is on. Built on conformance/lib/pdu.py (hand-made PS3.8 PDUs).
"""

from __future__ import annotations

import io
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "conformance"))
from lib import pdu  # noqa: E402

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
EXPLICIT_LE = "1.2.840.10008.1.2.1"
IMPLICIT_LE = "1.2.840.10008.1.2"


class RawFindClient:
    def __init__(self, aet: str, host: str, port: int, calling: str = "FINDBENCH") -> None:
        self.sock = socket.create_connection((host, port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(pdu.associate_rq(aet, calling, [
            (1, STUDY_ROOT_FIND, [EXPLICIT_LE, IMPLICIT_LE]), (3, pdu.VERIFICATION, [IMPLICIT_LE])],
            max_length=262144))
        ans = pdu.read_pdu(self.sock, 30)
        if ans.pdu_type != pdu.A_ASSOCIATE_AC:
            raise RuntimeError(f"association not accepted: {ans.describe()}")
        ctx = pdu.accepted_contexts(ans.body)
        if ctx.get(1, (1, ""))[0] != 0:
            raise RuntimeError("Study Root FIND not accepted")
        self.find_syntax = ctx[1][1]
        self.message_id = 0

    def _next_id(self) -> int:
        self.message_id = self.message_id % 65535 + 1
        return self.message_id

    def _encode(self, ds) -> bytes:
        from pydicom.filebase import DicomBytesIO
        from pydicom.filewriter import write_dataset
        buf = DicomBytesIO()
        buf.is_little_endian = True
        buf.is_implicit_VR = self.find_syntax == IMPLICIT_LE
        write_dataset(buf, ds)
        return buf.getvalue()

    def _read_until_final(self) -> tuple[int, int]:
        """(pending responses, final status), reading whole PDUs and looking only at command PDVs."""
        pending, command = 0, b""
        while True:
            head = pdu._recv_exact(self.sock, 6)
            if len(head) < 6:
                raise RuntimeError("connection closed")
            ptype, _, length = struct.unpack(">BBI", head)
            body = pdu._recv_exact(self.sock, length)
            if ptype != pdu.P_DATA_TF:
                raise RuntimeError(f"unexpected PDU type {ptype}")
            off = 0
            while off + 6 <= len(body):
                (plen,) = struct.unpack_from(">I", body, off)
                header = body[off + 5]
                if header & 0x01:                      # command fragment
                    command += body[off + 6:off + 4 + plen]
                    if header & 0x02:
                        status = pdu.status_of(pdu.parse_command(command)) or 0
                        command = b""
                        if status in (0xFF00, 0xFF01):
                            pending += 1
                        else:
                            return pending, status
                off += 4 + plen

    def find(self, ds) -> tuple[int, int]:
        mid = self._next_id()
        cmd = pdu.command_set([(0x0002, pdu._ui(STUDY_ROOT_FIND)), (0x0100, pdu._us(0x0020)),
                               (0x0110, pdu._us(mid)), (0x0700, pdu._us(0)), (0x0800, pdu._us(0x0102))])
        data = self._encode(ds)
        self.sock.sendall(pdu.p_data(pdu.pdv(1, cmd, True, True)) + pdu.p_data(pdu.pdv(1, data, False, True)))
        return self._read_until_final()

    def echo(self) -> int:
        self.sock.sendall(pdu.p_data(pdu.pdv(3, pdu.c_echo_rq(self._next_id()), True, True)))
        return self._read_until_final()[1]

    def release(self) -> None:
        try:
            self.sock.sendall(pdu.release_rq())
            pdu.read_pdu(self.sock, 5)
        finally:
            self.sock.close()
