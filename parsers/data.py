"""Loads the parsers' reference data (YAML files in parsers/data/).

Layouts, label synonyms, the figure vocabulary and page-noise patterns are
data, not code: adding a template variant is an edit here plus a test.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).parent / "data"


@functools.lru_cache(maxsize=None)
def load(name: str) -> dict:
    with open(DATA_DIR / f"{name}.yml", encoding="utf-8") as f:
        return yaml.safe_load(f)


@functools.lru_cache(maxsize=None)
def noise_patterns() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p) for p in load("noise")["line_patterns"])


def spam_words() -> tuple[str, ...]:
    return tuple(load("noise")["spam_words"])


@functools.lru_cache(maxsize=None)
def table_breaks() -> tuple[re.Pattern, ...]:
    return tuple(re.compile(p, re.M) for p in load("noise")["table_breaks"])
