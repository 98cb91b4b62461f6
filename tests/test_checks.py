"""The report's own arithmetic (parsers/checks.py), on tables worked out by hand: carry-over and
carry-forward in play, a non-zero 其他 column, and each check's failing twin one cell off."""

from __future__ import annotations

import pytest

from parsers import checks, data
from parsers.model import Check

COLUMNS = data.layout("t2021")["table3"]["columns"]  # 自然人 … 其他 总计
LAYOUT = data.layout("t2021")["table3"]


def table(rows: dict[str, list[int]]) -> dict:
    """Cells by (row, column) from rows written as the report prints them, left to right; the
    rows not written are all zeros, as a filled-in table prints them."""
    every = {r["key"]: [0] * len(COLUMNS) for r in LAYOUT["rows"] if r["key"] != "results"}
    return {(row, column): value for row, values in {**every, **rows}.items() for column, value in zip(COLUMNS, values)}


# A table 三 worked by hand. Columns: 自然人, 商业企业, 科研机构, 社会公益组织, 法律服务机构, 其他, 总计.
#   新收 10 + 上年结转 2 = 12 = 办理 9 + 结转下年 3, in the 总计 column; per column likewise:
#   自然人 6+1 = 5+2; 商业企业 2+0 = 2+0; 其他 2+1 = 2+1.
GOOD = table({
    "new_received":                 [6, 2, 0, 0, 0, 2, 10],
    "carried_over_from_prev_year":  [1, 0, 0, 0, 0, 1, 2],
    "granted":                      [3, 1, 0, 0, 0, 1, 5],
    "partially_granted":            [1, 0, 0, 0, 0, 0, 1],
    "denied_total":                 [0, 1, 0, 0, 0, 0, 1],
    "denied_state_secret":          [0, 1, 0, 0, 0, 0, 1],
    "unable_total":                 [1, 0, 0, 0, 0, 1, 2],
    "unable_not_held":              [1, 0, 0, 0, 0, 1, 2],
    "results_total":                [5, 2, 0, 0, 0, 2, 9],
    "carried_forward_to_next_year": [2, 0, 0, 0, 0, 1, 3],
})


def failed(found: list) -> list[tuple[str, str]]:
    return [(c.check, c.scope) for c in found if not c.passed]


def test_a_table_with_carry_over_and_other_applicants_passes_every_check():
    found = checks.balance(GOOD, COLUMNS) + checks.outcome_sum(GOOD, LAYOUT) + checks.applicant_sum(GOOD, COLUMNS)
    assert failed(found) == []
    # every column balanced, 总计 included; every row summed across the seven columns
    assert {c.scope for c in found if c.check == "balance"} == set(COLUMNS)
    assert {c.scope for c in found if c.check == "applicant_sum"} == {row for row, _ in GOOD}
    assert {c.scope for c in found if c.check == "outcome_sum"} == set(COLUMNS)
    balance_total = next(c for c in found if c.check == "balance" and c.scope == "total")
    assert (balance_total.expected, balance_total.actual) == (12, 12)


def test_the_balance_needs_its_carried_over_term():
    """Without 上年结转 a correct table would fail (10 ≠ 12); with a wrong carry-over it fails."""
    wrong = {**GOOD, ("carried_over_from_prev_year", "total"): 3}
    [(name, scope)] = failed(checks.balance(wrong, COLUMNS))
    assert (name, scope) == ("balance", "total")
    [check] = [c for c in checks.balance(wrong, COLUMNS) if not c.passed]
    assert (check.expected, check.actual) == (13, 12) and "上年结转 3" in check.detail


def test_the_applicant_sum_counts_the_other_column():
    """其他 holds 2 of the 10 new requests: a sum over one column too few would call it wrong."""
    assert failed(checks.applicant_sum(GOOD, COLUMNS)) == []
    wrong = {**GOOD, ("new_received", "other_org"): 3}
    assert failed(checks.applicant_sum(wrong, COLUMNS)) == [("applicant_sum", "new_received")]
    [check] = [c for c in checks.applicant_sum(wrong, COLUMNS) if not c.passed]
    assert (check.expected, check.actual) == (10, 11)


def test_the_outcome_sum_counts_groups_by_their_rows_and_stops_at_a_missing_cell():
    wrong = {**GOOD, ("unable_not_held", "total"): 1, ("unable_total", "total"): 1}
    [check] = [c for c in checks.outcome_sum(wrong, LAYOUT) if not c.passed]
    assert (check.scope, check.expected, check.actual) == ("total", 9, 8)
    missing = {k: v for k, v in GOOD.items() if k != ("granted", "total")}
    assert "total" not in {c.scope for c in checks.outcome_sum(missing, LAYOUT)}


def test_review_sums_each_proceeding():
    cells = {("admin_review", "upheld"): 2, ("admin_review", "corrected"): 1, ("admin_review", "other"): 0,
             ("admin_review", "pending"): 1, ("admin_review", "total"): 4,
             ("litigation_direct", "upheld"): 1, ("litigation_direct", "corrected"): 0,
             ("litigation_direct", "other"): 1, ("litigation_direct", "pending"): 0, ("litigation_direct", "total"): 3}
    found = checks.review_sum(cells)
    assert [(c.scope, c.passed) for c in found] == [("admin_review", True), ("litigation_direct", False)]
    assert (found[1].expected, found[1].actual) == (3, 2)


@pytest.mark.parametrize("carried_forward,passed", [(3, True), (4, False)])
def test_cross_year_compares_with_the_same_agencys_year_before(carried_forward, passed):
    reports = [{"id": "a2020", "agency": "甲区人民政府", "year": 2020, "doc_type": "annual_report"},
               {"id": "a2021", "agency": "甲区人民政府", "year": 2021, "doc_type": "annual_report"},
               {"id": "b2020", "agency": "乙区人民政府", "year": 2020, "doc_type": "annual_report"},
               {"id": "a2019", "agency": "甲区人民政府", "year": 2019, "doc_type": "work_report"}]
    outcomes = [{"report_id": "a2020", "outcome": "carried_forward_to_next_year", "applicant_type": "total",
                 "count": carried_forward},
                {"report_id": "b2020", "outcome": "carried_forward_to_next_year", "applicant_type": "total", "count": 9},
                {"report_id": "a2021", "outcome": "carried_over_from_prev_year", "applicant_type": "total", "count": 3},
                {"report_id": "a2020", "outcome": "carried_over_from_prev_year", "applicant_type": "total", "count": 5}]
    found = checks.cross_year(reports, outcomes)
    # a2020 has no annual report of 2019 to compare with (a2019 is a work report); b2020 is another agency
    assert [(report_id, c.check, c.passed) for report_id, c in found] == [("a2021", "cross_year", passed)]
    assert (found[0][1].expected, found[0][1].actual) == (carried_forward, 3)
    assert found[0][1].detail == ("" if passed else f"上年结转 3 ≠ a2020（2020年）结转下年度 {carried_forward}")
    # reports without an agency or a year are nobody's year before
    nameless = [dict(r, agency=None) for r in reports[:2]] + [dict(r, year=None) for r in reports[2:3]]
    assert checks.cross_year(nameless, outcomes) == []


def test_a_group_row_is_summed_through_its_reasons_and_never_twice():
    """不予公开's subtotal and its reasons: the results add up through the reasons, never both; a
    subtotal that disagrees with its reasons is not what is summed; with neither printed (blank
    cells), no sum is checked at all."""
    every_column_passes = [(column, True) for column in COLUMNS]
    assert [(c.scope, c.passed) for c in checks.outcome_sum(GOOD, LAYOUT)] == every_column_passes
    doubled = {**GOOD, ("denied_total", "total"): 2}
    assert [(c.scope, c.passed) for c in checks.outcome_sum(doubled, LAYOUT)] == every_column_passes
    reasons_only = {key: value for key, value in GOOD.items() if key[0] != "denied_total"}
    assert [(c.scope, c.passed) for c in checks.outcome_sum(reasons_only, LAYOUT)] == every_column_passes
    neither = {key: value for key, value in GOOD.items() if not key[0].startswith("denied_")}
    assert checks.outcome_sum(neither, LAYOUT) == []


def test_cross_year_checks_are_written_by_the_build(tmp_path, monkeypatch):
    """Two years of one agency (the test reports of report_files.py, 2022 and 2023): the 2023
    report's 上年结转 [1,0,0,0,0,0 | 1] against the 2022 report's 结转下年度, which this 2022 copy
    prints as [2,0,0,0,0,0 | 2]: 自然人 and 总计 fail, the other five columns pass."""
    import sqlite3

    import build
    import report_files

    corpus = tmp_path / "reports"
    corpus.mkdir()
    (corpus / "2023.html").write_bytes(report_files.html_page().encode("gbk"))
    changed = [row if row[3] != "carried_forward_to_next_year" else (*row[:4], [2, 0, 0, 0, 0, 0])
               for row in report_files.TABLE_3]
    monkeypatch.setattr(report_files, "TABLE_3", changed)
    earlier = report_files.html_page().replace("2023", "2022").replace("2024-01-19", "2023-01-19")
    (corpus / "2022.html").write_bytes(earlier.encode("gbk"))
    assert build.main(["--db", str(tmp_path / "ogi.db"), "--jobs", "1", str(corpus)]) == 0
    db = sqlite3.connect(tmp_path / "ogi.db")
    years = dict(db.execute("select id, year from reports"))
    assert sorted(years.values()) == [2022, 2023]
    rows = db.execute("select report_id, scope, expected, actual, passed from checks where [check] = 'cross_year'"
                      " order by scope").fetchall()
    assert {years[r[0]] for r in rows} == {2023}
    assert {scope: (expected, actual, passed) for _, scope, expected, actual, passed in rows} == {
        "natural_person": (2, 1, 0), "total": (2, 1, 0), "commercial_enterprise": (0, 0, 1),
        "research_institution": (0, 0, 1), "social_welfare_org": (0, 0, 1), "legal_service_org": (0, 0, 1),
        "other_org": (0, 0, 1)}


def test_a_cell_not_read_skips_its_own_check_and_no_other():
    """A column, row or proceeding with a cell the parser could not read is not checked; the
    ones after it still are (the tables printed with a blank cell mid-row)."""
    no_cell = {k: v for k, v in GOOD.items() if k != ("new_received", "commercial_enterprise")}
    assert {c.scope for c in checks.balance(no_cell, COLUMNS)} == set(COLUMNS) - {"commercial_enterprise"}
    assert {c.scope for c in checks.applicant_sum(no_cell, COLUMNS)} == {row for row, _ in GOOD} - {"new_received"}
    cells = {("admin_review", "upheld"): 1, ("admin_review", "total"): 1,  # review's other cells not read
             **{("litigation_direct", r): 0 for r in checks.RESULTS}, ("litigation_direct", "total"): 0,
             **{("litigation_after_review", r): 1 for r in checks.RESULTS}, ("litigation_after_review", "total"): 3}
    assert [(c.scope, c.passed) for c in checks.review_sum(cells)] == [("litigation_direct", True),
                                                                         ("litigation_after_review", False)]


def test_a_check_that_bounds_a_figure_passes_up_to_its_bound():
    """op ">=": a part may not exceed its whole (the pre-2019 table's checks)."""
    assert checks._check("x", "s", 5, 3, "d", op=">=").passed
    assert checks._check("x", "s", 5, 5, "d", op=">=").passed
    bounded = checks._check("x", "s", 3, 5, "超过", op=">=")
    assert not bounded.passed and bounded.detail == "超过"
    assert checks._check("x", "s", 5, 5, "d").detail == ""  # a passed check says nothing


# --- the pre-2019 statistics table's own sums (pre2019_stats.yml's rules), worked by hand ---------

SUM_RULES = [{"check": "staff_sum", "total": "staff_total", "op": "==", "parts": ["staff_full_time", "staff_part_time"]},
             {"check": "denied_reasons_sum", "total": "reply_denied_total", "op": ">=", "parts": ["secret", "privacy"]},
             {"check": "channels_within_total", "total": "items", "op": ">=each", "parts": ["website", "gazette"]}]


def test_a_statistics_tables_sums_each_give_one_check_with_what_was_compared():
    values = {"staff_total": 5, "staff_full_time": 2, "staff_part_time": 3, "reply_denied_total": 4, "secret": 1,
              "privacy": 2, "items": 120, "website": 120, "gazette": 7}
    assert checks.table_sums(values, SUM_RULES) == [
        Check("staff_sum", "staff_total", 5, 5, True, ""),
        Check("denied_reasons_sum", "reply_denied_total", 4, 3, True, ""),  # a total may hold other reasons
        Check("channels_within_total", "items", 120, 120, True, ""),  # no channel holds more than all items
    ]
    broken = dict(values, staff_total=6, reply_denied_total=2, items=100)
    assert checks.table_sums(broken, SUM_RULES) == [
        Check("staff_sum", "staff_total", 6, 5, False, "staff_total 6 vs the sum of its parts 5"),
        Check("denied_reasons_sum", "reply_denied_total", 2, 3, False, "reply_denied_total 2 vs the sum of its parts 3"),
        Check("channels_within_total", "items", 100, 120, False, "items 100 is smaller than one of its parts (120)"),
    ]
    # a blank total or part skips its own rule only
    assert [c.check for c in checks.table_sums(dict(values, staff_part_time=None), SUM_RULES)] == \
        ["denied_reasons_sum", "channels_within_total"]
    assert [c.check for c in checks.table_sums({k: v for k, v in values.items() if k != "reply_denied_total"},
                                               SUM_RULES)] == ["staff_sum", "channels_within_total"]


def test_a_reports_checks_follow_its_template():
    """checks.run on one report: the table 三 checks for the 2019 and 2021 formats (the same
    columns), the statistics table's sums for the pre-2019 one, from its table's figures only."""
    from dataclasses import replace

    from parsers.model import Cell, Metric, Outcome, ParsedReport, ReviewLitigation, Source

    outcomes = [Outcome(row, column, Cell(value, str(value), 0, 1)) for (row, column), value in GOOD.items()]
    report = ParsedReport(Source("r.txt", "txt", "0" * 64, ""), template="t2021", outcomes=outcomes)
    table3 = [(c.check, c.scope, c.passed) for c in checks.run(report)]
    assert ("balance", "total", True) in table3 and ("applicant_sum", "granted", True) in table3
    assert len(table3) == len(COLUMNS) + len(checks.outcome_sum(GOOD, LAYOUT)) + len(checks.applicant_sum(GOOD, COLUMNS))
    assert [(c.check, c.scope, c.passed) for c in checks.run(replace(report, template="t2019"))] == table3
    # what the prose states, against the table, in both formats
    stated = [Metric("applications_received_total", "共收到申请", Cell(11, "11", 0, 2), "件", "text"),
              Metric("admin_review_total", "行政复议", Cell(0, "0", 0, 1), "件", "text")]
    reviewed = [ReviewLitigation("admin_review", "total", Cell(0, "0", 0, 1))]
    for template in ("t2019", "t2021"):
        prose = replace(report, template=template, metrics=stated, review_litigation=reviewed)
        assert [(c.check, c.scope, c.expected, c.actual, c.passed, c.detail) for c in checks.text_vs_table(prose)] == [
            ("text_vs_table", "applications_received_total", 10, 11, False, "正文“共收到申请11”与表格 10 不一致"),
            ("text_vs_table", "admin_review_total", 0, 0, True, "")]
    assert checks.run(replace(report, template="narrative")) == []

    def metric(key, value, source="table"):
        return Metric(key, key, Cell(value, str(value), 0, 1), "人", source)

    staff = [metric("staff_total", 5), metric("staff_full_time", 2), metric("staff_part_time", 3),
             metric("staff_part_time", 9, source="text")]  # prose is compared with the table, never summed
    stats = replace(report, template="pre2019_stats", outcomes=[], metrics=staff)
    assert checks.run(stats) == [Check("staff_sum", "staff_total", 5, 5, True, "")]
    assert checks.run(replace(stats, template="narrative")) == []


# --- the comparable core of reports without table 三/四 (parsers/harmonise.py) --------------------

def test_the_comparable_core_takes_the_table_first_then_one_stated_count():
    from parsers import harmonise
    from parsers.model import Cell, Metric, Outcome, ReviewLitigation

    def metric(key, value, source="text", **flags):
        return Metric(key, key, Cell(value, str(value), 0, 1), "件", source, **flags)

    received_table = metric("applications_received_total", 7, source="table")
    metrics = [metric("applications_received_total", 9), received_table,  # the table's, whatever the prose says
               metric("applications_granted", 4), metric("applications_granted", 4),  # stated twice alike: once
               metric("applications_closed", 5), metric("applications_closed", 6),  # two values: neither
               metric("applications_carried_over", 2, approximate=True),  # 2余件: a bound
               metric("applications_carried_forward", 3, other_year=True),  # another year's
               metric("admin_review_total", 1), metric("litigation_total", 0)]
    outcomes, review, _ = harmonise.comparable_core(metrics, [], [], "narrative")
    assert [(o.outcome, o.applicant_type, o.cell.value, o.source) for o in outcomes] == [
        ("new_received", "total", 7, "table"), ("granted", "total", 4, "text")]
    assert [(r.proceeding, r.result, r.cell.value) for r in review] == [("admin_review", "total", 1), ("litigation", "total", 0)]
    # a 2019 or 2021 report without litigation had none of either kind
    _, review, _ = harmonise.comparable_core(metrics, [], [], "t2021")
    assert [(r.proceeding, r.result, r.cell.value) for r in review] == [
        ("admin_review", "total", 1), ("litigation_direct", "total", 0), ("litigation_after_review", "total", 0)]
    # nothing where the report has its own table rows
    own = [Outcome("granted", "natural_person", Cell(1, "1", 0, 1))]
    own_review = [ReviewLitigation("admin_review", "total", Cell(1, "1", 0, 1)),
                  ReviewLitigation("litigation_direct", "upheld", Cell(0, "0", 0, 1))]
    assert harmonise.comparable_core(metrics, own, own_review, "t2021") == ([], [], [])
    assert harmonise.comparable_core(metrics, own, own_review[:1], "narrative")[1][0].proceeding == "litigation"
