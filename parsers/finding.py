"""Step 3b, first part: where each statistics table is in the text, and which layout it follows.

A table is found by its heading's words (parsers/data/tables.yml), accepted
where its own header rows follow, and ends at the next table's heading or the
next numbered heading that is not one of its rows. The layout is the one whose
words the tables use (parsers/data/layouts/).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from . import data
from .matching import match_lengths, row_words
from .textutil import squash


@dataclass
class Region:
    start: int
    end: int
    confirmed: bool = True  # its header rows follow the heading (not just a numbered heading)


def find_regions(folded: str, body_start: int = 0) -> dict[str, Region]:
    """Each statistics table's stretch of text, by its heading's words (parsers/data/tables.yml)."""
    rules = data.load("tables")
    mentions = {name: _mentions(folded, body_start, spec, rules) for name, spec in rules["tables"].items()}
    found = {name: _table_heading(folded, name, mentions, rules) for name in rules["tables"]}
    anchored = set()
    for name, spec in rules["tables"].items():
        if not found[name][0] and spec.get("anchor"):  # no heading: the table starts at its own header rows
            anchor = re.compile(spec["anchor"]).search(folded, body_start)
            if anchor:
                found[name] = (anchor, True)
                anchored.add(name)
    heads = {name: m for name, (m, _) in found.items() if m}
    regions = {}
    for name, m in heads.items():
        if name == "pre2019":
            regions[name] = Region(m.start(), len(folded), found[name][1])
            continue
        following = [h.start() for n, h in heads.items() if n != "pre2019" and h.start() > m.start()]
        # The next table's heading ends it; the last table ends at the next section's heading.
        end = min(following) if following else _next_heading(folded, m.end(), len(folded), name, rules)
        regions[name] = Region(m.start() if name in anchored else m.end(), end, found[name][1])
    return regions


def _mentions(folded: str, start: int, spec: dict, rules: dict) -> list[re.Match]:
    """Every mention of a table's heading after start, in order: what the heading pattern finds
    scanning the whole text, found by scanning only the stretches around its words."""
    pattern, reach = _heading_pattern(spec["heading"], rules["ordinal"]), rules["heading_reach"]
    stretches: list[list[int]] = []
    for word in _alternatives(tuple(spec["heading_words"])).finditer(folded, start):
        begin, end = max(start, word.start() - reach), min(len(folded), word.end() + reach)
        if stretches and begin <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([begin, end])
    found, position = [], start
    for begin, end in stretches:
        for m in pattern.finditer(folded, max(begin, position), end):
            found.append(m)
            position = m.end()
    return found


@functools.cache
def _alternatives(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(map(re.escape, words)))


@functools.cache
def _heading_pattern(heading: str, ordinal: str) -> re.Pattern:
    return re.compile(f"(?:{ordinal}[ \t]*)?(?:{heading})")


def _table_heading(folded: str, name: str, mentions: dict[str, list[re.Match]],
                   rules: dict) -> tuple[re.Match | None, bool]:
    """The heading of one table, among the mentions of every table's heading: the first mention
    of its own that its header words follow (confirmed), else the last numbered one."""
    spec = rules["tables"][name]
    found = mentions[name]
    if not found:
        return None, False
    others = sorted(m.start() for n, theirs in mentions.items() if n != name for m in theirs)
    for m in found:
        window_end = min([p for p in others if p > m.end()] + [m.end() + rules["header_within"]])
        window = squash(folded[m.end():window_end])
        if any(word in window for word in spec["header_words"]):
            return m, True
    numbered = [m for m in found if re.match(rules["ordinal"], m.group())]
    return (numbered[-1] if numbered else None), False


NUMBERED_HEADING = re.compile(r"(?:^|(?<=[\s。\d|]))[ \t]*(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|附件)"
                              r"[ \t]*(?P<words>[^\d|\n]{2,15})", re.M)


def _next_heading(folded: str, start: int, end: int, table: str, rules: dict) -> int:
    """Where the next numbered heading that is not a row of this table, nor its own heading
    repeated as the table's caption, begins (五、存在的主要问题…)."""
    rows = [row for name in data.layout_names() for row in _rows_of(name, table)]
    words = row_words(rows) if rows else ()
    own = _heading_pattern(rules["tables"][table]["heading"], rules["ordinal"])
    for m in NUMBERED_HEADING.finditer(folded, start, end):
        heading = squash(m.group("words"))
        if own.match(folded, m.start() + len(m.group()) - len(m.group().lstrip())):
            continue
        # A cell broken across lines ((五)不 / 予处理) is too short to tell; a heading says more.
        if len(heading) >= 4 and not (words and any(match_lengths(heading, words))):
            return m.start()
    return end


def _rows_of(layout: str, table: str) -> list[dict]:
    spec = data.layout(layout).get(table)
    if table == "table3":
        return spec["rows"]
    if table == "table2":
        return [row for sub in spec for row in sub["rows"]] + [{"key": sub["key"], "match": ["第二十条"]} for sub in spec]
    return []


def detect_layout(folded: str, regions: dict[str, Region], year: int | None) -> str:
    """The layout whose own words (its `detect` list) tables 二 and 三 use most; on a tie, the
    newest in force in the report's year (the oldest when none is)."""
    table_text = squash("".join(folded[r.start:r.end] for n, r in regions.items() if n in ("table2", "table3")))
    scores = {name: sum(1 for word in data.layout(name)["detect"] if word in table_text) for name in data.layout_names()}
    tied = [name for name in data.layout_names() if scores[name] == max(scores.values())]
    in_force = [name for name in tied if year is None or data.layout(name)["from_year"] <= year]
    return in_force[0] if in_force else tied[-1]


def stated_numbers(folded: str, regions: dict[str, Region]) -> frozenset[int]:
    """Whole numbers written in the report outside its tables."""
    outside, position = [], 0
    for region in sorted(regions.values(), key=lambda r: r.start):
        outside.append(folded[position:region.start])
        position = max(position, region.end)
    outside.append(folded[position:])
    return frozenset(int(n) for n in re.findall(r"(?<![\d.])\d{1,9}(?![\d.])", "\n".join(outside)))

