"""Loads the parsers' reference data (YAML files in parsers/data/).

Layouts, label synonyms, the figure vocabulary and page-noise patterns are
data, not code: adding a template variant is a file in layouts/ plus a test.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    with open(DATA_DIR / f"{name}.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.cache
def layout(name: str) -> dict:
    """One table layout: an official template's (named after it) or a variant's, from
    parsers/data/layouts/NAME.yml. Its `template` says which official template its rows are."""
    return load(f"layouts/{name}")


@functools.cache
def layout_names() -> tuple[str, ...]:
    """Every layout, newest first (by the year from which it is in force), then by name: adding a
    layout, or a variant of one, is adding a file."""
    names = [path.stem for path in (DATA_DIR / "layouts").glob("*.yml")]
    return tuple(sorted(names, key=lambda name: (-layout(name)["from_year"], name)))


@functools.cache
def official_templates() -> tuple[str, ...]:
    """The official templates the layouts read (t2019, t2021), oldest first."""
    return tuple(sorted({layout(name)["template"] for name in layout_names()}))


@functools.cache
def noise_pattern() -> re.Pattern:
    """Any of the noise patterns, as one expression (one search per line, not 22)."""
    return re.compile("|".join(f"(?:{p})" for p in load("noise")["line_patterns"]))


def spam_words() -> tuple[str, ...]:
    return tuple(load("noise")["spam_words"])


def without_spam(text: str) -> str:
    """Text less the words mirror sites inject: never part of a label or heading (they stay in
    the report's text, where spans count them)."""
    for word in spam_words():
        text = text.replace(word, "")
    return text


@functools.lru_cache(maxsize=None)
def table_breaks() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.M) for p in load("noise")["table_breaks"])


@functools.lru_cache(maxsize=None)
def templates() -> dict:
    """The official table layouts (pre-2019, 2019, 2021), row by row, with canonical keys."""
    with open(DATA_DIR / "templates.json", encoding="utf-8") as f:
        return json.load(f)


def official_labels() -> list[dict]:
    """The official wording of every key of tables 三 and 四 (from templates.json), for display."""
    labels = []
    for template in official_templates():
        table3, table4 = templates()[template]["table3"], templates()[template]["table4"]
        by_id = {row["id"]: row["key"] for row in table3["rows"]}
        labels += [{"template": template, "kind": "outcome", "key": row["key"], "label": row["label"],
                    "parent": by_id.get(row.get("parent")), "ordinal": n, "unit": row.get("unit"),
                    "role": row.get("kind", "data")}
                   for n, row in enumerate(table3["rows"])]
        labels += [{"template": template, "kind": "applicant_type", "key": c["key"], "label": c["label"],
                    "parent": c.get("parent"), "ordinal": n, "unit": None,
                    "role": c.get("kind", "data")} for n, c in enumerate(table3["columns"])]
        results = [c for c in table4["columns"] if c.get("parent") == "admin_review"]
        labels += [{"template": template, "kind": "result", "key": c["key"].removeprefix("admin_review_"),
                    "label": c["label"], "parent": None, "ordinal": n, "unit": None, "role": "data"} for n, c in enumerate(results)]
        # Proceedings are table 四's header columns; 未经复议直接起诉 reads 行政诉讼（未经复议直接起诉）.
        headers = {c["key"]: c for c in table4["columns"] if c.get("kind") == "header"}
        labels += [{"template": template, "kind": "proceeding", "key": key,
                    "label": f"{headers[c['parent']]['label']}（{c['label']}）" if c.get("parent") else c["label"],
                    "parent": None, "ordinal": n, "unit": None, "role": "data"} for n, (key, c) in enumerate(headers.items())]
    return labels
