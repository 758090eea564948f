#!/usr/bin/env python3
"""Prints the store benchmark's table and ratios from the results TSV bench/store.sh writes.

    store_report.py RESULTS.tsv [--info TEXT]
"""
import argparse
import csv


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--info", default="")
    args = ap.parse_args()
    rows = list(csv.DictReader(open(args.results), delimiter="\t"))
    for r in rows:
        secs = float(r["seconds"]) if r["seconds"] else 0.0
        r["ips"] = int(r["files"]) / secs if secs > 0 else 0.0
        r["mbps"] = int(r["bytes"]) / 1e6 / secs if secs > 0 else 0.0
        r["ok"] = r["stored"] == r["expected"]

    print()
    if args.info:
        print(args.info)
    head = f"{'server':<12} {'case':<10} {'files':>6} {'seconds':>9} {'inst/s':>9} {'MB/s':>8} {'peak RSS':>10}  check"
    print(head)
    print("-" * len(head))
    for r in rows:
        rss = f"{int(r['rss_kib']) / 1024:.0f} MiB" if r["rss_kib"].strip().isdigit() else "-"
        check = "ok" if r["ok"] else f"FAILED (stored {r['stored']} of {r['expected']})"
        print(f"{r['server']:<12} {r['case']:<10} {r['files']:>6} {float(r['seconds']):>9.2f} "
              f"{r['ips']:>9.1f} {r['mbps']:>8.1f} {rss:>10}  {check}")

    def rate(server, case_prefix):
        for r in rows:
            if r["server"] == server and r["case"].startswith(case_prefix) and r["ok"]:
                return r["ips"]
        return None

    def ratio(label, a, b):
        if a and b:
            print(f"  {label:<44} {a / b:6.2f}x")
        else:
            print(f"  {label:<44}    n/a")

    single, multi = "1 assoc", next((r["case"] for r in rows if r["case"].endswith("assoc")
                                      and not r["case"].startswith("1 ")), "8 assoc")
    print()
    print("ratios (instances/s; > 1: dicomnode faster)")
    ratio("dicomnode 1 assoc / fsync limit", rate("dicomnode", single), rate("fsync-limit", "write"))
    ratio(f"dicomnode {multi} / fsync limit", rate("dicomnode", multi), rate("fsync-limit", "write"))
    ratio("sender ceiling (tmpfs sink) / fsync limit", rate("tmpfs-sink", single), rate("fsync-limit", "write"))
    ratio("dicomnode 1 assoc / sender ceiling", rate("dicomnode", single), rate("tmpfs-sink", single))
    ratio("dicomnode / Orthanc, 1 assoc", rate("dicomnode", single), rate("orthanc", single))
    ratio(f"dicomnode / Orthanc, {multi}", rate("dicomnode", multi), rate("orthanc", multi))
    ratio("dicomnode / storescp, 1 assoc", rate("dicomnode", single), rate("storescp", single))
    ratio(f"dicomnode / storescp, {multi}", rate("dicomnode", multi), rate("storescp", multi))


if __name__ == "__main__":
    main()
