"""Small text helpers shared by the parsing steps.

`fold` maps a text to a same-length text for matching: full-width ASCII to
half-width, the ideographic space to a space. Because it maps one character
to one character, an offset found in the folded text is an offset in the
original, and provenance spans stay exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0xA0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x200B: 0x20,
              0xFE52: ord("."), 0x2014: ord("—"), 0xFF0E: ord(".")})
_FOLD_TABLE = str.maketrans({k: chr(v) for k, v in _FOLD.items()})


def fold(text: str) -> str:
    folded = text.translate(_FOLD_TABLE)
    assert len(folded) == len(text)
    return folded


def squash(text: str) -> str:
    """Folded text without any white space, for comparing labels."""
    return re.sub(r"\s+", "", fold(text))


CN_DIGITS = "一二三四五六七八九十"


@dataclass
class Line:
    start: int
    end: int  # excluding the line break
    text: str


def lines(text: str, start: int = 0, end: int | None = None) -> list[Line]:
    """The non-blank lines of text[start:end], with their offsets in text."""
    end = len(text) if end is None else end
    return [Line(start + m.start(), start + m.end(), m.group())
            for m in re.finditer(r"[^\r\n]+", text[start:end]) if m.group().strip()]


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) so it neither starts nor ends with white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
