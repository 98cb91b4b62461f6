"""The database: its tables, and how rows go in and come out again.

Everything here that touches SQLite; build.py decides what to parse and calls
these. Written with sqlite-utils (schemas, indexes, ANALYZE) and plain
executemany for the bulk inserts.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import mmap
import os
import re
import shutil
import sqlite3
import sys
from bisect import bisect_right
from pathlib import Path

import sqlite_utils

from parsers import agencies, audit, checks, data, search
from parsers.batch import Parsed
from parsers.model import Cell, Check, ParsedReport, Section
from parsers.textutil import fold

# Columns of every table, in display order, with their types.
TABLES = {
    "reports": {
        "columns": {"id": str, "title": str, "agency": str, "agency_key": str, "province": str, "city": str, "county": str,
                    "region_code": str, "year": int, "published_date": str, "doc_type": str, "template": str,
                    "source_path": str, "source_format": str, "source_sha256": str, "source_url": str, "pages": int,
                    "metadata_from": str, "reading": str, "cells_read": int, "cells_expected": int, "text": str},
        "pk": "id", "foreign_keys": [],
        # A report's row holds its text: a query that reads many reports' metadata reads their text's
        # pages too, unless an index covers it (the report builder's order; the unread tables' list;
        # reports_by_year's counts).
        "indexes": [["year", "province"], ["template"], ["doc_type", "agency", "year", "id"], ["province"], ["agency"],
                    ["region_code"], ["reading", "doc_type", "cells_read", "cells_expected", "agency", "year", "template", "id"],
                    ["agency_key", "year"], ["year", "template", "doc_type"]],
    },
    "sections": {
        "columns": {"id": str, "report_id": str, "ordinal": int, "parent_id": str, "level": int, "number": str,
                    "heading": str, "key": str, "start": int, "end": int, "page": int, "text": str},
        "pk": "id",
        "packed": {"id": "own:s:ordinal", "report_id": "report", "parent_id": "ref:s", "key": "code", "end": "end",
                   "text": "text"},
        # Kept with a rowid, which the view shows as its last column: the search index's rows are
        # the sections' rowids (sections_fts.rowid = sections.rowid, as for a table).
        "indexes": [], "rowid": True,
    },
    "metrics": {
        "columns": {"id": str, "report_id": str, "section_id": str, "metric": str, "label": str, "value": float,
                    "value_raw": str, "start": int, "end": int, "page": int, "inferred": int, "unit": str, "source": str,
                    "approximate": int, "part_of": str},
        "pk": "id",
        "packed": {"id": "own:m:n", "report_id": "report", "section_id": "ref:s", "metric": "code", "label": "code",
                   "value_raw": "raw:value", "end": "end", "unit": "code", "source": "code", "part_of": "ref:m"},
        "indexes": [["metric"]],
    },
    "application_outcomes": {
        "columns": {"report_id": str, "outcome": str, "applicant_type": str, "count": int, "value_raw": str,
                    "start": int, "end": int, "page": int, "inferred": int, "source": str},
        "pk": ("report_id", "outcome", "applicant_type"),
        "packed": {"report_id": "report", "outcome": "code", "applicant_type": "code", "value_raw": "raw:count",
                   "end": "end", "source": "code"},
        # (outcome, applicant_type) serves applicant_type alone too (a skip-scan over ~30 outcomes)
        "indexes": [["outcome", "applicant_type"]],
    },
    "review_litigation": {
        "columns": {"report_id": str, "proceeding": str, "result": str, "count": int, "value_raw": str,
                    "start": int, "end": int, "page": int, "inferred": int, "source": str},
        "pk": ("report_id", "proceeding", "result"),
        "packed": {"report_id": "report", "proceeding": "code", "result": "code", "value_raw": "raw:count",
                   "end": "end", "source": "code"},
        "indexes": [["proceeding", "result"]],
    },
    "checks": {
        "columns": {"report_id": str, "check": str, "scope": str, "expected": float, "actual": float,
                    "passed": int, "detail": str},
        "pk": ("report_id", "check", "scope"),
        "packed": {"report_id": "report", "check": "code", "scope": "code"},
        "indexes": [["check"]],
        "partial_indexes": {"idx_checks_failed": ("passed", "passed = 0")},  # the failed ones are looked for
    },
    # How each annual report measures up to what evaluators check (parsers/audit.py): one row per
    # report and indicator. on_time, complete, consistent, text_matches_tables, unchanged and
    # clean_source come with the report's rows; cross_year and original from finish().
    "audits": {
        "columns": {"report_id": str, "indicator": str, "status": str, "value": float, "detail": str,
                    "start": int, "end": int, "rule": str},
        "pk": ("report_id", "indicator"),
        "packed": {"report_id": "report", "indicator": "code", "status": "code", "end": "end", "rule": "code"},
        "indexes": [["indicator", "status"]],
    },
    # A report's prose sentences (32-bit hashes) and the LSH band keys of their MinHash, for the
    # `original` audit: which reports repeat which (not public: hidden in metadata.yml).
    "report_fingerprints": {
        "columns": {"report_id": str, "sentences": bytes},
        "pk": "report_id", "packed": {"report_id": "report"}, "indexes": [],
    },
    "report_bands": {
        "columns": {"band": int, "report_id": str},
        "pk": ("band", "report_id"), "packed": {"report_id": "report"}, "indexes": [],
    },
    # Each version of a report's bytes a harvest saw at its address (harvest.py; the sidecar's
    # `versions`): a report edited after publication has more than one. The report is the latest.
    "report_versions": {
        "columns": {"report_id": str, "version": int, "sha256": str, "fetched_at": str, "source_url": str},
        "pk": ("report_id", "version"), "foreign_keys": [("report_id", "reports", "id")], "indexes": [],
        "without_rowid": True,
    },
    "labels": {
        "columns": {"template": str, "kind": str, "key": str, "label": str, "role": str, "parent": str, "ordinal": int,
                    "unit": str},
        "pk": ("template", "kind", "key"), "foreign_keys": [], "indexes": [["kind", "key"]], "without_rowid": True,
    },
    "build_issues": {
        "columns": {"id": int, "source_path": str, "report_id": str, "severity": str, "message": str},
        "pk": "id", "foreign_keys": [("report_id", "reports", "id")],
        "indexes": [["report_id"], ["severity"], ["source_path"]],
    },
}
# The build's own counts and parser version (public: the home page reads the counts).
BOOKKEEPING = {
    "build_info": {"columns": {"key": str, "value": str}, "pk": "key", "foreign_keys": [], "indexes": []},
}
# What the last build saw of each file, for incremental rebuilds: names and hashes of every
# file, reports or not. Kept out of the published database, in a state file beside it
# (DB.state, attached as `state` while building).
STATE = {
    "build_files": {"path": str, "size": int, "mtime_ns": int, "sha256": str, "report_id": str, "given": str,
                    "duplicate_of": str},
}
# Full-text search over headings and section text, and reports (title, agency, text):
# an index of character bigrams (parsers/search.py), so any query of one or more
# Chinese characters finds exactly the rows containing it.
FTS = {
    "sections": {"rows": "sections_packed p join reports r on r.rowid = p.report", "rowid": "p.rowid",
                 "document": ["p.heading", "substr(r.text, p.start + 1, p.length)"]},
    "reports": {"rows": "reports r", "rowid": "r.rowid", "document": ["r.title", "r.agency", "r.text"]},
}


# --- packed storage ------------------------------------------------------------------------------
# The value tables hold millions of small rows whose keys are long texts (a report id of 40
# characters, outcome and applicant keys of 20), which stored as such fill two thirds of the
# file. They are stored packed, in [name]_packed, with numbers for those texts, behind views
# that have the contract's names and columns. A table's "packed" says how each column is kept
# (a column not named is kept as it is):
#   report     the report's number (reports.rowid), shown as reports.id
#   code       a number from `codes`, shown as its text
#   own:X:col  the row's own id, "{report id}/X{col}"; only col is kept
#   ref:X      another row's id, "{report id}/X{n}"; only n is kept
#   raw:col    value_raw, kept only where it is not just the number in col as SQLite writes it
#   end        kept as the length, end - start
#   text       not kept: the report's text from start to end
# Views keep every query, page and API call of the contract; the numbers never leave the database.
SQL_TYPES = {str: "TEXT", int: "INTEGER", float: "FLOAT", bytes: "BLOB"}
PACKED_TABLES = [name for name, spec in TABLES.items() if "packed" in spec]


def packed(name: str) -> str:
    return f"{name}_packed"


@functools.cache
def packed_columns(name: str) -> dict[str, str]:
    """The packed table's columns and their SQL types, in the contract's order."""
    spec = TABLES[name]
    columns: dict[str, str] = {}
    for column, kind in spec["columns"].items():
        how = spec["packed"].get(column, "plain").split(":")
        if how[0] == "report":
            columns["report"] = "INTEGER"
        elif how[0] == "own":
            columns[how[2]] = "INTEGER"
        elif how[0] in ("code", "ref"):
            columns[column] = "INTEGER"
        elif how[0] == "end":
            columns["length"] = "INTEGER"
        elif how[0] != "text":
            columns[column] = SQL_TYPES[kind]
    return columns


def packed_key(name: str) -> list[str]:
    """The contract's primary key in packed columns ("id" -> report and the id's number)."""
    spec = TABLES[name]
    key = [spec["pk"]] if isinstance(spec["pk"], str) else list(spec["pk"])
    out = []
    for column in key:
        how = spec["packed"].get(column, "plain").split(":")
        out += ["report", how[2]] if how[0] == "own" else ["report"] if how[0] == "report" else [column]
    return out


def packed_table_sql(name: str) -> str:
    spec = TABLES[name]
    columns = ", ".join(f"[{c}] {t}" for c, t in packed_columns(name).items())
    key = ", ".join(f"[{c}]" for c in packed_key(name))
    # Keyed by the primary key alone, without a rowid and a second copy of the key in an index,
    # unless a search index needs rowids.
    return (f"CREATE TABLE [{packed(name)}] ({columns}, PRIMARY KEY ({key}))"
            + ("" if spec.get("rowid") else " WITHOUT ROWID"))


def view_sql(name: str) -> str:
    """The contract's table as a view of the packed one."""
    spec = TABLES[name]
    select, joins = [], []
    for column in spec["columns"]:
        how = spec["packed"].get(column, "plain").split(":")
        if how[0] == "report":
            expression = "r.id"
        elif how[0] == "code":
            # LEFT JOINs on unique keys: SQLite leaves out those a query does not use (a count)
            joins.append(f"left join codes [c_{column}] on [c_{column}].code = p.[{column}]")
            expression = f"[c_{column}].word"
        elif how[0] == "own":
            expression = f"r.id || '/{how[1]}' || p.[{how[2]}]"
        elif how[0] == "ref":
            expression = f"r.id || '/{how[1]}' || p.[{column}]"
        elif how[0] == "raw":
            expression = f"coalesce(p.[{column}], cast(cast(p.[{how[1]}] as integer) as text))"
        elif how[0] == "end":
            expression = "p.start + p.length"
        elif how[0] == "text":
            expression = "substr(r.text, p.start + 1, p.length)"
        else:
            expression = f"p.[{column}]"
        select.append(f"{expression} as [{column}]")
    if spec.get("rowid"):  # the search index's key, as a table's rowid would be (sections_fts.rowid)
        select.append("p.rowid as rowid")
    return (f"CREATE VIEW [{name}] AS select {', '.join(select)} from [{packed(name)}] p "
            f"left join reports r on r.rowid = p.report {' '.join(joins)}")


def raw_is_implied(value_raw: str | None, number) -> bool:
    """value_raw is what the view writes for the number (an integer, as digits: SQLite's integers
    stop at 2**63, and a float is exact only to 2**53)."""
    if value_raw is None or number is None:
        return False
    if type(number) is int:
        return abs(number) < 2**53 and value_raw == str(number)
    return float(number).is_integer() and abs(number) < 2**53 and value_raw == str(int(number))


@functools.cache
def compile_packing(name: str):
    """A contract row as a prepacked row (see WorkerPackedRows), compiled to one expression: a build
    packs millions of rows, and a function per column per row would cost more than the packing."""
    spec, parts = TABLES[name], {}
    for column in spec["columns"]:
        how = spec["packed"].get(column, "plain").split(":")
        value = f"row[{column!r}]"
        if how[0] == "report":
            parts["report"] = value  # numbered by the writer (compile_numbering)
        elif how[0] == "own":
            parts.setdefault(how[2], f"_id_number({value}, {how[1]!r})")
        elif how[0] == "ref":
            parts[column] = f"_id_number({value}, {how[1]!r})"
        elif how[0] == "raw":
            parts[column] = f"(None if raw_is_implied({value}, row[{how[1]!r}]) else {value})"
        elif how[0] == "end":
            parts["length"] = f"(None if {value} is None or row['start'] is None else {value} - row['start'])"
        elif how[0] != "text":
            parts[column] = value  # (a code column keeps its word for compile_numbering)
    source = "lambda row: (" + "".join(f"{parts[c]}, " for c in packed_columns(name)) + ")"
    return eval(source, {"_id_number": _id_number, "raw_is_implied": raw_is_implied})


class WorkerPackedRows(list):
    """A packed table's rows as a worker sends them: packed, but with the report's id and the key
    words as text, for the writer to number (one numbering for the whole database)."""


def prepack(rows: dict[str, list[dict]]) -> dict[str, list]:
    """What a worker sends the writer: the packed tables' rows prepacked (checked against their
    columns here, where the work is shared), the others as they are."""
    out: dict[str, list] = {}
    for name, table_rows in rows.items():
        if name not in PACKED_TABLES:
            out[name] = table_rows
            continue
        expected, pack = TABLES[name]["columns"].keys(), compile_packing(name)
        for row in table_rows:
            if row.keys() != expected:
                raise ValueError(f"a {name} row has {sorted(row.keys() - expected)} that are not columns "
                                 f"and lacks {sorted(expected - row.keys())}")
        out[name] = WorkerPackedRows(pack(row) for row in table_rows)
    return out


@functools.cache
def compile_numbering(name: str):
    """A prepacked row's report id and key words as their numbers (compiled, as compile_packing is)."""
    coded = {column for column, how in TABLES[name]["packed"].items() if how == "code"}
    parts = [f"number(t[{i}])" if column == "report" else
             f"(codes[t[{i}]] if t[{i}] in codes else code(t[{i}]))" if column in coded else f"t[{i}]"
             for i, column in enumerate(packed_columns(name))]
    return eval("lambda t, number, code, codes: (" + "".join(f"{p}, " for p in parts) + ")")


def _id_number(value: str | None, letter: str) -> int | None:
    """"2021--x/m12" -> 12."""
    return None if value is None else int(value.rsplit(f"/{letter}", 1)[1])


# --- rows: parsed reports in the tables' terms ------------------------------------------------
# Ids are derived from the report id and the order of things in the report, so the same
# file gives the same ids on every rebuild and a value can be cited by its id.

EXTENSION, SEPARATORS = re.compile(r"\.[^./]+$"), re.compile(r"[/\\]+")


def report_id(path: str) -> str:
    """A stable, URL-friendly key from a file's path under the corpus folder.

    reports/2021/芙蓉区.txt -> 2021--芙蓉区 (the extension is dropped; build.py
    keeps it where two files would otherwise share an id).
    """
    stem = EXTENSION.sub("", path)
    return SEPARATORS.sub("--", stem).strip("-")


def report_rows(rid: str, report: ParsedReport) -> dict[str, list[dict]]:
    """A parsed report as rows of every table (SCHEMA.md)."""
    source, meta = report.source, report.metadata
    section_ids = {s.ordinal: f"{rid}/s{s.ordinal}" for s in report.sections}
    locate = _section_finder(report.sections, section_ids)
    metric_ids = [f"{rid}/m{n + 1}" for n in range(len(report.metrics))]
    folded = fold(source.text)  # (the parse folded it: textutil keeps it)
    page = _page_finder(source.page_starts)

    def value(cell: Cell, name: str) -> dict:
        return {name: cell.value, "value_raw": cell.value_raw, "start": cell.start, "end": cell.end,
                "page": page(cell.start), "inferred": int(cell.inferred)}

    return {
        "reports": [{
            "id": rid, "title": meta.title, "agency": meta.agency, "agency_key": meta.agency_key, "province": meta.province,
            "city": meta.city, "county": meta.county, "region_code": meta.region_code, "year": meta.year,
            "published_date": meta.published_date, "doc_type": meta.doc_type, "template": report.template,
            "source_path": source.path, "source_format": source.format, "source_sha256": source.sha256,
            "source_url": source.source_url, "pages": len(source.page_starts) if source.page_starts else None,
            "metadata_from": json.dumps(report.given, ensure_ascii=False, sort_keys=True) if report.given else None,
            "reading": report.reading.reading if report.reading else None,
            "cells_read": report.reading.cells_read if report.reading else None,
            "cells_expected": report.reading.cells_expected if report.reading else None,
            "text": source.text,
        }],
        "sections": [{
            "id": section_ids[s.ordinal], "report_id": rid, "ordinal": s.ordinal,
            "parent_id": section_ids.get(s.parent), "level": s.level, "number": s.number, "heading": s.heading,
            "key": s.key, "start": s.start, "end": s.end, "page": page(s.start), "text": source.text[s.start:s.end],
        } for s in report.sections],
        "metrics": [{
            "id": metric_ids[n], "report_id": rid, "section_id": locate(m.cell.start), "metric": m.metric,
            "label": m.label, **value(m.cell, "value"), "unit": m.unit, "source": m.source,
            "approximate": int(m.approximate),
            "part_of": metric_ids[m.part_of] if m.part_of is not None else None,
        } for n, m in enumerate(report.metrics)],
        "application_outcomes": [{
            "report_id": rid, "outcome": o.outcome, "applicant_type": o.applicant_type, **value(o.cell, "count"),
            "source": o.source,
        } for o in report.outcomes],
        "review_litigation": [{
            "report_id": rid, "proceeding": r.proceeding, "result": r.result, **value(r.cell, "count"),
            "source": r.source,
        } for r in report.review_litigation],
        "checks": check_rows([(rid, c) for c in report.checks]),
        "audits": [{"report_id": rid, "indicator": a.indicator, "status": a.status, "value": a.value,
                    "detail": a.detail, "start": a.start, "end": a.end, "rule": a.rule} for a in report.audits],
        "report_fingerprints": [{"report_id": rid, "sentences": audit.pack(report.fingerprint.sentences)}]
        if report.fingerprint and report.fingerprint.sentences else [],
        "report_bands": [{"band": band, "report_id": rid} for band in sorted(set(report.fingerprint.bands))]
        if report.fingerprint else [],
        "report_versions": [{"report_id": rid, "version": v.version, "sha256": v.sha256, "fetched_at": v.fetched_at,
                             "source_url": v.source_url} for v in report.versions],
        "build_issues": [issue_row(source.path, rid, i.severity, i.message) for i in report.issues],
        # what the search indexes hold (FTS; unindex() makes the same documents from the database)
        "reports_fts": [{"report_id": rid, "document": search.bigram_document_of_folded(
            fold(meta.title or ""), " ", fold(meta.agency or ""), " ", folded)}],
        "sections_fts": [{"report_id": rid, "ordinal": s.ordinal, "document": search.bigram_document_of_folded(
            fold(s.heading or ""), " ", folded[s.start:s.end])} for s in report.sections],
    }


def _page_finder(page_starts: list[int] | None):
    """The page (from 1) a position falls on; None for formats without pages."""
    def page(position: int) -> int | None:
        return bisect_right(page_starts, position) if page_starts else None
    return page


def _section_finder(sections: list[Section], ids: dict[int, str]):
    """The innermost section that contains a position (sections nest, so the last one that starts before it)."""
    ordered = sorted(sections, key=lambda s: (s.start, s.level))
    starts = [s.start for s in ordered]

    def locate(position: int) -> str | None:
        for i in range(bisect_right(starts, position) - 1, -1, -1):  # those that start at or before it
            if position < ordered[i].end:
                return ids[ordered[i].ordinal]
        return None

    return locate


def issue_row(path: str, report_id: str | None, severity: str, message: str) -> dict:
    """A build_issues row; the message names the file, so it reads on its own."""
    return {"source_path": path, "report_id": report_id, "severity": severity, "message": f"{path}: {message}"}


def parsed_rows(parsed: Parsed) -> dict[str, list[dict]]:
    """The rows of every table for one parsed file (one build_issues row when it has no report)."""
    if parsed.report is None:
        return {"build_issues": [issue_row(parsed.path, None, parsed.problem.severity, parsed.problem.message)]}
    return report_rows(parsed.report_id, parsed.report)


def check_rows(found: list[tuple[str, Check]]) -> list[dict]:
    return [{"report_id": rid, "check": c.check, "scope": c.scope, "expected": c.expected, "actual": c.actual,
             "passed": int(c.passed), "detail": c.detail} for rid, c in found]


class Writer:
    """Rows into the database in large batches (executemany: 3x faster than insert_all here).

    Rows come in the contract's terms (report_rows); the writer packs those of packed tables,
    numbering reports, sections and codes as it goes, and puts the search documents the
    workers made into the FTS indexes under those numbers."""

    # Rows holding a report's or a section's text are large: fewer of them to a batch.
    BATCH = {"reports": 200, "sections": 2000, "reports_fts": 200, "sections_fts": 2000}
    SEARCH = {"reports_fts": ["report_id", "document"], "sections_fts": ["report_id", "ordinal", "document"]}

    def __init__(self, db: sqlite_utils.Database, batch: int = 20000):
        self.db, self.batch = db, batch
        # An integer primary key (build_issues.id) is SQLite's to assign.
        self.columns = {name: [c for c in spec["columns"] if not (c == spec["pk"] and spec["columns"][c] is int)]
                        for name, spec in (TABLES | BOOKKEEPING | DERIVED).items()}
        self.columns |= {name: list(columns) for name, columns in STATE.items()} | self.SEARCH
        self.buffers: dict[str, list[tuple]] = {name: [] for name in self.columns}
        self.numbers: dict[str, int] | None = None  # report id -> number, once the tables exist
        self.codes: dict[str, int] = {}
        self.section_rows: dict[tuple[str, int], int] = {}  # (report, ordinal) -> rowid, until its document comes

    def add(self, tables: dict[str, list[dict]]) -> None:
        """Buffer rows; a row must have exactly its table's columns (a misspelt key is an error,
        never a silent NULL)."""
        for name, new_rows in tables.items():
            if name not in self.columns:
                raise ValueError(f"no table {name!r}")
            if not isinstance(new_rows, WorkerPackedRows):  # (prepacked rows were checked by prepack)
                expected = set(self.columns[name])
                for row in new_rows:
                    if row.keys() != expected:
                        raise ValueError(f"a {name} row has {sorted(row.keys() - expected)} that are not columns "
                                         f"and lacks {sorted(expected - row.keys())}")
            self.buffers[name].extend(self._tuples(name, new_rows))
            if len(self.buffers[name]) >= self.BATCH.get(name, self.batch):
                self.flush(name)

    def _tuples(self, name: str, rows: list) -> list[tuple]:
        if name == "reports":
            return [(self.new_number(row["id"]), *(row[c] for c in self.columns[name])) for row in rows]
        if name in PACKED_TABLES and not isinstance(rows, WorkerPackedRows):
            rows = prepack({name: rows})[name]
        if name == "sections":
            self._load()
            number, out = compile_numbering(name), []
            where = list(packed_columns(name))
            report, ordinal = where.index("report"), where.index("ordinal")
            for row in rows:
                self.section_rows[row[report], row[ordinal]] = self.next_section
                out.append((self.next_section, *number(row, self.number, self.code, self.codes)))
                self.next_section += 1
            return out
        if name == "reports_fts":
            return [(self.number(row["report_id"]), row["document"]) for row in rows]
        if name == "sections_fts":
            return [(self.section_rows.pop((row["report_id"], row["ordinal"])), row["document"]) for row in rows]
        if name in PACKED_TABLES:
            self._load()
            finish, number, code, codes = compile_numbering(name), self.number, self.code, self.codes
            return [finish(row, number, code, codes) for row in rows]
        return [tuple(row[c] for c in self.columns[name]) for row in rows]

    def _load(self) -> None:
        if self.numbers is None:
            self.numbers = {}
            self.next_number = self.db.execute("select coalesce(max(rowid), 0) + 1 from reports").fetchone()[0]
            self.next_section = self.db.execute("select coalesce(max(rowid), 0) + 1 from sections_packed").fetchone()[0]
            self.codes = dict(self.db.execute("select word, code from codes").fetchall())
            self.codes[None] = None  # no word, no code

    def new_number(self, report_id: str) -> int:
        self._load()
        self.numbers[report_id], self.next_number = self.next_number, self.next_number + 1
        return self.numbers[report_id]

    def number(self, report_id: str) -> int:
        """A report's number: given in this build, or that of a report already in the database."""
        if self.numbers is not None and report_id in self.numbers:
            return self.numbers[report_id]
        self._load()
        if report_id not in self.numbers:
            found = self.db.execute("select rowid from reports where id = ?", [report_id]).fetchone()
            if found is None:
                raise ValueError(f"rows for a report that is not in the database: {report_id!r}")
            self.numbers[report_id] = found[0]
        return self.numbers[report_id]

    def code(self, word: str | None) -> int | None:
        self._load()
        if word not in self.codes:
            self.codes[word] = self.db.execute("insert into codes (word) values (?)", [word]).lastrowid
        return self.codes[word]

    def flush(self, *names: str) -> None:
        for name in names or list(self.buffers):
            if self.buffers[name]:
                if name in ("reports", "sections"):  # numbered here: the search indexes use the numbers
                    table = packed(name) if name == "sections" else name
                    columns = ["rowid", *(packed_columns(name) if name == "sections" else self.columns[name])]
                elif name in self.SEARCH:
                    table, columns = name, ["rowid", "document"]
                elif name in PACKED_TABLES:
                    table, columns = packed(name), list(packed_columns(name))
                else:
                    table, columns = name, self.columns[name]
                marks = ", ".join("?" for _ in columns)
                self.db.conn.executemany(f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
                                         f"values ({marks})", self.buffers[name])
                self.buffers[name].clear()


def create_tables(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE codes (code INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE)")
    for name, spec in (TABLES | BOOKKEEPING | DERIVED).items():
        if "packed" in spec:
            db.execute(packed_table_sql(name))
            db.execute(view_sql(name))
            continue
        sql = db.create_table_sql(name, spec["columns"], pk=spec["pk"], foreign_keys=spec["foreign_keys"])
        if spec.get("without_rowid"):
            # Keyed by their primary key alone: no rowid and no second copy of the key in an index
            # (sqlite-utils cannot create these).
            sql = sql.rstrip().rstrip(";") + " WITHOUT ROWID"
        db.execute(sql)
    types = {str: "text", int: "integer"}
    for name, columns in STATE.items():  # sqlite-utils creates tables in main only
        first, *rest = columns.items()
        db.execute(f"create table state.[{name}] ([{first[0]}] text primary key, "
                   + ", ".join(f"[{c}] {types[t]}" for c, t in rest) + ")")
    # The documents are bigrams between spaces (parsers/search.py): the ascii tokenizer reads each as
    # one word, whatever its characters (unicode61 looked each character up: a third slower to build).
    for name in FTS:
        db.execute(f"create virtual table [{name}_fts] using fts5(document, content='', tokenize='ascii')")


def create_indexes(db: sqlite_utils.Database) -> None:
    for name, spec in (TABLES | DERIVED).items():
        table = packed(name) if "packed" in spec else name
        for columns in spec["indexes"]:
            db[table].create_index(columns, if_not_exists=True)
        for index, (column, where) in spec.get("partial_indexes", {}).items():
            db.execute(f"create index if not exists [{index}] on [{table}] ([{column}]) where {where}")


def unindex(db, name: str, where: str, params: list) -> None:
    """Take some rows of `name` out of its search index (a contentless index is told the
    document it had: made here from the database as report_rows made it from the parse);
    `where` picks them by their report, `r`."""
    index = FTS[name]
    document = " || ' ' || ".join(f"coalesce({c}, '')" for c in index["document"])
    db.execute(f"insert into [{name}_fts]([{name}_fts], rowid, document) select 'delete', {index['rowid']}, "
               f"bigram_document({document}) from {index['rows']} where {where}", params)


def forget(db: sqlite_utils.Database, path: str, report_id: str | None) -> None:
    """Remove every row a file gave, before it is built again or because it is gone."""
    if report_id:
        unindex(db, "sections", "r.id = ?", [report_id])
        unindex(db, "reports", "r.id = ?", [report_id])
        for name in ("metrics", "application_outcomes", "review_litigation", "checks", "sections", "audits",
                     "report_fingerprints", "report_bands"):
            db.execute(f"delete from [{packed(name)}] where report = (select rowid from reports where id = ?)",
                       [report_id])
        db.execute("delete from report_figures where report_id = ?", [report_id])
        db.execute("delete from report_versions where report_id = ?", [report_id])
        db.execute("delete from reports where id = ?", [report_id])
    db.execute("delete from build_issues where source_path = ?", [path])
    db.execute("delete from build_files where path = ?", [path])


CHANGED_REPORT_IDS = "select id from temp.changed_reports"


# --- a build: begin, write, finish ---------------------------------------------------------------

def begin(db: sqlite_utils.Database, full: bool, report_ids: set[str]) -> None:
    """Open the build's transaction: a full build creates the tables; an update marks the reports
    it rebuilds or removes (before their rows go) so that finish() can bring what depends on them
    up to date."""
    db.conn.execute("begin")
    if full:
        create_tables(db)
    mark_changed(db, set() if full else report_ids)


def finish(db: sqlite_utils.Database, writer: "Writer", version: str, full: bool) -> int:
    """Everything that follows from the rows written, the same for a full build and an update
    (a full build has changed every report): labels, indexes, the search index, cross-year
    checks, the pre-aggregated tables, issue ids, counts, the stamp. Returns the report count."""
    if full:
        db.execute("insert into temp.changed_reports select id from reports")
    db.execute("delete from labels")
    writer.add({"labels": data.official_labels()})
    writer.flush()
    if full:  # (an update's copy has them: a change to them is a change of parser_version)
        create_indexes(db)  # (the search indexes were written with the rows: Writer)
    writer.add({"checks": cross_year_checks(db)})
    writer.flush("checks")
    writer.add({"audits": audits_across_reports(db, full)})
    # the agencies of the reports built or removed, before and after (a full build: all of them)
    db.execute(f"insert into temp.changed_agency_keys select agency_key from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute("delete from agencies where agency_key in (select agency_key from temp.changed_agency_keys)")
    writer.add({"agencies": agency_rows(db, "agency_key in (select agency_key from temp.changed_agency_keys)")})
    writer.flush()
    fill_aggregates(db)
    find_coverage_gaps(db)
    renumber_issues(db)
    db.execute("insert or replace into build_info (key, value) values ('parser_version', ?)", [version])
    record_counts(db)
    stamp(db)
    return db.execute("select count(*) from reports").fetchone()[0]


def analyze(db: sqlite_utils.Database, full: bool) -> None:
    """The query planner's statistics, after a full build (from a sample: seconds, not minutes)."""
    if full:
        db.execute("PRAGMA analysis_limit = 1000")
        db.analyze()


def counts(db_path: Path) -> dict:
    """What the database holds, counted for the build's summary."""
    db = sqlite_utils.Database(db_path)
    try:
        count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        rows = dict(db.execute("select substr(key, 6), value from build_info where key like 'rows:%'").fetchall())
        return {
            "reports": count("select count(*) from reports"),
            # (+column: grouped from a covering index, not in the doc_type index's order from the rows)
            "kinds": db.execute("select doc_type, template, count(*) from reports group by +doc_type, +template "
                                "order by 1, 2").fetchall(),
            "readings": db.execute("select reading, count(*) from reports where +doc_type = 'annual_report' "
                                   "group by 1 order by 2 desc").fetchall(),
            # the views' counts, recorded by the build (counting a view joins every row)
            "metrics": int(rows["metrics"]),
            "outcomes": int(rows["application_outcomes"]),
            "review": int(rows["review_litigation"]),
            "checks": int(rows["checks"]),
            "failed": count("select count(*) from checks_packed where passed = 0"),
            "issues": count("select count(*) from build_issues"),
            "warnings": count("select count(*) from build_issues where severity = 'warning'"),
            "errors": [m for (m,) in db.execute("select message from build_issues where severity = 'error' order by id")],
        }
    finally:
        db.close()


def mark_changed(db: sqlite_utils.Database, report_ids: set[str]) -> None:
    """Before an incremental update removes rows: the reports it rebuilds or removes, and the
    agencies and (year, province) groups they were in, whose cross-year checks and totals move."""
    db.execute("create temp table changed_reports (id text primary key)")
    db.conn.executemany("insert into temp.changed_reports values (?)", [(i,) for i in report_ids])
    db.execute(f"create temp table changed_agencies as select distinct agency from reports "
               f"where id in ({CHANGED_REPORT_IDS}) and agency is not null")
    db.execute(f"create temp table changed_groups as select distinct year, province from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute(f"create temp table changed_agency_keys as select agency_key from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute("create temp table audit_neighbours (id text primary key)")
    add_audit_neighbours(db)


def add_audit_neighbours(db: sqlite_utils.Database) -> None:
    """The reports whose `original` audit compares with a changed report: the same agency's
    report of the year after, and those sharing an LSH band with it (called before the changed
    reports' rows go, and again after the new ones are in)."""
    changed = f"select rowid from reports where id in ({CHANGED_REPORT_IDS})"
    db.execute("insert or ignore into temp.audit_neighbours select r2.id from reports r1 join reports r2 "
               "on r2.agency_key = r1.agency_key and r2.year = r1.year + 1 "
               f"where r1.rowid in ({changed}) and r1.agency_key is not null")
    db.execute("insert or ignore into temp.audit_neighbours select r.id from report_bands_packed b1 "
               "join report_bands_packed b2 on b2.band = b1.band join reports r on r.rowid = b2.report "
               f"where b1.report in ({changed})")


def cross_year_checks(db: sqlite_utils.Database) -> list[dict]:
    """R6 for the reports of the agencies the build touched, before or after (it needs the
    agency's report of the year before): their old cross-year checks go, the new ones are returned."""
    db.execute(f"insert into temp.changed_agencies select distinct agency from reports "
               f"where id in ({CHANGED_REPORT_IDS}) and agency is not null")
    agencies = "select agency from temp.changed_agencies"
    db.execute(f"delete from checks_packed where [check] = (select code from codes where word = 'cross_year') "
               f"and report in (select rowid from reports where agency in ({agencies}))")
    reports = [dict(zip(("id", "agency", "year", "doc_type"), r)) for r in db.execute(
        f"select id, agency, year, doc_type from reports where agency in ({agencies}) and year is not null")]
    # (the packed rows, found by report and outcome code: the view would decode every cell's keys;
    # cross join: each report's two outcomes by the primary key, whatever the statistics say)
    outcomes = [dict(zip(("report_id", "outcome", "applicant_type", "count"), r)) for r in db.execute(
        "select r.id, o.word, a.word, p.count from reports r "
        "cross join application_outcomes_packed p on p.report = r.rowid and p.outcome in (select code from codes "
        "  where word in ('carried_over_from_prev_year', 'carried_forward_to_next_year')) "
        "join codes o on o.code = p.outcome join codes a on a.code = p.applicant_type "
        f"where r.agency in ({agencies})")]
    return check_rows(checks.cross_year(reports, outcomes))


def audits_across_reports(db: sqlite_utils.Database, full: bool) -> list[dict]:
    """The cross_year and original audits (parsers/audit.py) of the annual reports whose
    comparisons may have moved: all of them in a full build; in an update, those built, the
    reports of the agencies they belong to (cross-year checks are per agency), and their
    neighbours before and after (audit_neighbours). Their old rows go; the new ones are returned."""
    if full:
        which = "1"
    else:
        add_audit_neighbours(db)
        which = (f"(r.id in ({CHANGED_REPORT_IDS}) or r.id in (select id from temp.audit_neighbours) "
                 f"or r.agency in (select agency from temp.changed_agencies))")
    reports = db.execute(f"select r.rowid, r.id, r.agency, r.agency_key, r.year from reports r "
                         f"where r.doc_type = 'annual_report' and {which}").fetchall()
    numbers = [number for number, *_ in reports]
    codes = dict(db.execute("select word, code from codes where word in ('cross_year', 'original')").fetchall())
    db.execute("create temp table audited (report integer primary key)")
    db.conn.executemany("insert into temp.audited values (?)", [(n,) for n in numbers])
    db.execute("delete from audits_packed where report in (select report from temp.audited) and indicator in "
               "(select code from codes where word in ('cross_year', 'original'))")
    checks_by_report: dict[int, list] = {}
    for report, passed, detail in db.execute(
            "select report, passed, detail from checks_packed where [check] = ? and report in "
            "(select report from temp.audited) order by report, scope", [codes.get("cross_year", -1)]):
        checks_by_report.setdefault(report, []).append((bool(passed), detail))
    annual = {(agency, year) for agency, year in db.execute(
        "select agency, year from reports where doc_type = 'annual_report' and agency is not null")}
    by_key_year = {}
    for number, key, year in db.execute("select rowid, agency_key, year from reports where doc_type = 'annual_report' "
                                        "and agency_key is not null and year is not null order by id desc"):
        by_key_year[(key, year)] = number  # (the first by id, when an agency has two copies of a year)
    spec = audit.rules()["original"]
    # LSH candidates: reports sharing a band (a band that hundreds of reports share is boilerplate)
    # (the bands first, materialised: joined before they are counted, the few bands every
    # synthetic report shares make billions of pairs)
    partners: dict[int, set[int]] = {}
    for report, other in db.execute(
            "with shared as materialized (select band from report_bands_packed group by band "
            "  having count(*) between 2 and ?) "
            "select b1.report, b2.report from shared s "
            "cross join report_bands_packed b1 on b1.band = s.band "
            "cross join report_bands_packed b2 on b2.band = s.band and b2.report != b1.report "
            + ("" if full else "where b1.report in (select report from temp.audited)"),
            [spec["max_band_reports"]]):
        partners.setdefault(report, set()).add(other)
    about = {number: (rid, agency, key, year) for number, rid, agency, key, year in db.execute(
        "select rowid, id, agency, agency_key, year from reports where doc_type = 'annual_report'")}

    @functools.lru_cache(maxsize=50_000)
    def sentences(number: int) -> frozenset:
        row = db.execute("select sentences from report_fingerprints_packed where report = ?", [number]).fetchone()
        return frozenset(audit.unpack(row[0]) if row else ())

    rows = []
    for number, rid, agency, key, year in reports:
        found = [audit.cross_year(checks_by_report.get(number, []), (agency, (year or 0) - 1) in annual)]
        previous = by_key_year.get((key, year - 1)) if key and year else None
        others = []
        for other in sorted(partners.get(number, ())):
            other_id, other_agency, other_key, other_year = about[other]
            if other_key != key or key is None:  # another agency's report (the same agency's: its own copies)
                others.append((f"{other_agency or other_id}（{other_year}年）", sentences(other)))
        found.append(audit.original(sentences(number), sentences(previous) if previous else None, others))
        rows += [{"report_id": rid, "indicator": a.indicator, "status": a.status, "value": a.value,
                  "detail": a.detail, "start": a.start, "end": a.end, "rule": a.rule} for a in found]
    db.execute("drop table temp.audited")
    return rows


def agency_rows(db: sqlite_utils.Database, which: str = "1") -> list[dict]:
    """One row per agency key (those `which` picks): its usual name (the form most reports use),
    every form seen, its region and level, and the years it reported."""
    found: dict[str, dict] = {}
    for key, agency, code, province, city, county, year in db.execute(
            "select agency_key, agency, region_code, province, city, county, year from reports "
            f"where agency_key is not null and {which} order by id"):
        row = found.setdefault(key, {"agency_key": key, "region_code": code, "province": province, "city": city,
                                     "county": county, "forms": {}, "years": []})
        row["forms"][agency] = row["forms"].get(agency, 0) + 1
        row["years"] += [year] if year else []
    return [{"agency_key": key, "name": max(row["forms"], key=lambda f: (row["forms"][f], -len(f))),
             "region_code": row["region_code"], "province": row["province"], "city": row["city"],
             "county": row["county"], "level": agencies.level(next(iter(row["forms"])), row["region_code"]),
             "names": json.dumps(sorted(row["forms"]), ensure_ascii=False), "reports": sum(row["forms"].values()),
             "first_year": min(row["years"], default=None), "last_year": max(row["years"], default=None)}
            for key, row in found.items()]


def renumber_issues(db: sqlite_utils.Database) -> None:
    """build_issues ids in file order, the same whichever files this build parsed again."""
    db.execute("create temp table issue_order as select id as old, "
               "row_number() over (order by source_path, id) as new from build_issues")
    db.execute("update build_issues set id = -(select new from issue_order where old = build_issues.id)")
    db.execute("update build_issues set id = -id")
    db.execute("drop table temp.issue_order")


COUNTS = {  # build_info keys the home page shows: counting millions of rows per visit is slow
    "reports": "select count(*) from reports",
    "annual_reports": "select count(*) from reports where doc_type = 'annual_report'",
    "agencies": "select count(distinct agency) from reports where agency is not null",
    "first_year": "select min(year) from reports",
    "last_year": "select max(year) from reports",
    "values": "select (select count(*) from metrics_packed) + (select count(*) from application_outcomes_packed)"
              " + (select count(*) from review_litigation_packed)",
    "failed_checks": "select count(*) from checks_packed where passed = 0",
}


HOME = {  # the home page's tables and chart (build_info.home, JSON): the same until the next build
    "per_year": "select year, sum(count) as applications, sum(reports) as reports from outcome_totals "
                "where outcome = 'new_received' and applicant_type = 'total' group by year order by year",
    "by_year": "select year, count(*) as n from reports group by year order by year desc",
    "by_template": "select template, count(*) as n from reports group by template order by n desc",
    "by_reading": "select reading, count(*) as n from reports group by reading order by n desc",
    "by_province": "select province, count(*) as n from reports group by province order by n desc, province",
}


def record_counts(db: sqlite_utils.Database) -> None:
    for key, sql in COUNTS.items():
        db.execute("insert or replace into build_info (key, value) values (?, ?)", [key, db.execute(sql).fetchone()[0]])
    # Rows of each packed table's view: counting a view joins every row (seconds at 100,000 reports);
    # the site's table pages show these instead (plugins/ogi_site.py).
    for name in PACKED_TABLES:
        db.execute("insert or replace into build_info (key, value) values (?, ?)",
                   [f"rows:{name}", db.execute(f"select count(*) from [{packed(name)}]").fetchone()[0]])
    home = {name: [dict(zip([d[0] for d in cursor.description], row)) for row in cursor.fetchall()]
            for name, cursor in ((name, db.execute(sql)) for name, sql in HOME.items())}
    db.execute("insert or replace into build_info (key, value) values ('home', ?)",
               [json.dumps(home, ensure_ascii=False)])


def state_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".state")


def read_known(db_path: Path, version: str) -> dict[str, dict] | None:
    """The last build's build_files rows by path, or None when a full build is needed: no
    database or state file, another parser version, or a state file from another build."""
    if not db_path.exists() or not state_path(db_path).exists():
        return None
    db = None
    try:
        db = sqlite_utils.Database(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True))
        db.execute("attach database ? as state", [f"file:{state_path(db_path)}?mode=ro"])
        info = dict(db.execute("select key, value from build_info").fetchall())
        stamp = db.execute("select build_id from state.build_stamp").fetchone()
        if info.get("parser_version") != version or not stamp or stamp[0] != info.get("build_id"):
            return None
        columns = list(STATE["build_files"])
        return {row[0]: dict(zip(columns, row)) for row in db.execute("select * from state.build_files")}
    except sqlite3.DatabaseError:  # not a database, a damaged one, or tables missing: build anew
        return None
    finally:
        if db is not None:
            db.close()


# --- building beside the served file --------------------------------------------------------

@contextlib.contextmanager
def build_lock(db_path: Path):
    """One build at a time per database: a second waits for the first, saying so."""
    lock = db_path.with_name(db_path.name + ".lock")
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another build of {db_path} is running; waiting for it to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            for stale in db_path.parent.glob(db_path.name + "*.building-*"):  # left by a build that died
                stale.unlink(missing_ok=True)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def can_update(db_path: Path) -> bool:
    """Whether there is a last build to update (read_known says whether it can be used)."""
    return db_path.exists() and state_path(db_path).exists()


def discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def building_files(db_path: Path, copy: bool) -> tuple[Path, Path]:
    """The new database and state files this build writes: copies of the current ones for an
    incremental update, else empty."""
    target = db_path.with_name(f"{db_path.name}.building-{os.getpid()}")
    state = db_path.with_name(f"{db_path.name}.state.building-{os.getpid()}")
    for path in (target, state):
        path.unlink(missing_ok=True)
    if copy:
        try:
            copy_uncached(db_path, target)
            shutil.copyfile(state_path(db_path), state)
        except BaseException:
            discard(target, state)
            raise
    return target, state


COPY_CHUNK = 8 << 20


def copy_uncached(source: Path, target: Path) -> None:
    """Copy a database file straight to the disk (O_DIRECT), not through the page cache: an update
    reads a few of the copy's pages and writes fewer, and a second gigabyte of cached pages
    only costs time (measured at 100,000 reports: 5 s, where this takes under 1 s). Where the file
    system cannot (tmpfs) or the size is not in whole pages, an ordinary copy."""
    size = source.stat().st_size
    if not hasattr(os, "O_DIRECT") or size % 4096:
        shutil.copyfile(source, target)
        return
    try:
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    except OSError:
        shutil.copyfile(source, target)
        return
    buffer = mmap.mmap(-1, COPY_CHUNK)  # page-aligned, as O_DIRECT needs
    try:
        with open(source, "rb", buffering=0) as f:
            while n := f.readinto(buffer):
                os.write(out, memoryview(buffer)[:n])
    except OSError:
        os.close(out)
        out = -1
        shutil.copyfile(source, target)
    finally:
        buffer.close()
        if out >= 0:
            os.close(out)


def open_building(target: Path, state: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(target)
    db.conn.create_function("bigram_document", 1, search.bigram_document, deterministic=True)
    db.execute("attach database ? as state", [str(state)])
    # Private files, deleted if the build fails: nothing to roll back to, no journal needed.
    for schema in ("main", "state"):
        db.conn.execute(f"PRAGMA {schema}.journal_mode = OFF")
        db.conn.execute(f"PRAGMA {schema}.synchronous = OFF")
    # Many tables and indexes grow at once: a page cache of 64 MB (not SQLite's 2 MB) keeps their
    # growing ends in memory instead of writing and reading them back.
    db.conn.execute("PRAGMA main.cache_size = -65536")
    return db


def stamp(db: sqlite_utils.Database) -> None:
    """The same mark in the database and its state file, derived from the files built (so the
    same corpus gives the same database): a state file from another build is not used."""
    digest = hashlib.sha256()
    for row in db.execute("select path, sha256, report_id, given, duplicate_of from state.build_files order by path"):
        digest.update(repr(row).encode())
    build_id = digest.hexdigest()[:16]
    db.execute("insert or replace into build_info (key, value) values ('build_id', ?)", [build_id])
    db.execute("create table if not exists state.build_stamp (build_id text)")
    db.execute("delete from state.build_stamp")
    db.execute("insert into state.build_stamp values (?)", [build_id])


def put_in_place(target: Path, state: Path, db_path: Path) -> None:
    """Move the new files into place, each in one rename (readers see the old file or the new)."""
    for path in (target, state):
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    os.replace(state, state_path(db_path))
    os.replace(target, db_path)


def forget_unwalked(db: sqlite_utils.Database) -> None:
    """Issues about paths that are not files of the corpus (folders, links): each build records them anew."""
    db.execute("delete from build_issues where source_path not in (select path from build_files)")


# --- pre-aggregated tables ----------------------------------------------------------------
# At 100,000 reports a query that groups application_outcomes (millions of rows) takes
# seconds; these tables hold the sums once, and the canned queries read them.

def _sum(outcome_condition: str) -> str:
    return f"sum(case when {outcome_condition} then count end)"


FIGURES = {  # report_figures column: how it is summed from table 三 totals
    "new_received": _sum("outcome = 'new_received'"),
    "carried_over": _sum("outcome = 'carried_over_from_prev_year'"),
    "granted": _sum("outcome = 'granted'"),
    "partially_granted": _sum("outcome = 'partially_granted'"),
    "denied": _sum("outcome like 'denied_%'"),
    "unable": _sum("outcome like 'unable_%'"),
    "not_processed": _sum("outcome like 'not_processed_%'"),
    "other": _sum("outcome like 'other_%'"),
    "results_total": _sum("outcome = 'results_total'"),
    "carried_forward": _sum("outcome = 'carried_forward_to_next_year'"),
}
RESULTS = ("upheld", "corrected", "other", "pending", "total")
REVIEW = {f"{group}_{result}": f"sum(case when {condition} and result = '{result}' then count end)"
          for group, condition in (("admin_review", "proceeding = 'admin_review'"),
                                   ("litigation", "proceeding like 'litigation%'")) for result in RESULTS}
DERIVED = {
    "agencies": {
        "columns": {"agency_key": str, "name": str, "region_code": str, "province": str, "city": str, "county": str,
                    "level": str, "names": str, "reports": int, "first_year": int, "last_year": int},
        "pk": "agency_key", "foreign_keys": [], "indexes": [["province"], ["level"], ["region_code"]],
    },
    "report_figures": {
        "columns": {"report_id": str, "agency": str, "year": int, "province": str, "template": str, "doc_type": str,
                    "applications_received": int, **{name: int for name in FIGURES}, "disclosure_rate": float,
                    **{name: int for name in REVIEW}, "admin_reviews": int, "lawsuits": int},
        "pk": "report_id", "foreign_keys": [("report_id", "reports", "id")],
        # headline_series reads its columns from the last index alone
        "indexes": [["year", "agency"], ["agency"], ["province"], ["disclosure_rate", "results_total"],
                    ["doc_type", "year", "agency", "applications_received", "granted", "admin_reviews", "lawsuits"]],
    },
    "refusal_totals": {
        # refusal_reasons: per reason, the reports (table figures) that list it, what they list,
        # and the same reports' results total; summed over years and places by the query
        "columns": {"year": int, "province": str, "outcome": str, "applications": int, "reports": int,
                    "results_total": int},
        "pk": ("year", "province", "outcome"), "foreign_keys": [], "indexes": [],
    },
    # An agency that published annual reports for earlier years and has none for a later year that
    # others in its province have (parsers/audit.py's neighbour: what evaluators ask first).
    "coverage_gaps": {
        "columns": {"agency_key": str, "province": str, "year": int, "last_year_seen": int},
        "pk": ("agency_key", "year"), "foreign_keys": [], "indexes": [["province", "year"]],
    },
    "outcome_totals": {
        "columns": {"year": int, "province": str, "outcome": str, "applicant_type": str, "reports": int, "count": int},
        "pk": ("year", "province", "outcome", "applicant_type"), "foreign_keys": [],
        "indexes": [["outcome", "applicant_type"]],  # (province may be NULL: a rowid table)
    },
}


def _metric(name: str) -> str:
    """A prose or older-table figure, for reports without table 三 or 四."""
    return (f"(select m.value from metrics_packed m where m.report = r.rowid and m.metric = {_code(name)} "
            f"order by m.source = {_code('table')} desc limit 1)")


def _code(word: str) -> str:
    return f"(select code from codes where word = '{word}')"


def find_coverage_gaps(db: sqlite_utils.Database) -> None:
    """coverage_gaps for the provinces of the reports the build touched (a full build: all)."""
    provinces = "select province from temp.changed_groups where province is not null"
    db.execute(f"delete from coverage_gaps where province in ({provinces})")
    db.execute(f"""
        insert into coverage_gaps
        with seen as (select distinct agency_key, province, year from reports
                      where doc_type = 'annual_report' and agency_key is not null and year is not null
                        and province in ({provinces})),
             years as (select distinct province, year from seen),
             agencies as (select agency_key, province, min(year) as first from seen group by 1, 2)
        select a.agency_key, a.province, y.year,
               (select max(s.year) from seen s where s.agency_key = a.agency_key and s.year < y.year)
        from agencies a join years y on y.province = a.province and y.year > a.first
        where not exists (select 1 from seen s where s.agency_key = a.agency_key and s.year = y.year)""")


def fill_aggregates(db: sqlite_utils.Database) -> None:
    """Fill report_figures and outcome_totals for the reports the build touched and the
    (year, province) groups they were or are in (a full build touches them all). They read the
    packed tables (decoding only the keys they sum by): through the views, a full build's sums
    would join every cell's report and keys (seconds at 100,000 reports)."""
    db.execute(f"delete from report_figures where report_id in ({CHANGED_REPORT_IDS})")
    numbers = f"select rowid from reports where id in ({CHANGED_REPORT_IDS})"
    outcome_cells = ("select p.report, o.word as outcome, p.count from application_outcomes_packed p "
                     f"join codes o on o.code = p.outcome where p.applicant_type = {_code('total')} "
                     f"and p.report in ({numbers})")
    review_cells = ("select p.report, pr.word as proceeding, rs.word as result, p.count from review_litigation_packed p "
                    "join codes pr on pr.code = p.proceeding join codes rs on rs.code = p.result "
                    f"where p.report in ({numbers})")
    figures = ", ".join(f"{sql} as {name}" for name, sql in FIGURES.items())
    review = ", ".join(f"{sql} as {name}" for name, sql in REVIEW.items())
    db.execute(f"""
        insert into report_figures
        select r.id, r.agency, r.year, r.province, r.template, r.doc_type,
          coalesce(o.new_received, {_metric('applications_received_total')}),
          {', '.join(f'o.{name}' for name in FIGURES)},
          round(1.0 * (coalesce(o.granted, 0) + coalesce(o.partially_granted, 0)) / nullif(o.results_total, 0), 3),
          {', '.join(f'rl.{name}' for name in REVIEW)},
          coalesce(rl.admin_review_total, {_metric('admin_review_total')}),
          coalesce(rl.litigation_total, {_metric('litigation_total')})
        from reports r
        left join (select report, {figures} from ({outcome_cells}) group by report) o on o.report = r.rowid
        left join (select report, {review} from ({review_cells}) group by report) rl on rl.report = r.rowid
        where r.id in ({CHANGED_REPORT_IDS})""")
    db.execute(f"insert into temp.changed_groups select year, province from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute("delete from outcome_totals where exists (select 1 from temp.changed_groups g "
               "where g.year is outcome_totals.year and g.province is outcome_totals.province)")
    # The groups first, each group's reports by the (year, province) index (left to itself, the
    # planner reads every report's cells before it looks at the group: seconds at 100,000 reports),
    # summed by group number and key codes, then named (sorting millions of texts takes seconds).
    db.execute("create temp table summary_groups as select distinct year, province from temp.changed_groups")
    reports = ("temp.summary_groups g cross join reports r indexed by idx_reports_year_province "
               "on r.year is g.year and r.province is g.province")
    db.execute(f"""
        insert into outcome_totals
        select g.year, g.province, o.word, a.word, x.reports, x.count
        from (select g.rowid as grp, p.outcome, p.applicant_type, count(*) as reports, sum(p.count) as count
              from {reports} join application_outcomes_packed p on p.report = r.rowid
              where g.year is not null
              group by g.rowid, p.outcome, p.applicant_type) x
        join temp.summary_groups g on g.rowid = x.grp
        join codes o on o.code = x.outcome join codes a on a.code = x.applicant_type""")
    db.execute("delete from refusal_totals where exists (select 1 from temp.changed_groups g "
               "where g.year is refusal_totals.year and g.province is refusal_totals.province)")
    total, table = _code("total"), _code("table")
    reasons = ("select code from codes c join labels l on l.key = c.word and l.kind = 'outcome' and l.template = 't2021' "
               "where l.parent in ('denied_total', 'unable_total', 'not_processed_total', 'other_total')")
    db.execute(f"""
        insert into refusal_totals
        select g.year, g.province, o.word, x.applications, x.reports, x.results_total
        from (select g.rowid as grp, p.outcome, sum(p.count) as applications, count(*) as reports,
                sum(t.count) as results_total
              from {reports}
              join application_outcomes_packed t on t.report = r.rowid and t.outcome = {_code('results_total')}
                and t.applicant_type = {total} and t.source = {table} and t.count is not null
              join application_outcomes_packed p on p.report = r.rowid and p.applicant_type = {total}
                and p.source = {table} and p.count is not null and p.outcome in ({reasons})
              group by g.rowid, p.outcome) x
        join temp.summary_groups g on g.rowid = x.grp
        join codes o on o.code = x.outcome""")
    db.execute("drop table temp.summary_groups")
