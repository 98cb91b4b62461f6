"""Rows: a parsed report in the tables' terms (the contract's columns), its issues and checks."""

from __future__ import annotations

import json
import re
from bisect import bisect_right


from parsers import audit, search
from parsers.batch import Parsed
from parsers.model import Cell, Check, ParsedReport, Section
from parsers.textutil import fold


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
