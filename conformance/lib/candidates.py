"""Candidates whose DICOM JSON the golden test compares with pydicom.

- DicomnodeCandidate runs ``dicomnode json FILE --inline-binary`` (the real subject).
- PydicomCandidate is the stand-in used by ``--self-test``: pydicom's own
  ``Dataset.to_json_dict()``, adapted to dicomnode's JSON contract where pydicom's JSON differs
  from it (listed in ``adapt_pydicom_json``). Comparing pydicom with it must give no
  difference on the whole corpus: that proves the comparison code, not dicomnode.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pydicom import jsonrep

from .compare import adapt_pydicom_json, parse_candidate_json
from .reference import dcmread_like_reference


@dataclass
class CandidateOutput:
    json: Any | None  # the parsed data set, or None when the candidate could not read the file
    error: str = ""


class DicomnodeCandidate:
    name = "dicomnode"

    def __init__(self, binary: Path, timeout: float = 300.0) -> None:
        self.binary = binary
        self.timeout = timeout

    def read(self, path: Path) -> CandidateOutput:
        command = [str(self.binary), "json", str(path), "--inline-binary"]
        try:
            result = subprocess.run(command, capture_output=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            return CandidateOutput(None, f"timed out after {self.timeout:.0f} s")
        except OSError as error:
            return CandidateOutput(None, f"cannot run {self.binary}: {error}")
        stderr = result.stderr.decode("utf-8", "replace").strip()
        if result.returncode != 0:
            lines = [line for line in stderr.splitlines() if line.strip()]
            errors = [line for line in lines if line.startswith("error:")]
            message = (errors or lines or [""])[-1]
            return CandidateOutput(None, f"{message} (exit status {result.returncode})".strip())
        try:
            return CandidateOutput(parse_candidate_json(result.stdout.decode("utf-8")))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            return CandidateOutput(None, f"output is not UTF-8 JSON: {error}")


class PydicomCandidate:
    name = "pydicom to_json_dict (self-test)"

    def read(self, path: Path) -> CandidateOutput:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dataset, _ = dcmread_like_reference(path)
                with tolerant_number_conversion():
                    document = dataset.to_json_dict(bulk_data_element_handler=None)
            except Exception as error:
                return CandidateOutput(None, f"error: {type(error).__name__}: {error}")
        little_endian = bool(dataset.original_encoding[1])
        # Round-trip through JSON text, as the binary's output is parsed.
        document = parse_candidate_json(json.dumps(document))
        adapt_pydicom_json(document, little_endian)
        return CandidateOutput(document)


@contextlib.contextmanager
def tolerant_number_conversion() -> Iterator[None]:
    """pydicom's to_json_dict raises on an IS/DS value that is not a number (badVR.dcm's IS
    "1A"); the contract gives such a value as its string. Patched only inside the stand-in."""
    original = jsonrep.convert_to_python_number

    def convert(value: Any, vr: str) -> Any:
        try:
            return original(value, vr)
        except ValueError:
            if not isinstance(value, (list, tuple)):
                return value
            converted = []
            for entry in value:
                try:
                    converted.append(original([entry], vr)[0])
                except ValueError:
                    converted.append(entry)
            return converted

    jsonrep.convert_to_python_number = convert
    try:
        yield
    finally:
        jsonrep.convert_to_python_number = original


