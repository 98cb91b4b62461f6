"""The layouts the parser reads with (parsers/data/*.yml) are the official ones in
parsers/data/templates.json: the same tables, rows, columns and keys, in the same order."""

from __future__ import annotations

import pytest

from parsers import data


def _data_rows(rows):
    return [r["key"] for r in rows if r.get("kind", "data") == "data"]


@pytest.mark.parametrize("template", ["t2019", "t2021"])
def test_table3_rows_and_columns_agree(template):
    official, layout = data.templates()[template]["table3"], data.load(template)["table3"]
    assert [r["key"] for r in official["rows"]] == [r["key"] for r in layout["rows"]]
    assert [r.get("kind", "data") for r in official["rows"]] == [r.get("kind", "data") for r in layout["rows"]]
    assert [c["key"] for c in official["columns"] if c.get("kind") != "header"] == layout["columns"]


@pytest.mark.parametrize("template", ["t2019", "t2021"])
def test_table2_subtables_agree(template):
    official, layout = data.templates()[template]["table2"]["subtables"], data.load(template)["table2"]
    assert [s["key"] for s in official] == [s["key"] for s in layout]
    for sub, mine in zip(official, layout):
        assert [r["key"] for r in sub["rows"]] == [r["key"] for r in mine["rows"]], sub["key"]
        assert [c["key"] for c in sub["columns"] if c.get("kind") != "label"] == mine["columns"], sub["key"]


@pytest.mark.parametrize("template", ["t2019", "t2021"])
def test_table4_cells_agree(template):
    official = data.templates()[template]["table4"]["columns"]
    cells = [c["key"] for c in official if c.get("kind") != "header"]
    assert cells == [f"{p}_{r}" for p, r in data.load(template)["table4"]["columns"]]


def test_pre2019_rows_are_official_keys():
    official = {r["key"] for r in data.templates()["pre2019_stats"]["rows"]}
    mine = [r["key"] for r in data.load("pre2019_stats")["rows"]]
    assert set(mine) <= official and len(mine) == len(set(mine))
