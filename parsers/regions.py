"""China's administrative divisions: from an agency's name to its region.

The division list is the one the `cpca` package ships (resources/adcodes.csv,
GB/T 2260 codes padded to 12 digits). We read that file directly so that
parsing does not import pandas, which `cpca` itself needs.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path

MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the province is the city
SKIP_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
SHORT_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
                  "地区", "省", "市", "区", "县", "旗", "盟")


@dataclass(frozen=True)
class Region:
    province: str | None
    city: str | None
    county: str | None
    region_code: str


@dataclass
class Index:
    """Division names -> codes, with what finds them in a text quickly."""
    codes: dict[str, list[str]]  # name -> codes, in the list's order
    lengths: dict[str, tuple[int, ...]] = field(default_factory=dict)  # first character -> name lengths
    rank: dict[str, int] = field(default_factory=dict)  # a name's place in the list

    def __post_init__(self):
        lengths: dict[str, set[int]] = {}
        for rank, name in enumerate(self.codes):
            lengths.setdefault(name[0], set()).add(len(name))
            self.rank[name] = rank
        self.lengths.update((first, tuple(sorted(found))) for first, found in lengths.items())


@dataclass
class Divisions:
    names: dict[str, str]  # six-digit code -> name
    by_name: Index  # full name -> codes
    by_short_name: Index  # name without its suffix -> codes


def _adcodes_path() -> Path:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the cpca package is not installed (pip install -r requirements.txt)")
    return Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv"


@functools.lru_cache(maxsize=1)
def divisions() -> Divisions:
    names, by_name, by_short = {}, {}, {}
    with open(_adcodes_path(), encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code, name = row["adcode"][:6], row["name"].strip()
            if name in SKIP_NAMES or code in names:
                continue
            names[code] = name
            by_name.setdefault(name, []).append(code)
            short = next((name[: -len(s)] for s in SHORT_SUFFIXES if name.endswith(s)), None)
            if short and len(short) >= 2:
                by_short.setdefault(short, []).append(code)
    return Divisions(names, Index(by_name), Index(by_short))


def level(code: str) -> int:
    """1 province, 2 prefecture-level city, 3 county-level."""
    return 1 if code[2:] == "0000" else 2 if code[4:] == "00" else 3


def ancestors(code: str) -> set[str]:
    return {code[:2] + "0000", code[:4] + "00", code}


def _mentions(text: str, index: Index) -> list[list[str]]:
    """Codes of every division name in text, longest names first, not overlapping."""
    taken = [False] * len(text)
    found = []
    # the names that start at each character (a name is short, the index has thousands)
    present = {text[i:i + n] for i, first in enumerate(text) for n in index.lengths.get(first, ())}
    for name in sorted(present.intersection(index.codes), key=lambda name: (-len(name), index.rank[name])):
        start = text.find(name)
        while start >= 0:
            if not any(taken[start:start + len(name)]):
                taken[start:start + len(name)] = [True] * len(name)
                found.append(index.codes[name])
            start = text.find(name, start + 1)
    return found


@functools.lru_cache(maxsize=1 << 12)  # an agency's name comes back year after year
def resolve(text: str | None) -> Region | None:
    """The most specific division that the names in text agree on, if any."""
    if not text:
        return None
    table = divisions()
    mentions = _mentions(text, table.by_name) or _mentions(text, table.by_short_name)
    if not mentions:
        return None
    scored = {}
    for codes in mentions:
        for code in codes:
            support = sum(1 for other in mentions if ancestors(code) & set(other))
            scored[code] = (support, level(code))
    best = max(scored.values())
    winners = [code for code, score in scored.items() if score == best]
    if len(winners) != 1:
        return None  # the same name in several provinces and nothing to tell them apart
    return describe(winners[0])


def describe(code: str) -> Region:
    names = divisions().names
    province = names.get(code[:2] + "0000")
    city = province if code[:2] in MUNICIPALITIES else names.get(code[:4] + "00")
    county = names.get(code) if level(code) == 3 else None
    return Region(province, city if level(code) >= 2 or code[:2] in MUNICIPALITIES else None, county, code)
