#!/usr/bin/env python3
"""Fills an empty dicomnode index (DATA/index.sqlite) with N synthetic instances, fast, without DICOM.

The database must have been created by `dicomnode serve` on an empty data directory (so that the
schema and GRDB's `grdb_migrations` rows are exactly the node's); this script checks that both
migrations are recorded, then inserts rows the way SQLiteIndex.applyOne + refreshDerived would:

- patient / study / series / instance rows, 10 instances per study in 2 series of 5;
- the person name key columns of migration v2 as PersonNameKey.groups makes them (upper-cased
  component groups, trailing "^" and spaces dropped; one group here, so the ideographic and
  phonetic keys are NULL);
- the derived keys: Number of Patient/Study/Series Related …, Modalities in Study (distinct,
  sorted, joined with "\\").

The secondary indexes are dropped during the insert and re-created from their own SQL
(sqlite_master) afterwards, which is ~3x faster than inserting into them.

Shape (for N instances): N/10 studies, N/100 patients (at least 1), study dates uniformly over
2015-01-01 .. 2024-12-31, times uniform over the day; family names from N/400 generated surnames
(each surname ~4 patients), so "SURNAME*" matches ~4 patients, ~40 studies. UIDs are derived from
the study number: study  <ROOT>.<s>, series <study>.<1|2>, instance <series>.<n>.

    find_index.py --db DATA/index.sqlite --instances 1000000
"""

from __future__ import annotations

import argparse
import datetime
import random
import sqlite3
import sys
import time

ROOT = "2.25.2718281828459045235360287471352"
MIGRATIONS = ["v1: patient, study, series, instance", "v2: person name matching keys"]
SYLLABLES = ["KA", "MO", "RI", "TA", "NE", "SU", "LO", "BER", "GAN", "DEL", "VIN", "HOL", "MAR", "TIN",
             "SEN", "OK", "RU", "PA", "LI", "ZHO", "WEN", "DA", "FE", "NOR"]
GIVEN = ["Anna", "John", "Mei", "Hiro", "Lena", "Omar", "Ravi", "Sofia", "Tom", "Yuki", "Eva", "Ivan"]
CT, MR = "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.4"
EXPLICIT_LE = "1.2.840.10008.1.2.1"


def surnames(count: int, rng: random.Random) -> list[str]:
    out: set[str] = set()
    while len(out) < count:
        out.add("".join(rng.choice(SYLLABLES) for _ in range(rng.choice((3, 4)))))
    return sorted(out)


def name_key(name: str) -> str:
    """PersonNameKey.normalize of one group."""
    return name.upper().rstrip("^ ")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--instances", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20241124)
    a = ap.parse_args()
    if a.instances < 10 or a.instances % 10:
        print("find_index: --instances must be a positive multiple of 10", file=sys.stderr)
        return 2
    rng = random.Random(a.seed)
    n_studies = a.instances // 10
    n_patients = max(1, a.instances // 100)
    names = surnames(max(1, n_patients // 4), rng)

    con = sqlite3.connect(a.db, isolation_level=None)
    con.execute("PRAGMA synchronous = OFF")
    # Off during the bulk insert (patients carry counts and go in last); checked at the end.
    con.execute("PRAGMA foreign_keys = OFF")
    con.execute("PRAGMA cache_size = -200000")
    done = {r[0] for r in con.execute("SELECT identifier FROM grdb_migrations")}
    missing = [m for m in MIGRATIONS if m not in done]
    if missing:
        print(f"find_index: migrations not recorded by the node: {missing} (run dicomnode serve once first)",
              file=sys.stderr)
        return 2
    if con.execute("SELECT COUNT(*) FROM instance").fetchone()[0]:
        print("find_index: the index is not empty", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    tables = ("patient", "study", "series", "instance")
    indexes = con.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({','.join('?' * len(tables))})", tables).fetchall()
    con.execute("BEGIN")
    for name, _ in indexes:
        con.execute(f'DROP INDEX "{name}"')

    # patients
    patients = []
    for p in range(1, n_patients + 1):
        family, given = rng.choice(names), rng.choice(GIVEN)
        name = f"{family}^{given}"
        birth = datetime.date(1930, 1, 1) + datetime.timedelta(days=rng.randrange(0, 90 * 365))
        patients.append([p, f"BP{p:07d}", "", name, birth.strftime("%Y%m%d"), rng.choice("MFO"), 0, 0, 0,
                         name_key(name), None, None])
    # studies, series, instances
    start = datetime.date(2015, 1, 1)
    days = (datetime.date(2024, 12, 31) - start).days + 1
    studies, series, instances = [], [], []
    now = time.time()
    series_id = instance_id = 0
    for s in range(1, n_studies + 1):
        p = rng.randrange(1, n_patients + 1)
        prow = patients[p - 1]
        date = (start + datetime.timedelta(days=rng.randrange(days))).strftime("%Y%m%d")
        secs = rng.randrange(86400)
        tm = f"{secs // 3600:02d}{secs // 60 % 60:02d}{secs % 60:02d}"
        study_uid = f"{ROOT}.{s}"
        modalities = ["CT", rng.choice(("CT", "MR"))]
        studies.append((s, p, study_uid, date, tm, f"A{s:08d}", f"S{s}", f"Bench study {s % 97}", None,
                        "\\".join(sorted(set(modalities))), 2, 10, prow[1], "", None, None, None))
        prow[6] += 1
        prow[7] += 2
        prow[8] += 10
        for k, modality in enumerate(modalities, start=1):
            series_id += 1
            series_uid = f"{study_uid}.{k}"
            series.append((series_id, s, series_uid, modality, k, f"Series {k}", "CHEST", date, tm, None, 5))
            sop_class = CT if modality == "CT" else MR
            for n in range(1, 6):
                instance_id += 1
                instances.append((instance_id, series_id, f"{series_uid}.{n}", sop_class, n, EXPLICIT_LE,
                                  f"bench/{instance_id:08d}.dcm", 526000, "BENCH", now, None, 512, 512, None))
        if len(instances) >= 200_000:
            flush(con, studies, series, instances)
    con.executemany("""INSERT INTO patient (id, patientID, issuerOfPatientID, patientName, patientBirthDate,
        patientSex, numberOfPatientRelatedStudies, numberOfPatientRelatedSeries, numberOfPatientRelatedInstances,
        patientNameKey, patientNameIdeographicKey, patientNamePhoneticKey) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)""",
                    patients)
    flush(con, studies, series, instances)
    t1 = time.monotonic()
    for _, sql in indexes:
        con.execute(sql)
    con.execute("COMMIT")
    con.execute("ANALYZE")
    t2 = time.monotonic()
    # Derived keys must be exactly what refreshDerived computes: check a sample.
    bad = con.execute("""SELECT COUNT(*) FROM (SELECT s.id FROM study s WHERE s.id % 997 = 1 AND
        s.numberOfStudyRelatedInstances <> (SELECT COUNT(*) FROM instance i JOIN series se ON se.id = i.seriesId
        WHERE se.studyId = s.id))""").fetchone()[0]
    bad += len(con.execute("PRAGMA foreign_key_check").fetchmany(5))
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    if bad:
        print(f"find_index: {bad} sampled studies with wrong counts or foreign key violations", file=sys.stderr)
        return 1
    print(f"patients {n_patients} studies {n_studies} series {series_id} instances {instance_id} "
          f"insert_s {t1 - t0:.1f} index_s {t2 - t1:.1f}")
    return 0


def flush(con: sqlite3.Connection, studies: list, series: list, instances: list) -> None:
    con.executemany("""INSERT INTO study (id, patientId, studyInstanceUID, studyDate, studyTime, accessionNumber,
        studyID, studyDescription, referringPhysicianName, modalitiesInStudy, numberOfStudyRelatedSeries,
        numberOfStudyRelatedInstances, patientIDAsReceived, issuerOfPatientIDAsReceived, referringPhysicianNameKey,
        referringPhysicianNameIdeographicKey, referringPhysicianNamePhoneticKey)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", studies)
    con.executemany("""INSERT INTO series (id, studyId, seriesInstanceUID, modality, seriesNumber, seriesDescription,
        bodyPartExamined, seriesDate, seriesTime, performedProcedureStepStartDate, numberOfSeriesRelatedInstances)
        VALUES (?,?,?,?,?,?,?,?,?,?,?)""", series)
    con.executemany("""INSERT INTO instance (id, seriesId, sopInstanceUID, sopClassUID, instanceNumber,
        transferSyntaxUID, objectPath, fileSize, sourceAETitle, receivedAt, numberOfFrames, rows, columns,
        specificCharacterSet) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)""", instances)
    studies.clear()
    series.clear()
    instances.clear()


if __name__ == "__main__":
    sys.exit(main())
