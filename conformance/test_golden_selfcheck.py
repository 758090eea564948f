"""Checks of the golden comparator itself: it must pass pydicom's own JSON and report FAIL for
deliberately altered candidate JSON. Run: ``python3 -m pytest conformance/test_golden_selfcheck.py``.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pydicom
import pytest
from pydicom.dataelem import DataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from lib.candidates import PydicomCandidate  # noqa: E402
from lib.compare import ALLOWANCES, Comparator, Comparison  # noqa: E402
from lib.corpus import corpus_files  # noqa: E402
from lib.reference import ReferenceUnreadable, read_reference  # noqa: E402

import golden_pydicom  # noqa: E402

warnings.simplefilter("ignore")


def corpus_path(name: str) -> Path:
    matches = [f.path for f in corpus_files() if f.name == name]
    assert matches, f"{name} is not in the corpus"
    return matches[0]


def standin_json(name: str) -> dict[str, Any]:
    output = PydicomCandidate().read(corpus_path(name))
    assert output.json is not None, output.error
    return output.json


def compare(name: str, candidate: dict[str, Any]) -> Comparison:
    reference = read_reference(corpus_path(name))
    return Comparator(reference.little_endian, reference.text_overrides).compare(
        reference.dataset, candidate)


def only_difference(result: Comparison) -> str:
    assert len(result.differences) == 1, result.differences
    return result.differences[0]


# -- the unaltered stand-in passes ------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "test_files/CT_small.dcm",            # explicit LE, private tags, US/SS ambiguity
    "test_files/MR_small_bigendian.dcm",  # explicit big endian
    "test_files/rtplan.dcm",              # implicit VR, nested sequences
    "charset_files/chrH31.dcm",           # ISO 2022 IR 87 with PN component groups
    "test_files/JPEG2000.dcm",            # encapsulated pixel data
])
def test_unaltered_pydicom_json_passes(name: str) -> None:
    result = compare(name, standin_json(name))
    assert result.differences == []
    assert result.elements > 20


# -- deliberate alterations fail --------------------------------------------------------------

def test_changed_string_value_fails() -> None:
    candidate = standin_json("test_files/CT_small.dcm")
    candidate["00080060"]["Value"] = ["MR"]  # Modality is CT
    assert only_difference(compare("test_files/CT_small.dcm", candidate)) \
        == "(0008,0060): CS 'CT' != candidate 'MR'"


def test_changed_person_name_component_fails() -> None:
    candidate = standin_json("charset_files/chrH31.dcm")
    pn = candidate["00100010"]["Value"][0]
    assert pn["Ideographic"]
    pn["Ideographic"] = pn["Ideographic"][:-1]
    assert "(0010,0010): PN Ideographic" in only_difference(compare("charset_files/chrH31.dcm", candidate))


def test_ds_within_tolerance_passes_and_beyond_fails() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    thickness = candidate["00180050"]["Value"][0]
    candidate["00180050"]["Value"][0] = thickness * (1 + 1e-14)
    assert compare(name, candidate).differences == []
    candidate["00180050"]["Value"][0] = thickness * (1 + 1e-6)
    assert only_difference(compare(name, candidate)).startswith("(0018,0050): DS ")


def test_number_as_string_is_compared_as_its_number() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    thickness = candidate["00180050"]["Value"][0]
    candidate["00180050"]["Value"][0] = f"{thickness:.6f}"  # PS3.18 §F.2.3 allows a string
    result = compare(name, candidate)
    assert result.differences == [] and result.allowances["NUMBER_AS_STRING"] == 1
    candidate["00180050"]["Value"][0] = f"{thickness + 1:.6f}"
    assert only_difference(compare(name, candidate)).startswith("(0018,0050): DS ")
    candidate["00180050"]["Value"][0] = "five"
    assert only_difference(compare(name, candidate)).endswith("(not a number)")
    candidate = standin_json(name)
    candidate["00200013"]["Value"][0] = "0" + str(candidate["00200013"]["Value"][0])  # IS "01"
    assert compare(name, candidate).allowances["NUMBER_AS_STRING"] == 1


def test_insignificant_spaces_of_inner_entries() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    candidate["00080008"]["Value"][0] += " "  # CS: trailing spaces not significant (PS3.5 6.2)
    result = compare(name, candidate)
    assert result.differences == [] and result.allowances["INSIGNIFICANT_SPACES"] == 1
    candidate["00080008"]["Value"][0] = "ORIGINALX"
    assert only_difference(compare(name, candidate)).startswith("(0008,0008)#0: CS ")


def test_changed_integer_and_float_fail() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    candidate["00280010"]["Value"][0] += 1  # Rows, US
    result = compare(name, candidate)
    assert only_difference(result).startswith("(0028,0010): US 128 != candidate 129")

    candidate = standin_json(name)
    fl_tag = next(k for k, v in candidate.items() if v["vr"] == "FL" and "Value" in v) \
        if any(v["vr"] == "FL" and "Value" in v for v in candidate.values()) else None
    if fl_tag is None:  # CT_small has none at top level: use MR_small's FD instead
        pytest.fail("expected an FL element in CT_small.dcm")
    candidate[fl_tag]["Value"][0] += 0.5
    assert only_difference(compare(name, candidate)).startswith(f"({fl_tag[:4]},{fl_tag[4:]}): FL ")


def test_fl_printed_as_shortest_float32_passes() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    fl_tag = next(k for k, v in candidate.items() if v["vr"] == "FL" and "Value" in v)
    import numpy  # pydicom depends on it
    candidate[fl_tag]["Value"] = [float(str(numpy.float32(v))) for v in candidate[fl_tag]["Value"]]
    assert compare(name, candidate).differences == []


def test_missing_and_extra_tags_fail() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    del candidate["00100020"]
    candidate["00100021"] = {"vr": "LO", "Value": ["ISSUER"]}
    differences = compare(name, candidate).differences
    assert len(differences) == 2
    assert differences[0].startswith("(0010,0020): missing in candidate")
    assert differences[1].startswith("(0010,0021): not in pydicom's data set")


def test_wrong_vr_fails() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    candidate["00080060"]["vr"] = "LO"
    assert only_difference(compare(name, candidate)) == "(0008,0060): VR CS != candidate LO"


def test_changed_pixel_byte_fails() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    pixels = bytearray(base64.b64decode(candidate["7FE00010"]["InlineBinary"]))
    pixels[1001] ^= 0x01
    candidate["7FE00010"]["InlineBinary"] = base64.b64encode(bytes(pixels)).decode()
    assert only_difference(compare(name, candidate)) == \
        "(7FE0,0010): OW bytes differ at offset 1001 (pydicom 32768 bytes, candidate 32768 bytes)"


def test_big_endian_bytes_must_be_swapped_to_little_endian() -> None:
    name = "test_files/MR_small_bigendian.dcm"
    reference = pydicom.dcmread(corpus_path(name))
    candidate = standin_json(name)
    as_read = reference.PixelData  # pydicom keeps the big-endian bytes as read
    candidate["7FE00010"]["InlineBinary"] = base64.b64encode(as_read).decode()
    assert only_difference(compare(name, candidate)).startswith("(7FE0,0010): OW bytes differ at offset 0")


def test_changed_value_inside_sequence_item_fails() -> None:
    name = "test_files/rtplan.dcm"
    candidate = standin_json(name)
    beam = candidate["300A00B0"]["Value"][0]
    beam["300A00C2"]["Value"] = ["CHANGED"]  # Beam Name
    assert only_difference(compare(name, candidate)).startswith("(300A,00B0)[0].(300A,00C2): LO ")


def test_removed_sequence_item_fails() -> None:
    name = "test_files/rtplan.dcm"
    candidate = standin_json(name)
    candidate["300A00B0"]["Value"].pop()
    assert only_difference(compare(name, candidate)) == "(300A,00B0): 1 items != candidate 0 items"


def test_changed_multi_value_count_fails() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    candidate["00080008"]["Value"].append("EXTRA")  # Image Type
    assert "VM 3" in only_difference(compare(name, candidate))


def test_empty_string_instead_of_null_fails() -> None:
    """An empty value has no "Value"; "" is a different JSON value from an absent one."""
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    empty = next(k for k, v in candidate.items() if v["vr"] in ("SH", "LO", "CS") and "Value" not in v)
    candidate[empty]["Value"] = [""]
    assert only_difference(compare(name, candidate)).endswith("VM 0 [] != candidate VM 1 ['']")


def test_changed_attribute_tag_fails() -> None:
    name = "pydicom-data/liver.dcm"  # Dimension Index Pointer (0020,9165) AT inside a sequence
    candidate = standin_json(name)

    def alter(node: dict[str, Any], path: str) -> str | None:
        for key, element in node.items():
            if element["vr"] == "AT" and "Value" in element:
                element["Value"][0] = "00100011"
                return f"{path}({key[:4]},{key[4:]})"
            for index, item in enumerate(element.get("Value", []) if element["vr"] == "SQ" else []):
                found = alter(item, f"{path}({key[:4]},{key[4:]})[{index}].")
                if found:
                    return found
        return None

    altered = alter(candidate, "")
    assert altered is not None
    assert only_difference(compare(name, candidate)).startswith(f"{altered}: AT ")


# -- allowances accept only what they name ---------------------------------------------------

def test_ambiguous_vr_alternative_is_allowed_but_values_still_compared() -> None:
    name = "test_files/MR_small.dcm"
    candidate = standin_json(name)
    assert candidate["00280106"]["vr"] == "SS"
    candidate["00280106"]["vr"] = "US"  # "US or SS": the other alternative, same positive value
    result = compare(name, candidate)
    assert result.differences == []
    assert result.allowances["AMBIGUOUS_VR"] == 1
    candidate["00280106"]["Value"][0] += 1
    assert only_difference(compare(name, candidate)).startswith("(0028,0106): US ")


def test_ob_for_ow_pixel_data_is_allowed_only_with_the_same_bytes() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    candidate["7FE00010"]["vr"] = "OB"
    assert compare(name, candidate).differences == []
    candidate["7FE00010"]["InlineBinary"] = base64.b64encode(b"\0" * 10).decode()
    assert "OB bytes differ" in only_difference(compare(name, candidate))


def test_un_for_a_private_element_compares_raw_bytes() -> None:
    name = "test_files/CT_small.dcm"
    reference = pydicom.dcmread(corpus_path(name))
    raw = reference.get_item(0x00091002).value  # private SH
    candidate = standin_json(name)
    candidate["00091002"] = {"vr": "UN", "InlineBinary": base64.b64encode(raw).decode()}
    result = compare(name, candidate)
    assert result.differences == [] and result.allowances["PRIVATE_UN"] == 1
    candidate["00091002"]["InlineBinary"] = base64.b64encode(raw[:-2] + b"XY").decode()
    assert "UN bytes differ" in only_difference(compare(name, candidate))


def test_un_for_a_private_creator_is_not_allowed() -> None:
    name = "test_files/CT_small.dcm"
    candidate = standin_json(name)
    creator = candidate["00090010"]["Value"][0]
    candidate["00090010"] = {"vr": "UN", "InlineBinary": base64.b64encode(creator.encode()).decode()}
    assert only_difference(compare(name, candidate)) == "(0009,0010): VR LO != candidate UN"


def test_private_sequence_that_pydicom_keeps_as_un_is_compared_item_by_item() -> None:
    name = "test_files/priv_SQ.dcm"
    reference = read_reference(corpus_path(name))
    assert str(reference.dataset[0x3F031001].VR) == "UN"
    reread = Comparator()._reread(reference.dataset, pydicom.dcmread(corpus_path(name)).get_item(0x3F031001), "SQ")
    items = [json.loads(json.dumps(item.to_json_dict())) for item in reread]
    candidate = standin_json(name)
    candidate["3F031001"] = {"vr": "SQ", "Value": items}
    result = compare(name, candidate)
    assert result.differences == [] and result.allowances["PRIVATE_UN"] == 1
    first_tag = next(iter(items[0]))
    items[0][first_tag] = {"vr": items[0][first_tag]["vr"]}  # empty the first element of item 0
    assert only_difference(compare(name, candidate)).startswith(f"(3F03,1001)[0].({first_tag[:4]},{first_tag[4:]})")


def test_every_allowance_used_is_named() -> None:
    result = compare("test_files/CT_small.dcm", standin_json("test_files/CT_small.dcm"))
    assert set(result.allowances) <= set(ALLOWANCES)


# -- reference reading ------------------------------------------------------------------------

def test_truncated_file_is_unreadable_by_pydicom() -> None:
    with pytest.raises(ReferenceUnreadable, match=r"\(7FE0,0010\) declares 8192 bytes, the file holds 8130"):
        read_reference(corpus_path("test_files/MR_truncated.dcm"))


def test_iso_2022_ir_58_text_comes_from_dcmtk(tmp_path: Path) -> None:
    dataset = Dataset()
    dataset.file_meta = FileMetaDataset()
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dataset.file_meta.MediaStorageSOPInstanceUID = "1.2.3"
    dataset.SpecificCharacterSet = ["", "ISO 2022 IR 58"]
    dataset.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    dataset.SOPInstanceUID = "1.2.3"
    # GB2312 张 = D5 C5, 三 = C8 FD, designated to G1 by ESC $ ) A (PS3.3 Annex C.12.1.1.2).
    dataset.add(DataElement(0x00100010, "PN", b"Zhang^San=\x1b$)A\xd5\xc5^\x1b$)A\xc8\xfd"))
    dataset.add(DataElement(0x00081030, "LO", b"\x1b$)A\xd5\xc5\xc8\xfd"))
    path = tmp_path / "ir58.dcm"
    dataset.save_as(path, enforce_file_format=True)

    reference = read_reference(path)
    assert reference.text_overrides["(0008,1030)"] == "张三"
    correct = {
        "00080005": {"vr": "CS", "Value": [None, "ISO 2022 IR 58"]},
        "00080016": {"vr": "UI", "Value": ["1.2.840.10008.5.1.4.1.1.7"]},
        "00080018": {"vr": "UI", "Value": ["1.2.3"]},
        "00081030": {"vr": "LO", "Value": ["张三"]},
        "00100010": {"vr": "PN", "Value": [{"Alphabetic": "Zhang^San", "Ideographic": "张^三"}]},
    }
    result = Comparator(True, reference.text_overrides).compare(reference.dataset, correct)
    assert result.differences == [] and result.allowances["DCMTK_CHARSET"] == 2
    # pydicom's own (wrong) decoding keeps the escape sequence: that must fail.
    wrong = copy.deepcopy(correct)
    wrong["00081030"]["Value"] = ["\x1b$)A张三"]
    reference = read_reference(path)
    result = Comparator(True, reference.text_overrides).compare(reference.dataset, wrong)
    assert only_difference(result).startswith("(0008,1030): LO ")


# -- the script end to end --------------------------------------------------------------------

def test_self_test_mode_passes(capsys: pytest.CaptureFixture[str]) -> None:
    status = golden_pydicom.main(["--self-test", "--only", "test_files/CT_small.dcm",
                                  "--only", "test_files/MR_truncated.dcm"])
    lines = capsys.readouterr().out.splitlines()
    assert status == 0
    assert lines[0] == "PASS test_files/CT_small.dcm (262 elements)"
    assert lines[1].startswith("UNREADABLE-BY-PYDICOM test_files/MR_truncated.dcm: pydicom-json says")
    assert lines[-1] == "1 passed, 0 failed"


def fake_dicomnode(tmp_path: Path, alter: str) -> Path:
    """An executable that answers ``json FILE --inline-binary`` like the contract, from pydicom."""
    script = tmp_path / "dicomnode"
    script.write_text(f"""#!{sys.executable}
import json, sys, warnings
warnings.simplefilter("ignore")
sys.path.insert(0, {str(HERE)!r})
from lib.candidates import PydicomCandidate
assert sys.argv[1:2] == ["json"] and "--inline-binary" in sys.argv
output = PydicomCandidate().read(sys.argv[2])
if output.json is None or {alter!r} == "error":
    print("error: at byte 132 in element (0008,0005): broken", file=sys.stderr)
    sys.exit(1)
if {alter!r} == "modality":
    output.json["00080060"]["Value"] = ["MR"]
print(json.dumps(output.json))
""")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_binary_mode_reports_fail_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = tmp_path / "report.json"
    status = golden_pydicom.main(["--dicomnode", str(fake_dicomnode(tmp_path, "modality")),
                                  "--only", "test_files/CT_small.dcm", "--only", "test_files/rtplan.dcm",
                                  "--json-report", str(report)])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1
    assert lines[0] == "FAIL test_files/CT_small.dcm: (0008,0060): CS 'CT' != candidate 'MR'"
    assert lines[1].startswith("FAIL test_files/rtplan.dcm: (0008,0060): CS 'RTPLAN' != candidate 'MR'")
    assert lines[-1] == "0 passed, 2 failed"
    written = json.loads(report.read_text())
    assert [f["status"] for f in written["files"]] == ["fail", "fail"]
    assert written["files"][0]["differences"] == ["(0008,0060): CS 'CT' != candidate 'MR'"]


def test_binary_that_cannot_read_fails_with_its_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = golden_pydicom.main(["--dicomnode", str(fake_dicomnode(tmp_path, "error")),
                                  "--only", "test_files/CT_small.dcm"])
    out = capsys.readouterr().out.splitlines()
    assert status == 1
    assert out[0] == ("FAIL test_files/CT_small.dcm: dicomnode could not read the file: "
                      "error: at byte 132 in element (0008,0005): broken (exit status 1)")


def test_group_length_is_left_out_and_its_presence_fails() -> None:
    name = "charset_files/chrKoreanMulti.dcm"
    assert 0x00080000 in pydicom.dcmread(corpus_path(name))  # pydicom keeps (0008,0000)
    candidate = standin_json(name)
    assert "00080000" not in candidate
    result = compare(name, candidate)
    assert result.differences == [] and result.allowances["GROUP_LENGTH_OMITTED"] >= 1
    candidate["00080000"] = {"vr": "UL", "Value": [392]}
    assert only_difference(compare(name, candidate)) == \
        "(0008,0000): group length in the JSON (PS3.18 §F.2.2 leaves it out)"


def test_negative_zero_keeps_its_sign() -> None:
    from lib.compare import NegativeZero, parse_candidate_json
    parsed = parse_candidate_json('{"a": [-0, 0, -0.0, 7]}')["a"]
    assert isinstance(parsed[0], NegativeZero) and str(parsed[0]) == "-0.0"
    assert parsed[1:] == [0, -0.0, 7] and isinstance(parsed[1], int)
    name = "test_files/dicomdirtests/77654033/CT2/17106"  # (0027,1046) FL is -0.0
    candidate = standin_json(name)
    assert str(candidate["00271046"]["Value"][0]) == "-0.0"
    candidate["00271046"]["Value"][0] = 0
    assert only_difference(compare(name, candidate)).startswith("(0027,1046): FL -0.0 != candidate 0")


def test_undefined_length_un_sequence_given_as_bytes_is_parsed_and_compared() -> None:
    name = "test_files/UN_sequence.dcm"  # (4453,100C) UN of undefined length: pydicom reads SQ
    path = corpus_path(name)
    data = path.read_bytes()
    reference = pydicom.dcmread(path)
    assert str(reference[0x4453100C].VR) == "SQ"
    start = data.index(bytes.fromhex("5344 0C10".replace(" ", "")) + b"UN")  # tag (4453,100C), LE
    value_start = start + 12
    end = data.rindex(bytes.fromhex("FEFFDDE000000000"))  # the last one closes (4453,100C)
    candidate = standin_json(name)
    for value_end in (end, end + 8):  # without and with the sequence delimitation item
        encoded = base64.b64encode(data[value_start:value_end]).decode()
        candidate["4453100C"] = {"vr": "UN", "InlineBinary": encoded}
        result = compare(name, candidate)
        assert result.differences == [] and result.allowances["UN_SEQUENCE_AS_BYTES"] == 1
    altered = bytearray(data[value_start:end])
    position = altered.rindex(b"\x00", 0, len(altered) - 16)
    altered[position - 1] ^= 0x01
    candidate["4453100C"]["InlineBinary"] = base64.b64encode(bytes(altered)).decode()
    assert compare(name, candidate).differences != []
