"""The tables: their columns, keys and indexes, the derived tables' sums, and the packed storage
behind the views of the value tables (what each column is kept as, the views' SQL, the compiled
packing and numbering)."""

from __future__ import annotations

import functools


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
