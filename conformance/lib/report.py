"""PASS/FAIL reporting shared by the conformance scripts.

Output contract (parsed by CI): one line per file, the unreadable files after them,
then a last line exactly ``N passed, M failed``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO
import sys


@dataclass
class FileResult:
    name: str
    path: str
    status: str  # "pass", "fail" or "unreadable"
    elements: int = 0
    differences: list[str] = field(default_factory=list)
    allowances: dict[str, int] = field(default_factory=dict)
    reference_note: str = ""  # why pydicom could not read it, or which reference was used
    candidate_error: str = ""  # dicomnode's message when it could not read the file
    warnings: list[str] = field(default_factory=list)


class Reporter:
    """Collects results; prints PASS/FAIL lines as they come, unreadable ones at the end."""

    def __init__(self, out: TextIO | None = None, max_shown_differences: int = 3,
                 candidate_label: str = "dicomnode") -> None:
        self.out = out if out is not None else sys.stdout
        self.candidate_label = candidate_label
        self.max_shown = max_shown_differences
        self.results: list[FileResult] = []

    def add(self, result: FileResult) -> None:
        self.results.append(result)
        if result.status == "pass":
            print(f"PASS {result.name} ({result.elements} elements)", file=self.out, flush=True)
        elif result.status == "fail":
            shown = "; ".join(result.differences[: self.max_shown])
            more = len(result.differences) - self.max_shown
            suffix = f" (+{more} more)" if more > 0 else ""
            print(f"FAIL {result.name}: {shown}{suffix}", file=self.out, flush=True)

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.status == "pass")

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if r.status == "fail")

    def allowance_totals(self) -> Counter[str]:
        totals: Counter[str] = Counter()
        for r in self.results:
            totals.update(r.allowances)
        return totals

    def finish(self) -> int:
        """Prints the unreadable files, the allowances used and the summary; returns the exit status."""
        for r in self.results:
            if r.status == "unreadable":
                said = r.candidate_error or f"it read the file ({r.elements} top-level elements)"
                print(f"UNREADABLE-BY-PYDICOM {r.name}: {self.candidate_label} says {said} "
                      f"(pydicom: {r.reference_note})", file=self.out)
        totals = self.allowance_totals()
        if totals:
            used = ", ".join(f"{rule} x{count}" for rule, count in sorted(totals.items()))
            print(f"allowances used: {used}", file=self.out)
        print(f"{self.passed} passed, {self.failed} failed", file=self.out, flush=True)
        return 1 if self.failed else 0

    def write_json(self, path: Path, extra: dict[str, Any] | None = None) -> None:
        document = {
            "passed": self.passed,
            "failed": self.failed,
            "unreadable": sum(1 for r in self.results if r.status == "unreadable"),
            "allowances": dict(self.allowance_totals()),
            "files": [asdict(r) for r in self.results],
        }
        if extra:
            document.update(extra)
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
