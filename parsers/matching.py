"""Step 3b, second part: a table's row labels matched to a layout's rows.

A layout lists each row with the words that identify its label; rows are
found by those words, never by position, and each row takes the numbers that
follow its label up to the next label that is itself a row.
"""

from __future__ import annotations

import functools
import re

from .cells import ORDINAL, Token

LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


class Words(tuple):
    """The matching words of a layout's rows: the key of the label-to-rows caches, so its hash is
    kept (a tuple's is computed again at each lookup, and a layout has up to 65 rows)."""

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


def row_words(rows: list[dict]) -> Words:
    """The matching words of each row, hashable."""
    return Words((tuple(row.get("exact", ())), tuple(row.get("match", ())), row.get("kind", "data") == "data")
                 for row in rows)


@functools.lru_cache(maxsize=1 << 16)
def match_lengths(label: str, words: tuple) -> tuple[int, ...]:
    """How well the label fits each row (0: not at all). Cached: reports repeat the template's labels.

    A whole-label match beats any partial one. A row's own label is what follows the last
    ordinal: merged cells flattened into one (（六）其他处理3.其他, 三、本年度办理结果（七）总计)
    name the group first, and the row after it."""
    own = re.split(ORDINAL, label)[-1]
    return tuple(len(label) + 100 if label in exact or own in exact
                 else max((len(word) for word in match if word in label), default=0)
                 for exact, match, _ in words)


@functools.lru_cache(maxsize=1 << 16)
def _candidates(label: str, words: tuple) -> tuple[tuple[int, bool, int], ...]:
    """(index, is a data row, match length) of each row the label fits at all: usually a few."""
    return tuple((index, words[index][2], length) for index, length in enumerate(match_lengths(label, words)) if length)


def match_row(token: Token, rows: list[dict], start: int = 0, taken: set[int] = frozenset(),
              words: tuple | None = None) -> int | None:
    """Index of the row whose words best fit the label: longest match, then nearest after start
    (the rows from start on, then those before it)."""
    # A data row beats a header or group named in the same cell:
    # 三、本年度办理结果（一）予以公开 is the row 予以公开.
    best = max((c for c in _candidates(token.key_text, words or row_words(rows)) if c[0] not in taken),
               key=lambda c: (c[1], c[2], c[0] >= start, -c[0]), default=None)
    return None if best is None else best[0]


def is_row_label(token: Token, rows: list[dict], words: tuple | None = None) -> bool:
    return token.kind == "label" and bool(_candidates(token.key_text, words or row_words(rows)))


def read_rows(tokens: list[Token], rows: list[dict]) -> list[tuple[dict, Token, list[Token], Token | None]]:
    """(row, label token, value tokens, unit token) for every row found, in order.

    A data row must be followed by at least one value; a label that fits a
    data row but is followed by another row's label is a column header
    (总计, 其他) and is skipped.
    """
    found = []
    filled = set()
    pointer = 0
    words = row_words(rows)
    row_label = [is_row_label(token, rows, words) for token in tokens]  # once per token, not once per row
    for i, token in enumerate(tokens):
        if token.kind != "label":
            continue
        index = match_row(token, rows, pointer, filled, words)
        if index is None:
            continue
        row = rows[index]
        values, unit = [], None
        for j in range(i + 1, len(tokens)):
            following = tokens[j]
            if following.kind in ("number", "dash", "run", "blank"):
                values.append(following)
            elif following.kind == "unit":
                unit = unit or following
            elif row_label[j]:
                break
        if row.get("kind", "data") == "data" and all(v.kind == "blank" for v in values):
            continue  # no value of its own: a column header (总计), or a blank row
        filled.add(index)
        pointer = index + 1
        found.append((row, token, values, unit))
    return found


def label_text(token: Token) -> str:
    return LINE_BREAKS.sub("", token.text)

