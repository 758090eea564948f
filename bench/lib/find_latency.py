#!/usr/bin/env python3
"""C-FIND latency per query type from one persistent pynetdicom association per server.

Query values are drawn (fixed seed) from a dicomnode index (--index DATA/index.sqlite), so every
server answers the same queries: Study Root, STUDY level by PatientID, by PatientName prefix
("SURNAME*", the stored case), by StudyDate range (7 days), by AccessionNumber; IMAGE level by
SeriesInstanceUID (with its StudyInstanceUID, as a hierarchical SCP wants). Also C-ECHO, the
floor of one round trip through this client.

Latency = from the C-FIND-RQ being sent to the final response. With --client raw (the default) a
raw-socket SCU (rawfind.py) reads every pending response but does not decode its data set, so the
figure is the server's; with --client pynetdicom every response is decoded too. The client's TCP_NODELAY is set (pynetdicom leaves Nagle on). Prints,
per server and query type, p50 / p95 in ms and the mean number of matches; with several servers
also the ratios <server>/dicomnode (> 1: dicomnode is faster). A server that fails a query or
returns a different number of matches than dicomnode is flagged.

    find_latency.py --index DATA/index.sqlite --server dicomnode=DICOMNODE@127.0.0.1:11112 \
        [--server dcmqrscp=QRSCP@127.0.0.1:11113] [--queries 200] [--json out.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import socket
import sqlite3
import statistics
import sys
import os
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
VERIFICATION = "1.2.840.10008.1.1"
STUDY_RETURN = ["PatientName", "PatientID", "StudyDate", "StudyTime", "AccessionNumber", "StudyID",
                "StudyInstanceUID", "StudyDescription", "ModalitiesInStudy"]
IMAGE_RETURN = ["SOPInstanceUID", "SOPClassUID", "InstanceNumber"]
TYPES = ["echo", "patient_id", "patient_name_prefix", "study_date_week", "accession", "series_images"]


def sample_queries(index: str, n: int, seed: int) -> dict[str, list[dict[str, str]]]:
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{index}?mode=ro", uri=True)
    pids = [r[0] for r in con.execute("SELECT patientID FROM patient")]
    names = [r[0] for r in con.execute("SELECT patientName FROM patient WHERE patientName IS NOT NULL")]
    n_studies = con.execute("SELECT MAX(id) FROM study").fetchone()[0]
    lo, hi = con.execute("SELECT MIN(studyDate), MAX(studyDate) FROM study WHERE studyDate <> ''").fetchone()
    n_series = con.execute("SELECT MAX(id) FROM series").fetchone()[0]

    def one(sql: str, ident: int) -> Any:
        return con.execute(sql, (ident,)).fetchone()

    out: dict[str, list[dict[str, str]]] = {t: [] for t in TYPES}
    d0 = datetime.datetime.strptime(lo, "%Y%m%d").date()
    span = (datetime.datetime.strptime(hi, "%Y%m%d").date() - d0).days
    for _ in range(n):
        out["echo"].append({})
        out["patient_id"].append({"PatientID": rng.choice(pids)})
        out["patient_name_prefix"].append({"PatientName": rng.choice(names).split("^")[0] + "*"})
        start = d0 + datetime.timedelta(days=rng.randrange(max(1, span - 6)))
        end = start + datetime.timedelta(days=6)
        out["study_date_week"].append({"StudyDate": f"{start:%Y%m%d}-{end:%Y%m%d}"})
        row = None
        while row is None:
            row = one("SELECT accessionNumber FROM study WHERE id = ?", rng.randrange(1, n_studies + 1))
        out["accession"].append({"AccessionNumber": row[0]})
        row = None
        while row is None:
            row = one("SELECT s.studyInstanceUID, se.seriesInstanceUID FROM series se JOIN study s ON s.id = se.studyId "
                      "WHERE se.id = ?", rng.randrange(1, n_series + 1))
        out["series_images"].append({"StudyInstanceUID": row[0], "SeriesInstanceUID": row[1]})
    con.close()
    return out


def identifier(qtype: str, keys: dict[str, str]) -> Any:
    from pydicom.datadict import dictionary_VR, tag_for_keyword
    from pydicom.dataset import Dataset

    ds = Dataset()
    level, returns = ("IMAGE", IMAGE_RETURN) if qtype == "series_images" else ("STUDY", STUDY_RETURN)
    ds.QueryRetrieveLevel = level
    for kw in returns:
        t = tag_for_keyword(kw)
        ds.add_new(t, dictionary_VR(t), None)
    for kw, v in keys.items():
        setattr(ds, kw, v)
    return ds


def summarize(lat: list[float], matches: list[int], errors: int) -> dict[str, Any]:
    """p50 / p95 of the latencies (ms), the mean number of matches, the failures."""
    lat = sorted(lat)
    return {"p50": statistics.median(lat), "p95": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
            "mean_matches": sum(matches) / len(matches), "matches": matches, "errors": errors, "n": len(lat)}


def measure(queries: dict[str, list[dict[str, str]]], warmup: int, one: Any) -> dict[str, Any]:
    """Times `one(ds)` (ds None for C-ECHO) → (pending count, final status or None) for every
    query of every type; the first `warmup` of each type are run but not counted."""
    result: dict[str, Any] = {}
    for qtype in TYPES:
        lat, matches, errors = [], [], 0
        items = queries[qtype]
        for i, keys in enumerate(items[:warmup] + items):
            ds = None if qtype == "echo" else identifier(qtype, keys)
            t0 = time.perf_counter()
            count, final = one(ds)
            t1 = time.perf_counter()
            if i < warmup:
                continue
            if final != 0:
                errors += 1
            lat.append((t1 - t0) * 1000)
            matches.append(count)
        result[qtype] = summarize(lat, matches, errors)
    return result


def run_server_raw(name: str, spec: str, queries: dict[str, list[dict[str, str]]], warmup: int) -> dict[str, Any]:
    """The raw-socket SCU of rawfind.py: pending data sets are not decoded, so the latency is the
    server's (and the loopback's), not the client's."""
    from rawfind import RawFindClient

    aet, _, hostport = spec.partition("@")
    host, _, port = hostport.rpartition(":")
    client = [RawFindClient(aet, host, int(port))]

    def one(ds: Any) -> tuple[int, int | None]:
        try:
            return (0, client[0].echo()) if ds is None else client[0].find(ds)
        except (RuntimeError, OSError):
            client[0] = RawFindClient(aet, host, int(port))   # the peer dropped it: a failure, go on
            return 0, None

    try:
        return measure(queries, warmup, one)
    finally:
        try:
            client[0].release()
        except OSError:
            pass


def run_server(name: str, spec: str, queries: dict[str, list[dict[str, str]]], warmup: int) -> dict[str, Any]:
    """pynetdicom as the SCU: every response is decoded (adds ~0.5 ms per match)."""
    from pynetdicom import AE

    aet, _, hostport = spec.partition("@")
    host, _, port = hostport.rpartition(":")
    ae = AE(ae_title="FINDBENCH")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 120
    ae.add_requested_context(STUDY_ROOT_FIND)
    ae.add_requested_context(VERIFICATION)

    def connect() -> Any:
        a = ae.associate(host, int(port), ae_title=aet)
        try:
            a.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except (AttributeError, OSError):
            pass
        return a

    assoc = [connect()]
    if not assoc[0].is_established:
        return {"error": "association not established"}
    dropped = [0]

    def one(ds: Any) -> tuple[int, int | None]:
        if not assoc[0].is_established:      # the peer dropped it: count a failure, go on
            dropped[0] += 1
            assoc[0] = connect()
        count, final = 0, None
        try:
            if ds is None:
                st = assoc[0].send_c_echo()
                final = int(st.Status) if st is not None and "Status" in st else None
            else:
                for st, _ in assoc[0].send_c_find(ds, STUDY_ROOT_FIND):
                    if st is None or "Status" not in st:
                        break
                    code = int(st.Status)
                    if code in (0xFF00, 0xFF01):
                        count += 1
                    else:
                        final = code
        except RuntimeError:
            final = None
        return count, final

    try:
        return measure(queries, warmup, one)
    finally:
        if assoc[0].is_established:
            assoc[0].release()
        if dropped[0]:
            print(f"find-bench: {name} dropped the association {dropped[0]} times", file=sys.stderr)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--index", required=True)
    ap.add_argument("--server", action="append", required=True, help="NAME=AET@host:port (first: the reference)")
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--title", default="")
    ap.add_argument("--json")
    ap.add_argument("--client", choices=["raw", "pynetdicom"], default="raw",
                    help="raw: rawfind.py, reads pending responses without decoding them (default); "
                         "pynetdicom: decodes every response (adds ~0.5 ms per match)")
    a = ap.parse_args()
    queries = sample_queries(a.index, a.queries, a.seed)
    results: dict[str, dict[str, Any]] = {}
    for s in a.server:
        name, _, spec = s.partition("=")
        t0 = time.monotonic()
        runner = run_server_raw if a.client == "raw" else run_server
        results[name] = runner(name, spec, queries, a.warmup)
        print(f"find-bench: {name} done in {time.monotonic() - t0:.1f}s", file=sys.stderr, flush=True)
    names = list(results)
    ref = names[0]
    status = 0
    if a.title:
        print(f"\n{a.title}")
    print(f"{'query':22}" + "".join(f"{n + ' p50':>16}{n + ' p95':>16}{'matches':>9}" for n in names))
    for qtype in TYPES:
        line = f"{qtype:22}"
        for n in names:
            r = results[n].get(qtype)
            if r is None:
                line += f"{'FAILED':>16}{'':>16}{'':>9}"
                status = 1
                continue
            flag = ""
            if r["errors"]:
                flag = f" ({r['errors']} FAILED)"
                status = 1
            elif n != ref and results[ref].get(qtype) and r["matches"] != results[ref][qtype]["matches"]:
                where = [i for i, (x, y) in enumerate(zip(r["matches"], results[ref][qtype]["matches"])) if x != y]
                flag = f" ({len(where)} DIFFER)"
                for i in where[:4]:
                    print(f"find-bench: {qtype} query {i} {queries[qtype][i]}: {n} {r['matches'][i]} matches, "
                          f"{ref} {results[ref][qtype]['matches'][i]}", file=sys.stderr)
            line += f"{r['p50']:>13.2f} ms{r['p95']:>13.2f} ms{r['mean_matches']:>9.1f}{flag}"
        print(line)
    if len(names) > 1:
        print("\nratios <server>/" + ref + " (> 1: " + ref + " is faster)")
        for qtype in TYPES:
            parts = []
            for n in names[1:]:
                r, q = results[n].get(qtype), results[ref].get(qtype)
                if r and q and q["p50"] > 0 and q["p95"] > 0:
                    parts.append(f"{n}: p50 {r['p50'] / q['p50']:.2f}x  p95 {r['p95'] / q['p95']:.2f}x")
            print(f"  {qtype:22}" + "   ".join(parts))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({n: {t: {k: v for k, v in r.items() if k != "matches"} for t, r in res.items()
                           if isinstance(r, dict)} for n, res in results.items()}, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())
