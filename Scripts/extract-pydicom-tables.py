#!/usr/bin/env python3
"""Extracts the PS3.6 data dictionary, repeating groups, private dictionary and UID registry
from pydicom's generated tables (which pydicom builds from the standard's PS3.6 XML) into the
tab-separated files under Scripts/data/. Run it when pydicom ships a newer edition:

    python3 Scripts/extract-pydicom-tables.py && python3 Scripts/generate-dictionary.py
"""
import os
import pydicom
import pydicom._dicom_dict as dd
import pydicom._private_dict as pd
import pydicom._uid_dict as ud

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "data")


def vrs(vr: str) -> str:
    # "US or SS or OW" -> "US|SS|OW"; "NONE" (delimiters) -> ""
    return "|".join(v for v in vr.replace(" or ", "|").split("|") if v and v != "NONE")


def clean(s: str) -> str:
    return s.replace("\t", " ").replace("\n", " ").strip()


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "dictionary.tsv"), "w", encoding="utf-8") as f:
        f.write(f"# PS3.6 data dictionary via pydicom {pydicom.__version__}: tag\tVR\tVM\tkeyword\tname\tretired\n")
        rows = [(f"{t:08X}", *v) for t, v in dd.DicomDictionary.items()]
        rows += [(t.upper().replace("X", "x"), *v) for t, v in dd.RepeatersDictionary.items()]
        for tag, vr, vm, name, retired, keyword in sorted(rows):
            f.write("\t".join([tag, vrs(vr), vm, keyword, clean(name), "R" if retired else ""]) + "\n")
    with open(os.path.join(OUT, "private-dictionary.tsv"), "w", encoding="utf-8") as f:
        f.write(f"# private dictionary via pydicom {pydicom.__version__}: creator\ttag (ggggxxee)\tVR\tVM\tname\n")
        for creator in sorted(pd.private_dictionaries):
            for tag, (vr, vm, name, _retired) in sorted(pd.private_dictionaries[creator].items()):
                f.write("\t".join([clean(creator), tag.upper().replace("X", "x"), vrs(vr), vm, clean(name)]) + "\n")
    with open(os.path.join(OUT, "uids.tsv"), "w", encoding="utf-8") as f:
        f.write(f"# PS3.6 Annex A UID registry via pydicom {pydicom.__version__}: uid\tname\ttype\tkeyword\tretired\n")
        for uid, (name, typ, _info, retired, keyword) in sorted(ud.UID_dictionary.items()):
            f.write("\t".join([uid, clean(name), clean(typ), keyword, "R" if retired else ""]) + "\n")


if __name__ == "__main__":
    main()
