"""China's administrative divisions: from an agency's name to its region.

The division list is the one the `cpca` package ships (resources/adcodes.csv,
GB/T 2260 codes padded to 12 digits). We read that file directly so that
parsing does not import pandas, which `cpca` itself needs.
"""

from __future__ import annotations

import csv
import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

MUNICIPALITIES = {"11", "12", "31", "50"}  # 北京 天津 上海 重庆: the province is the city
SKIP_NAMES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}
SHORT_SUFFIXES = ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "自治州", "自治县",
                  "地区", "省", "市", "区", "县", "旗", "盟")


@dataclass
class Region:
    province: str | None
    city: str | None
    county: str | None
    region_code: str


@dataclass
class Divisions:
    names: dict[str, str]  # six-digit code -> name
    by_name: dict[str, list[str]]  # full name -> codes
    by_short_name: dict[str, list[str]]  # name without its suffix -> codes


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
    return Divisions(names, by_name, by_short)


def level(code: str) -> int:
    """1 province, 2 prefecture-level city, 3 county-level."""
    return 1 if code[2:] == "0000" else 2 if code[4:] == "00" else 3


def ancestors(code: str) -> set[str]:
    return {code[:2] + "0000", code[:4] + "00", code}


def _mentions(text: str, index: dict[str, list[str]]) -> list[list[str]]:
    """Codes of every division name in text, longest names first, not overlapping."""
    taken = [False] * len(text)
    found = []
    for name in sorted((n for n in index if n in text), key=len, reverse=True):
        start = text.find(name)
        while start >= 0:
            if not any(taken[start:start + len(name)]):
                taken[start:start + len(name)] = [True] * len(name)
                found.append(index[name])
            start = text.find(name, start + 1)
    return found


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
