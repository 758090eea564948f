"""Tag paths used in difference messages: ``(0008,1115)[0].(0020,000E)``."""

from __future__ import annotations


def tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def element_path(prefix: str, tag: int) -> str:
    return f"{prefix}{tag_text(tag)}"


def item_prefix(path: str, index: int) -> str:
    return f"{path}[{index}]."
