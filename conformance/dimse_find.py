#!/usr/bin/env python3
"""dicomnode serve as a Query/Retrieve C-FIND SCP (PS3.4 Annex C), against DCMTK findscu and pynetdicom.

A generated corpus (8 patients, 11 studies, 24 series; patient names in the default repertoire,
GB18030, UTF-8, GBK, Latin-1 and ISO 2022 IR 87; study dates 2018–2024 with times; accession
numbers; CT, MR and US) is stored into the node with pynetdicom. Then every query below is sent
with `/usr/bin/findscu` (responses written with `-X -od DIR` and read back with pydicom) and with
pynetdicom, and the responses are compared EXACTLY with what was stored: the set of entities
matched (by their unique key) and every returned value.

- PS3.4 §C.2.2.2.1 single value (PatientID, AccessionNumber); §C.2.2.2.4 wildcard ("smi*" matches
  Smith and SMITHERS: PN matching is case-insensitive in dicomnode); PN per component group across
  character sets (a GB18030 query finds names stored in UTF-8 and GBK and the other way round);
  §C.2.2.2.5 date ranges closed / open either side, time range; §C.2.2.2.2 list of UIDs;
  IMAGE level by SeriesInstanceUID; the derived keys of §C.6.1.1.3 (Number of … Related …,
  Modalities in Study, SOP Classes in Study), Retrieve AE Title and Instance Availability;
  a key the SCP does not know comes back zero-length (§C.4.1.1.3.2).
- Bad identifiers (PS3.4 Table C.4-1): no or unknown Query/Retrieve Level, PATIENT in Study Root,
  a key below the level with a value → A900; a malformed date range or an unknown Specific
  Character Set → C000. The association goes on after each.
- C-CANCEL (PS3.7 §9.1.2.1.6, PS3.4 §C.4.1.1.4) after the first pending response of a query
  matching 1500 instances: final status FE00, fewer responses than matches, and the node still
  answers C-ECHO on that association and on a new one.

    python3 conformance/dimse_find.py --dicomnode .build/release/dicomnode
"""

from __future__ import annotations

import shutil
import socket
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from conformance.lib.node import Checks, Node, echoscu, run, standard_args, tail  # noqa: E402

FINDSCU = "/usr/bin/findscu"
CALLING = "FINDSCU"
BULK_INSTANCES = 1500

CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
US = "1.2.840.10008.5.1.4.1.1.6.1"
SC = "1.2.840.10008.5.1.4.1.1.7"
SOP_OF = {"CT": CT, "MR": MR, "US": US, "OT": SC}
PATIENT_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.1.1"
STUDY_ROOT_FIND = "1.2.840.10008.5.1.4.1.2.2.1"
UID_ROOT = "2.25.3141592653589793238462643383279"  # 2.25 + a fixed integer: reruns give the same UIDs

# (PatientID, PatientName, Specific Character Set, sex, birth date)
PATIENTS = [
    ("CONF-P1", "Smith^John", None, "M", "19600101"),
    ("CONF-P2", "SMITHERS^Anna", None, "F", "19751224"),
    ("CONF-P3", "Wang^XiaoDong=王^小东", "GB18030", "M", "19800229"),
    ("CONF-P4", "Li^Hua=李^华", "ISO_IR 192", "F", "19900615"),
    ("CONF-P5", "Zhang^San=张^三", "GBK", "M", "19551111"),
    ("CONF-P6", "Müller^Jürgen", "ISO_IR 100", "M", "19700707"),
    ("CONF-P7", "Yamada^Tarou=山田^太郎=やまだ^たろう", ["", "ISO 2022 IR 87"], "M", "19650303"),
    ("CONF-BULK", "Bulk^Patient", None, "O", "20000101"),
]

# (patient index, StudyDate, StudyTime, AccessionNumber, [(Modality, instances), ...])
STUDIES = [
    (0, "20190315", "083000", "ACC1001", [("CT", 3), ("CT", 2)]),
    (0, "20210610", "141500", "ACC1002", [("MR", 2), ("MR", 1)]),
    (1, "20200101", "090000", "ACC1003", [("US", 2), ("CT", 1)]),
    (2, "20211231", "235959", "ACC1004", [("CT", 2), ("MR", 2)]),
    (2, "20220704", "101010", "ACC1005", [("US", 3)]),
    (3, "20230101", "000000", "ACC1006", [("MR", 2), ("MR", 2), ("CT", 1), ("OT", 1)]),
    (4, "20240229", "123000", "ACC1007", [("CT", 2)]),
    (4, "20191120", "073000", "ACC1008", [("US", 1), ("US", 1)]),
    (5, "20230815", "160000", "ACC1009", [("CT", 1), ("MR", 1)]),
    (6, "20241231", "110000.5", "ACC1010", [("MR", 2)]),
    (7, "20180101", "120001", "ACC9999", [("CT", BULK_INSTANCES)]),
]

MULTI = {"ModalitiesInStudy", "SOPClassesInStudy"}
INTS = {"NumberOfPatientRelatedStudies", "NumberOfPatientRelatedSeries", "NumberOfPatientRelatedInstances",
        "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "NumberOfSeriesRelatedInstances",
        "SeriesNumber", "InstanceNumber"}
UNIQUE = {"PATIENT": "PatientID", "STUDY": "StudyInstanceUID", "SERIES": "SeriesInstanceUID", "IMAGE": "SOPInstanceUID"}


# --- the corpus and what the index must answer --------------------------------------------------

class Corpus:
    """The stored entities per level, each a dict of the keys a C-FIND can return."""

    def __init__(self) -> None:
        self.patients: dict[str, dict[str, Any]] = {}
        self.studies: dict[str, dict[str, Any]] = {}
        self.series: dict[str, dict[str, Any]] = {}
        self.instances: dict[str, dict[str, Any]] = {}
        self.datasets: list[Any] = []
        self.charset_of: dict[str, Any] = {}
        self._build()

    def _build(self) -> None:
        from pydicom.dataset import Dataset, FileMetaDataset
        from pydicom.uid import ExplicitVRLittleEndian

        for pid, name, cs, sex, birth in PATIENTS:
            self.patients[pid] = {"PatientID": pid, "PatientName": name, "PatientSex": sex,
                                  "PatientBirthDate": birth, "NumberOfPatientRelatedStudies": 0,
                                  "NumberOfPatientRelatedSeries": 0, "NumberOfPatientRelatedInstances": 0}
            self.charset_of[pid] = cs
        for s_index, (p_index, date, tm, acc, series_list) in enumerate(STUDIES, start=1):
            pid, name, cs, sex, birth = PATIENTS[p_index]
            patient = self.patients[pid]
            study_uid = f"{UID_ROOT}.{s_index}"
            study = dict(patient)
            for k in [k for k in study if k.startswith("NumberOfPatient")]:
                del study[k]
            study.update({"StudyInstanceUID": study_uid, "StudyDate": date, "StudyTime": tm, "AccessionNumber": acc,
                          "StudyID": f"S{s_index}", "StudyDescription": f"Study {s_index}",
                          "ModalitiesInStudy": set(), "SOPClassesInStudy": set(),
                          "NumberOfStudyRelatedSeries": 0, "NumberOfStudyRelatedInstances": 0})
            self.studies[study_uid] = study
            patient["NumberOfPatientRelatedStudies"] += 1
            for se_index, (modality, count) in enumerate(series_list, start=1):
                series_uid = f"{study_uid}.{se_index}"
                series = {k: v for k, v in study.items() if not k.startswith("NumberOf") and k not in MULTI}
                series.update({"SeriesInstanceUID": series_uid, "Modality": modality, "SeriesNumber": se_index,
                               "NumberOfSeriesRelatedInstances": count})
                self.series[series_uid] = series
                study["ModalitiesInStudy"].add(modality)
                study["SOPClassesInStudy"].add(SOP_OF[modality])
                study["NumberOfStudyRelatedSeries"] += 1
                study["NumberOfStudyRelatedInstances"] += count
                patient["NumberOfPatientRelatedSeries"] += 1
                patient["NumberOfPatientRelatedInstances"] += count
                for n in range(1, count + 1):
                    sop_uid = f"{series_uid}.{n}"
                    inst = {k: v for k, v in series.items() if k != "NumberOfSeriesRelatedInstances"}
                    inst.update({"SOPInstanceUID": sop_uid, "SOPClassUID": SOP_OF[modality], "InstanceNumber": n})
                    self.instances[sop_uid] = inst
                    ds = Dataset()
                    if cs is not None:
                        ds.SpecificCharacterSet = cs
                    ds.SOPClassUID = SOP_OF[modality]
                    ds.SOPInstanceUID = sop_uid
                    ds.StudyDate, ds.StudyTime, ds.AccessionNumber = date, tm, acc
                    ds.Modality = modality
                    ds.PatientName, ds.PatientID, ds.PatientBirthDate, ds.PatientSex = name, pid, birth, sex
                    ds.StudyInstanceUID, ds.SeriesInstanceUID = study_uid, series_uid
                    ds.StudyID, ds.StudyDescription = f"S{s_index}", f"Study {s_index}"
                    ds.SeriesNumber, ds.InstanceNumber = se_index, n
                    ds.file_meta = FileMetaDataset()
                    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
                    self.datasets.append(ds)

    def entities(self, level: str) -> dict[str, dict[str, Any]]:
        return {"PATIENT": self.patients, "STUDY": self.studies, "SERIES": self.series,
                "IMAGE": self.instances}[level]


def pn_groups(name: str) -> list[str]:
    """PersonNameKey.groups in Python: upper-cased groups, trailing '^' and spaces dropped."""
    return [g.upper().rstrip("^ ") for g in name.split("=")]


def pn_prefix(prefix: str) -> Callable[[dict[str, Any]], bool]:
    p = prefix.upper()
    return lambda e: any(g.startswith(p) for g in pn_groups(e["PatientName"]) if g)


def pn_exact(value: str) -> Callable[[dict[str, Any]], bool]:
    v = value.upper().rstrip("^ ")
    return lambda e: v in pn_groups(e["PatientName"])


def in_range(key: str, lo: str | None, hi: str | None) -> Callable[[dict[str, Any]], bool]:
    def test(e: dict[str, Any]) -> bool:
        v = e.get(key) or ""
        if not v:
            return False
        if key == "StudyTime":
            v6 = v.split(".")[0]
            return (lo is None or v6 >= lo) and (hi is None or v6 <= hi)
        return (lo is None or v >= lo) and (hi is None or v <= hi)
    return test


# --- sending queries -------------------------------------------------------------------------------

class Response:
    def __init__(self, final: int | None, identifiers: list[Any], error: str = "") -> None:
        self.final = final
        self.identifiers = identifiers
        self.error = error


def encode_value(value: str, charset: Any) -> bytes:
    if not charset:
        return value.encode("ascii")
    import pydicom.charset

    terms = charset if isinstance(charset, list) else [charset]
    return pydicom.charset.encode_string(value, pydicom.charset.convert_encodings(terms))


def find_with_findscu(port: int, aet: str, model: str, level: str, keys: dict[str, str], returns: list[str],
                      charset: Any, work: Path) -> Response:
    from pydicom.datadict import tag_for_keyword
    import pydicom

    out = Path(tempfile.mkdtemp(prefix="rsp-", dir=work))
    argv: list[bytes | str] = [FINDSCU, "-aet", CALLING, "-aec", aet, "-P" if model == "P" else "-S",
                               "-X", "-od", str(out), "-to", "30", "-ta", "30", "-td", "60"]

    def key(kw: str) -> str:
        t = tag_for_keyword(kw)
        return f"{t >> 16:04x},{t & 0xFFFF:04x}" if t is not None else kw

    if charset:
        argv += ["-k", f"0008,0005={charset if isinstance(charset, str) else chr(92).join(charset)}"]
    argv += ["-k", f"0008,0052={level}"]
    for kw, value in keys.items():
        argv += ["-k", key(kw).encode() + b"=" + encode_value(value, charset)]
    for kw in returns:
        if kw not in keys:
            argv += ["-k", key(kw)]
    argv += ["127.0.0.1", str(port)]
    import subprocess
    from conformance.lib.node import peer_env
    try:
        r = subprocess.run(argv, capture_output=True, timeout=180, env=peer_env())
        rc, text = r.returncode, (r.stdout + r.stderr).decode(errors="replace")
    except subprocess.TimeoutExpired:
        rc, text = -9, "timed out"
    files = sorted(out.glob("rsp*.dcm"))
    identifiers = [pydicom.dcmread(f) for f in files]
    shutil.rmtree(out, ignore_errors=True)
    if rc != 0:
        return Response(None, identifiers, f"findscu rc {rc}: {tail(text)}")
    return Response(0, identifiers)


def build_identifier(level: str | None, keys: dict[str, str], returns: list[str], charset: Any) -> Any:
    from pydicom.dataset import Dataset
    from pydicom.datadict import dictionary_VR, tag_for_keyword

    ds = Dataset()
    if charset:
        ds.SpecificCharacterSet = charset
    if level is not None:
        ds.QueryRetrieveLevel = level
    for kw in returns:
        if kw not in keys:
            t = tag_for_keyword(kw)
            ds.add_new(t, dictionary_VR(t), None)
    for kw, value in keys.items():
        setattr(ds, kw, value)
    return ds


def find_with_pynetdicom(assoc: Any, model: str, identifier: Any) -> Response:
    uid = PATIENT_ROOT_FIND if model == "P" else STUDY_ROOT_FIND
    identifiers, final = [], None
    try:
        for status, ident in assoc.send_c_find(identifier, uid):
            if status is None or "Status" not in status:
                return Response(None, identifiers, "no response (timeout or aborted)")
            code = int(status.Status)
            if code in (0xFF00, 0xFF01):
                identifiers.append(ident)
            else:
                final = code
    except Exception as e:  # noqa: BLE001
        return Response(None, identifiers, f"pynetdicom raised {type(e).__name__}: {e}")
    return Response(final, identifiers)


# --- comparing responses ---------------------------------------------------------------------------

def normal(kw: str, elem: Any) -> Any:
    if elem is None:
        return "<absent>"
    value = elem.value
    if value is None or value == "" or (hasattr(value, "__len__") and len(value) == 0 and not isinstance(value, str)):
        return set() if kw in MULTI else ""
    if kw in MULTI:
        return {str(v) for v in (value if not isinstance(value, str) else [value])}
    if kw in INTS:
        try:
            return int(value)
        except (TypeError, ValueError):
            return f"<not a number {value!r}>"
    return str(value).strip()


def expected_value(kw: str, entity: dict[str, Any], aet: str) -> Any:
    if kw == "RetrieveAETitle":
        return aet
    if kw == "InstanceAvailability":
        return "ONLINE"
    if kw not in entity:
        return set() if kw in MULTI else ""   # a key the SCP does not know: zero-length
    return entity[kw]


def compare(resp: Response, level: str, returns: list[str], expected: dict[str, dict[str, Any]],
            aet: str, charset: Any) -> list[str]:
    problems: list[str] = []
    if resp.error:
        problems.append(resp.error)
    if resp.final != 0:
        problems.append(f"final status {resp.final if resp.final is None else hex(resp.final)}, expected 0x0000")
    unique = UNIQUE[level]
    got: dict[str, Any] = {}
    for ds in resp.identifiers:
        if ds is None:
            problems.append("a pending response without an identifier")
            continue
        u = str(ds.get(unique, "")).strip()
        if u in got:
            problems.append(f"{unique} {u} returned twice")
        got[u] = ds
    if set(got) != set(expected):
        missing = sorted(set(expected) - set(got))
        extra = sorted(set(got) - set(expected))
        problems.append(f"{len(got)} matches, expected {len(expected)}; missing {missing[:3]}, unexpected {extra[:3]}")
    allowed_cs = {"ISO_IR 192"} | ({charset} if isinstance(charset, str) else set())
    for u in sorted(set(got) & set(expected)):
        ds, entity = got[u], expected[u]
        if str(ds.get("QueryRetrieveLevel", "")) != level:
            problems.append(f"{u}: QueryRetrieveLevel {ds.get('QueryRetrieveLevel')!r}")
        cs = ds.get("SpecificCharacterSet")
        if cs is not None and (cs if isinstance(cs, str) else "\\".join(cs)) not in allowed_cs | {""}:
            problems.append(f"{u}: response Specific Character Set {cs!r} is neither the query's nor UTF-8")
        for kw in returns:
            from pydicom.datadict import tag_for_keyword
            t = tag_for_keyword(kw)
            elem = ds[t] if t is not None and t in ds else None
            want = expected_value(kw, entity, aet)
            have = normal(kw, elem)
            if have != want:
                problems.append(f"{u}: {kw} {have!r} != stored {want!r}")
    return problems


# --- the cases ------------------------------------------------------------------------------------

def cases(corpus: Corpus) -> list[dict[str, Any]]:
    st = list(corpus.studies)
    study4 = st[3]
    series_of_4 = [u for u, s in corpus.series.items() if s["StudyInstanceUID"] == study4]
    pat_keys = ["PatientName", "PatientID", "PatientSex", "PatientBirthDate"]
    study_keys = ["StudyDate", "StudyTime", "AccessionNumber", "StudyID", "StudyDescription",
                  "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances", "ModalitiesInStudy"]
    return [
        dict(name="patient-id-single", model="P", level="PATIENT", keys={"PatientID": "CONF-P1"},
             returns=pat_keys + ["NumberOfPatientRelatedStudies", "NumberOfPatientRelatedSeries",
                                 "NumberOfPatientRelatedInstances", "Occupation"],
             where=lambda e: e["PatientID"] == "CONF-P1"),
        dict(name="patient-all-names-decoded", model="P", level="PATIENT", keys={},
             returns=pat_keys + ["NumberOfPatientRelatedStudies"], where=lambda e: True),
        dict(name="patient-name-smi*-patient-level", model="P", level="PATIENT", keys={"PatientName": "smi*"},
             returns=pat_keys, where=pn_prefix("SMI")),
        dict(name="patient-name-smi*-study-level", model="S", level="STUDY", keys={"PatientName": "smi*"},
             returns=pat_keys + study_keys, where=pn_prefix("SMI")),
        dict(name="chinese-gb18030-query-finds-gb18030", model="S", level="STUDY", keys={"PatientName": "王*"},
             charset="GB18030", returns=pat_keys + ["StudyDate"], where=pn_prefix("王")),
        dict(name="chinese-gb18030-query-finds-utf8", model="S", level="STUDY", keys={"PatientName": "李*"},
             charset="GB18030", returns=pat_keys + ["StudyDate"], where=pn_prefix("李")),
        dict(name="chinese-gb18030-query-finds-gbk", model="P", level="PATIENT", keys={"PatientName": "张^三"},
             charset="GB18030", returns=pat_keys, where=pn_exact("张^三")),
        dict(name="chinese-utf8-query-finds-gb18030", model="S", level="STUDY", keys={"PatientName": "王^小东"},
             charset="ISO_IR 192", returns=pat_keys + ["AccessionNumber"], where=pn_exact("王^小东")),
        dict(name="chinese-utf8-query-finds-gbk", model="S", level="STUDY", keys={"PatientName": "张*"},
             charset="ISO_IR 192", returns=pat_keys + ["AccessionNumber"], where=pn_prefix("张")),
        dict(name="chinese-gbk-query-finds-utf8", model="P", level="PATIENT", keys={"PatientName": "李^华"},
             charset="GBK", returns=pat_keys, where=pn_exact("李^华")),
        dict(name="japanese-utf8-query-finds-iso2022-ir87", model="P", level="PATIENT",
             keys={"PatientName": "山田*"}, charset="ISO_IR 192", returns=pat_keys, where=pn_prefix("山田")),
        dict(name="latin1-query-case-insensitive", model="P", level="PATIENT", keys={"PatientName": "müller*"},
             charset="ISO_IR 100", returns=pat_keys, where=pn_prefix("MÜLLER")),
        dict(name="study-date-closed-range", model="S", level="STUDY", keys={"StudyDate": "20200101-20211231"},
             returns=["StudyDate", "PatientID"], where=in_range("StudyDate", "20200101", "20211231")),
        dict(name="study-date-open-lower", model="S", level="STUDY", keys={"StudyDate": "-20200101"},
             returns=["StudyDate", "PatientID"], where=in_range("StudyDate", None, "20200101")),
        dict(name="study-date-open-upper", model="S", level="STUDY", keys={"StudyDate": "20230101-"},
             returns=["StudyDate", "PatientID"], where=in_range("StudyDate", "20230101", None)),
        dict(name="study-time-range", model="S", level="STUDY", keys={"StudyTime": "080000-120000"},
             returns=["StudyTime", "StudyDate"], where=in_range("StudyTime", "080000", "120000")),
        dict(name="accession-number-single", model="S", level="STUDY", keys={"AccessionNumber": "ACC1005"},
             returns=pat_keys + study_keys, where=lambda e: e["AccessionNumber"] == "ACC1005"),
        dict(name="modalities-in-study-ct", model="S", level="STUDY", keys={"ModalitiesInStudy": "CT"},
             returns=study_keys + ["SOPClassesInStudy", "PatientID"], where=lambda e: "CT" in e["ModalitiesInStudy"]),
        dict(name="study-uid-list", model="S", level="STUDY", keys={"StudyInstanceUID": f"{st[1]}\\{st[6]}"},
             returns=study_keys + ["PatientName"], where=lambda e: e["StudyInstanceUID"] in (st[1], st[6])),
        dict(name="patient-root-study-level-derived", model="P", level="STUDY", keys={"PatientID": "CONF-P4"},
             returns=pat_keys + study_keys + ["SOPClassesInStudy", "RetrieveAETitle", "InstanceAvailability",
                                              "RequestedProcedureDescription"],
             where=lambda e: e["PatientID"] == "CONF-P4"),
        dict(name="series-level", model="S", level="SERIES", keys={"StudyInstanceUID": study4},
             returns=["Modality", "SeriesNumber", "NumberOfSeriesRelatedInstances", "RetrieveAETitle"],
             where=lambda e: e["StudyInstanceUID"] == study4),
        dict(name="image-level-by-series-uid", model="S", level="IMAGE",
             keys={"StudyInstanceUID": study4, "SeriesInstanceUID": series_of_4[1]},
             returns=["SOPClassUID", "InstanceNumber", "RetrieveAETitle", "InstanceAvailability"],
             where=lambda e: e["SeriesInstanceUID"] == series_of_4[1]),
        dict(name="patient-root-image-level", model="P", level="IMAGE",
             keys={"PatientID": "CONF-P2", "StudyInstanceUID": st[2], "SeriesInstanceUID": f"{st[2]}.1"},
             returns=["SOPClassUID", "InstanceNumber", "PatientName"],
             where=lambda e: e["SeriesInstanceUID"] == f"{st[2]}.1"),
    ]


def run_cases(checks: Checks, node: Node, corpus: Corpus, work: Path) -> None:
    from pynetdicom import AE

    ae = AE(ae_title="PYFIND")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 60
    ae.add_requested_context(PATIENT_ROOT_FIND)
    ae.add_requested_context(STUDY_ROOT_FIND)
    assoc = ae.associate("127.0.0.1", node.port, ae_title=node.aet)
    if not checks.check("pynetdicom-associates", assoc.is_established, "association not established"):
        return
    no_delay(assoc)
    try:
        for case in cases(corpus):
            level, charset = case["level"], case.get("charset")
            returns = [UNIQUE[level]] + [k for k in case["returns"] if k != UNIQUE[level]]
            returns += [k for k in case["keys"] if k not in returns]
            expected = {u: e for u, e in corpus.entities(level).items() if case["where"](e)}
            if not expected:
                checks.fail(case["name"], "the case expects no match: a broken case")
                continue
            r = find_with_findscu(node.port, node.aet, case["model"], level, case["keys"], returns, charset, work)
            problems = compare(r, level, returns, expected, node.aet, charset)
            checks.check(f"findscu/{case['name']} ({len(expected)})", not problems, "; ".join(problems[:4]))
            ident = build_identifier(level, case["keys"], returns, charset)
            r = find_with_pynetdicom(assoc, case["model"], ident)
            problems = compare(r, level, returns, expected, node.aet, charset)
            checks.check(f"pynetdicom/{case['name']} ({len(expected)})", not problems, "; ".join(problems[:4]))
        bad_input(checks, assoc)
    finally:
        if assoc.is_established:
            assoc.release()


def bad_input(checks: Checks, assoc: Any) -> None:
    """PS3.4 Table C.4-1: A900 identifier does not match SOP class; C000 unable to process."""
    bad = [
        ("bad/level-missing", "S", build_identifier(None, {"PatientID": "CONF-P1"}, ["StudyInstanceUID"], None), 0xA900),
        ("bad/level-FOO", "S", build_identifier("FOO", {"PatientID": "CONF-P1"}, ["StudyInstanceUID"], None), 0xA900),
        ("bad/level-PATIENT-in-study-root", "S", build_identifier("PATIENT", {"PatientID": "CONF-P1"}, [], None), 0xA900),
        ("bad/date-range-2020-abc", "S", build_identifier("STUDY", {"StudyDate": "2020-abc"}, ["StudyInstanceUID"], None), 0xC000),
        ("bad/key-below-level-with-value", "S",
         build_identifier("STUDY", {"SeriesInstanceUID": "1.2.3.4"}, ["StudyInstanceUID"], None), 0xA900),
        ("bad/key-below-level-patient-root", "P",
         build_identifier("PATIENT", {"StudyDate": "20200101"}, ["PatientID"], None), 0xA900),
        ("bad/unknown-specific-character-set", "S",
         build_identifier("STUDY", {"PatientName": "SMI*"}, ["StudyInstanceUID"], "ISO_IR 999"), 0xC000),
    ]
    for name, model, ident, want in bad:
        r = find_with_pynetdicom(assoc, model, ident)
        ok = r.final == want and not r.identifiers and not r.error
        checks.check(name, ok, f"final {r.final if r.final is None else hex(r.final)} with {len(r.identifiers)} "
                               f"pending, expected {hex(want)} and none {r.error}")
    # The association still works after the refused queries.
    r = find_with_pynetdicom(assoc, "S", build_identifier("STUDY", {"AccessionNumber": "ACC1001"}, ["StudyInstanceUID"], None))
    checks.check("bad/association-still-answers", r.final == 0 and len(r.identifiers) == 1,
                 f"final {r.final}, {len(r.identifiers)} matches {r.error}")


def cancel(checks: Checks, node: Node, corpus: Corpus) -> None:
    """C-CANCEL-RQ for the bulk series' IMAGE-level query (1,500 matches), sent in the same TCP
    write as the C-FIND-RQ (lib/pdu.find_then_cancel): final FE00 before every match is sent,
    then C-ECHO on the same association and on a new one."""
    from conformance.lib import pdu as P

    bulk_study = [u for u, s in corpus.studies.items() if s["PatientID"] == "CONF-BULK"][0]
    ident = build_identifier("IMAGE", {"StudyInstanceUID": bulk_study}, ["SOPInstanceUID", "InstanceNumber"], None)
    try:
        r = P.find_then_cancel(node.port, node.aet, STUDY_ROOT_FIND, P.implicit_le(ident))
    except OSError as e:
        checks.fail("cancel/final-status-FE00", str(e))
        return
    checks.check("cancel/final-status-FE00", r.final == 0xFE00,
                 f"final {r.final if r.final is None else hex(r.final)} after {r.pending} pending of {BULK_INSTANCES} {r.why}")
    checks.check("cancel/fewer-responses-than-matches", r.pending < BULK_INSTANCES,
                 f"{r.pending} pending responses for {BULK_INSTANCES} matches")
    checks.check("cancel/c-echo-same-association", r.echo == 0x0000, f"C-ECHO status {r.echo}")
    ok, why = node.echo_ok()
    checks.check("cancel/echoscu-new-association", ok, why)


def no_delay(assoc: Any) -> None:
    """pynetdicom leaves Nagle on (ENVIRONMENT.md): ~40 ms per message without this."""
    try:
        assoc.dul.socket.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (AttributeError, OSError):
        pass


def store_corpus(checks: Checks, node: Node, corpus: Corpus) -> bool:
    from pynetdicom import AE

    ae = AE(ae_title="PYSTORE")
    ae.acse_timeout = ae.dimse_timeout = ae.network_timeout = 60
    for uid in (CT, MR, US, SC):
        ae.add_requested_context(uid, ["1.2.840.10008.1.2.1"])
    assoc = ae.associate("127.0.0.1", node.port, ae_title=node.aet)
    if not checks.check("store/associates", assoc.is_established, "association not established"):
        return False
    no_delay(assoc)
    bad = 0
    try:
        for ds in corpus.datasets:
            st = assoc.send_c_store(ds)
            if st is None or "Status" not in st or int(st.Status) != 0:
                bad += 1
    finally:
        if assoc.is_established:
            assoc.release()
    return checks.check(f"store/{len(corpus.datasets)}-instances-status-0000", bad == 0, f"{bad} not stored")


def main() -> int:
    args = standard_args(__doc__ or "").parse_args()
    checks = Checks()
    import pydicom.config

    pydicom.config.settings.writing_validation_mode = pydicom.config.IGNORE
    warnings.simplefilter("ignore")
    corpus = Corpus()
    work = Path(tempfile.mkdtemp(prefix="dimse-find-"))
    try:
        with Node(args.dicomnode) as node:
            try:
                node.start()
            except RuntimeError as e:
                checks.fail("serve-starts", str(e))
                return checks.finish()
            t0 = time.monotonic()
            if store_corpus(checks, node, corpus):
                print(f"  (stored {len(corpus.datasets)} instances in {time.monotonic() - t0:.1f}s)", flush=True)
                run_cases(checks, node, corpus, work)
                cancel(checks, node, corpus)
            checks.check("serve-still-running", node.alive(), tail(node.log(), 5))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
