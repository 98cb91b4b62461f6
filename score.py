"""Score a built database against hand-read expectations (NAME.expect.json).

    python score.py [--reports reports] [--expected tests/expected] [--db PATH]

Builds the reports (unless --db names an existing database), compares every
expectation file with the database, and prints accuracy per file and overall,
and the share of values whose span holds them as written. `make score` runs it
on the bundled corpus; point --reports/--expected at another set to score that.

Each expectation is a list, in the terms of SCHEMA.md:
  ["report", column, value]                     reports.column is value
  ["report", "template_in", [t, ...]]           reports.template is one of them
  ["outcome", outcome, applicant_type, count]   one application_outcomes cell
  ["review_litigation", proceeding, result, count]
  ["metric", key, value]                        some metric with that key has that value
  ["table_metric", key, value]                  the one table metric with that key has that value
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path, PurePosixPath


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


def load(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.expect.json"))]


def span_share(db: sqlite3.Connection) -> tuple[int, int]:
    """(values whose span holds their value as written, all values)."""
    held = total = 0
    for table in ("metrics", "application_outcomes", "review_litigation"):
        row = db.execute(f"""select count(*), sum(substr(r.text, t.start + 1, t."end" - t.start) = t.value_raw)
                             from {table} t join reports r on r.id = t.report_id""").fetchone()
        total += row[0]
        held += row[1] or 0
    return held, total


def score(db: sqlite3.Connection, expectations: list[dict]) -> tuple[int, int, list[str]]:
    right = total = 0
    problems = []
    for expected in expectations:
        wrong = mismatches(db, expected)
        n = len(expected["expect"])
        ok = n - len(wrong) if not (wrong and "no report in the database" in wrong[0]) else 0
        right, total = right + ok, total + n
        print(f"{ok:4d}/{n:<4d} {100 * ok / n if n else 100:6.1f}%  {expected['file']}")
        problems += wrong
    return right, total, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Score the database against hand-read expectations.")
    parser.add_argument("--reports", type=Path, default=Path("reports"))
    parser.add_argument("--expected", type=Path, default=Path("tests/expected"))
    parser.add_argument("--db", type=Path, help="score this database instead of building one")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every expectation that fails")
    args = parser.parse_args(argv)
    if args.db is None:
        import build
        args.db = Path(tempfile.mkdtemp()) / "ogi.db"
        build.main(["--db", str(args.db), str(args.reports)])
    db = sqlite3.connect(args.db)
    right, total, problems = score(db, load(args.expected))
    held, values = span_share(db)
    print(f"overall: {right}/{total} expectations hold ({100 * right / max(total, 1):.1f}%)")
    print(f"provenance: {held}/{values} values have their span holding them as written ({100 * held / max(values, 1):.1f}%)")
    if args.verbose:
        print("\n".join(problems))
    return 0


if __name__ == "__main__":
    sys.exit(main())
