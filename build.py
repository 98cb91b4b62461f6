"""Build the OGI Reports database from a folder of reports.

    python build.py [--db data/ogi.db] [--jobs N] [--executor processes|dask] [--full] [PATH ...]

Every file under the given paths (default: reports/) becomes one row in
`reports` and its figures rows in the other tables (see SCHEMA.md). Parsing
is done by `parsers` (pure functions of each file's bytes), in parallel, on
local processes or on a Dask cluster; this script walks the files, sends them
out, and is the one writer of the database.

- A full build writes a new file and moves it into place only when finished.
- When the database exists and was built by the same parsers, the build is
  incremental: only files whose bytes (or id, or given metadata) changed are
  parsed again, deleted files lose their rows, and the result is the same as a
  full build. The update is one transaction: it is there whole or not at all.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import hashlib
import json
import os
import re
import sys
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from parsers import checks, data, rows, search
from parsers.batch import Job, issue, parse_chunk
from parsers.decode import format_of, sha256

ROOT = Path(__file__).resolve().parent

# Columns of every table, in display order, with their types.
TABLES = {
    "reports": {
        "columns": {"id": str, "title": str, "agency": str, "province": str, "city": str, "county": str,
                    "region_code": str, "year": int, "published_date": str, "doc_type": str, "template": str,
                    "source_path": str, "source_format": str, "source_sha256": str, "source_url": str, "pages": int,
                    "metadata_from": str, "text": str},
        "pk": "id", "foreign_keys": [],
        "indexes": [["year", "province"], ["template"], ["doc_type"], ["province"], ["agency"], ["region_code"]],
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
# What the last build saw of each file, for incremental rebuilds (hidden on the site).
BOOKKEEPING = {
    "build_files": {
        "columns": {"path": str, "size": int, "mtime_ns": int, "sha256": str, "report_id": str, "given": str,
                    "duplicate_of": str, "built": int},
        "pk": "path", "foreign_keys": [], "indexes": [],
    },
    "build_info": {"columns": {"key": str, "value": str}, "pk": "key", "foreign_keys": [], "indexes": []},
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


# --- what is there to build ------------------------------------------------------------

@dataclass(frozen=True)
class FileState:
    """What decides a file's rows. A file whose state is unchanged keeps its rows."""
    sha256: str
    report_id: str  # assigned id ("" when the file is not a report)
    given: str  # metadata from sidecars, as JSON ("" when none)
    duplicate_of: str  # the first file with the same bytes ("" when none)


@dataclass
class Plan:
    files: list[tuple[Path, str]]
    states: dict[str, FileState] = field(default_factory=dict)
    given: dict[str, tuple[dict, str]] = field(default_factory=dict)
    issues: dict[str, list[dict]] = field(default_factory=dict)  # found before parsing, by source_path
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)


def plan(files: list[tuple[Path, str]], known: dict[str, tuple[int, int, str]]) -> Plan:
    """Each file's state. `known` holds (size, mtime_ns, sha256) from the last build: a file
    with the same size and modification time is not read again (as git does)."""
    given, problems = load_given(files)
    reports = [(file, path) for file, path in files if not is_sidecar(path)]
    ids, id_issues = assign_ids(reports)
    result = Plan(files=files, given=given)
    for row in problems + id_issues:
        result.issues.setdefault(row["source_path"], []).append(row)
    first_with: dict[tuple, str] = {}
    for file, path in files:
        stat = file.stat()
        result.stats[path] = (stat.st_size, stat.st_mtime_ns)
        old = known.get(path)
        digest = old[2] if old and old[:2] == result.stats[path] else sha256(file.read_bytes())
        if is_sidecar(path) or format_of(path) is None:
            result.states[path] = FileState(digest, "", "", "")
            continue
        values, origin = given.get(path, ({}, ""))
        given_json = json.dumps([values, origin], ensure_ascii=False, sort_keys=True) if values else ""
        # The same bytes read the same way give the same report; an empty file is an error each time.
        duplicate_of = first_with.setdefault((digest, format_of(path)), path) if result.stats[path][0] else path
        result.states[path] = FileState(digest, ids[path], given_json, "" if duplicate_of == path else duplicate_of)
    return result


def parser_version() -> str:
    """A digest of the parsers' code and data: a change means every file is parsed again."""
    digest = hashlib.sha256()
    for file in sorted((ROOT / "parsers").rglob("*")):
        if file.is_file() and file.suffix in (".py", ".yml", ".json"):
            digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()[:16]


# --- running the parsers ----------------------------------------------------------------

class InlineExecutor:
    """--jobs 1: parse in this process (simplest to debug and profile)."""

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


@contextlib.contextmanager
def executor(kind: str, jobs: int, scheduler: str | None):
    """Something with submit(fn, arg) -> future: a process pool or a Dask client."""
    if kind == "dask":
        from dask.distributed import Client, LocalCluster

        cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                      dashboard_address=None)
        client = Client(scheduler or cluster)
        try:
            yield _DaskSubmitter(client)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif jobs == 1:
        yield InlineExecutor()
    else:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            yield pool


@dataclass
class _DaskSubmitter:
    client: object

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)  # not hashing the files' bytes


def parsed(pool, jobs: list[Job], workers: int, chunk: int = 32):
    """Rows for each job, in order, at most a few chunks in flight: memory stays flat."""
    in_flight: collections.deque = collections.deque()
    for start in range(0, len(jobs), chunk):
        # the bytes are read here, as late as possible, and kept only by the task
        batch = [_sendable(job) for job in jobs[start:start + chunk]]
        in_flight.append(pool.submit(parse_chunk, batch))
        del batch
        while len(in_flight) > 3 * workers:
            yield from in_flight.popleft().result()
    while in_flight:
        yield from in_flight.popleft().result()


def _sendable(job: Job) -> Job:
    return Job(job.path, job.report_id, job.file.read_bytes(), job.given, job.given_by, job.issues)


# --- writing ----------------------------------------------------------------------------

class Writer:
    """Rows into the database in large batches (executemany: 3x faster than insert_all here)."""

    # Rows holding a report's or a section's text are large: fewer of them to a batch.
    BATCH = {"reports": 200, "sections": 2000}

    def __init__(self, db: sqlite_utils.Database, batch: int = 20000):
        self.db, self.batch = db, batch
        self.buffers: dict[str, list[tuple]] = {name: [] for name in TABLES | BOOKKEEPING}
        self.columns = {name: list(spec["columns"]) for name, spec in (TABLES | BOOKKEEPING).items()}
        self.counts: collections.Counter = collections.Counter()

    def add(self, tables: dict[str, list[dict]]) -> None:
        for name, new_rows in tables.items():
            columns = self.columns[name]
            self.buffers[name].extend(tuple(row.get(c) for c in columns) for row in new_rows)
            self.counts[name] += len(new_rows)
            if len(self.buffers[name]) >= self.BATCH.get(name, self.batch):
                self.flush(name)

    def flush(self, *names: str) -> None:
        for name in names or list(self.buffers):
            if self.buffers[name]:
                columns = ", ".join(f"[{c}]" for c in self.columns[name])
                marks = ", ".join("?" for _ in self.columns[name])
                self.db.conn.executemany(f"insert into [{name}] ({columns}) values ({marks})", self.buffers[name])
                self.buffers[name].clear()


def create_tables(db: sqlite_utils.Database) -> None:
    for name, spec in (TABLES | BOOKKEEPING | DERIVED).items():
        db[name].create(spec["columns"], pk=spec["pk"], foreign_keys=spec["foreign_keys"])
    for name, columns in FTS.items():
        db.execute(f"create virtual table [{name}_fts] using fts5(document, content='', tokenize='unicode61')")


def create_indexes(db: sqlite_utils.Database) -> None:
    for name, spec in (TABLES | DERIVED).items():
        for columns in spec["indexes"]:
            db[name].create_index(columns, if_not_exists=True)


def _fts_rows(db, name: str, where: str, params: list, delete: bool = False) -> None:
    """Add (or take out) the bigram documents of some rows of `name` to its FTS index."""
    document = " || ' ' || ".join(f"coalesce([{c}], '')" for c in FTS[name])
    if delete:  # a contentless index is told the document it had
        db.execute(f"insert into [{name}_fts]([{name}_fts], rowid, document) "
                   f"select 'delete', rowid, bigram_document({document}) from [{name}] where {where}", params)
    else:
        db.execute(f"insert into [{name}_fts](rowid, document) "
                   f"select rowid, bigram_document({document}) from [{name}] where {where}", params)


def forget(db: sqlite_utils.Database, path: str, report_id: str | None) -> None:
    """Remove every row a file gave, before it is built again or because it is gone."""
    if report_id:
        _fts_rows(db, "sections", "report_id = ?", [report_id], delete=True)
        _fts_rows(db, "reports", "id = ?", [report_id], delete=True)
        for name in ("metrics", "application_outcomes", "review_litigation", "checks", "sections"):
            db.execute(f"delete from [{name}] where report_id = ?", [report_id])
        db.execute("delete from report_figures where report_id = ?", [report_id])
        db.execute("delete from reports where id = ?", [report_id])
    db.execute("delete from build_issues where source_path = ?", [path])
    db.execute("delete from build_files where path = ?", [path])


def cross_year_checks(db: sqlite_utils.Database, agencies: set[str] | None = None) -> list[dict]:
    """R6 for every report, or for the reports of some agencies: it needs the agency's report
    of the year before, which may not have changed."""
    db.execute("create temp table if not exists checked_agencies (agency text primary key)")
    db.execute("delete from temp.checked_agencies")
    if agencies is None:
        db.execute("insert into temp.checked_agencies select distinct agency from reports where agency is not null")
    else:
        db.conn.executemany("insert or ignore into temp.checked_agencies values (?)", [(a,) for a in agencies if a])
    mine = "select id from reports where agency in (select agency from temp.checked_agencies)"
    if agencies is not None:
        db.execute(f"delete from checks where [check] = 'cross_year' and report_id in ({mine})")
    reports = [dict(zip(("id", "agency", "year", "doc_type"), r)) for r in db.execute(
        "select id, agency, year, doc_type from reports "
        "where agency in (select agency from temp.checked_agencies) and year is not null")]
    outcomes = [dict(zip(("report_id", "outcome", "applicant_type", "count"), r)) for r in db.execute(
        "select report_id, outcome, applicant_type, count from application_outcomes "
        f"where outcome in ('carried_over_from_prev_year', 'carried_forward_to_next_year') and report_id in ({mine})")]
    return checks.cross_year(reports, outcomes)


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
    "values": "select (select count(*) from metrics) + (select count(*) from application_outcomes)"
              " + (select count(*) from review_litigation)",
    "failed_checks": "select count(*) from checks where passed = 0",
}


def record_counts(db: sqlite_utils.Database) -> None:
    for key, sql in COUNTS.items():
        db.execute("insert or replace into build_info (key, value) values (?, ?)", [key, db.execute(sql).fetchone()[0]])


def read_known(db_path: Path, version: str) -> dict[str, tuple] | None:
    """The last build's file states, or None when a full build is needed."""
    if not db_path.exists():
        return None
    try:
        db = sqlite_utils.Database(db_path)
        if "build_files" not in db.table_names() or "build_info" not in db.table_names():
            return None
        info = dict(db.execute("select key, value from build_info").fetchall())
        if info.get("parser_version") != version:
            return None
        return {row[0]: row[1:] for row in db.execute(
            "select path, size, mtime_ns, sha256, report_id, given, duplicate_of, built from build_files")}
    except Exception:  # not a database of ours: build it anew
        return None
    finally:
        with contextlib.suppress(Exception):
            db.close()


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
    "report_figures": {
        "columns": {"report_id": str, "agency": str, "year": int, "province": str, "template": str, "doc_type": str,
                    "applications_received": float, **{name: int for name in FIGURES}, "disclosure_rate": float,
                    **{name: int for name in REVIEW}, "admin_reviews": float, "lawsuits": float},
        "pk": "report_id", "foreign_keys": [("report_id", "reports", "id")],
        "indexes": [["year", "agency"], ["agency"], ["province"], ["disclosure_rate", "results_total"], ["doc_type", "year"]],
    },
    "outcome_totals": {
        "columns": {"year": int, "province": str, "outcome": str, "applicant_type": str, "reports": int, "count": int},
        "pk": ("year", "province", "outcome", "applicant_type"), "foreign_keys": [],
        "indexes": [["applicant_type", "outcome"], ["outcome", "applicant_type"]],
    },
}


def _metric(name: str) -> str:
    """A prose or older-table figure, for reports without table 三 or 四."""
    return (f"(select value from metrics m where m.report_id = r.id and m.metric = '{name}' "
            "order by m.source = 'table' desc limit 1)")


def summarise(db: sqlite_utils.Database, changed: set[str] | None = None,
              old_groups: list[tuple] = ()) -> None:
    """Fill report_figures and outcome_totals: all of them (changed None), or those of the
    changed reports and of the (year, province) groups they were in (old_groups) or are in now."""
    db.execute("create temp table if not exists summarised (id text primary key)")
    db.execute("delete from temp.summarised")
    if changed is None:
        db.execute("insert into temp.summarised select id from reports")
    else:
        db.conn.executemany("insert into temp.summarised values (?)", [(i,) for i in changed])
    db.execute("delete from report_figures where report_id in (select id from temp.summarised)")
    mine = "report_id in (select id from temp.summarised)"
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
        left join (select report_id, {figures} from application_outcomes
                   where applicant_type = 'total' and {mine} group by report_id) o on o.report_id = r.id
        left join (select report_id, {review} from review_litigation where {mine} group by report_id) rl
          on rl.report_id = r.id
        where r.id in (select id from temp.summarised)""")
    if changed is not None:
        db.execute("create temp table if not exists regrouped (year integer, province text)")
        db.execute("delete from temp.regrouped")
        db.conn.executemany("insert into temp.regrouped values (?, ?)", list(old_groups))
        db.execute("insert into temp.regrouped select year, province from reports where id in (select id from temp.summarised)")
        in_group = "exists (select 1 from temp.regrouped g where g.year is {t}.year and g.province is {t}.province)"
        db.execute("delete from outcome_totals where " + in_group.format(t="outcome_totals"))
    regroup = "" if changed is None else (
        "join (select distinct year, province from temp.regrouped) g on g.year = r.year and g.province is r.province")
    db.execute(f"""
        insert into outcome_totals
        select r.year, r.province, o.outcome, o.applicant_type, count(*), sum(o.count)
        from reports r {regroup} join application_outcomes o on o.report_id = r.id
        where r.year is not null
        group by r.year, r.province, o.outcome, o.applicant_type""")


# --- the build ----------------------------------------------------------------------------

@dataclass
class Result:
    mode: str  # full or incremental
    parsed: int
    removed: int
    unchanged: int
    reports: int


class NothingBuilt(Exception):
    """No file could be read: the previous database is left as it was."""


def build(paths: list[Path], db_path: Path, jobs: int = 1, kind: str = "processes", scheduler: str | None = None,
          full: bool = False, progress: bool = False) -> Result:
    files = find_files(paths)
    version = parser_version()
    known = None if full else read_known(db_path, version)
    stats_known = {path: (row[0], row[1], row[2]) for path, row in (known or {}).items()}
    the_plan = plan(files, stats_known)
    old_state = {path: (FileState(row[2], row[3] or "", row[4] or "", row[5] or ""), row[3] if row[6] else None)
                 for path, row in (known or {}).items()}
    todo = [(file, path) for file, path in files if old_state.get(path, (None,))[0] != the_plan.states[path]]
    removed = [path for path in old_state if path not in the_plan.states]

    if known is None:
        target = db_path.with_name(db_path.name + ".building")
        target.unlink(missing_ok=True)
    else:
        target = db_path
    db = sqlite_utils.Database(target)
    db.conn.create_function("bigram_document", 1, search.bigram_document, deterministic=True)
    if known is None:
        db.conn.execute("PRAGMA journal_mode = OFF")  # a new file: nothing to roll back to
        db.conn.execute("PRAGMA synchronous = OFF")
    writer = Writer(db)
    try:
        db.conn.execute("begin")
        if known is None:
            create_tables(db)
        gone = [path for path in removed + [path for _, path in todo if path in old_state]]
        gone_ids = [old_state[path][1] for path in gone if old_state[path][1]]
        old_rows = [tuple(row) for start in range(0, len(gone_ids), 500) for row in db.execute(
            "select year, province, agency from reports "
            f"where id in ({', '.join('?' for _ in gone_ids[start:start + 500])})", gone_ids[start:start + 500])]
        old_groups = [(year, province) for year, province, _ in old_rows]
        for path in gone:
            forget(db, path, old_state[path][1])
        if known is None:
            db.execute("delete from checks where [check] = 'cross_year'")
        _write_files(writer, the_plan, todo, jobs, kind, scheduler, progress)
        writer.flush()
        if known is None:
            writer.add({"labels": data.official_labels()})
            writer.flush()
            create_indexes(db)
            for name in FTS:
                _fts_rows(db, name, "1", [])
        else:
            built = [the_plan.states[path].report_id for _, path in todo]
            for start in range(0, len(built), 500):
                some = built[start:start + 500]
                marks = ", ".join("?" for _ in some)
                _fts_rows(db, "sections", f"report_id in ({marks})", some)
                _fts_rows(db, "reports", f"id in ({marks})", some)
        if known is None:
            writer.add({"checks": cross_year_checks(db)})
            writer.flush()
            summarise(db)
        else:
            rebuilt = {the_plan.states[path].report_id for _, path in todo if the_plan.states[path].report_id}
            agencies = {agency for _, _, agency in old_rows} | {agency for (agency,) in db.execute(
                f"select agency from reports where id in ({', '.join('?' for _ in rebuilt)})", list(rebuilt))}
            writer.add({"checks": cross_year_checks(db, agencies)})
            writer.flush()
            summarise(db, rebuilt | set(gone_ids), old_groups)
        renumber_issues(db)
        db.execute("insert or replace into build_info (key, value) values ('parser_version', ?)", [version])
        record_counts(db)
        reports = db.execute("select count(*) from reports").fetchone()[0]
        if reports == 0:
            raise NothingBuilt()
        db.conn.commit()
        if known is None:
            db.execute("PRAGMA analysis_limit = 1000")  # statistics from a sample: seconds, not minutes
            db.analyze()
    except BaseException:
        with contextlib.suppress(Exception):
            db.conn.rollback()
        db.close()
        if known is None:
            target.unlink(missing_ok=True)
        raise
    db.close()
    if known is None:
        os.replace(target, db_path)
    return Result("full" if known is None else "incremental", len(todo), len(removed), len(files) - len(todo), reports)


def _write_files(writer: Writer, the_plan: Plan, todo: list[tuple[Path, str]], jobs: int, kind: str,
                 scheduler: str | None, progress: bool) -> None:
    """Parse what needs parsing, on the executor, and write every file's rows as they come back."""
    from tqdm import tqdm

    work: list[Job] = []
    for file, path in todo:
        state = the_plan.states[path]
        size, mtime_ns = the_plan.stats[path]
        book = {"path": path, "size": size, "mtime_ns": mtime_ns, "sha256": state.sha256,
                "report_id": state.report_id or None, "given": state.given or None,
                "duplicate_of": state.duplicate_of or None, "built": 0}
        issues = the_plan.issues.get(path, [])
        if is_sidecar(path):
            writer.add({"build_files": [book], "build_issues": issues})
        elif format_of(path) is None:
            writer.add({"build_files": [book], "build_issues": issues + [
                issue(path, None, "warning", "not a report format this build reads; skipped")]})
        elif state.duplicate_of:
            writer.add({"build_files": [book], "build_issues": issues + [
                issue(path, None, "warning", f"the same file as {state.duplicate_of}; skipped")]})
        else:
            values, origin = the_plan.given.get(path, ({}, ""))
            job = Job(path, state.report_id, b"", values, origin, issues)
            job.file, job.book = file, book
            work.append(job)
    with executor(kind, jobs, scheduler) as pool, \
            tqdm(total=len(work), unit="file", disable=not progress, smoothing=0.05) as bar:
        for job, tables in zip(work, parsed(pool, work, jobs)):
            job.book["built"] = int(bool(tables.get("reports")))
            writer.add({"build_files": [job.book], **tables})
            bar.update()


def summary(db_path: Path, result: Result) -> str:
    db = sqlite_utils.Database(db_path)
    count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
    lines = [f"{count('select count(*) from reports')} reports "
             f"({result.mode} build: {result.parsed} files parsed, {result.unchanged} unchanged, "
             f"{result.removed} removed)"]
    lines += [f"  {n:5d}  {doc_type} / {template}" for doc_type, template, n in db.execute(
        "select doc_type, template, count(*) from reports group by 1, 2 order by 1, 2")]
    lines.append(f"{count('select count(*) from metrics')} metrics, "
                 f"{count('select count(*) from application_outcomes')} application outcome cells, "
                 f"{count('select count(*) from review_litigation')} review/litigation cells")
    lines.append(f"{count('select count(*) from checks')} checks, {count('select count(*) from checks where not passed')} failed")
    errors = [m for (m,) in db.execute("select message from build_issues where severity = 'error' order by id")]
    warnings = count("select count(*) from build_issues where severity = 'warning'")
    lines.append(f"{count('select count(*) from build_issues')} build issues ({len(errors)} errors, {warnings} warnings)")
    lines += [f"  error: {m}" for m in errors[:20]] + ([f"  … and {len(errors) - 20} more"] if len(errors) > 20 else [])
    db.close()
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("reports")],
                        help="files or folders of reports (default: reports/)")
    parser.add_argument("--db", type=Path, default=Path("data/ogi.db"), help="database to write (default: data/ogi.db)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="parsers running at once (default: all cores; 1 parses in this process)")
    parser.add_argument("--executor", choices=["processes", "dask"], default="processes",
                        help="where files are parsed: local processes, or a Dask cluster")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786); "
                                            "without it --executor dask starts a local cluster of --jobs workers")
    parser.add_argument("--full", action="store_true", help="parse every file again, not only changed ones")
    parser.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                        help="progress bar (auto: when writing to a terminal)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if not find_files(args.paths):
        parser.error(f"no files under {', '.join(map(str, args.paths))}")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    progress = sys.stderr.isatty() if args.progress == "auto" else args.progress == "on"
    try:
        result = build(args.paths, args.db, args.jobs, args.executor, args.scheduler, args.full, progress)
    except NothingBuilt:
        print(f"no report could be read from {', '.join(map(str, args.paths))}; {args.db} was left as it was",
              file=sys.stderr)
        return 1
    print(summary(args.db, result))
    print(f"wrote {args.db}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
