"""The layouts the parser reads with (parsers/data/layouts/*.yml, pre2019_stats.yml) are the
official ones in parsers/data/templates.json: the same tables, rows, columns and keys, in the same
order. And a layout is data: a variant is read once its file is there, with no change of code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from parsers import data, readers, tables
from parsers.decode import format_of

ROOT = Path(__file__).resolve().parent.parent


def _data_rows(rows):
    return [r["key"] for r in rows if r.get("kind", "data") == "data"]


@pytest.mark.parametrize("template", ["t2019", "t2021"])
def test_table3_rows_and_columns_agree(template):
    official, layout = data.templates()[template]["table3"], data.layout(template)["table3"]
    assert [r["key"] for r in official["rows"]] == [r["key"] for r in layout["rows"]]
    assert [r.get("kind", "data") for r in official["rows"]] == [r.get("kind", "data") for r in layout["rows"]]
    assert [c["key"] for c in official["columns"] if c.get("kind") != "header"] == layout["columns"]


@pytest.mark.parametrize("template", ["t2019", "t2021"])
def test_table2_subtables_agree(template):
    official, layout = data.templates()[template]["table2"]["subtables"], data.layout(template)["table2"]
    assert [s["key"] for s in official] == [s["key"] for s in layout]
    for sub, mine in zip(official, layout):
        assert [r["key"] for r in sub["rows"]] == [r["key"] for r in mine["rows"]], sub["key"]
        assert [c["key"] for c in sub["columns"] if c.get("kind") != "label"] == mine["columns"], sub["key"]


@pytest.mark.parametrize("template", ["t2019", "t2021"])
def test_table4_cells_agree(template):
    official = data.templates()[template]["table4"]["columns"]
    cells = [c["key"] for c in official if c.get("kind") != "header"]
    assert cells == [f"{p}_{r}" for p, r in data.layout(template)["table4"]["columns"]]


def test_pre2019_rows_are_official_keys():
    official = {r["key"] for r in data.templates()["pre2019_stats"]["rows"]}
    mine = [r["key"] for r in data.load("pre2019_stats")["rows"]]
    assert set(mine) <= official and len(mine) == len(set(mine))


def test_every_official_template_has_its_layout_and_every_layout_an_official_template():
    assert data.official_templates() == ("t2019", "t2021")
    for name in data.layout_names():
        assert data.layout(name)["template"] in data.templates(), name
    for template in data.official_templates():
        assert template in data.layout_names()  # the template's own layout is named after it


# A variant of the 2021 layout whose table 三 says 准予公开 / 不准予公开 where the official form says
# 予以公开 / 不予公开: the words differ, the rows, columns and keys are the 2021 template's.
VARIANT_WORDS = {"不予公开": "不准予公开", "予以公开": "准予公开"}


def _variant_text(text: str) -> str:
    for official, variant in VARIANT_WORDS.items():  # 不予公开 first: 予以公开 is not inside it
        text = text.replace(official, variant)
    return text


def _variant_layout() -> dict:
    layout = yaml.safe_load((ROOT / "parsers/data/layouts/t2021.yml").read_text(encoding="utf-8"))
    layout["detect"] = layout["detect"] + ["准予公开"]
    for row in layout["table3"]["rows"]:
        row["match"] = [VARIANT_WORDS.get(word, word) for word in row.get("match", [])]
    return layout


def _package_with_the_variant(directory: Path) -> None:
    """The parser package as shipped, copied into directory, with the variant's file added."""
    shutil.copytree(ROOT / "parsers", directory / "parsers", ignore=shutil.ignore_patterns("__pycache__"))
    (directory / "parsers/data/layouts/t2021_zhunyu.yml").write_text(
        yaml.safe_dump(_variant_layout(), allow_unicode=True), encoding="utf-8")


def _outcomes(found) -> dict:
    return {f"{o.outcome}|{o.applicant_type}": o.cell.value for o in found.outcomes}


def test_a_layout_variant_is_a_file_and_no_code(tmp_path):
    originals = {}
    for path in sorted((ROOT / "reports").iterdir()):
        fmt = format_of(path.name)
        if fmt in ("txt", "md"):
            text = readers.read(fmt, path.read_bytes()).text
            found = tables.extract(text, None)
            if found.template == "t2021" and "granted|total" in _outcomes(found) and "予以公开" in text:
                originals[path.name] = (text, _outcomes(found))
    assert len(originals) >= 5
    variants = {name: _variant_text(text) for name, (text, _) in originals.items()}
    # The layouts as shipped do not read the variant's words: 准予公开 is no row of theirs.
    for name, text in variants.items():
        assert "granted|total" not in _outcomes(tables.extract(text, None)), name

    _package_with_the_variant(tmp_path)  # the same parser package, one file added to parsers/data/layouts/
    (tmp_path / "variants.json").write_text(json.dumps(variants, ensure_ascii=False), encoding="utf-8")
    script = ("import json; from parsers import tables\n"
              "texts = json.load(open('variants.json', encoding='utf-8'))\n"
              "found = {n: tables.extract(t, None) for n, t in texts.items()}\n"
              "print(json.dumps({n: [f.template, f.layout, {f'{o.outcome}|{o.applicant_type}': o.cell.value\n"
              "                  for o in f.outcomes}] for n, f in found.items()}))")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    read = json.loads(run.stdout)
    for name, (_, outcomes) in originals.items():
        template, layout, variant_outcomes = read[name]
        assert (template, layout) == ("t2021", "t2021_zhunyu"), name  # stored as the official template
        assert variant_outcomes == outcomes, name


def test_the_variant_reads_what_a_person_read(tmp_path):
    """The variant against hand-read values: 020 (平潭 2025), its 予以公开 总计 as a person read it."""
    expected = json.loads((ROOT / "tests/expected/020_pingtan_zone_2025.expect.json").read_text(encoding="utf-8"))
    granted = [e[3] for e in expected["expect"] if e[:3] == ["outcome", "granted", "total"]]
    assert granted
    _package_with_the_variant(tmp_path)
    (tmp_path / "report.txt").write_text(
        _variant_text(readers.read("txt", (ROOT / "reports/020_pingtan_zone_2025.txt").read_bytes()).text), encoding="utf-8")
    script = ("from parsers import tables\n"
              "found = tables.extract(open('report.txt', encoding='utf-8').read(), 2025)\n"
              "print([o.cell.value for o in found.outcomes if (o.outcome, o.applicant_type) == ('granted', 'total')])")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(run.stdout) == granted
