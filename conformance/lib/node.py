"""Shared helpers for the DIMSE conformance scripts (dimse_*.py).

- ``Checks``: prints one ``PASS name`` / ``FAIL name: why`` line per check; ``finish()`` is the exit status.
- ``Node``: runs ``dicomnode serve`` on a free port with a temporary data directory, waits until
  DCMTK's ``/usr/bin/echoscu`` gets an answer, keeps its stderr log, stops it (SIGTERM) or kills it
  (SIGKILL), and reads its archive (DATA/index.sqlite, DATA/objects, DATA/incoming).
- Part 10 helpers: the data set bytes after the file meta group, the file meta of a file, and a
  comparison of two data sets element by element (values, recursively through sequences).

DCMTK peers are always called by absolute path (pynetdicom installs same-named scripts) and with
TCP_NODELAY=1 in their environment (otherwise they wait ~40 ms per message, ENVIRONMENT.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

ECHOSCU = "/usr/bin/echoscu"
STORESCU = "/usr/bin/storescu"
STORESCP = "/usr/bin/storescp"
DCMSEND = "/usr/bin/dcmsend"

# dicomnode's Implementation Class UID (PS3.7 §D.3.3.2; written into (0002,0012) of received files).
DICOMNODE_IMPLEMENTATION_CLASS_UID = "2.25.245165474372861539364424426493717386391"

IMPLICIT_VR_LE = "1.2.840.10008.1.2"
EXPLICIT_VR_LE = "1.2.840.10008.1.2.1"
DEFLATED_EXPLICIT_VR_LE = "1.2.840.10008.1.2.1.99"
EXPLICIT_VR_BE = "1.2.840.10008.1.2.2"
UNCOMPRESSED = (IMPLICIT_VR_LE, EXPLICIT_VR_LE, EXPLICIT_VR_BE)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent


def peer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["TCP_NODELAY"] = "1"
    return env


# --- reporting ------------------------------------------------------------------------------------

class Checks:
    """One line per check, flushed at once, so a hanging step still shows what went before it."""

    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, why: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"PASS {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}: {why or 'failed'}", flush=True)
        return ok

    def fail(self, name: str, why: str) -> None:
        self.check(name, False, why)

    def finish(self) -> int:
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        return 1 if self.failed else 0


# --- ports and processes --------------------------------------------------------------------------

def free_port() -> int:
    """A TCP port nothing listens on right now (bound to port 0, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def run(argv: list[str], timeout: float = 120.0, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Runs a peer with TCP_NODELAY=1; never raises on a non-zero exit or a timeout (rc -9)."""
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=peer_env(), **kwargs)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        return subprocess.CompletedProcess(argv, -9, out, err + f"\n(timed out after {timeout}s)")


def tail(text: str, lines: int = 4) -> str:
    kept = [l for l in text.strip().splitlines() if l.strip()][-lines:]
    return " | ".join(kept)


def echoscu(port: int, called: str = "DICOMNODE", calling: str = "ECHOSCU",
            timeout: float = 15.0) -> subprocess.CompletedProcess[str]:
    return run([ECHOSCU, "-aet", calling, "-aec", called, "-to", "5", "-ta", "5",
                "127.0.0.1", str(port)], timeout=timeout)


def vm_hwm_kib(pid: int) -> int | None:
    """Peak resident set size (VmHWM) of a running process, in KiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


# --- the node under test --------------------------------------------------------------------------

@dataclass
class IndexRow:
    sop_instance_uid: str
    sop_class_uid: str
    transfer_syntax_uid: str
    object_path: Path
    file_size: int | None


class Node:
    """``dicomnode serve`` on a free port with its own data directory (a temporary one by default)."""

    def __init__(self, binary: str, aet: str = "DICOMNODE", data: Path | None = None,
                 extra_args: Iterable[str] = (), workdir: Path | None = None,
                 echo_calling: str = "ECHOSCU") -> None:
        self.binary = os.path.abspath(binary) if os.sep in binary else binary
        self.echo_calling = echo_calling  # the calling AE title start() uses to see it is ready
        self.aet = aet
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="dicomnode-conf-"))
        self.data = data or (self.workdir / "data")
        self.extra_args = list(extra_args)
        self.port = 0
        self.http_port = 0  # the DICOMweb gateway's port (a free one, so that nodes can run side by side)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "serve.log"
        self.starts = 0

    # lifecycle
    def start(self, timeout: float = 30.0, port: int | None = None) -> None:
        """Starts the daemon (on ``port`` or a new free port) and waits until echoscu succeeds."""
        self.port = port or self.port or free_port()
        self.http_port = self.http_port or free_port()
        self.starts += 1
        argv = [self.binary, "serve", "--aet", self.aet, "--port", str(self.port),
                "--http-port", str(self.http_port), "--data", str(self.data), *self.extra_args]
        log = open(self.log_path, "ab")
        log.write(f"\n=== start {self.starts}: {' '.join(argv)}\n".encode())
        log.flush()
        self.proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                     cwd=self.workdir, env=peer_env())
        log.close()
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"dicomnode serve exited with {self.proc.returncode}: "
                                   f"{tail(self.log(), 6)}")
            if wait_for_port(self.port, timeout=0.5):
                r = echoscu(self.port, called=self.aet, calling=self.echo_calling, timeout=10)
                if r.returncode == 0:
                    return
                last = tail(r.stdout + r.stderr)
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"dicomnode serve did not answer echoscu within {timeout}s ({last}); "
                           f"log: {tail(self.log(), 6)}")

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM (graceful stop); SIGKILL if it has not exited after ``timeout`` s."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def kill(self) -> None:
        """SIGKILL, as a crash: no clean-up runs in the daemon."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self) -> None:
        self.stop()
        if os.environ.get("KEEP_CONFORMANCE_DIRS"):
            print(f"(kept {self.workdir})", file=sys.stderr)
        else:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> "Node":
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def echo_ok(self, calling: str | None = None) -> tuple[bool, str]:
        r = echoscu(self.port, called=self.aet, calling=calling or self.echo_calling)
        return r.returncode == 0, tail(r.stdout + r.stderr)

    # the archive
    @property
    def incoming(self) -> Path:
        return self.data / "incoming"

    def incoming_files(self) -> list[Path]:
        if not self.incoming.is_dir():
            return []
        return sorted(p for p in self.incoming.rglob("*") if p.is_file())

    def wait_incoming_empty(self, timeout: float = 10.0) -> list[Path]:
        """Files left in DATA/incoming after waiting up to ``timeout`` s for the node to clean up."""
        deadline = time.monotonic() + timeout
        while True:
            left = self.incoming_files()
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.1)

    def object_files(self) -> list[Path]:
        objects = self.data / "objects"
        if not objects.is_dir():
            return []
        return sorted(p for p in objects.rglob("*") if p.is_file())

    def index_rows(self) -> list[IndexRow]:
        """Every row of the ``instance`` table (empty when there is no index yet)."""
        path = self.data / "index.sqlite"
        if not path.exists():
            return []
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            con.row_factory = sqlite3.Row
            rows = con.execute("SELECT * FROM instance").fetchall()
        finally:
            con.close()
        out = []
        for r in rows:
            d = {k.lower(): r[k] for k in r.keys()}
            p = Path(str(d.get("objectpath", "")))
            if not p.is_absolute():
                p = self.data / p
            out.append(IndexRow(str(d.get("sopinstanceuid", "")), str(d.get("sopclassuid", "")),
                                str(d.get("transfersyntaxuid", "")), p, d.get("filesize")))
        return out

    def index_by_uid(self) -> dict[str, list[IndexRow]]:
        by: dict[str, list[IndexRow]] = {}
        for row in self.index_rows():
            by.setdefault(row.sop_instance_uid, []).append(row)
        return by

    def wait_indexed(self, uids: Iterable[str], timeout: float = 10.0) -> dict[str, list[IndexRow]]:
        """The index once every uid is in it, or after ``timeout`` s (a C-STORE-RSP of success means
        stored and indexed, so this normally returns at once)."""
        wanted = set(uids)
        deadline = time.monotonic() + timeout
        while True:
            by = self.index_by_uid()
            if wanted <= set(by) or time.monotonic() > deadline:
                return by
            time.sleep(0.2)


def make_node_or_exit(binary: str, checks: Checks, **kwargs: Any) -> Node | None:
    node = Node(binary, **kwargs)
    try:
        node.start()
    except (RuntimeError, OSError) as e:
        checks.fail("serve-starts", str(e))
        node.cleanup()
        return None
    return node


# --- Part 10 files --------------------------------------------------------------------------------

_LONG_VRS = {b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"SQ", b"SV", b"UC", b"UN", b"UR", b"UT", b"UV"}


def split_part10(blob: bytes) -> tuple[bytes, bytes]:
    """(file meta group bytes incl. preamble and DICM, data set bytes). PS3.10 §7.1: the meta group
    is Explicit VR Little Endian; it ends at the first element whose group is not 0002."""
    if len(blob) < 132 or blob[128:132] != b"DICM":
        raise ValueError("no DICM prefix at byte 128")
    off = 132
    while off + 8 <= len(blob):
        group, _elem = struct.unpack_from("<HH", blob, off)
        if group != 0x0002:
            break
        vr = blob[off + 4:off + 6]
        if vr in _LONG_VRS:
            (length,) = struct.unpack_from("<I", blob, off + 8)
            off += 12 + length
        else:
            (length,) = struct.unpack_from("<H", blob, off + 6)
            off += 8 + length
    return blob[:off], blob[off:]


def read_meta(path: Path) -> Any:
    import pydicom

    return pydicom.dcmread(path, stop_before_pixels=True).file_meta


def swap_bytes(value: bytes, width: int) -> bytes:
    if width <= 1 or len(value) % width:
        return value
    import array

    code = {2: "H", 4: "I", 8: "Q"}[width]
    a = array.array(code)
    a.frombytes(value)
    a.byteswap()
    return a.tobytes()


_SWAP_WIDTH = {"OW": 2, "US": 2, "SS": 2, "OF": 4, "OL": 4, "FL": 4, "UL": 4, "SL": 4, "OD": 8,
               "FD": 8, "OV": 8, "SV": 8, "UV": 8}


def _normal_value(elem: Any, big_endian: bool) -> Any:
    value = elem.value
    if isinstance(value, (bytes, bytearray)):
        value = bytes(value)
        vr = str(elem.VR)
        if big_endian and vr in _SWAP_WIDTH:
            value = swap_bytes(value, _SWAP_WIDTH[vr])
        # pydicom keeps odd-length values as read; a writer pads them to even length (PS3.5 §7.1.1)
        if len(value) % 2:
            value += b"\x00"
        return value
    if isinstance(value, str):
        return value.rstrip(" \x00")
    return value


def _raw_bytes(ds: Any, tag: int) -> bytes | None:
    try:
        raw = ds.get_item(tag)
        value = raw.value
        if value is None and getattr(raw, "is_raw", False):
            return b""
        if isinstance(value, (bytes, bytearray)):
            value = bytes(value)
            return value + b"\x00" if len(value) % 2 else value
    except Exception:
        return None
    return None


# Ignored when comparing: group lengths (gggg,0000) (PS3.5 §7.2: may be dropped when re-encoding)
# and Data Set Trailing Padding (FFFC,FFFC) (PS3.10 §7.2: may be removed by any application).
TRAILING_PADDING = 0xFFFCFFFC


def _compared_tags(ds: Any) -> set[int]:
    return {int(t) for t in ds.keys() if int(t) & 0xFFFF != 0 and int(t) != TRAILING_PADDING}


def compare_datasets(a: Any, b: Any, a_big: bool = False, b_big: bool = False,
                     path: str = "") -> list[str]:
    """Differences between two pydicom data sets: tag sets and values, recursively through
    sequences. A value read as UN on one side only (an implicit VR private element) is compared as
    the raw bytes both sides hold."""
    diffs: list[str] = []
    tags_a, tags_b = _compared_tags(a), _compared_tags(b)
    for t in sorted(tags_a ^ tags_b):
        side = "only sent" if t in tags_a else "only received"
        diffs.append(f"{path}({t >> 16:04X},{t & 0xFFFF:04X}) {side}")
    for t in sorted(tags_a & tags_b):
        name = f"{path}({t >> 16:04X},{t & 0xFFFF:04X})"
        ra, rb = _raw_bytes(a, t), _raw_bytes(b, t)  # before a[t] converts the raw element
        try:
            ea, eb = a[t], b[t]
        except Exception as e:  # a value pydicom cannot convert: compare the raw bytes
            if ra is None or ra != rb:
                diffs.append(f"{name} unreadable and raw bytes differ ({e})")
            continue
        if str(ea.VR) == "SQ" and str(eb.VR) == "SQ":
            ia, ib = list(ea.value or []), list(eb.value or [])
            if len(ia) != len(ib):
                diffs.append(f"{name} {len(ia)} items != {len(ib)}")
                continue
            for k, (x, y) in enumerate(zip(ia, ib)):
                diffs.extend(compare_datasets(x, y, a_big, b_big, f"{name}[{k}]."))
            continue
        if str(ea.VR) != str(eb.VR) and "UN" in (str(ea.VR), str(eb.VR)) and not (a_big or b_big):
            if ra is not None and ra == rb:
                continue
            if all(e.value in (None, "", b"") for e in (ea, eb)):  # empty on both sides
                continue
        va, vb = _normal_value(ea, a_big), _normal_value(eb, b_big)
        if va != vb:
            if str(ea.VR) != str(eb.VR):
                diffs.append(f"{name} VR {ea.VR} != {eb.VR}, values differ")
                continue
            if isinstance(va, bytes) and isinstance(vb, bytes):
                i = next((k for k, (x, y) in enumerate(zip(va, vb)) if x != y), min(len(va), len(vb)))
                diffs.append(f"{name} bytes differ at offset {i} (lengths {len(va)}, {len(vb)})")
            else:
                diffs.append(f"{name} {repr(va)[:60]} != {repr(vb)[:60]}")
    return diffs


def compare_files(sent: Path, received: Path, byte_exact: bool = False) -> list[str]:
    """Same data set? Identical bytes after the meta group pass at once. Otherwise, unless
    ``byte_exact`` (the sender is known to send the file's bytes unchanged), element by element as
    pydicom decodes them: DCMTK re-encodes what it sends (it drops group lengths and trailing
    padding, and converts between transfer syntaxes)."""
    import pydicom

    try:
        _, sent_ds_bytes = split_part10(sent.read_bytes())
        _, recv_ds_bytes = split_part10(received.read_bytes())
    except ValueError as e:
        return [f"not a Part 10 file: {e}"]
    ts_sent = str(read_meta(sent).TransferSyntaxUID)
    ts_recv = str(read_meta(received).TransferSyntaxUID)
    if ts_sent == ts_recv and sent_ds_bytes == recv_ds_bytes:
        return []
    if byte_exact and ts_sent == ts_recv:
        n = next((i for i, (x, y) in enumerate(zip(sent_ds_bytes, recv_ds_bytes)) if x != y),
                 min(len(sent_ds_bytes), len(recv_ds_bytes)))
        return [f"data set bytes differ at byte {n} (sizes {len(sent_ds_bytes)}, {len(recv_ds_bytes)})"]
    return compare_dataset_objects(pydicom.dcmread(sent), pydicom.dcmread(received), ts_sent, ts_recv)


def compare_dataset_objects(a: Any, b: Any, ts_a: str, ts_b: str) -> list[str]:
    return compare_datasets(a, b, ts_a == EXPLICIT_VR_BE, ts_b == EXPLICIT_VR_BE)


def check_meta(path: Path, calling_aet: str) -> list[str]:
    """File meta written by dicomnode: our Implementation Class UID and the calling AE as Source AE
    (PS3.10 §7.1, (0002,0012) and (0002,0016))."""
    problems = []
    meta = read_meta(path)
    icu = str(meta.get("ImplementationClassUID", ""))
    if icu != DICOMNODE_IMPLEMENTATION_CLASS_UID:
        problems.append(f"(0002,0012) {icu!r} != {DICOMNODE_IMPLEMENTATION_CLASS_UID}")
    src = str(meta.get("SourceApplicationEntityTitle", "")).strip()
    if src != calling_aet:
        problems.append(f"(0002,0016) Source AE {src!r} != calling AE {calling_aet!r}")
    return problems


def sop_uids(path: Path) -> tuple[str, str, str]:
    """(SOP Class UID, SOP Instance UID, transfer syntax) of a Part 10 file, from its data set."""
    import pydicom

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    return str(ds.SOPClassUID), str(ds.SOPInstanceUID), str(ds.file_meta.TransferSyntaxUID)


# --- sample files ---------------------------------------------------------------------------------

def sample(name: str) -> Path | None:
    """A corpus file by its corpus name ("test_files/CT_small.dcm", "pydicom-data/JPEG-LL.dcm")."""
    from .corpus import corpus_roots

    prefix, _, rest = name.partition("/")
    for p, folder in corpus_roots():
        if p == prefix and (folder / rest).is_file():
            return folder / rest
    return None


def make_ct_series(out: Path, count: int) -> list[Path]:
    """bench/lib/make_ct_series.py: ``count`` 512x512 16-bit CT slices (~515 KiB each)."""
    gen = ROOT / "bench" / "lib" / "make_ct_series.py"
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, str(gen), "--out", str(out), "--count", str(count)],
                   check=True, capture_output=True)
    return sorted(out.glob("CT*.dcm"))


def standard_args(description: str) -> Any:
    import argparse

    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--dicomnode", default=str(ROOT / ".build" / "release" / "dicomnode"),
                    help="the dicomnode binary under test")
    return ap
