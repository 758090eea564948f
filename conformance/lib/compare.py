"""Element-by-element comparison of pydicom's view of a data set with a candidate's DICOM JSON
(PS3.18 §F.2), recursively through sequences.

The candidate JSON follows dicomnode's contract: keys "GGGGEEEE" with "vr" and "Value" (array)
or "InlineBinary" (base64 of the little-endian bytes); PN values as component-group objects;
numbers for IS/DS/FL/FD/US/SS/UL/SL/SV/UV (DS/IS that are not valid numbers as strings); AT as
"GGGGEEEE"; no "Value" for an empty value; null for an empty entry of a multi-value.

Every place where the comparison accepts something other than plain equality is one of the
named rules in ALLOWANCES; each use is counted and reported, so nothing is skipped silently.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from pydicom.dataelem import RawDataElement, convert_raw_data_element
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.tag import Tag
from pydicom.valuerep import PersonName

from .paths import element_path, item_prefix
from .reference import CHARSET_TEXT_VRS

# Binary VRs: the value is bytes; in the JSON, InlineBinary. Bytes per swapped unit for big endian.
BINARY_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "UN"}
SWAP_UNIT = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
INTEGER_VRS = {"US", "SS", "UL", "SL", "SV", "UV"}
PN_GROUPS = ("Alphabetic", "Ideographic", "Phonetic")
SEQUENCE_DELIMITATION_ITEM = bytes.fromhex("FEFFDDE000000000")  # (FFFE,E0DD), length 0, LE

ALLOWANCES = {
    # PS3.6 gives some tags several VRs ("US or SS", "OB or OW", "US or OW", "US or SS or OW").
    # pydicom resolves them from Pixel Representation / Bits Allocated / the transfer syntax
    # (filewriter.correct_ambiguous_vr_element); any listed alternative is accepted, and the value
    # is then compared with pydicom's raw bytes re-read with the candidate's VR, so a wrong
    # value still fails.
    "AMBIGUOUS_VR": "dictionary VR is ambiguous; candidate chose another listed alternative",
    # PS3.5 §6.2.2: an implicit-VR private element's VR is known only from the private creator's
    # dictionary; pydicom's and ours are different lists. When one side says UN for a private
    # data element (never for a private creator, which is always LO, PS3.5 §7.8.1), the value is
    # compared by re-reading pydicom's raw bytes with the candidate's VR (or as bytes if UN).
    "PRIVATE_UN": "private element: one side knows its VR, the other keeps UN",
    # A public tag missing from pydicom 3.0.2's dictionary (newer than its PS3.6 edition): in
    # implicit VR pydicom says UN. Compared by re-reading the raw bytes with the candidate's VR.
    "UNKNOWN_TO_PYDICOM": "public tag not in pydicom's dictionary: pydicom says UN",
    # pydicom's replace_un_with_known_vr skips explicit UN values of 0xFFFF bytes or more
    # (hooks.raw_element_vr) while dicomnode re-reads every UN whose tag it knows. Compared by
    # re-reading the raw bytes with the candidate's VR.
    "LONG_UN_NOT_REPLACED": "explicit UN of >= 0xFFFF bytes: pydicom keeps UN, candidate uses the dictionary VR",
    # PS3.18 §F.2.2: "Group Length (gggg,0000) attributes shall not be included in a DICOM JSON
    # Model object." pydicom keeps them in the data set; the candidate must leave them out
    # (a candidate that includes one is reported as a difference).
    "GROUP_LENGTH_OMITTED": "group length element of pydicom's data set left out of the JSON",
    # PS3.18 §F.2.3: "For IS, DS, SV and UV, a JSON String representation can be used to preserve
    # the original format" (e.g. IS "01"). Accepted when the string is the same number as pydicom's.
    "NUMBER_AS_STRING": "IS/DS/SV/UV given as a JSON string holding the same number",
    # PS3.5 Table 6.2-1: leading and trailing spaces are not significant in AE, CS, DS, IS, LO, SH;
    # trailing spaces are not significant in DA, DT, TM, LT, ST, UT, UC, UR. pydicom strips only
    # the trailing padding of the whole value, so an inner entry of a multi-value keeps it
    # ("DERIVED \\PRIMARY" gives 'DERIVED '). Entries are compared with those spaces removed.
    "INSIGNIFICANT_SPACES": "entries equal once the spaces PS3.5 calls insignificant are removed",
    # PS3.5 §6.2.2: a UN element of undefined length is an implicit VR little endian sequence;
    # pydicom reads it as SQ, the candidate may keep it as UN bytes. The candidate's bytes are
    # parsed the same way by pydicom and the items compared element by element.
    "UN_SEQUENCE_AS_BYTES": "undefined-length UN that pydicom reads as SQ given as UN bytes",
    # An empty sequence (zero items) may be written with "Value": [] (pydicom does) or without
    # "Value" (PS3.18 §F.2.5 for empty values); both mean zero items.
    "EMPTY_SQ_AS_EMPTY_LIST": "sequence with no items written as \"Value\": []",
    # An empty PN entry of a multi-value may be an object with no component groups instead of null.
    "EMPTY_PN_OBJECT": "empty PN entry written as {} instead of null",
    # Files in a character set pydicom mis-decodes: text values come from DCMTK (reference.py).
    "DCMTK_CHARSET": "text value taken from DCMTK's UTF-8 conversion instead of pydicom",
}


class NegativeZero(float):
    """The JSON number text "-0", which json.loads would turn into the integer 0 and so lose
    the sign a float32/float64 -0.0 has. See parse_candidate_json."""


def parse_json_int(text: str) -> int | float:
    return NegativeZero(-0.0) if text == "-0" else int(text)


def parse_candidate_json(text: str | bytes) -> Any:
    """json.loads that keeps "-0" as -0.0 (compared bit for bit for FL, FD)."""
    return json.loads(text, parse_int=parse_json_int)


@dataclass
class Comparison:
    elements: int = 0
    differences: list[str] = field(default_factory=list)
    allowances: Counter[str] = field(default_factory=Counter)

    @property
    def equal(self) -> bool:
        return not self.differences


def short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def is_empty_entry(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, PersonName):
        return str(value) == ""
    return isinstance(value, (str, bytes)) and len(value) == 0


def as_value_list(value: Any) -> list[Any]:
    """pydicom's value as the list of entries the JSON "Value" array holds ([] when empty)."""
    if value is None:
        return []
    if isinstance(value, (MultiValue, list, tuple)):
        return list(value)
    if is_empty_entry(value):
        return []
    return [value]


def little_endian_bytes(data: bytes, vr: str, little_endian: bool) -> bytes:
    """pydicom keeps OW/OF/… values as read; the candidate gives little-endian bytes."""
    unit = SWAP_UNIT.get(vr, 1)
    if little_endian or unit == 1:
        return data
    whole = len(data) - len(data) % unit
    swapped = bytearray(data)
    for start in range(0, whole, unit):
        swapped[start:start + unit] = data[start:start + unit][::-1]
    return bytes(swapped)


def parse_json_tag(key: Any) -> int | None:
    if not isinstance(key, str) or len(key) != 8:
        return None
    try:
        return int(key, 16)
    except ValueError:
        return None


LEADING_AND_TRAILING_SPACES_INSIGNIFICANT = {"AE", "CS", "DS", "IS", "LO", "SH"}
TRAILING_SPACES_INSIGNIFICANT = {"DA", "DT", "TM", "LT", "ST", "UT", "UC", "UR"}


def insignificant_spaces_removed(vr: str, text: str) -> str:
    """PS3.5 Table 6.2-1."""
    if vr in LEADING_AND_TRAILING_SPACES_INSIGNIFICANT:
        return text.strip(" ")
    if vr in TRAILING_SPACES_INSIGNIFICANT:
        return text.rstrip(" ")
    return text


def dictionary_vr(tag: int) -> str | None:
    try:
        return str(dictionary_VR(tag))
    except KeyError:
        return None


class Comparator:
    """Compares one reference data set (pydicom) with one candidate JSON object."""

    def __init__(self, little_endian: bool = True,
                 text_overrides: dict[str, Any] | None = None) -> None:
        self.little_endian = little_endian
        self.text_overrides = text_overrides or {}
        self.result = Comparison()

    def compare(self, dataset: Dataset, candidate: Any) -> Comparison:
        self.result = Comparison()
        self._dataset(dataset, candidate, "")
        return self.result

    # -- reporting --------------------------------------------------------------------------
    def _differ(self, path: str, message: str) -> None:
        self.result.differences.append(f"{path or '(top)'}: {message}")

    def _allow(self, rule: str) -> None:
        assert rule in ALLOWANCES, rule
        self.result.allowances[rule] += 1

    # -- data sets and elements -------------------------------------------------------------
    def _dataset(self, dataset: Dataset, candidate: Any, prefix: str) -> None:
        if not isinstance(candidate, dict):
            self._differ(prefix.rstrip("."), f"candidate item is not a JSON object: {short(candidate)}")
            return
        # Capture the raw (unconverted) elements first: converting one element may convert
        # others (Specific Character Set, Pixel Representation for ambiguous VRs).
        raws = {int(tag): dataset.get_item(tag) for tag in dataset.keys()}
        candidate_tags: dict[int, Any] = {}
        for key, value in candidate.items():
            tag = parse_json_tag(key)
            if tag is None:
                self._differ(prefix + str(key), "candidate key is not 8 hex digits")
            else:
                candidate_tags[tag] = value
        for tag in sorted(set(raws) | set(candidate_tags)):
            path = element_path(prefix, tag)
            if tag & 0xFFFF == 0x0000:
                if tag in candidate_tags:
                    self._differ(path, "group length in the JSON (PS3.18 §F.2.2 leaves it out)")
                else:
                    self._allow("GROUP_LENGTH_OMITTED")
            elif tag not in candidate_tags:
                self._differ(path, f"missing in candidate (pydicom: {self._describe(dataset, tag)})")
            elif tag not in raws:
                self._differ(path, f"not in pydicom's data set (candidate: {short(candidate_tags[tag])})")
            else:
                self.result.elements += 1
                self._element(dataset, tag, raws[tag], candidate_tags[tag], path)

    def _describe(self, dataset: Dataset, tag: int) -> str:
        try:
            element = dataset[tag]
            return f"{element.VR} {short(element.value, 40)}"
        except Exception as error:  # describing only
            return f"unconvertible ({error})"

    def _element(self, dataset: Dataset, tag: int, raw: Any, candidate: Any, path: str) -> None:
        if not isinstance(candidate, dict) or not isinstance(candidate.get("vr"), str):
            self._differ(path, f"candidate element has no \"vr\": {short(candidate)}")
            return
        try:
            element = dataset[tag]
        except Exception as error:
            self._differ(path, f"pydicom cannot convert the element: {error}")
            return
        reference_vr = str(element.VR)
        candidate_vr = candidate["vr"]
        value = element.value
        vr = reference_vr
        if reference_vr != candidate_vr:
            rule = self._vr_allowance(tag, raw, reference_vr, candidate_vr)
            if rule is None:
                self._differ(path, f"VR {reference_vr} != candidate {candidate_vr}")
                return
            if reference_vr == "SQ" and candidate_vr == "UN" and not isinstance(raw, RawDataElement) \
                    and getattr(raw, "is_undefined_length", False):
                self._allow("UN_SEQUENCE_AS_BYTES")
                self._un_bytes_as_sequence(dataset, tag, value, candidate, path)
                return
            try:
                value = self._reread(dataset, raw, candidate_vr)
            except Exception as error:
                self._differ(path, f"VR {reference_vr} != candidate {candidate_vr} "
                                   f"({rule}) and pydicom cannot re-read the value: {error}")
                return
            self._allow(rule)
            vr = candidate_vr
        self._value(vr, value, candidate, path)

    def _vr_allowance(self, tag: int, raw: Any, reference_vr: str, candidate_vr: str) -> str | None:
        known = dictionary_vr(tag)
        if known is not None and " or " in known and candidate_vr in known.split(" or ") \
                and reference_vr in known.split(" or "):
            return "AMBIGUOUS_VR"
        is_private = bool((tag >> 16) & 1)
        is_creator = is_private and 0x0010 <= (tag & 0xFFFF) <= 0x00FF
        if is_private and not is_creator and "UN" in (reference_vr, candidate_vr):
            return "PRIVATE_UN"
        if not is_private and reference_vr == "UN" and known is None:
            return "UNKNOWN_TO_PYDICOM"
        if not is_private and reference_vr == "UN" and known == candidate_vr \
                and isinstance(raw, RawDataElement) and raw.VR == "UN" \
                and raw.value is not None and len(raw.value) >= 0xFFFF:
            return "LONG_UN_NOT_REPLACED"
        return None

    def _reread(self, dataset: Dataset, raw: Any, vr: str) -> Any:
        """pydicom's value for the element's raw bytes read with ``vr``."""
        if not isinstance(raw, RawDataElement):
            if vr in BINARY_VRS and isinstance(getattr(raw, "value", None), bytes):
                return raw.value
            raise ValueError("pydicom already converted this element; its raw bytes are gone")
        if vr == "UN":
            return raw.value or b""
        encoding = dataset.original_character_set or dataset._character_set
        return convert_raw_data_element(raw._replace(VR=vr), encoding=encoding, ds=dataset).value

    def _un_bytes_as_sequence(self, dataset: Dataset, tag: int, items: Any,
                              candidate: dict[str, Any], path: str) -> None:
        try:
            data = base64.b64decode(candidate.get("InlineBinary", ""), validate=True)
            if data.endswith(SEQUENCE_DELIMITATION_ITEM):  # the value may include it or not
                data = data[: -len(SEQUENCE_DELIMITATION_ITEM)]
            raw = RawDataElement(Tag(tag), "SQ", 0xFFFFFFFF, data, 0, True, True)
            encoding = dataset.original_character_set or dataset._character_set
            parsed = convert_raw_data_element(raw, encoding=encoding, ds=dataset).value
            entries = []
            for item in parsed:
                entry = parse_candidate_json(json.dumps(item.to_json_dict()))
                adapt_pydicom_json(entry, True)
                entries.append(entry)
        except Exception as error:
            self._differ(path, f"candidate UN bytes are not an implicit VR sequence: {error}")
            return
        self._sequence(items, {"Value": entries}, path)

    # -- values -------------------------------------------------------------------------------
    def _value(self, vr: str, value: Any, candidate: dict[str, Any], path: str) -> None:
        if vr == "SQ":
            self._sequence(value, candidate, path)
        elif vr in BINARY_VRS:
            self._binary(vr, value, candidate, path)
        else:
            if vr in CHARSET_TEXT_VRS and path in self.text_overrides:
                value = self.text_overrides[path]
                self._allow("DCMTK_CHARSET")
            self._multi_value(vr, value, candidate, path)

    def _sequence(self, value: Any, candidate: dict[str, Any], path: str) -> None:
        items = list(value or [])
        if "Value" not in candidate:
            entries: list[Any] = []
        else:
            entries = candidate["Value"]
            if not isinstance(entries, list):
                self._differ(path, f"candidate sequence \"Value\" is not an array: {short(entries)}")
                return
            if not entries and not items:
                self._allow("EMPTY_SQ_AS_EMPTY_LIST")
        if len(items) != len(entries):
            self._differ(path, f"{len(items)} items != candidate {len(entries)} items")
            return
        for index, (item, entry) in enumerate(zip(items, entries)):
            self._dataset(item, entry, item_prefix(path, index))

    def _binary(self, vr: str, value: Any, candidate: dict[str, Any], path: str) -> None:
        expected = little_endian_bytes(bytes(value or b""), vr, self.little_endian)
        if "Value" in candidate or "BulkDataURI" in candidate:
            self._differ(path, f"{vr} value must be InlineBinary, candidate has "
                               f"{'Value' if 'Value' in candidate else 'BulkDataURI'}")
            return
        encoded = candidate.get("InlineBinary")
        if encoded is None:
            actual = b""
        elif not isinstance(encoded, str):
            self._differ(path, "candidate InlineBinary is not a string")
            return
        else:
            try:
                actual = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as error:
                self._differ(path, f"candidate InlineBinary is not base64: {error}")
                return
        if actual != expected:
            first = next((i for i, (a, b) in enumerate(zip(expected, actual)) if a != b),
                         min(len(expected), len(actual)))
            self._differ(path, f"{vr} bytes differ at offset {first} "
                               f"(pydicom {len(expected)} bytes, candidate {len(actual)} bytes)")

    def _multi_value(self, vr: str, value: Any, candidate: dict[str, Any], path: str) -> None:
        expected = as_value_list(value)
        if "InlineBinary" in candidate or "BulkDataURI" in candidate:
            self._differ(path, f"{vr} value must be a \"Value\" array, candidate has binary")
            return
        if "Value" not in candidate:
            entries: list[Any] = []
        else:
            entries = candidate["Value"]
            if not isinstance(entries, list):
                self._differ(path, f"candidate \"Value\" is not an array: {short(entries)}")
                return
            if not entries:
                self._differ(path, "candidate has an empty \"Value\" array (an empty value has no \"Value\")")
                return
        if len(expected) != len(entries):
            self._differ(path, f"{vr} VM {len(expected)} {short(expected)} != "
                               f"candidate VM {len(entries)} {short(entries)}")
            return
        for index, (want, got) in enumerate(zip(expected, entries)):
            where = path if len(expected) == 1 else f"{path}#{index}"
            problem = self._scalar(vr, want, got)
            if problem:
                self._differ(where, problem)

    def _scalar(self, vr: str, want: Any, got: Any) -> str | None:
        """None when equal, else the message."""
        if is_empty_entry(want):
            if got is None:
                return None
            if vr == "PN" and got == {}:
                self._allow("EMPTY_PN_OBJECT")
                return None
            return f"{vr} empty entry != candidate {short(got)}"
        if got is None:
            return f"{vr} {short(want)} != candidate null"
        if vr == "PN":
            return self._person_name(want, got)
        if vr == "AT":
            if isinstance(got, str) and parse_json_tag(got) == int(Tag(want)):
                return None
            return f"AT {int(Tag(want)):08X} != candidate {short(got)}"
        if vr in INTEGER_VRS:
            if isinstance(got, NegativeZero):
                got = 0
            if vr in ("SV", "UV") and isinstance(got, str) and got.strip().lstrip("-").isdigit() \
                    and int(got) == int(want):
                self._allow("NUMBER_AS_STRING")
                return None
            if isinstance(got, int) and not isinstance(got, bool) and got == int(want):
                return None
            return f"{vr} {want!r} != candidate {short(got)}"
        if vr == "FL":
            if not isinstance(got, (int, float)) or isinstance(got, bool):
                return f"FL {want!r} != candidate {short(got)}"
            try:
                same = struct.pack("<f", float(got)) == struct.pack("<f", float(want))
            except (OverflowError, struct.error):
                same = False
            return None if same or (math.isnan(want) and math.isnan(got)) \
                else f"FL {want!r} != candidate {got!r} (as float32)"
        if vr == "FD":
            if isinstance(got, (int, float)) and not isinstance(got, bool) \
                    and (float(got) == float(want) or (math.isnan(want) and math.isnan(got))):
                return None
            return f"FD {want!r} != candidate {short(got)}"
        if vr in ("DS", "IS"):
            return self._number_string(vr, want, got)
        if isinstance(got, str) and got == str(want):
            return None
        if isinstance(got, str) and insignificant_spaces_removed(vr, got) \
                == insignificant_spaces_removed(vr, str(want)):
            self._allow("INSIGNIFICANT_SPACES")
            return None
        return f"{vr} {short(str(want))} != candidate {short(got)}"

    def _number_string(self, vr: str, want: Any, got: Any) -> str | None:
        if isinstance(want, str):
            # pydicom could not parse it as a number (validation mode WARN keeps the string):
            # the candidate must give the same string.
            if isinstance(got, str) and got.strip() == want.strip():
                return None
            return f"{vr} {want!r} (not a number) != candidate {short(got)}"
        if isinstance(got, str):
            try:
                number = float(got) if vr == "DS" else int(got.strip())
            except ValueError:
                return f"{vr} {want!r} != candidate {short(got)} (not a number)"
            problem = self._number_string(vr, want, number)
            if problem is None:
                self._allow("NUMBER_AS_STRING")
            return problem
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return f"{vr} {want!r} != candidate {short(got)}"
        if vr == "IS":
            return None if got == int(want) else f"IS {int(want)} != candidate {got!r}"
        reference = float(want)
        if math.isclose(reference, float(got), rel_tol=1e-12, abs_tol=0.0):
            return None
        return f"DS {reference!r} != candidate {got!r}"

    def _person_name(self, want: Any, got: Any) -> str | None:
        if not isinstance(got, dict):
            return f"PN {str(want)!r} != candidate {short(got)} (not an object)"
        unknown = set(got) - set(PN_GROUPS)
        if unknown:
            return f"PN candidate has unknown keys {sorted(unknown)}"
        components = list(PersonName(want).components) if not isinstance(want, PersonName) \
            else list(want.components)
        components += [""] * (3 - len(components))
        for group, expected in zip(PN_GROUPS, components):
            actual = got.get(group, "")
            if actual != expected:
                return f"PN {group} {expected!r} != candidate {short(actual)}"
        return None


def adapt_pydicom_json(document: dict[str, Any], little_endian: bool) -> None:
    """Makes pydicom's JSON follow dicomnode's contract where the two differ:
    - pydicom base64-encodes OW/OF/OL/OD/OV values of a big-endian file as read; the contract
      asks for little-endian bytes;
    - pydicom includes Group Length (gggg,0000) elements, which PS3.18 §F.2.2 leaves out;
    - pydicom writes an empty entry of a multi-value as "" (a PN one as {"Alphabetic": ""});
      the contract (PS3.18 §F.2.5) uses null.
    """
    for key in [key for key in document if key.endswith("0000")]:
        del document[key]
    for element in document.values():
        vr = element.get("vr")
        if vr == "SQ":
            for item in element.get("Value", []):
                adapt_pydicom_json(item, little_endian)
            continue
        if vr in SWAP_UNIT and "InlineBinary" in element and not little_endian:
            raw = base64.b64decode(element["InlineBinary"])
            element["InlineBinary"] = base64.b64encode(
                little_endian_bytes(raw, vr, False)).decode("ascii")
        if "Value" in element:
            element["Value"] = [None if entry == "" or (isinstance(entry, dict) and not any(entry.values()))
                                else entry for entry in element["Value"]]
