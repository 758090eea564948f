import sys, threading, time, subprocess
from pynetdicom import AE, evt, build_role
from pynetdicom.sop_class import Verification, CTImageStorage
from pynetdicom.pdu_primitives import SOPClassExtendedNegotiation, SOPClassCommonExtendedNegotiation, UserIdentityNegotiation, AsynchronousOperationsWindowNegotiation
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

mode = sys.argv[1]
def user_id(event):
    return True, b"OK-TOKEN"
def ext(event):
    return {k: v for k, v in event.app_info.items()}
scp = AE(ae_title="PYNSCP")
scp.require_called_aet = True
scp.add_supported_context(Verification)
scp.add_supported_context(CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian], scu_role=True, scp_role=True)
handlers = [(evt.EVT_USER_ID, user_id), (evt.EVT_SOP_EXTENDED, ext)]
server = scp.start_server(("127.0.0.1", 11115), block=False, evt_handlers=handlers)
proxy = subprocess.Popen([sys.executable, "proxy.py", "11116", "11115", "pyn_" + mode])
time.sleep(0.7)
ae = AE(ae_title="PYNSCU")
ae.add_requested_context(Verification)
ae.add_requested_context(CTImageStorage, [ExplicitVRLittleEndian, ImplicitVRLittleEndian])
ext_neg = []
if mode == "jwt":
    u = UserIdentityNegotiation(); u.user_identity_type = 5; u.primary_field = b"eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."; u.positive_response_requested = True
    ext_neg.append(u)
if mode in ("full", "abort"):
    ext_neg.append(build_role(CTImageStorage, scu_role=True, scp_role=True))
    u = UserIdentityNegotiation(); u.user_identity_type = 2; u.primary_field = b"alice"; u.secondary_field = b"s3cret"; u.positive_response_requested = True
    ext_neg.append(u)
    x = SOPClassExtendedNegotiation(); x.sop_class_uid = CTImageStorage; x.service_class_application_information = b"\x01\x00\x01"
    ext_neg.append(x)
    c = SOPClassCommonExtendedNegotiation(); c.sop_class_uid = CTImageStorage; c.service_class_uid = "1.2.840.10008.4.2"; c.related_general_sop_class_identification = ["1.2.840.10008.5.1.4.1.1.2.1"]
    ext_neg.append(c)
    a = AsynchronousOperationsWindowNegotiation(); a.maximum_number_operations_invoked = 5; a.maximum_number_operations_performed = 3
    ext_neg.append(a)
called = "WRONG" if mode == "reject" else "PYNSCP"
assoc = ae.associate("127.0.0.1", 11116, ae_title=called, ext_neg=ext_neg)
print("established", assoc.is_established, "rejected", assoc.is_rejected)
if assoc.is_established:
    if mode == "abort": assoc.abort()
    else:
        print(assoc.send_c_echo()); assoc.release()
proxy.wait(timeout=10)
server.shutdown()
