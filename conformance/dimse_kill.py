#!/usr/bin/env python3
"""dicomnode serve killed with SIGKILL while 8 associations store: nothing acknowledged is lost.

Each round: 8 pynetdicom associations (threads) send distinct synthetic CT instances (new UIDs,
random pixel data, 128 KiB each) and record which got C-STORE-RSP status 0x0000. After about a
fifth of the instances are acknowledged, the daemon gets `kill -9`. It is restarted on the same
data directory; then every acknowledged instance must be in the index exactly once and its
object file must read back with the same SOP Instance UID and pixel data (PS3.4 B.2.3: success
means the SCP has stored it); any other indexed instance must be complete too; DATA/incoming is
empty once the node is idle; and after a graceful stop `dicomnode check --data DIR` exits 0 and
says "consistent". Three rounds on the same data directory.

    python3 conformance/dimse_kill.py --dicomnode .build/release/dicomnode [--rounds 3]
"""

from __future__ import annotations

import copy
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import Checks, Node, run, sample, standard_args, tail  # noqa: E402

ASSOCIATIONS = 8
PER_ASSOCIATION = 40
KILL_AFTER_ACKS = 60


def make_instances(base, round_no: int, rng) -> list[list]:  # type: ignore[no-untyped-def]
    from pydicom.uid import generate_uid

    study = generate_uid()
    groups = []
    for a in range(ASSOCIATIONS):
        series = generate_uid()
        group = []
        for i in range(PER_ASSOCIATION):
            ds = copy.deepcopy(base)
            ds.StudyInstanceUID = study
            ds.SeriesInstanceUID = series
            ds.SOPInstanceUID = generate_uid()
            ds.InstanceNumber = i + 1
            ds.PatientID = f"KILL{round_no}"
            ds.Rows = ds.Columns = 256
            ds.PixelData = rng.integers(-1000, 3000, size=(256, 256), dtype="<i2").tobytes()
            group.append(ds)
        groups.append(group)
    return groups


def one_round(checks: Checks, node: Node, round_no: int, base, rng) -> None:  # type: ignore[no-untyped-def]
    import pydicom
    from pynetdicom import AE

    name = f"round-{round_no}"
    groups = make_instances(base, round_no, rng)
    sent_pixels = {str(ds.SOPInstanceUID): ds.PixelData for g in groups for ds in g}
    acked: set[str] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(ASSOCIATIONS)

    def worker(k: int, group: list) -> None:
        ae = AE(ae_title=f"KILL{k}")
        ae.add_requested_context(group[0].SOPClassUID, ["1.2.840.10008.1.2.1"])
        ae.network_timeout = 10
        ae.dimse_timeout = 10
        ae.acse_timeout = 10
        try:
            barrier.wait(timeout=60)
            assoc = ae.associate("127.0.0.1", node.port, ae_title=node.aet)
        except Exception:
            return
        for ds in group:
            if not assoc.is_established:
                break
            try:
                st = assoc.send_c_store(ds)
            except Exception:
                break
            if st and "Status" in st and int(st.Status) == 0:
                with lock:
                    acked.add(str(ds.SOPInstanceUID))
        if assoc.is_established:
            try:
                assoc.release()
            except Exception:
                pass

    threads = [threading.Thread(target=worker, args=(k, g), daemon=True) for k, g in enumerate(groups)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with lock:
            n = len(acked)
        if n >= KILL_AFTER_ACKS or not any(t.is_alive() for t in threads):
            break
        time.sleep(0.005)
    node.kill()
    with lock:
        acked_at_kill = set(acked)
    for t in threads:
        t.join(60)
    total = len(sent_pixels)
    checks.check(f"{name}/killed-mid-way", KILL_AFTER_ACKS <= len(acked_at_kill) < total,
                 f"{len(acked_at_kill)} of {total} acknowledged when the kill came")
    # answers that arrived after the kill signal was sent cannot exist: the process is gone
    acked_final = set(acked)

    try:
        node.start()
    except RuntimeError as e:
        checks.fail(f"{name}/restarts", str(e))
        return
    checks.check(f"{name}/restarts", True)

    by = node.index_by_uid()
    missing = [u for u in acked_final if u not in by]
    checks.check(f"{name}/acked-{len(acked_final)}-all-indexed", not missing,
                 f"{len(missing)} acknowledged instances are not indexed, e.g. {missing[:2]}")
    dup = [u for u, rows in by.items() if len(rows) != 1]
    checks.check(f"{name}/indexed-once", not dup, f"{len(dup)} instances indexed more than once")
    bad = []
    ours = [u for u in by if u in sent_pixels]
    for uid in ours:
        row = by[uid][0]
        try:
            got = pydicom.dcmread(row.object_path)
            if str(got.SOPInstanceUID) != uid:
                bad.append(f"{uid}: file holds {got.SOPInstanceUID}")
            elif got.PixelData != sent_pixels[uid]:
                bad.append(f"{uid}: pixel data differs")
        except Exception as e:
            bad.append(f"{uid}: {row.object_path.name} unreadable: {e}")
    checks.check(f"{name}/indexed-{len(ours)}-read-back-intact", not bad, "; ".join(bad[:3]))
    left = node.wait_incoming_empty()
    checks.check(f"{name}/incoming-empty-after-restart", not left,
                 f"{len(left)} staging files left in incoming/")
    ok, why = node.echo_ok()
    checks.check(f"{name}/echoscu-after-restart", ok, why)
    node.stop()
    r = run([node.binary, "check", "--data", str(node.data)], timeout=120)
    out = r.stdout + r.stderr
    checks.check(f"{name}/dicomnode-check-consistent",
                 r.returncode == 0 and "consistent" in out and "inconsistent" not in out,
                 f"rc {r.returncode}: {tail(out)}")
    objects, rows = len(node.object_files()), len(node.index_rows())
    checks.check(f"{name}/object-files-equal-index-rows", objects == rows,
                 f"{objects} files under objects/, {rows} index rows")
    print(f"  {name}: {len(acked_at_kill)} acknowledged at the kill, {len(ours)} of this round "
          f"indexed after restart, {rows} in the index in all", flush=True)


def main() -> int:
    ap = standard_args(__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if not Path(args.dicomnode).exists():
        print(f"dicomnode binary not found: {args.dicomnode}", file=sys.stderr)
        return 2
    import numpy as np
    import pydicom

    checks = Checks()
    base = pydicom.dcmread(sample("test_files/CT_small.dcm"))
    rng = np.random.default_rng(20240501)
    node = Node(args.dicomnode)
    try:
        for round_no in range(1, args.rounds + 1):
            try:
                node.start()
            except RuntimeError as e:
                checks.fail(f"round-{round_no}/serve-starts", str(e))
                break
            one_round(checks, node, round_no, base, rng)
        log = node.log()
        checks.check("serve-log-has-no-crash-report", "Fatal error" not in log,
                     "the serve log shows a Swift runtime crash")
    finally:
        node.cleanup()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
