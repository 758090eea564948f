#!/usr/bin/env python3
"""Turns the results of bench/read-headers.sh into a text table, a Markdown table and JSON.

    report.py --results DIR [--json FILE]

DIR holds cases.tsv (id, tool, mode, peer-group, command, lines found, expected, status),
one hyperfine export <id>.json and one `/usr/bin/time -v` log <id>.time per case, and
info.json (file count, total bytes, versions, machine).
"""
import argparse
import csv
import json
import os
import re
import sys


def peak_rss_kb(path):
    try:
        with open(path) as f:
            m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
        return int(m.group(1)) if m else None
    except OSError:
        return None


def load(results):
    with open(os.path.join(results, "info.json")) as f:
        info = json.load(f)
    cases = []
    with open(os.path.join(results, "cases.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            case = dict(row)
            case["lines"] = int(case["lines"])
            case["expected"] = int(case["expected"])
            case["peak_rss_kb"] = peak_rss_kb(os.path.join(results, case["id"] + ".time"))
            hf = os.path.join(results, case["id"] + ".json")
            if case["status"] == "ok" and os.path.exists(hf):
                with open(hf) as f:
                    r = json.load(f)["results"][0]
                case.update(median_s=r["median"], mean_s=r["mean"], stddev_s=r["stddev"] or 0.0,
                            min_s=r["min"], runs=len(r["times"]))
            cases.append(case)
    return info, cases


def fmt(x, spec):
    """Formats x with spec; a missing value becomes a dash of the same width."""
    if x is None:
        width = int(re.match(r"\d*", spec).group(0) or 0)
        return "—".rjust(width)
    return format(x, spec)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--json")
    args = ap.parse_args()
    info, cases = load(args.results)
    n, total = info["files"], info["total_bytes"]
    mb = total / 1e6
    for c in cases:
        t = c.get("median_s") if c["group"] != "none" else None   # "none": context rows, no files read
        c["files_per_s"] = n / t if t else None
        c["mb_per_s"] = mb / t if t else None

    by_id = {c["id"]: c for c in cases}

    def best(group):
        # The fastest valid case of a peer group (e.g. the fastest honest dcmdump variant).
        ok = [c for c in cases if c["group"] == group and c.get("median_s")]
        return min(ok, key=lambda c: c["median_s"]) if ok else None

    ratios = []

    def ratio(label, num, den, aim=None, note=""):
        if num and den and num.get("median_s") and den.get("median_s"):
            value = num["median_s"] / den["median_s"]
            ratios.append(dict(label=label, ratio=value, ratio_of_mins=num["min_s"] / den["min_s"],
                               numerator=num["id"], denominator=den["id"],
                               aim=aim, met=(None if aim is None else value >= aim), note=note))
        else:
            ratios.append(dict(label=label, ratio=None, ratio_of_mins=None, numerator=num and num["id"],
                               denominator=den and den["id"], aim=aim, met=None, note="not measured"))

    dn_h, dn_f = by_id.get("dicomnode-headers"), by_id.get("dicomnode-full")
    ratio("headers-only: dcmdump / dicomnode", best("dcmdump-headers"), dn_h, aim=5.0)
    ratio("headers-only: pydicom / dicomnode", best("pydicom-headers"), dn_h, aim=5.0)
    ratio("full read: dcmdump / dicomnode", best("dcmdump-full"), dn_f)
    ratio("full read: pydicom / dicomnode", best("pydicom-full"), dn_f)
    ratio("full read: dicomnode speed / cat speed", best("pagecache"), dn_f,
          note="1.0 = as fast as copying the files out of the page cache")

    # Text table
    head = f"{'tool':<34} {'mode':<13} {'median s':>9} {'min s':>8} {'± sd':>7} {'files/s':>9} {'MB/s':>8} {'peak RSS MB':>11}  check"
    print(head)
    print("-" * len(head))
    for c in cases:
        check = f"{c['lines']}/{c['expected']}" if c["expected"] else "n/a"
        if c["status"] != "ok":
            check += f" {c['status'].upper()}"
        rss = c["peak_rss_kb"] / 1024 if c["peak_rss_kb"] else None
        print(f"{c['tool']:<34} {c['mode']:<13} {fmt(c.get('median_s'), '9.4f')} {fmt(c.get('min_s'), '8.4f')} "
              f"{fmt(c.get('stddev_s'), '7.4f')} {fmt(c['files_per_s'], '9.0f')} "
              f"{fmt(c['mb_per_s'], '8.0f')} {fmt(rss, '11.1f')}  {check}")
    print()
    for r in ratios:
        verdict = "" if r["met"] is None else (f"  (aim ≥ {r['aim']:g}×: {'met' if r['met'] else 'NOT met'})")
        print(f"{r['label']:<42} {fmt(r['ratio'], '7.2f')}× (of mins {fmt(r['ratio_of_mins'], '.2f')}×){verdict}" + (f"  [{r['note']}]" if r["note"] else ""))

    # Markdown table for docs/performance.md
    print()
    print(f"Reading a {n}-file CT series ({n} × {total / n / 1024:.0f} KiB, {mb:.0f} MB; "
          f"512×512 16-bit, Explicit VR Little Endian), warm page cache, "
          f"median of {info['runs']} hyperfine runs, one process per tool; "
          f"{info['machine']}. MB/s counts whole files even for headers-only.")
    print()
    print("| Tool | Mode | Median (s) | Min (s) | Files/s | MB/s | Peak RSS (MB) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for c in cases:
        if c["status"] != "ok":
            print(f"| {c['tool']} | {c['mode']} | {c['status']} | | | | |")
            continue
        rss = c["peak_rss_kb"] / 1024 if c["peak_rss_kb"] else None
        print(f"| {c['tool']} | {c['mode']} | {c['median_s']:.4f} | {c['min_s']:.4f} | "
              f"{fmt(c['files_per_s'], '.0f')} | {fmt(c['mb_per_s'], '.0f')} | {fmt(rss, '.1f')} |")
    print()
    print("| Ratio (peer time / dicomnode time) | Of medians | Of minimums |")
    print("|---|---:|---:|")
    for r in ratios:
        aim = "" if r["aim"] is None else f" (aim ≥ {r['aim']:g}×)"
        print(f"| {r['label']}{aim} | {fmt(r['ratio'], '.2f')}× | {fmt(r['ratio_of_mins'], '.2f')}× |")
    print()
    print("Versions: " + "; ".join(f"{k} {v}" for k, v in info["versions"].items()))

    if args.json:
        with open(args.json, "w") as f:
            json.dump(dict(info=info, cases=cases, ratios=ratios), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    sys.exit(main())
