"""The sample-file corpus: pydicom's own test files and pydicom-data's files.

Never call ``pydicom.data.get_testdata_files()`` here: it tries the network and
hangs ~15 s per call on a machine without internet. The folders are listed
directly instead.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

# Helper files that sit next to the DICOM samples but are not DICOM files.
SKIPPED_SUFFIXES = (".py", ".pyc", ".json", ".txt", ".gz", ".bz2", ".dump", ".icc")
SKIPPED_PREFIXES = ("README", "__")


@dataclass(frozen=True)
class CorpusFile:
    """One sample file: ``name`` is stable across machines ("test_files/CT_small.dcm")."""

    name: str
    path: Path


def pydicom_data_dir() -> Path:
    import pydicom

    return Path(os.path.dirname(pydicom.__file__)) / "data"


def pydicom_data_store_dir() -> Path | None:
    """pydicom-data's files (the ``data_store`` module), or None when not installed."""
    try:
        import data_store  # type: ignore[import-not-found]
    except ImportError:
        return None
    return Path(os.path.dirname(data_store.__file__)) / "data"


def corpus_roots() -> list[tuple[str, Path]]:
    """(prefix used in names, folder) for each folder of the corpus that exists."""
    roots = [
        ("test_files", pydicom_data_dir() / "test_files"),
        ("charset_files", pydicom_data_dir() / "charset_files"),
    ]
    store = pydicom_data_store_dir()
    if store is not None:
        roots.append(("pydicom-data", store))
    return [(prefix, folder) for prefix, folder in roots if folder.is_dir()]


def is_candidate_dicom(path: Path) -> bool:
    """False for the obvious non-DICOM helper files (scripts, dumps, archives, READMEs)."""
    name = path.name
    return not (name.endswith(SKIPPED_SUFFIXES) or name.startswith(SKIPPED_PREFIXES))


def corpus_files() -> list[CorpusFile]:
    """Every sample file, sorted by name (recursing into sub-folders such as dicomdirtests)."""
    files: list[CorpusFile] = []
    for prefix, folder in corpus_roots():
        for directory, _, names in os.walk(folder):
            for name in names:
                path = Path(directory) / name
                if is_candidate_dicom(path):
                    files.append(CorpusFile(f"{prefix}/{path.relative_to(folder).as_posix()}", path))
    return sorted(files, key=lambda f: f.name)
