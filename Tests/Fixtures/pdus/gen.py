import sys
import struct
def pdus(path):
    d = open(path, "rb").read(); i = 0; out = []
    while i + 6 <= len(d):
        n = struct.unpack(">I", d[i+2:i+6])[0]; out.append(d[i:i+6+n]); i += 6 + n
    return out
dc, ds = pdus("dcmtk.c2s"), pdus("dcmtk.s2c")
pc, ps = pdus("pyn_full.c2s"), pdus("pyn_full.s2c")
rj = pdus("pyn_reject.s2c"); ab = pdus("pyn_abort.c2s")
drj = pdus("dcmtk_refuse.s2c"); dab = pdus("dcmtk_abort.c2s")
jc, js = pdus("pyn_jwt.c2s"), pdus("pyn_jwt.s2c")
entries = [
 ("dcmtkEchoAssociateRQ", "A-ASSOCIATE-RQ from DCMTK 3.6.7 `echoscu -aet ECHOSCU -aec STORESCP` (Verification, Implicit VR LE, max length 16384)", dc[0]),
 ("dcmtkEchoAssociateAC", "A-ASSOCIATE-AC from DCMTK 3.6.7 `storescp 11113` answering that RQ", ds[0]),
 ("dcmtkEchoPDataRQ", "P-DATA-TF from DCMTK echoscu: the C-ECHO-RQ command (context 1, command, last)", dc[1]),
 ("dcmtkEchoPDataRSP", "P-DATA-TF from DCMTK storescp: the C-ECHO-RSP command, status 0000H", ds[1]),
 ("dcmtkReleaseRQ", "A-RELEASE-RQ from DCMTK echoscu", dc[2]),
 ("dcmtkReleaseRP", "A-RELEASE-RP from DCMTK storescp", ds[2]),
 ("pynetdicomAssociateRQ", "A-ASSOCIATE-RQ from pynetdicom 3.0.4 (AE PYNSCU → PYNSCP): Verification and CT Image Storage contexts; user information with maximum length, implementation class UID and version name, role selection 54H (CT, SCU+SCP), asynchronous operations window 53H (5/3), user identity 58H (type 2 alice/s3cret, positive response requested), SOP class extended negotiation 56H (CT, 01 00 01), SOP class common extended negotiation 57H (CT, service class 1.2.840.10008.4.2, related 1.2.840.10008.5.1.4.1.1.2.1)", pc[0]),
 ("pynetdicomAssociateAC", "A-ASSOCIATE-AC from pynetdicom 3.0.4 SCP PYNSCP answering pynetdicomAssociateRQ: context 1 accepted (Implicit LE), context 3 accepted (Explicit LE), role selection 54H reply, extended negotiation 56H reply", ps[0]),
 ("pynetdicomAssociateRJ", "A-ASSOCIATE-RJ from pynetdicom 3.0.4 SCP with require_called_aet, called AE WRONG: rejected-permanent, service-user, called AE title not recognized", rj[0]),
 ("dcmtkAssociateRJ", "A-ASSOCIATE-RJ from DCMTK 3.6.7 `storescp --refuse 11113` answering echoscu: rejected-permanent, service-user, no reason given", drj[0]),
 ("dcmtkAbort", "A-ABORT from DCMTK 3.6.7 `echoscu --abort` after the C-ECHO: source service-user, reason 0", dab[2]),
 ("pynetdicomJWTAssociateRQ", "A-ASSOCIATE-RQ from pynetdicom 3.0.4 with user identity 58H type 5 (JWT), positive response requested, empty secondary field", jc[0]),
 ("pynetdicomJWTAssociateAC", "A-ASSOCIATE-AC from pynetdicom 3.0.4 SCP answering that RQ with user identity 59H server response OK-TOKEN", js[0]),
 ("pynetdicomAbort", "A-ABORT from pynetdicom 3.0.4 SCU (assoc.abort()): source service-user, reason 0", ab[1]),
]
lines = ["// Golden PDUs captured from independent peers (DCMTK 3.6.7 from Debian, pynetdicom 3.0.4 from PyPI)",
 "// on 127.0.0.1 through a logging TCP relay. Made by Tests/Fixtures/pdus/capture.sh (see its README).",
 "// Each literal is one whole PDU exactly as it crossed the wire. Nobody edits these by hand.",
 "", "public enum GoldenPDUs {"]
for name, comment, b in entries:
    lines.append("    /// " + comment)
    lines.append("    public static let %s: [UInt8] = [" % name)
    for j in range(0, len(b), 16):
        lines.append("        " + ", ".join("0x%02X" % x for x in b[j:j+16]) + ",")
    lines.append("    ]")
    lines.append("")
lines.append("    /// Every golden PDU with its name, for tests that run over all of them.")
lines.append("    public static let all: [(name: String, bytes: [UInt8])] = [")
for name, _, _ in entries: lines.append('        ("%s", %s),' % (name, name))
lines.append("    ]")
lines.append("}")
open(sys.argv[1], "w").write("\n".join(lines) + "\n")
