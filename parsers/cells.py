"""Step 3a: the cells of a table printed as text, each with its span.

Scraped reports print tables as text in several ways. This module turns a
region of the report into a flat list of tokens (labels, numbers, blanks,
units) with exact offsets; `tables.py` then reads rows from them.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import data
from .model import Cell
from .textutil import fold, squash

NUMBER_CELL = re.compile(r"^\s*(?P<num>[+\-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|[+\-]?\d+(?:\.\d+)?)\s*(?P<unit>万元|元|件|条|项)?\s*$")
# Blank-like cells: kept as NULL with what was written, never as 0.
DASH_CELL = re.compile(r"^\s*[-—–/－─]+\s*$")
UNIT_WORDS = {"条", "件", "次", "篇", "个", "人", "人次", "万元", "元", "项", "宗"}
ORDINAL = r"(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十]+\)|\d+[.、])"  # 三、 (七) 3.
ORDINAL_PREFIX = re.compile(rf"^(?:{ORDINAL}|其中[:：]?)+")


LINE, CELL = re.compile(r"[^\n]+"), re.compile(r"[^|]+|(?<=\|)(?=\|)")  # a line; a cell on it, or an empty one
SPACE = re.compile(r"\s")
EMPTY_CELL = re.compile(r"\|\s*\|")


@dataclass
class Token:
    kind: str  # label, number, dash, unit, run (digits of several cells printed together)
    text: str  # as written (stripped)
    start: int
    end: int

    @functools.cached_property
    def key_text(self) -> str:
        """The label without white space, full-width forms or leading ordinal."""
        return _key_text(self.text)

    def cell(self) -> Cell:
        # An inferred cell may hold a stray space the page printed inside it (2 4 for 24).
        value = int(SPACE.sub("", self.text)) if self.kind == "inferred" else parse_number(self.text)
        return Cell(value=value, value_raw=self.text, start=self.start, end=self.end, inferred=self.kind == "inferred")

    def split(self, widths: list[int]) -> list["Token"]:
        """The run cut into cells of these widths (in characters)."""
        tokens, position = [], self.start
        for width in widths:
            tokens.append(Token("number", self.text[position - self.start:position - self.start + width],
                                position, position + width))
            position += width
        return tokens


@functools.lru_cache(maxsize=1 << 14)  # labels repeat
def _key_text(text: str) -> str:
    return ORDINAL_PREFIX.sub("", squash(text))


@functools.lru_cache(maxsize=1 << 14)  # cells repeat
def parse_number(raw: str) -> float | None:
    m = NUMBER_CELL.match(fold(raw))
    if not m:
        return None
    value = float(m.group("num").replace(",", ""))
    return int(value) if value.is_integer() and "." not in m.group("num") else value


# A Markdown table's delimiter row (|---|:---:|): layout, not cells.
DELIMITER_ROW = re.compile(r"^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?)?[ \t]*$", re.M)


def tokenize(text: str, start: int, end: int) -> list[Token]:
    """Cells of text[start:end].

    A region that uses `|` between cells is split on `|` only, so a label
    printed over two lines stays one cell. Otherwise each line is split on
    white space, and the words between numbers make one label (PDF text:
    `一、本年新收政府信息公开申请数量 3001 53 0 0 61 4 3119`).
    """
    region = fold(text)[start:end]  # (the whole text folded once: textutil keeps it)
    region = DELIMITER_ROW.sub(lambda m: " " * len(m.group()), region)
    for pattern in data.table_breaks():
        region = pattern.sub(lambda m: " " * len(m.group()), region)
    if "|" in region:
        pieces = _split(region, "|") + _blank_cells(region)
        pieces.sort()
    else:
        pieces = _merge_words(_split(region, "space"), region)
    tokens = [_classify(text[start + s:start + e], start + s, start + e) for s, e in pieces]
    generic = _generic_header()
    return [piece for token in tokens
            for piece in (_unglue(token) if token.kind == "label" and not generic.match(token.text) else [token])]


@functools.cache
def _generic_header() -> re.Pattern:
    return re.compile(data.load("tables")["generic_header"])


# Digits glued to a label: 一、本年新收政府信息公开申请数量713000074二、上年结转… or
# 规章000行政规范性文件. A run is a cell (or several) unless it belongs to the words:
# a quantity (计1条, 2021年, 第17次), or the ordinal of the next label (…00000002.其他法律…).
GLUED_RUN = re.compile(r"(?<![第约近\d.])\d+(?:\.\d+)?(?![\d.]*\d)(?!\s*[年月日号时余多%万亿个人名次项期元条件篇份家户])")
ORDINAL_AFTER = re.compile(r"[.、]\D")


def _unglue(token: Token) -> list[Token]:
    pieces = _glued_pieces(token.text)
    if pieces is None:
        return [token]
    return [Token(kind, token.text[s:e], token.start + s, token.start + e) for kind, s, e in pieces]


@functools.lru_cache(maxsize=1 << 14)  # labels repeat: the template's, in report after report
def _glued_pieces(text: str) -> tuple[tuple[str, int, int], ...] | None:
    """(kind, start, end) in the label's text of its words and the numbers glued to them, or None."""
    folded = fold(text)
    pieces, position = [], 0
    for m in GLUED_RUN.finditer(folded):
        s, e = m.start(), m.end()
        if ORDINAL_AFTER.match(folded, e):
            if e - s == 1:
                continue  # just the ordinal: 1.属于国家秘密
            e -= 1  # the last digit is the next label's ordinal
        if s == 0 and e == len(folded):
            continue
        if folded[position:s].strip():
            pieces.append(("label", position, s))
        pieces.append(("number" if "." in folded[s:e] or e - s == 1 else "run", s, e))
        position = e
    if not pieces:
        return None
    if folded[position:].strip():
        pieces.append(("label", position, len(folded)))
    stripped = []
    for kind, s, e in pieces:
        lead = len(text[s:e]) - len(text[s:e].lstrip())
        trail = len(text[s:e]) - len(text[s:e].rstrip())
        stripped.append((kind, s + lead, e - trail))
    return tuple(stripped)


# What lies between separators, without the white space around it: from the first character
# that is neither white space nor | to the last (a label printed over two lines stays one piece).
BETWEEN = {"|": re.compile(r"[^|\s](?:[^|]*[^|\s])?"), "space": re.compile(r"\S+")}


def _split(region: str, separator: str) -> list[tuple[int, int]]:
    """(start, end) of every non-blank piece between separators ("|" or "space"), stripped."""
    return [m.span() for m in BETWEEN[separator].finditer(region)]


def _blank_cells(region: str) -> list[tuple[int, int]]:
    """Empty cells on a line (| 5 |  | 5 |), as empty spans: those between two filled ones, and
    those before the first value of a row of values only (its label on the line above, as PDF
    conversion writes it). Empty cells at a row's end are cells too (no 复议后起诉 cases); the
    table readers, which know how many columns a row has, drop the page's padding beyond them."""
    blanks = []
    for line in LINE.finditer(region):
        if not EMPTY_CELL.search(line.group()):
            continue  # (an empty cell is white space, or nothing, between two |)
        cells = [(line.start() + m.start(), line.start() + m.end()) for m in CELL.finditer(line.group())]
        filled = [i for i, (s, e) in enumerate(cells) if region[s:e].strip()]
        values_only = filled and is_value(region[slice(*cells[filled[0]])]) and line.group().lstrip().startswith("|")
        first = 1 if values_only and not region[slice(*cells[0])].strip() and cells[0][0] == line.start() else 0
        for i, (s, e) in enumerate(cells):
            between_pipes = region[s - 1:s] == "|" and region[e:e + 1] == "|"
            if (not region[s:e].strip() and filled and between_pipes
                    and (filled[0] < i or (values_only and i >= first))):
                middle = (s + e) // 2
                blanks.append((middle, middle))
    return blanks


def _merge_words(pieces: list[tuple[int, int]], region: str) -> list[tuple[int, int]]:
    """Join neighbouring words on one line into one label; numbers and dashes stay cells of their own."""
    merged: list[tuple[int, int]] = []
    for s, e in pieces:
        word = region[s:e]
        if (merged and not is_value(word) and not is_value(region[merged[-1][0]:merged[-1][1]])
                and "\n" not in region[merged[-1][1]:s]):
            merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def is_value(word: str) -> bool:
    """A number or a dash: a value cell, not a label."""
    return _kind(word) in ("number", "dash")


def _classify(raw: str, start: int, end: int) -> Token:
    if start == end:
        return Token("blank", "", start, end)
    return Token(_kind(raw), raw, start, end)


@functools.lru_cache(maxsize=1 << 14)  # cells repeat: 0, 1, —, 件…
def _kind(raw: str) -> str:
    folded = fold(raw)
    if NUMBER_CELL.match(folded):
        return "number"
    if DASH_CELL.match(folded):
        return "dash"
    if squash(folded) in UNIT_WORDS:
        return "unit"
    return "label"
