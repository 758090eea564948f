#!/usr/bin/env python3
"""Builds the character set fixtures and the expected decodings (see README.md).

Run from this folder:  python3 make_fixtures.py
Needs pydicom 3 and DCMTK (/usr/bin/dcmconv). Writes:
  pydicom/*.dcm        copies of pydicom's data/charset_files
  gb18030.dcm, gbk.dcm, iso2022ir58.dcm, utf8.dcm   Chinese names built here from raw bytes
  expected.json        every text element of every file, decoded by DCMTK `dcmconv +U8`
                       (or by pydicom where this DCMTK cannot: ISO 2022 IR 87/159 needs a
                       conversion library other than glibc iconv)
"""
import json, os, shutil, subprocess, tempfile
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian
import pydicom.charset as pcs

HERE = os.path.dirname(os.path.abspath(__file__))
TEXT_VRS = {"SH", "LO", "ST", "LT", "UC", "UT", "PN"}
ESC = b"\x1b"

def pad(b):
    return b + b" " if len(b) % 2 else b

def make(name, charset, elements):
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = "2.25.1234567890"
    ds.file_meta.ImplementationClassUID = "2.25.1"
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPInstanceUID = "2.25.1234567890"
    ds.add_new(0x00080005, "CS", charset)
    for tag, vr, raw in elements:
        ds.add_new(tag, vr, pad(raw))
    ds.save_as(os.path.join(HERE, name), enforce_file_format=True)

# Names: Wang XiaoDong (PS3.5 Annex J/K style), in simplified and traditional forms; one with
# GB18030-only characters (4-byte sequences: U+20BB7 and U+3402, CJK Extension B and A); one
# whose GBK trail byte is 0x5C ("\") to show values must be split after decoding.
WANG = "Wang^XiaoDong=王^小东=王^小東"
JI = "Ji^Yejia=𠮷^㐂野="
MULTI = "Wang^XiaoDong\\乗^王"
for charset, codec, fname in [("GB18030", "gb18030", "gb18030.dcm"), ("ISO_IR 192", "utf-8", "utf8.dcm")]:
    make(fname, charset, [
        (0x00100010, "PN", WANG.encode(codec)),
        (0x00080090, "PN", JI.encode(codec)),
        (0x00101001, "PN", MULTI.encode(codec)),
        (0x00080080, "LO", "北京协和医院 Hospital".encode(codec)),
    ])
make("gbk.dcm", "GBK", [
    (0x00100010, "PN", WANG.encode("gbk")),
    (0x00101001, "PN", MULTI.encode("gbk")),
    (0x00080080, "LO", "北京协和医院 Hospital".encode("gbk")),
])

# ISO 2022 IR 58: GB 2312 in G1, designated by ESC $ ) A after each delimiter (PS3.5 Annex K,
# example K.1 "Zhang^XiaoDong=张^小东="); the G1 designation stays across spaces.
def g1(text):
    return ESC + b"$)A" + text.encode("gb2312")
make("iso2022ir58.dcm", ["", "ISO 2022 IR 58"], [
    (0x00100010, "PN", b"Zhang^XiaoDong=" + g1("张") + b"^" + g1("小东") + b"="),
    (0x00101001, "PN", b"Wang^XiaoDong\\" + g1("王") + b"^" + g1("小东")),
    (0x00080080, "LO", g1("北京协和医院") + b" Hospital " + "第一".encode("gb2312")),
])

src = os.path.join(os.path.dirname(pydicom.__file__), "data", "charset_files")
for f in sorted(os.listdir(src)):
    if f.endswith(".dcm"):
        shutil.copyfile(os.path.join(src, f), os.path.join(HERE, "pydicom", f))

def strip(s):
    return s.rstrip(" \0")

def walk(ds, prefix=""):
    """(path, vr, raw bytes, terms in force) of every text element, items included."""
    terms = None
    if (0x0008, 0x0005) in ds:
        v = ds[0x00080005].value
        terms = list(v) if isinstance(v, (list, pydicom.multival.MultiValue)) else [v]
    out = []
    for tag in ds.keys():
        raw = ds.get_item(tag)
        elem = ds[tag]
        path = prefix + "(%04X,%04X)" % (tag.group, tag.element)
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                out.extend((p, vr, b, t if t is not None else terms) for p, vr, b, t in walk(item, f"{path}[{i}]"))
        elif tag.is_private and not tag.is_private_creator:
            continue    # private values: their VR depends on a private dictionary
        elif elem.VR in TEXT_VRS:
            out.append((path, elem.VR, raw.value if isinstance(raw.value, bytes) else None, terms))
    return out

def pydicom_decode(raw, vr, terms):
    delims = {0x0D, 0x0A, 0x09, 0x0C}
    if vr not in ("LT", "ST", "UT"):
        delims.add(0x5C)
    if vr == "PN":
        delims |= {0x5E, 0x3D}
    return pcs.decode_bytes(raw, pcs.convert_encodings(terms or [""]), delims)

entries = []
files = ["gb18030.dcm", "gbk.dcm", "iso2022ir58.dcm", "utf8.dcm"] + \
    ["pydicom/" + f for f in sorted(os.listdir(os.path.join(HERE, "pydicom")))]
with tempfile.TemporaryDirectory() as tmp:
    for f in files:
        path = os.path.join(HERE, f)
        original = walk(pydicom.dcmread(path))
        out = os.path.join(tmp, "u8.dcm")
        run = subprocess.run(["/usr/bin/dcmconv", "+U8", path, out], capture_output=True, text=True)
        if run.returncode == 0:
            converted = {p: strip(b.decode("utf-8")) for p, vr, b, t in walk(pydicom.dcmread(out))}
            reference = "DCMTK 3.6.7 dcmconv +U8"
            values = [(p, vr, converted[p]) for p, vr, b, t in original]
        else:
            reference = "pydicom 3.0.2 decode_bytes (this DCMTK cannot convert: %s)" % run.stderr.strip().splitlines()[0]
            values = [(p, vr, strip(pydicom_decode(b, vr, t))) for p, vr, b, t in original]
        entries.append({"file": f, "reference": reference,
                        "elements": [{"path": p, "vr": vr, "value": v} for p, vr, v in values]})

with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as fh:
    json.dump(entries, fh, ensure_ascii=False, indent=1)
    fh.write("\n")
