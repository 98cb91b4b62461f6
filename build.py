"""Build the OGI Reports database from a folder of reports.

    python build.py [--db data/ogi.db] [PATH ...]

Every file under the given paths (default: reports/) becomes one row in
`reports` and its figures rows in the other tables (see SCHEMA.md). Parsing
is done by `parsers` (pure functions of each file's bytes); this script walks
the files, calls them, and writes the rows with sqlite-utils into a temporary
file that replaces the database only when the build has finished.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import traceback
from collections import Counter
from pathlib import Path

import sqlite_utils

from parsers import checks, data, parse_report, rows, search
from parsers.decode import UnreadableFile, format_of, sha256

# Columns of every table, in display order, with their types.
TABLES = {
    "reports": {
        "columns": {"id": str, "title": str, "agency": str, "province": str, "city": str, "county": str,
                    "region_code": str, "year": int, "published_date": str, "doc_type": str, "template": str,
                    "source_path": str, "source_format": str, "source_sha256": str, "source_url": str, "pages": int,
                    "metadata_from": str, "text": str},
        "pk": "id", "foreign_keys": [],
        "indexes": [["year"], ["template"], ["doc_type"], ["province"], ["agency"], ["region_code"]],
    },
    "sections": {
        "columns": {"id": str, "report_id": str, "ordinal": int, "parent_id": str, "level": int, "number": str,
                    "heading": str, "key": str, "start": int, "end": int, "page": int, "text": str},
        "pk": "id", "foreign_keys": [("report_id", "reports", "id"), ("parent_id", "sections", "id")],
        "indexes": [["report_id"], ["key"], ["parent_id"]],
    },
    "metrics": {
        "columns": {"id": str, "report_id": str, "section_id": str, "metric": str, "label": str, "value": float,
                    "value_raw": str, "start": int, "end": int, "page": int, "inferred": int, "unit": str, "source": str,
                    "approximate": int, "part_of": str},
        "pk": "id",
        "foreign_keys": [("report_id", "reports", "id"), ("section_id", "sections", "id"),
                         ("part_of", "metrics", "id")],
        "indexes": [["report_id"], ["metric"], ["section_id"], ["source"], ["part_of"]],
    },
    "application_outcomes": {
        "columns": {"report_id": str, "outcome": str, "applicant_type": str, "count": int, "value_raw": str,
                    "start": int, "end": int, "page": int, "inferred": int},
        "pk": ("report_id", "outcome", "applicant_type"), "foreign_keys": [("report_id", "reports", "id")],
        "indexes": [["report_id"], ["outcome", "applicant_type"], ["applicant_type"]],
    },
    "review_litigation": {
        "columns": {"report_id": str, "proceeding": str, "result": str, "count": int, "value_raw": str,
                    "start": int, "end": int, "page": int, "inferred": int},
        "pk": ("report_id", "proceeding", "result"), "foreign_keys": [("report_id", "reports", "id")],
        "indexes": [["report_id"], ["proceeding", "result"], ["result"]],
    },
    "checks": {
        "columns": {"report_id": str, "check": str, "scope": str, "expected": float, "actual": float,
                    "passed": int, "detail": str},
        "pk": ("report_id", "check", "scope"), "foreign_keys": [("report_id", "reports", "id")],
        "indexes": [["report_id"], ["check"], ["passed"]],
    },
    "labels": {
        "columns": {"template": str, "kind": str, "key": str, "label": str, "role": str, "parent": str, "ordinal": int,
                    "unit": str},
        "pk": ("template", "kind", "key"), "foreign_keys": [], "indexes": [["kind", "key"]],
    },
    "build_issues": {
        "columns": {"id": int, "source_path": str, "report_id": str, "severity": str, "message": str},
        "pk": "id", "foreign_keys": [("report_id", "reports", "id")],
        "indexes": [["report_id"], ["severity"], ["source_path"]],
    },
}
# Full-text search over headings and section text, and report titles and agencies:
# an index of character bigrams (parsers/search.py), so any query of one or more
# Chinese characters finds exactly the rows containing it.
FTS = {"sections": ["heading", "text"], "reports": ["title", "agency"]}


def find_files(paths: list[Path]) -> list[tuple[Path, str]]:
    """(file, path under its corpus folder) for every file, sorted, skipping hidden ones."""
    found = []
    for root in paths:
        if root.is_file():
            found.append((root, root.name))
            continue
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root)
            if file.is_file() and not any(part.startswith(".") for part in relative.parts):
                found.append((file, relative.as_posix()))
    return found


SIDECAR = ".meta.json"  # NAME.meta.json beside NAME.pdf
MANIFEST = "manifest.csv"  # one row per report file: path, source_url, agency, year, title, published_date


def is_sidecar(path: str) -> bool:
    return path.endswith(SIDECAR) or path.rsplit("/", 1)[-1] == MANIFEST


def load_given(files: list[tuple[Path, str]]) -> tuple[dict[str, tuple[dict, str]], list[dict]]:
    """Metadata given from outside the reports: (values, where from) per report path."""
    given: dict[str, tuple[dict, str]] = {}
    problems = []
    reports_by_stem: dict[str, list[str]] = {}  # x.pdf is found as x and as x.pdf
    for _, path in files:
        if not is_sidecar(path):
            for stem in {path, re.sub(r"\.[^./]+$", "", path)}:
                reports_by_stem.setdefault(stem, []).append(path)
    for file, path in files:
        if path.rsplit("/", 1)[-1] == MANIFEST:
            folder = path[: -len(MANIFEST)]
            try:
                with open(file, encoding="utf-8-sig", newline="") as f:
                    for row in csv.DictReader(f):
                        if row.get("path"):
                            given[folder + row["path"].strip()] = ({k: v for k, v in row.items() if k != "path"}, path)
            except (UnicodeDecodeError, csv.Error) as e:
                problems.append(issue(path, None, "warning", f"the manifest cannot be read ({e}); ignored"))
    for file, path in files:
        if path.endswith(SIDECAR):
            try:
                values = json.loads(file.read_text(encoding="utf-8-sig"))
                if not isinstance(values, dict):
                    raise ValueError("it is not a JSON object")
            except (UnicodeDecodeError, ValueError) as e:
                problems.append(issue(path, None, "warning", f"the sidecar cannot be read ({e}); ignored"))
                continue
            for report_path in reports_by_stem.get(path[: -len(SIDECAR)], []):
                given[report_path] = (values, path)  # a sidecar beats the manifest
    return given, problems


def assign_ids(files: list[tuple[Path, str]]) -> tuple[dict[str, str], list[dict]]:
    """Report id per path; files that would share an id keep their extension in it."""
    by_id: dict[str, list[str]] = {}
    for _, path in files:
        by_id.setdefault(rows.report_id(path), []).append(path)
    ids, issues = {}, []
    for rid, paths in by_id.items():
        for path in paths:
            ids[path] = rid if len(paths) == 1 else rows.report_id(path.replace(".", "-"))
        if len(paths) > 1:
            issues.append(issue(paths[0], None, "warning", f"{', '.join(paths)} would share the id {rid!r}; "
                                                             "their ids keep the file extension"))
    return ids, issues


def issue(path: str, rid: str | None, severity: str, message: str) -> dict:
    return {"source_path": path, "report_id": rid, "severity": severity, "message": f"{path}: {message}"}


def parse_all(files: list[tuple[Path, str]]) -> dict[str, list[dict]]:
    tables: dict[str, list[dict]] = {name: [] for name in TABLES}
    given, problems = load_given(files)
    files = [(file, path) for file, path in files if not is_sidecar(path)]
    ids, tables["build_issues"] = assign_ids(files)
    tables["build_issues"] += problems
    seen: dict[str, str] = {}
    for file, path in files:
        content = file.read_bytes()
        if format_of(path) is None:
            tables["build_issues"].append(issue(path, None, "warning", "not a report format this build reads; skipped"))
            continue
        digest = sha256(content)
        if digest in seen:
            tables["build_issues"].append(issue(path, None, "warning", f"the same file as {seen[digest]}; skipped"))
            continue
        try:
            values, origin = given.get(path, ({}, ""))
            report = parse_report(path, content, values, origin)
        except UnreadableFile as e:
            tables["build_issues"].append(issue(path, None, "error", f"cannot be read: {e}"))
            continue
        except Exception as e:  # a parser bug must not cost the other reports
            traceback.print_exc()
            tables["build_issues"].append(issue(path, None, "error", f"the parser failed ({type(e).__name__}: {e})"))
            continue
        seen[digest] = path
        for name, new_rows in rows.rows(ids[path], report).items():
            if name == "build_issues":
                new_rows = [issue(path, r["report_id"], r["severity"], r["message"]) for r in new_rows]
            tables[name] += new_rows
    tables["checks"] += checks.cross_year(tables["reports"], tables["application_outcomes"])
    tables["labels"] = data.official_labels()
    return tables


def write(db_path: Path, tables: dict[str, list[dict]]) -> None:
    """Write all rows into a new database at db_path (which must not exist)."""
    db = sqlite_utils.Database(db_path)
    db.conn.execute("PRAGMA journal_mode = OFF")
    with db.conn:
        for name, spec in TABLES.items():
            db[name].create(spec["columns"], pk=spec["pk"], foreign_keys=spec["foreign_keys"])
            db[name].insert_all(tables[name], batch_size=1000)
            for columns in spec["indexes"]:
                db[name].create_index(columns)
    db.conn.create_function("bigram_document", 1, search.bigram_document, deterministic=True)
    for name, columns in FTS.items():
        document = " || ' ' || ".join(f"coalesce([{c}], '')" for c in columns)
        with db.conn:
            db.execute(f"create virtual table [{name}_fts] using fts5(document, content='', tokenize='unicode61')")
            db.execute(f"insert into [{name}_fts](rowid, document) select rowid, bigram_document({document}) from [{name}]")
    db.analyze()
    db.vacuum()
    db.close()


def summary(tables: dict[str, list[dict]]) -> str:
    reports = tables["reports"]
    kinds = Counter((r["doc_type"], r["template"]) for r in reports)
    failed = sum(1 for c in tables["checks"] if not c["passed"])
    severities = Counter(i["severity"] for i in tables["build_issues"])
    lines = [f"{len(reports)} reports"]
    lines += [f"  {n:5d}  {doc_type} / {template}" for (doc_type, template), n in sorted(kinds.items())]
    lines.append(f"{len(tables['metrics'])} metrics, {len(tables['application_outcomes'])} application outcome cells, "
                 f"{len(tables['review_litigation'])} review/litigation cells")
    lines.append(f"{len(tables['checks'])} checks, {failed} failed")
    lines.append(f"{len(tables['build_issues'])} build issues ({severities['error']} errors, "
                 f"{severities['warning']} warnings)")
    lines += [f"  {i['severity']}: {i['message']}" for i in tables["build_issues"] if i["severity"] == "error"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("reports")],
                        help="files or folders of reports (default: reports/)")
    parser.add_argument("--db", type=Path, default=Path("data/ogi.db"), help="database to write (default: data/ogi.db)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    files = find_files(args.paths)
    if not files:
        parser.error(f"no files under {', '.join(map(str, args.paths))}")

    tables = parse_all(files)
    if not tables["reports"]:
        print(summary(tables))
        print(f"nothing could be built; {args.db} was left as it was", file=sys.stderr)
        return 1
    for n, row in enumerate(tables["build_issues"], start=1):
        row["id"] = n
    args.db.parent.mkdir(parents=True, exist_ok=True)
    temporary = args.db.with_name(args.db.name + ".building")
    temporary.unlink(missing_ok=True)
    try:
        write(temporary, tables)
        os.replace(temporary, args.db)
    finally:
        temporary.unlink(missing_ok=True)
    print(summary(tables))
    print(f"wrote {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
