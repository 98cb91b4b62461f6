"""Small text helpers shared by the parsing steps.

`fold` maps a text to a same-length text for matching: full-width ASCII to
half-width, the ideographic space to a space, traditional characters to
simplified ones (繁體 mirrors of reports). Because it maps one character to
one character, an offset found in the folded text is an offset in the
original, and provenance spans stay exact.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from pathlib import Path
from typing import NamedTuple

_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0xA0: 0x20, 0x2002: 0x20, 0x2003: 0x20, 0x200B: 0x20,
              0xFE52: ord("."), 0x2014: ord("—"), 0xFF0E: ord(".")})


@functools.lru_cache(maxsize=1)
def _fold_table() -> dict[int, int]:
    """Full-width forms, odd spaces, and OpenCC's one-to-one traditional-to-simplified characters."""
    table = dict(_FOLD)
    spec = importlib.util.find_spec("opencc")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("opencc-python-reimplemented is not installed (pip install -r requirements.txt)")
    characters = Path(spec.submodule_search_locations[0]) / "dictionary" / "TSCharacters.txt"
    for line in characters.read_text(encoding="utf-8").splitlines():
        traditional, _, simplified = line.partition("\t")
        simplified = simplified.split(" ")[0]
        if len(traditional) == 1 and len(simplified) == 1:
            table.setdefault(ord(traditional), ord(simplified))
    return table


SHORT = 64  # cells, labels and lines repeat across reports: their folded forms are kept


def fold(text: str) -> str:
    return _fold_short(text) if len(text) <= SHORT else _fold_long(text)


def _fold(text: str) -> str:
    folded = text.translate(_fold_table())
    assert len(folded) == len(text)
    return folded


_fold_short = functools.lru_cache(maxsize=1 << 16)(_fold)
# a document's whole text is folded by several stages: hashing it again costs far less than folding
_fold_long = functools.lru_cache(maxsize=16)(_fold)
WHITE = re.compile(r"\s+")


def squash(text: str) -> str:
    """Folded text without any white space, for comparing labels."""
    return _squash_short(text) if len(text) <= SHORT else WHITE.sub("", fold(text))


@functools.lru_cache(maxsize=1 << 16)
def _squash_short(text: str) -> str:
    return WHITE.sub("", fold(text))


class Line(NamedTuple):  # immutable (lines() keeps a document's lines for its next caller) and cheap
    start: int
    end: int  # excluding the line break
    text: str


@functools.lru_cache(maxsize=8)  # a document's stages ask for its lines several times
def lines(text: str, start: int = 0, end: int | None = None) -> tuple[Line, ...]:
    """The non-blank lines of text[start:end], with their offsets in text."""
    end = len(text) if end is None else end
    return tuple(Line(m.start(), m.end(), m.group()) for m in LINE.finditer(text, start, end)
                 if not m.group().isspace())


LINE = re.compile(r"[^\r\n]+")
