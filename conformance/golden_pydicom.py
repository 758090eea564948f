#!/usr/bin/env python3
"""Golden conformance test: dicomnode's DICOM JSON of every sample file against pydicom.

For each file of the corpus (pydicom's test_files and charset_files, pydicom-data's files):
read it with pydicom (the reference, see lib/reference.py), run
``dicomnode json FILE --inline-binary`` (the candidate) and compare the two element by element,
recursively through sequences (lib/compare.py; every accepted difference is a named rule in
``compare.ALLOWANCES`` and is counted in the output).

Output: ``PASS <name> (<n> elements)`` or ``FAIL <name>: <first 3 differences>`` per file, then
``UNREADABLE-BY-PYDICOM <name>: dicomnode says …`` for files pydicom cannot read, then the
summary ``N passed, M failed``. Exit status 1 when any file failed.

``--self-test`` compares pydicom with pydicom's own JSON (lib/candidates.py) instead of the binary:
it must pass on the whole corpus, proving the comparator.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.candidates import DicomnodeCandidate, PydicomCandidate  # noqa: E402
from lib.compare import Comparator  # noqa: E402
from lib.corpus import CorpusFile, corpus_files  # noqa: E402
from lib.report import FileResult, Reporter  # noqa: E402
from lib.reference import ReferenceUnreadable, read_reference  # noqa: E402


# Files pydicom reads leniently but that are damaged: dicomnode refuses them on purpose (an archive must
# not accept half an object as if it were whole). Each entry names the error dicomnode must give.
EXPECTED_REFUSALS = {
    # The last Directory Record item declares 248 bytes at offset 10860 but the file ends at 11092
    # (24 bytes short); pydicom and DCMTK keep the partial item without saying so.
    "test_files/dicomdirtests/DICOMDIR-nooffset":
        "at byte 10860 in element (0004,1220): value length 248 exceeds the 224 bytes that remain",
}


def check_file(file: CorpusFile, candidate: DicomnodeCandidate | PydicomCandidate) -> FileResult:
    result = FileResult(file.name, str(file.path), "fail")
    try:
        reference = read_reference(file.path)
    except ReferenceUnreadable as error:
        output = candidate.read(file.path)
        result.status = "unreadable"
        result.reference_note = str(error)
        result.candidate_error = output.error
        if output.json is not None:
            result.elements = len(output.json) if isinstance(output.json, dict) else 0
        return result
    result.reference_note = reference.note
    output = candidate.read(file.path)
    if output.json is None:
        result.candidate_error = output.error
        expected = EXPECTED_REFUSALS.get(file.name)
        if expected is not None and expected in (output.error or ""):
            result.status = "pass"
            result.allowances = {"TRUNCATED_REFUSED": 1}
            return result
        result.differences = [f"{candidate.name} could not read the file: {output.error}"]
        return result
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        comparison = Comparator(reference.little_endian, reference.text_overrides) \
            .compare(reference.dataset, output.json)
    result.warnings = sorted(set(reference.warnings) | {str(w.message) for w in caught})
    result.elements = comparison.elements
    result.differences = comparison.differences
    result.allowances = dict(comparison.allowances)
    result.status = "pass" if comparison.equal else "fail"
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dicomnode", type=Path, default=Path(".build/release/dicomnode"),
                        help="the dicomnode binary (default: .build/release/dicomnode)")
    parser.add_argument("--self-test", action="store_true",
                        help="compare pydicom with pydicom's own JSON instead of the binary")
    parser.add_argument("--json-report", type=Path, help="write per-file results to this file")
    parser.add_argument("--only", action="append", default=[],
                        help="check only files whose name contains this text (repeatable)")
    arguments = parser.parse_args(argv)

    if arguments.self_test:
        candidate: DicomnodeCandidate | PydicomCandidate = PydicomCandidate()
    else:
        if not arguments.dicomnode.is_file():
            print(f"error: no dicomnode binary at {arguments.dicomnode} (build it, or pass --dicomnode)",
                  file=sys.stderr)
            return 2
        candidate = DicomnodeCandidate(arguments.dicomnode)

    files = corpus_files()
    if arguments.only:
        files = [f for f in files if any(part in f.name for part in arguments.only)]
    if not files:
        print("error: the corpus is empty (is pydicom installed?)", file=sys.stderr)
        return 2

    reporter = Reporter(candidate_label="pydicom-json" if arguments.self_test else "dicomnode")
    for file in files:
        reporter.add(check_file(file, candidate))
    status = reporter.finish()
    if arguments.json_report:
        reporter.write_json(arguments.json_report, {"candidate": candidate.name})
    return status


if __name__ == "__main__":
    sys.exit(main())
