"""One identity per agency across years, whatever form its name takes in a report.

A report says 长沙市芙蓉区人民政府 one year and 芙蓉区人民政府 the next; 办公厅 or 办公室;
管理委员会 or 管委会. The agency key is the region code and the name with its place names
removed and its forms made one (parsers/data/agencies.yml): 430102:人民政府.
"""

from __future__ import annotations

import re

from . import data, regions
from .textutil import squash


def core_name(agency: str, region_code: str | None) -> str:
    """The agency's name without the names of its places and with one form for each synonym."""
    rules = data.load("agencies")
    name = re.sub(r"[(（][^)）]*[)）]", "", squash(agency))  # 平潭综合实验区管委会（平潭综合实验区）
    if region_code:
        places = [regions.divisions().names.get(code) for code in sorted(regions.ancestors(region_code))]
        for place in filter(None, places):
            short = next((place[: -len(s)] for s in regions.SHORT_SUFFIXES if place.endswith(s)), place)
            for form in (place, short) if len(short) >= 2 else (place,):
                if name.startswith(form) and len(name) > len(form):
                    name = name[len(form):]
                    break
    for written, one in rules["synonyms"].items():
        name = name.replace(written, one)
    return rules["whole_names"].get(name, name)


def agency_key(agency: str | None, region_code: str | None) -> str | None:
    if not agency:
        return None
    return f"{region_code or '?'}:{core_name(agency, region_code)}"


def level(agency: str, region_code: str | None) -> str:
    """province, city, county, township or department (a bureau, a commission, an office)."""
    rules = data.load("agencies")
    core = core_name(agency, region_code)
    if any(re.search(p, core) for p in rules["township"]):
        return "township"
    if core in rules["governments"] and region_code:
        return {1: "province", 2: "city", 3: "county"}[regions.level(region_code)]
    return "department"
