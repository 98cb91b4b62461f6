"""Step 3e: how much of a report's statistics the build read, so a reader knows which
numbers to trust: `complete`, `partial`, `no_table`, `prose_only` or `not_applicable`,
with the template cells found out of the template's cells (SCHEMA.md, reports.reading).

A table whose heading and header rows are in the report but whose cells could not be
read is said in a warning: that is how most losses happen, and it must leave a trace.
"""

from __future__ import annotations

from . import data
from .model import Issue, ParsedReport, Reading
from .tables import Tables

NAMES = {"table2": "table 二", "table3": "table 三", "table4": "table 四", "pre2019": "the statistics table"}
TABLE4_CELLS = 15


def expected_cells(template: str) -> int | None:
    """The template's cells: tables 二, 三 and 四, or the pre-2019 table's rows."""
    if template in data.official_templates():
        layout = data.layout(template)
        rows = [r for r in layout["table3"]["rows"] if r.get("kind", "data") == "data"]
        table2 = sum(len(sub["rows"]) * len(sub["columns"]) for sub in layout["table2"])
        return table2 + len(rows) * len(layout["table3"]["columns"]) + TABLE4_CELLS
    if template == "pre2019_stats":
        return sum(1 for r in data.load("pre2019_stats")["rows"] if r.get("kind", "data") == "data")
    return None


def assess(report: ParsedReport, found: Tables) -> Reading:
    if report.metadata.doc_type != "annual_report":
        return Reading("not_applicable", None, None, [])
    expected = expected_cells(report.template)
    if report.template in data.official_templates():
        read = (len({m.metric for m in report.metrics if m.source == "table"})
                + sum(1 for o in report.outcomes if o.source == "table")
                + sum(1 for r in report.review_litigation if r.source == "table"))
        unread = [n for n in ("table2", "table3", "table4") if n in found.regions and found.regions[n].confirmed
                  and not _read_from(report, n)]
    elif report.template == "pre2019_stats":
        read = min(len({m.metric for m in report.metrics if m.source == "table"}), expected)
        unread = []
    else:
        read = 0
        unread = [n for n, r in found.regions.items() if r.confirmed]
    issues = [Issue("warning", f"{NAMES[n]}'s heading and header rows are in the report, but its cells "
                               "could not be read") for n in unread]
    if expected and read >= expected:
        return Reading("complete", read, expected, issues)
    if read:
        return Reading("partial", read, expected, issues)
    if unread:
        return Reading("no_table", 0, expected, issues)
    # No table in the document: its figures, if any, come from the prose.
    return Reading("prose_only", 0 if expected else None, expected, issues)


def _read_from(report: ParsedReport, table: str) -> bool:
    if table == "table2":
        return any(m.source == "table" for m in report.metrics)
    if table == "table3":
        return any(o.source == "table" for o in report.outcomes)
    return any(r.source == "table" for r in report.review_litigation)
