"""Compare a built database with hand-read expectations (NAME.expect.json).

Each expectation is a list, in the terms of SCHEMA.md:
  ["report", column, value]                     reports.column is value
  ["report", "template_in", [t, ...]]           reports.template is one of them
  ["outcome", outcome, applicant_type, count]   one application_outcomes cell
  ["review_litigation", proceeding, result, count]
  ["metric", key, value]                        some metric with that key has that value
  ["table_metric", key, value]                  the one table metric with that key has that value
"""

from __future__ import annotations

import sqlite3
from pathlib import PurePosixPath


def report_id_for(db: sqlite3.Connection, file: str) -> str | None:
    row = db.execute("select id from reports where source_path = ? or source_path like ?",
                     [file, f"%/{PurePosixPath(file).name}"]).fetchone()
    return row[0] if row else None


def mismatches(db: sqlite3.Connection, expected: dict) -> list[str]:
    """What the database says differently from the expectations (empty when all hold)."""
    rid = report_id_for(db, expected["file"])
    if rid is None:
        return [f"{expected['file']}: no report in the database"]
    problems = []
    for item in expected["expect"]:
        kind, *args = item
        got = _lookup(db, rid, kind, args)
        if not _holds(kind, args, got):
            problems.append(f"{expected['file']}: expected {item}, found {got!r}")
    return problems


def _lookup(db, rid, kind, args):
    if kind == "report":
        column = "template" if args[0] == "template_in" else args[0]
        return db.execute(f"select {column} from reports where id = ?", [rid]).fetchone()[0]
    if kind == "outcome":
        row = db.execute("select count from application_outcomes where report_id = ? and outcome = ? and applicant_type = ?",
                         [rid, args[0], args[1]]).fetchone()
        return row[0] if row else "missing"
    if kind == "review_litigation":
        row = db.execute("select count from review_litigation where report_id = ? and proceeding = ? and result = ?",
                         [rid, args[0], args[1]]).fetchone()
        return row[0] if row else "missing"
    if kind == "metric":
        return [r[0] for r in db.execute("select value from metrics where report_id = ? and metric = ?", [rid, args[0]])]
    if kind == "table_metric":
        return [r[0] for r in db.execute("select value from metrics where report_id = ? and metric = ? and source = 'table'",
                                         [rid, args[0]])]
    raise ValueError(f"unknown expectation kind {kind!r}")


def _holds(kind, args, got) -> bool:
    expected = args[-1]
    if kind == "report" and args[0] == "template_in":
        return got in expected
    if kind == "metric":
        return expected in got
    if kind == "table_metric":
        return got == [expected]
    return got == expected
