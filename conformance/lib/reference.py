"""Reading a file with pydicom as the reference for the conformance comparison.

A file is a usable reference when pydicom reads it completely:
- ``dcmread(path)`` works, or raises InvalidDicomError and ``dcmread(path, force=True)`` works
  (files without a preamble / file meta group, e.g. ExplVR_LitEndNoMeta.dcm);
- the data set is not empty (pydicom gives an empty data set for some broken files,
  e.g. emri_small_jpeg_2k_lossless_too_short.dcm, after a warning);
- every element, recursively through sequences, converts without an exception;
- no element is truncated: pydicom silently keeps a short value when the file ends inside
  an element (MR_truncated.dcm, rtplan_truncated.dcm, no_meta.dcm read with force); such a
  file is not something pydicom "reads", so it is listed as unreadable, not compared.

Character sets: pydicom 3.0.2 mis-decodes some ISO 2022 sets (for ISO 2022 IR 58 it leaves the
``ESC $ ) A`` designations in the text). For files that use one of MISDECODED_CHARSETS the
text values are taken from DCMTK instead: ``dcmconv +U8`` converts the file to UTF-8, which
pydicom then reads correctly, and the comparator uses those strings for the text VRs. The
rest of the file (tags, VRs, numbers, binary values) still comes from pydicom's reading of
the original file.
"""

from __future__ import annotations

import subprocess
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from .paths import element_path, item_prefix, tag_text

# Specific Character Set terms whose decoding by pydicom 3.0.2 is wrong; DCMTK is the reference.
MISDECODED_CHARSETS = {
    "ISO 2022 IR 58": "pydicom 3.0.2 leaves the ESC $ ) A designation in the decoded text",
}

# Text VRs whose values depend on the Specific Character Set (PS3.5 §6.1.2.3).
CHARSET_TEXT_VRS = {"SH", "LO", "ST", "LT", "UT", "PN", "UC"}

DCMCONV = "/usr/bin/dcmconv"
UNDEFINED_LENGTH = 0xFFFFFFFF


class ReferenceUnreadable(Exception):
    """pydicom cannot read the file completely; the message says why."""


@dataclass
class Reference:
    dataset: Dataset
    forced: bool
    little_endian: bool
    text_overrides: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    warnings: list[str] = field(default_factory=list)


def dcmread_like_reference(path: Path) -> tuple[Dataset, bool]:
    """``dcmread``; on InvalidDicomError retry with ``force=True``. Returns (data set, forced)."""
    try:
        return pydicom.dcmread(path), False
    except InvalidDicomError:
        return pydicom.dcmread(path, force=True), True


def read_reference(path: Path) -> Reference:
    """Reads ``path`` as the reference; raises ReferenceUnreadable when pydicom cannot."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            probe, forced = dcmread_like_reference(path)
        except Exception as error:  # pydicom raises many kinds; all mean "cannot read"
            raise ReferenceUnreadable(f"{type(error).__name__}: {error}") from error
        if len(probe) == 0:
            raise ReferenceUnreadable("pydicom returns an empty data set")
        charsets: set[str] = set()
        try:
            check_fully_readable(probe, "", charsets)
        except ReferenceUnreadable:
            raise
        except Exception as error:
            raise ReferenceUnreadable(f"{type(error).__name__}: {error}") from error
        # A fresh reading for the comparison: its elements are still raw, so the comparator
        # can re-read their bytes with another VR where an allowance needs it.
        dataset, _ = dcmread_like_reference(path)
    implicit, little = dataset.original_encoding
    reference = Reference(dataset, forced, little_endian=bool(little))
    reference.warnings = sorted({str(w.message) for w in caught})
    misdecoded = sorted(t for t in charsets if t in MISDECODED_CHARSETS)
    if misdecoded:
        try:
            reference.text_overrides = dcmtk_text_values(path)
            reference.note = f"text values from DCMTK dcmconv +U8 ({', '.join(misdecoded)})"
        except ReferenceUnreadable as error:
            reference.note = f"DCMTK could not convert ({error}); pydicom's decoding used"
    if forced:
        reference.note = ("read with force=True; " + reference.note).rstrip("; ")
    return reference


def check_fully_readable(dataset: Dataset, prefix: str, charsets: set[str]) -> None:
    """Converts every element (recursively); raises ReferenceUnreadable on a truncated value."""
    for tag in list(dataset.keys()):
        raw = dataset.get_item(tag)
        if isinstance(raw, RawDataElement) and raw.value is not None \
                and raw.length != UNDEFINED_LENGTH and len(raw.value) < raw.length:
            raise ReferenceUnreadable(
                f"element {element_path(prefix, tag)} declares {raw.length} bytes, "
                f"the file holds {len(raw.value)}")
        element = dataset[tag]
        if tag == 0x00080005:
            values = element.value if element.VM > 1 else [element.value]
            charsets.update(str(v).strip() for v in values if v)
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                check_fully_readable(item, item_prefix(element_path(prefix, tag), index), charsets)
        else:
            _ = element.value


def dcmtk_text_values(path: Path) -> dict[str, Any]:
    """Text values (by tag path) of the file converted to UTF-8 by DCMTK's dcmconv."""
    with tempfile.TemporaryDirectory() as folder:
        converted = Path(folder) / "utf8.dcm"
        result = subprocess.run([DCMCONV, "+U8", str(path), str(converted)],
                                capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise ReferenceUnreadable(result.stderr.strip().splitlines()[-1:] or "dcmconv failed")
        values: dict[str, Any] = {}
        collect_text_values(pydicom.dcmread(converted, force=True), "", values)
        return values


def collect_text_values(dataset: Dataset, prefix: str, into: dict[str, Any]) -> None:
    for element in dataset:
        path = element_path(prefix, element.tag)
        if element.VR == "SQ":
            for index, item in enumerate(element.value):
                collect_text_values(item, item_prefix(path, index), into)
        elif element.VR in CHARSET_TEXT_VRS:
            into[path] = element.value


__all__ = ["Reference", "ReferenceUnreadable", "read_reference", "dcmread_like_reference",
           "MISDECODED_CHARSETS", "tag_text"]
