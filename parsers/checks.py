"""Step 4: the arithmetic a report's own figures must satisfy.

A failed check is recorded, never repaired: the stored figures stay as the
report printed them. A check whose figures are not all there is not run.
"""

from __future__ import annotations

from . import data
from .model import Check, ParsedReport

GROUPS = ("admin_review", "litigation_direct", "litigation_after_review")
# Table 三's flows: what came in (new, carried over) and what went out (closed, carried forward).
FLOWS = ("new_received", "carried_over_from_prev_year", "results_total", "carried_forward_to_next_year")
RESULTS = ("upheld", "corrected", "other", "pending")


def run(report: ParsedReport) -> list[Check]:
    found = []
    if report.outcomes and report.template in data.official_templates():
        layout = data.layout(report.template)["table3"]
        cells = {(o.outcome, o.applicant_type): o.cell.value for o in report.outcomes}
        found += balance(cells, layout["columns"])
        found += outcome_sum(cells, layout)
        found += applicant_sum(cells, layout["columns"])
    if any(r.proceeding in GROUPS for r in report.review_litigation):
        found += review_sum({(r.proceeding, r.result): r.cell.value for r in report.review_litigation})
    if report.template == "pre2019_stats":
        values = {m.metric: m.cell.value for m in report.metrics if m.source == "table"}
        found += table_sums(values, data.load("pre2019_stats")["checks"])
    found += text_vs_table(report)
    return found


# What the prose states, and the table cells that say the same thing.
PROSE_TO_TABLE = {
    "applications_received_total": [("outcome", "new_received", "total")],
    "admin_review_total": [("review", "admin_review", "total")],
    "litigation_total": [("review", "litigation_direct", "total"), ("review", "litigation_after_review", "total")],
}


def text_vs_table(report: ParsedReport) -> list[Check]:
    """A figure the prose states (共收到70件申请) against the table's own (table 三 新收 总计)."""
    if report.template not in data.official_templates():
        return []
    cells = {("outcome", o.outcome, o.applicant_type): o.cell.value for o in report.outcomes}
    cells.update({("review", r.proceeding, r.result): r.cell.value for r in report.review_litigation})
    found = []
    for key, sources in PROSE_TO_TABLE.items():
        stated = next((m for m in report.metrics if m.metric == key and m.source == "text"
                       and not m.approximate and m.part_of is None), None)
        table = [cells.get(source) for source in sources]
        if stated is None or None in table:
            continue
        found.append(_check("text_vs_table", key, sum(table), stated.cell.value,
                            f"正文“{stated.label}{stated.cell.value_raw}”与表格 {sum(table)} 不一致"))
    return found


def cross_year(reports: list[dict], outcomes: list[dict]) -> list[tuple[str, Check]]:
    """R6: a report's 上年结转 equals the same agency's 结转下年度 of the year before, per column.
    It needs two reports: given their records (id, agency, year, doc_type) and carried-over
    cells (report_id, outcome, applicant_type, count), the checks by report id."""
    report_by_agency_year = {(r["agency"], r["year"]): r for r in reports
                             if r["agency"] and r["year"] and r["doc_type"] == "annual_report"}
    year_of = {r["id"]: (agency, year) for (agency, year), r in report_by_agency_year.items()}
    carried_forward = {(o["report_id"], o["applicant_type"]): o["count"] for o in outcomes
                       if o["outcome"] == "carried_forward_to_next_year" and o["count"] is not None}
    found = []
    for o in outcomes:
        if o["outcome"] != "carried_over_from_prev_year" or o["count"] is None or o["report_id"] not in year_of:
            continue
        agency, year = year_of[o["report_id"]]
        previous = report_by_agency_year.get((agency, year - 1))
        before = carried_forward.get((previous["id"], o["applicant_type"])) if previous else None
        if before is None:
            continue
        check = _check("cross_year", o["applicant_type"], before, o["count"],
                       f"上年结转 {o['count']} ≠ {previous['id']}（{year - 1}年）结转下年度 {before}")
        found.append((o["report_id"], check))
    return found


def _check(name: str, scope: str, expected, actual, detail: str, op: str = "==") -> Check:
    passed = expected == actual if op == "==" else expected >= actual
    return Check(name, scope, expected, actual, passed, detail if not passed else "")


def balance(cells: dict, columns: list[str]) -> list[Check]:
    """R1: new + carried over = results total + carried forward, in every column."""
    found = []
    for column in columns:
        parts = [cells.get((row, column)) for row in FLOWS]
        if None in parts:
            continue
        new, carried_over, results, carried_forward = parts
        found.append(_check("balance", column, new + carried_over, results + carried_forward,
                            f"新收 {new} + 上年结转 {carried_over} ≠ 办理结果总计 {results} + 结转下年 {carried_forward}"))
    return found


def _outcome_leaves(rows: list[dict], cells: dict, column: str) -> list[str]:
    """The rows that add up to 总计: every result row; a group's own row only when it has no child rows."""
    keys = [r["key"] for r in rows]
    children_of: dict[str, list[str]] = {}
    for r in rows:
        children_of.setdefault(r.get("parent"), []).append(r["key"])
    leaves = []
    for row in rows[keys.index("results") + 1: keys.index("results_total")]:
        children = children_of.get(row["key"], [])
        if children and any((c, column) in cells for c in children):
            continue
        if row.get("kind") == "group" and (row["key"], column) not in cells:
            continue
        leaves.append(row["key"])
    return leaves


def outcome_sum(cells: dict, layout: dict) -> list[Check]:
    """R2: each application has exactly one result, so the result rows add up to 总计."""
    found = []
    for column in layout["columns"]:
        total = cells.get(("results_total", column))
        leaves = _outcome_leaves(layout["rows"], cells, column)
        values = [cells.get((leaf, column)) for leaf in leaves]
        if total is None or None in values or not values:
            continue
        found.append(_check("outcome_sum", column, total, sum(values),
                            f"办理结果各项之和 {sum(values)} ≠ 总计 {total}"))
    return found


def applicant_sum(cells: dict, columns: list[str]) -> list[Check]:
    """R3: the applicant columns add up to the 总计 column, in every row."""
    found = []
    for row in dict.fromkeys(r for r, _ in cells):
        values = [cells.get((row, c)) for c in columns[:-1]]
        total = cells.get((row, columns[-1]))
        if total is None or None in values:
            continue
        found.append(_check("applicant_sum", row, total, sum(values),
                            f"各类申请人之和 {sum(values)} ≠ 总计 {total}"))
    return found


def review_sum(cells: dict) -> list[Check]:
    """R4: upheld + corrected + other + pending = total, for review and both kinds of litigation."""
    found = []
    for group in GROUPS:
        values = [cells.get((group, r)) for r in RESULTS]
        total = cells.get((group, "total"))
        if total is None or None in values:
            continue
        found.append(_check("review_sum", group, total, sum(values),
                            f"维持 + 纠正 + 其他 + 尚未审结 = {sum(values)} ≠ 总计 {total}"))
    return found


def table_sums(values: dict, rules: list[dict]) -> list[Check]:
    """The statistics table's own sums (parsers/data/pre2019_stats.yml)."""
    found = []
    for rule in rules:
        total, parts = values.get(rule["total"]), [values.get(p) for p in rule["parts"]]
        if total is None or None in parts:
            continue
        if rule["op"] == ">=each":
            largest = max(parts)
            found.append(_check(rule["check"], rule["total"], total, largest,
                                f"{rule['total']} {total} is smaller than one of its parts ({largest})", ">="))
        else:
            found.append(_check(rule["check"], rule["total"], total, sum(parts),
                                f"{rule['total']} {total} vs the sum of its parts {sum(parts)}", rule["op"]))
    return found
