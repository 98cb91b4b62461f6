"""Step 3a: the cells of a table printed as text, each with its span.

Scraped reports print tables as text in several ways. This module turns a
region of the report into a flat list of tokens (labels, numbers, blanks,
units) with exact offsets; `tables.py` then reads rows from them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .model import Cell
from .textutil import fold, squash

NUMBER = re.compile(r"[+\-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+\-]?\d+(?:\.\d+)?")
NUMBER_CELL = re.compile(r"^\s*(?P<num>[+\-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+\-]?\d+(?:\.\d+)?)\s*(?P<unit>万元|元|件|条|项)?\s*$")
# Blank-like cells: kept as NULL with what was written, never as 0.
DASH_CELL = re.compile(r"^\s*[-—–/－─]+\s*$")
UNIT_WORDS = {"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "宗"}
ORDINAL_PREFIX = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[.、]|其中[:：]?)+")


@dataclass
class Token:
    kind: str  # label, number, dash, unit
    text: str  # as written (stripped)
    start: int
    end: int

    @property
    def key_text(self) -> str:
        """The label without white space, full-width forms or leading ordinal."""
        return ORDINAL_PREFIX.sub("", squash(self.text))

    def cell(self) -> Cell:
        return Cell(value=parse_number(self.text), value_raw=self.text, start=self.start, end=self.end)


def parse_number(raw: str) -> float | None:
    m = NUMBER_CELL.match(fold(raw))
    if not m:
        return None
    value = float(m.group("num").replace(",", ""))
    return int(value) if value.is_integer() and "." not in m.group("num") else value


def tokenize(text: str, start: int, end: int) -> list[Token]:
    """Cells of text[start:end].

    A region that uses `|` between cells is split on `|` only, so a label
    printed over two lines stays one cell; otherwise every line is a cell.
    """
    region = fold(text[start:end])
    separator = r"\|" if "|" in region else r"[\r\n\t]+"
    tokens = []
    position = 0
    for piece in re.split(f"({separator})", region):
        piece_start = start + position
        position += len(piece)
        if re.fullmatch(separator, piece) or not piece.strip():
            continue
        lead = len(piece) - len(piece.lstrip())
        s, e = piece_start + lead, piece_start + len(piece.rstrip())
        tokens.append(_classify(text[s:e], s, e))
    return tokens


def _classify(raw: str, start: int, end: int) -> Token:
    folded = fold(raw)
    if NUMBER_CELL.match(folded):
        return Token("number", raw, start, end)
    if DASH_CELL.match(folded):
        return Token("dash", raw, start, end)
    if squash(folded) in UNIT_WORDS:
        return Token("unit", raw, start, end)
    return Token("label", raw, start, end)
