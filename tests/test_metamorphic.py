"""Generality: every corpus report's tables, written out again in each layout family
real sites use and with each perturbation real pages show, give back the same figures."""

from __future__ import annotations

import pytest

import parsers
from parsers import data
from conftest import ROOT
from variants import APPLICANTS, FILE_FAMILIES, PERTURBATIONS, TEXT_FAMILIES, tables_of, variant


def _sources():
    found = []
    for path in sorted((ROOT / "reports").iterdir()):
        if path.suffix in (".txt", ".md", ".pdf", ".docx", ".html"):
            tables = tables_of(parsers.parse_report(path.name, path.read_bytes()), data.templates())
            if tables:
                found.append((path.name, tables))
    return found


SOURCES = _sources()


def test_the_corpus_has_tables_to_vary():
    assert len(SOURCES) >= 10


def _ambiguous(report, tables) -> set:
    """Cells of rows whose glued digits the parser reported as splitting more than one way (a glued
    run can be truly ambiguous: 100001112 is 1,0,0,0,0,11,12 or 10,0,0,0,1,1,12). Those may be left
    out, never stored wrong."""
    said = [i.message for i in report.issues if "split(s) add up" in i.message]
    keys = {(row["key"], a) for row, values in tables.rows for a in APPLICANTS
            if any(row["label"] in m for m in said)}
    return keys | ({"table4"} if any(m.startswith("table 四") for m in said) else set())


@pytest.mark.parametrize("family", TEXT_FAMILIES + FILE_FAMILIES)
@pytest.mark.parametrize("perturbation", PERTURBATIONS)
def test_a_variant_gives_back_the_same_figures(family, perturbation):
    problems = []
    for name, tables in SOURCES:
        made = variant(tables, family, perturbation)
        if made is None:
            continue
        report = parsers.parse_report(made.name, made.data)
        outcomes = {(o.outcome, o.applicant_type): o.cell.value for o in report.outcomes if o.source == "table"}
        review = {(r.proceeding, r.result): r.cell.value for r in report.review_litigation if r.source == "table"}
        unsure = _ambiguous(report, tables) if family.startswith("glued") else set()
        wrong = {k: (v, outcomes.get(k, "missing")) for k, v in made.outcomes.items()
                 if outcomes.get(k, "missing") != v and not (k in unsure and k not in outcomes)}
        wrong_review = {k: (v, review.get(k, "missing")) for k, v in made.review.items()
                        if review.get(k, "missing") != v and not ("table4" in unsure and k not in review)}
        if wrong or wrong_review:
            problems.append(f"{name}: {len(wrong)} of {len(made.outcomes)} table 三 cells and "
                            f"{len(wrong_review)} of {len(made.review)} table 四 cells differ, e.g. "
                            f"{list(wrong.items())[:3]} {list(wrong_review.items())[:2]}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", ["003_85b1cd000e56671f.txt", "017_pingtan_zone_2022.txt", "020_pingtan_zone_2025.txt"])
@pytest.mark.parametrize("form", ["二十条({item})项", "第二十条〔{item}〕项", "第二十条第{item}项", "第二十条 第（ {item} ）项"])
def test_table_2_captions_written_other_ways_read_the_same(name, form):
    """Table 二's captions as reports write them: without 第, in other brackets or none, spaced."""
    import re

    text = (ROOT / "reports" / name).read_text(encoding="utf-8")
    original = parsers.parse_report(name, text.encode("utf-8"))
    table2 = sorted((m.metric, m.cell.value) for m in original.metrics if m.source == "table" and "." in m.metric)
    assert table2, "the report's table 二 is read"
    changed = re.sub(r"第二十条第\s*[(（]\s*([一二三四五六七八九十]+)\s*[)）]\s*项",
                     lambda m: form.format(item=m.group(1)), text)
    assert changed != text
    variant_ = parsers.parse_report(name, changed.encode("utf-8"))
    assert sorted((m.metric, m.cell.value) for m in variant_.metrics if m.source == "table" and "." in m.metric) == table2
