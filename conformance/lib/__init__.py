"""Shared helpers for dicomnode's conformance scripts (corpus listing, reporting,
pydicom reference reading, DICOM JSON comparison, running the dicomnode binary)."""
