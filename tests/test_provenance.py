"""Provenance is a promise: for every value in the database, the report text
at its span is the value as written, and that writing means the stored number."""

import re

import pytest

VALUE_TABLES = {"metrics": "value", "application_outcomes": "count", "review_litigation": "count"}
NEGATIONS = {"没有", "未", "无"}  # "没有发生…行政复议" is stored as 0
NUMBER_AS_WRITTEN = re.compile(
    r"^(?P<before>近|约|超过|逾)?\s*(?P<num>[+\-]?[\d,]+(?:\.\d+)?)\s*(?P<after>余|多)?\s*(?P<mult>万|亿)?(?P<unit>万元|元|件|条|项)?$")


def meaning(value_raw: str) -> float | None:
    """The number a report's words stand for, read independently of the parsers."""
    text = value_raw.strip().translate(str.maketrans("０１２３４５６７８９＋－．，", "0123456789+-.,"))
    if text in NEGATIONS:
        return 0
    m = NUMBER_AS_WRITTEN.match(text)
    if not m:
        return None
    return float(m.group("num").replace(",", "")) * {"万": 1e4, "亿": 1e8}.get(m.group("mult"), 1)


@pytest.mark.parametrize("table", VALUE_TABLES)
def test_text_at_every_span_is_the_value_as_written(db, table):
    rows = db.execute(f"""select t.*, substr(r.text, t.start + 1, t."end" - t.start) as at_span
                          from {table} t join reports r on r.id = t.report_id""").fetchall()
    assert rows, f"no rows in {table}"
    wrong = [dict(r) for r in rows if r["at_span"] != r["value_raw"]]
    assert wrong == []


@pytest.mark.parametrize("table,column", VALUE_TABLES.items())
def test_every_value_is_what_its_words_mean(db, table, column):
    rows = db.execute(f"select value_raw, {column} as value from {table}").fetchall()
    wrong = [(r["value_raw"], r["value"]) for r in rows
             if r["value"] is not None and meaning(r["value_raw"]) != pytest.approx(r["value"])]
    assert wrong == []


def test_blank_cells_have_no_value(db):
    for table, column in VALUE_TABLES.items():
        rows = db.execute(f"select value_raw from {table} where {column} is null").fetchall()
        assert all(meaning(r["value_raw"]) is None for r in rows)


def test_every_span_lies_inside_its_section(db):
    rows = db.execute("""select m.id from metrics m join sections s on s.id = m.section_id
                         where m.start < s.start or m."end" > s."end" """).fetchall()
    assert rows == []


def test_section_text_is_the_text_at_its_span(db):
    rows = db.execute("""select s.id from sections s join reports r on r.id = s.report_id
                         where substr(r.text, s.start + 1, s."end" - s.start) != s.text""").fetchall()
    assert rows == []


def test_text_files_are_stored_unchanged(db):
    from conftest import ROOT
    rows = db.execute("select source_path, text from reports where source_format in ('txt', 'md')").fetchall()
    assert len(rows) >= 18
    for row in rows:
        assert (ROOT / "reports" / row["source_path"]).read_text(encoding="utf-8") == row["text"]


def test_extracted_text_is_the_same_on_every_rebuild(db):
    """PDF and DOCX text is extracted, not stored: a second extraction gives the very same text."""
    from conftest import ROOT
    from parsers import readers
    rows = db.execute("select source_path, source_format, text from reports where source_format in ('pdf', 'docx')").fetchall()
    assert {r["source_format"] for r in rows} == {"pdf", "docx"}
    for row in rows:
        again = readers.read(row["source_format"], (ROOT / "reports" / row["source_path"]).read_bytes())
        assert again.text == row["text"]


def test_pdf_values_carry_their_page(db):
    """Pages as printed in the Hongze PDF (read in a PDF viewer): 行政许可 9487 on page 2, table 三 starts
    on page 3 and its last rows and table 四 are on page 4."""
    def page(table, where):
        return db.execute(f"select page from {table} where report_id = '002_huaian_hongze_district_2024' and {where}").fetchone()[0]
    assert page("metrics", "metric = 'art20_5.administrative_license.decisions'") == 2
    assert page("application_outcomes", "outcome = 'new_received' and applicant_type = 'total'") == 3
    assert page("application_outcomes", "outcome = 'carried_forward_to_next_year' and applicant_type = 'total'") == 4
    assert page("review_litigation", "proceeding = 'admin_review' and result = 'total'") == 4
    assert db.execute("select count(*) from metrics where page is not null and report_id not like '002_huaian%'").fetchone()[0] == 0


def test_every_audits_evidence_is_the_date_it_names(db):
    """An audit's span is its evidence: over the whole corpus, the text there is a date written as
    reports write dates, and it is the date the audit's reason names."""
    rows = db.execute("select a.report_id, a.detail, a.start, a.\"end\", r.text from audits a "
                      "join reports r on r.id = a.report_id where a.start is not null").fetchall()
    assert rows  # the dated reports of the corpus
    for report_id, detail, start, end, text in rows:
        written = text[start:end]
        m = re.fullmatch(r"((?:19|20)\d{2})(?:\s*年\s*|[-/.])(\d{1,2})(?:\s*月\s*|[-/.])(\d{1,2})日?", written)
        assert m, (report_id, written)
        iso = f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
        assert iso in detail, (report_id, written, detail)
