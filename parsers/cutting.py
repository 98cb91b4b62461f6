"""Step 3b, third part: digits printed without separators, cut into cells.

PDF conversions and flattened pages print a row's cells as one run of digits
(0 1 0 0 0 0 1 as 0100001), sometimes with stray spaces (230 000023). A run is
cut every way the table's arithmetic allows (`fits`); the caller keeps the one
cut that fits, or the cells every fitting cut agrees on, never a guess.
"""

from __future__ import annotations

import re

from .cells import Token

DIGITS, LEADING_ZERO = re.compile(r"\d+"), re.compile(r"0\d+")


def is_run(token: Token, cells: int = 2) -> bool:
    """Digits that can only be several cells: glued to a label, a number written with a leading 0,
    or as many digits as the row has cells (no single count fills a row of seven)."""
    return token.kind == "run" or bool(LEADING_ZERO.fullmatch(token.text)) or (
        cells > 2 and bool(DIGITS.fullmatch(token.text)) and len(token.text) >= cells)



MAX_SPLITS = 20000  # past this many cuts a run is not read (it would be a guess anyway)


def cuts(values: list[Token], parts: int, fits) -> list[list[Token]]:
    """Digits printed without separators, perhaps with stray spaces (230 000023): every way to
    cut them into `parts` cells that satisfies `fits`, as inferred cells. Cuts at the spaces are
    preferred: the splits that cut at every space if any fit, else those that cut at the most."""
    texts = [v.text for v in values]
    if not all(DIGITS.fullmatch(t) for t in texts) or sum(map(len, texts)) < parts:
        return []
    found = _splits_at_spaces(values, parts, fits) if len(values) <= parts else []
    if not found and len(values) > 1:
        found = _splits_across_spaces(values, parts, fits)
    for split in found:
        for cell in split:
            cell.kind = "inferred"
    return found


def _splits_at_spaces(values: list[Token], parts: int, fits) -> list[list[Token]]:
    found, tried = [], 0

    def place(i: int, left: int, cells: list[Token]) -> None:
        nonlocal tried
        if i == len(values):
            tried += 1
            if left == 0 and fits([int(c.text) for c in cells]):
                found.append(cells)
            return
        rest = len(values) - i - 1
        for n in range(1, min(len(values[i].text), left - rest) + 1):
            for widths in compositions(values[i].text, n):
                if tried > MAX_SPLITS:
                    return
                place(i + 1, left - n, cells + values[i].split(widths))

    place(0, parts, [])
    return [] if tried > MAX_SPLITS else found


def _splits_across_spaces(values: list[Token], parts: int, fits) -> list[list[Token]]:
    """Cuts anywhere in the digits, a cell may hold a space; only those with the most cuts at spaces."""
    digits = "".join(v.text for v in values)
    places = [(v.start + i) for v in values for i in range(len(v.text))]  # text offset of each digit
    scored = []
    for n, widths in enumerate(compositions(digits, parts)):
        if n > MAX_SPLITS:
            return []
        numbers, cells, at = [], [], 0
        for width in widths:
            numbers.append(int(digits[at:at + width]))
            cells.append((places[at], places[at + width - 1] + 1))
            at += width
        if fits(numbers):
            spaces = sum(1 for (_, end), (start, _) in zip(cells, cells[1:]) if start > end)
            scored.append((spaces, cells, numbers))
    best = max((s for s, *_ in scored), default=0)
    text_of = {v.start + i: ch for v in values for i, ch in enumerate(v.text)}
    return [[Token("number", _slice(text_of, s, e), s, e) for s, e in cells] for score, cells, _ in scored if score == best]


def _slice(text_of: dict[int, str], start: int, end: int) -> str:
    """A cell's text as printed: its digits with the spaces between them."""
    return "".join(text_of.get(i, " ") for i in range(start, end))


def only_cut(values: list[Token], parts: int, fits) -> list[Token] | None:
    """The cells of a run when exactly one cut fits; None when none or several do."""
    if len(values) != 1 or not is_run(values[0], parts):
        return None
    splits = cuts(values, parts, fits)
    return splits[0] if len(splits) == 1 else None


def digits_only(values: list[Token], cells: int) -> bool:
    """Cells that can be one run of digits broken by stray spaces: all digits, enough of them."""
    return (all(v.kind in ("number", "run") and v.text.isdigit() for v in values)
            and sum(len(v.text) for v in values) >= cells and (len(values) < cells or len(values) == 1))


def agreed_cells(splits: list[list[Token]]) -> dict[int, Token]:
    """The cells (by column) that every possible split of a run puts in the same place."""
    if not splits:
        return {}
    return {i: token for i, token in enumerate(splits[0])
            if all((s[i].start, s[i].end) == (token.start, token.end) for s in splits[1:])}



def compositions(digits: str, parts: int):
    """Every way to read a run of digits as `parts` numbers (no number but 0 starts with 0), as
    widths; generated lazily, since a long run has very many."""
    if parts == 1:
        if digits and (digits[0] != "0" or len(digits) == 1):
            yield [len(digits)]
        return
    for width in range(1, len(digits) - parts + 2):
        if digits[0] == "0" and width > 1:
            break
        for rest in compositions(digits[width:], parts - 1):
            yield [width] + rest
