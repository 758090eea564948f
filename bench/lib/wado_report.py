#!/usr/bin/env python3
"""Summary of bench/wado.sh: per-round table, medians, MB/s, ratios orthanc/dicomnode, rendered
p50/p95, RSS, and the aims of issue 5 (met / missed). Any FAILED check is printed as FAILED."""
import argparse
import json
import os
import statistics

AIM_SERIES = 2.0      # Orthanc's last-byte time / dicomnode's, at least
AIM_RENDERED = 2.0    # Orthanc's rendered p50 / dicomnode's, at least
AIM_RSS_MB = 150      # dicomnode's RSS while serving, below


def pairs(values):
    out = {}
    for v in values or []:
        k, _, x = v.partition("=")
        out[k] = x
    return out


def mib(kib):
    return f"{int(kib) / 1024:.0f}" if kib not in (None, "", "None") else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--retrieve", required=True)
    ap.add_argument("--rendered", required=True)
    ap.add_argument("--rss", required=True, help="prefix: RSS.0 sequential, RSS.1 parallel, RSS.2 rendered")
    ap.add_argument("--parallel")
    ap.add_argument("--pids", nargs="+")
    ap.add_argument("--idle", nargs="+")
    ap.add_argument("--end", nargs="+")
    ap.add_argument("--hwm", nargs="+")
    ap.add_argument("--slices", type=int, required=True)
    ap.add_argument("--file-bytes", type=int, required=True)
    ap.add_argument("--info", default="")
    a = ap.parse_args()
    pids, idle, end, hwm = pairs(a.pids), pairs(a.idle), pairs(a.end), pairs(a.hwm)
    servers = ["dicomnode", "orthanc"]

    rows = []
    with open(a.retrieve) as f:
        head = f.readline().rstrip("\n").split("\t")
        for line in f:
            rows.append(dict(zip(head, line.rstrip("\n").split("\t"))))

    print(f"DICOMweb benchmark: {a.info}")
    print(f"series: {a.slices} instances, {a.file_bytes / 1e6:.1f} MB of files")
    print()
    print("WADO-RS series retrieve (curl, Accept: multipart/related; type=\"application/dicom\"; transfer-syntax=*)")
    print(f"  {'round':>5} {'server':<10} {'TTFB s':>8} {'last s':>8} {'MB/s':>7} {'bytes':>11} {'srv cpu':>8} {'curl cpu':>8}  check")
    for r in rows:
        print(f"  {r['round']:>5} {r['server']:<10} {float(r['ttfb']):8.4f} {float(r['total']):8.3f} "
              f"{int(r['bytes']) / 1e6 / max(float(r['total']), 1e-9):7.0f} {r['bytes']:>11} {r['server_cpu']:>8} {r['curl_cpu']:>8}  {r['check']}")
    med = {}
    for s in servers:
        ok = [r for r in rows if r["server"] == s and r["check"] == "ok"]
        bad = [r for r in rows if r["server"] == s and r["check"] != "ok"]
        if not ok:
            med[s] = None
            continue
        med[s] = {
            "ttfb": statistics.median(float(r["ttfb"]) for r in ok),
            "total": statistics.median(float(r["total"]) for r in ok),
            "min": min(float(r["total"]) for r in ok),
            "bytes": statistics.median(int(r["bytes"]) for r in ok),
            "cpu": statistics.median(float(r["server_cpu"]) for r in ok),
            "curl": statistics.median(float(r["curl_cpu"]) for r in ok),
            "n": len(ok), "failed": len(bad),
        }
    print()
    print("  median of rounds:")
    for s in servers:
        m = med[s]
        if m is None:
            print(f"  {s:<10} FAILED (no successful round)")
            continue
        print(f"  {s:<10} TTFB {m['ttfb'] * 1e3:7.1f} ms   last byte {m['total']:.3f} s (min {m['min']:.3f})   "
              f"{m['bytes'] / 1e6 / m['total']:5.0f} MB/s   server CPU {m['cpu']:.2f} s, curl CPU {m['curl']:.2f} s"
              f"   [{m['n']} ok{', %d FAILED' % m['failed'] if m['failed'] else ''}]")
    series_ratio = ttfb_ratio = None
    if med["dicomnode"] and med["orthanc"]:
        series_ratio = med["orthanc"]["total"] / med["dicomnode"]["total"]
        ttfb_ratio = med["orthanc"]["ttfb"] / med["dicomnode"]["ttfb"]
        print(f"  ratio orthanc/dicomnode: last byte {series_ratio:.2f}x, TTFB {ttfb_ratio:.2f}x (> 1: dicomnode is faster)")

    par = []
    if a.parallel and os.path.exists(a.parallel):
        with open(a.parallel) as f:
            head = f.readline().rstrip("\n").split("\t")
            par = [dict(zip(head, l.rstrip("\n").split("\t"))) for l in f if l.strip()]
    par_ratio = None
    if par:
        print()
        print(f"WADO-RS series, {par[0]['clients']} curl clients at once (each server in turn)")
        for r in par:
            wall = float(r["wall"])
            print(f"  {r['server']:<10} all done in {wall:.3f} s   {int(r['bytes']) / 1e6 / wall:5.0f} MB/s together   "
                  f"server CPU {r['server_cpu']} s   {r['check']}")
        byname = {r["server"]: r for r in par}
        if all(s in byname and byname[s]["check"] == "ok" for s in servers):
            par_ratio = float(byname["orthanc"]["wall"]) / float(byname["dicomnode"]["wall"])
            print(f"  ratio orthanc/dicomnode: {par_ratio:.2f}x (> 1: dicomnode is faster)")

    print()
    print("Rendered JPEG (Accept: image/jpeg, keep-alive, TCP_NODELAY, alternating)")
    rendered = {}
    with open(a.rendered) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                rendered[r["server"]] = r
    for s in servers:
        r = rendered.get(s)
        if r is None:
            print(f"  {s:<10} no result")
        elif not r.get("available"):
            verdict = "not available" if r.get("after", 0) == 0 else f"FAILED after {r['after']} requests"
            print(f"  {s:<10} {verdict}: HTTP {r.get('status')} {r.get('content_type', '')} {r.get('reason', '')[:100]!r}")
        else:
            img = r.get("image", {})
            print(f"  {s:<10} p50 {r['p50_ms']:6.2f} ms   p95 {r['p95_ms']:6.2f} ms   mean {r['mean_ms']:6.2f} ms   "
                  f"n={r['n']}   {r['avg_bytes'] / 1024:.0f} KiB/image   first image {img.get('width')}x{img.get('height')} "
                  f"{img.get('mode')} values {img.get('min')}..{img.get('max')} mean {img.get('mean')}")
    rendered_ratio = None
    if all(rendered.get(s, {}).get("available") for s in servers):
        rendered_ratio = rendered["orthanc"]["p50_ms"] / rendered["dicomnode"]["p50_ms"]
        print(f"  ratio orthanc/dicomnode: p50 {rendered_ratio:.2f}x, "
              f"p95 {rendered['orthanc']['p95_ms'] / rendered['dicomnode']['p95_ms']:.2f}x (> 1: dicomnode is faster)")

    print()
    print("Memory, MiB (VmRSS idle after loading; min..max sampled every 20 ms in each phase; at the end; VmHWM)")
    phases = [("sequential", 0), ("parallel", 1), ("rendered", 2)]
    rss = {}
    for label, n in phases:
        try:
            with open(f"{a.rss}.{n}") as f:
                rss[label] = json.load(f)
        except OSError:
            rss[label] = {}
    dn_max = None
    for s in servers:
        parts = []
        for label, _ in phases:
            st = rss[label].get(pids.get(s, ""), {})
            if st.get("samples"):
                parts.append(f"{label} {mib(st['min'])}..{mib(st['max'])}")
                if s == "dicomnode":
                    dn_max = max(dn_max or 0, st["max"])
        print(f"  {s:<10} idle {mib(idle.get(s))}   {'   '.join(parts)}   end {mib(end.get(s))}   peak {mib(hwm.get(s))}")
    print()
    print("Aims (issue 5):")
    if series_ratio is not None:
        print(f"  series at least {AIM_SERIES:.0f}x faster than Orthanc: {series_ratio:.2f}x  "
              f"{'met' if series_ratio >= AIM_SERIES else 'MISSED'}")
    else:
        print("  series at least 2x faster than Orthanc: FAILED (no comparable rounds)")
    if rendered_ratio is not None:
        print(f"  rendered p50 at most half of Orthanc's: {rendered_ratio:.2f}x  "
              f"{'met' if rendered_ratio >= AIM_RENDERED else 'MISSED'}")
    else:
        print("  rendered p50 at most half of Orthanc's: not measurable (a server has no rendered resource)")
    if dn_max is not None:
        ok = dn_max / 1024 < AIM_RSS_MB
        print(f"  dicomnode RSS under {AIM_RSS_MB} MB while serving: max {dn_max / 1024:.0f} MiB "
              f"(idle {mib(idle.get('dicomnode'))} MiB, all phases)  {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
