"""Step 5: a parsed report to the rows of each table in SCHEMA.md.

Ids are derived from the report id and the order of things in the report,
so the same file gives the same ids on every rebuild and a value can be
cited by its id.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right

from .model import Cell, ParsedReport, Section


def report_id(path: str) -> str:
    """A stable, URL-friendly key from a file's path under the corpus folder.

    reports/2021/芙蓉区.txt -> 2021--芙蓉区 (the extension is dropped; build.py
    keeps it where two files would otherwise share an id).
    """
    stem = re.sub(r"\.[^./]+$", "", path)
    return re.sub(r"[/\\]+", "--", stem).strip("-")


def rows(rid: str, report: ParsedReport) -> dict[str, list[dict]]:
    source, meta = report.source, report.metadata
    section_ids = {s.ordinal: f"{rid}/s{s.ordinal}" for s in report.sections}
    locate = _section_finder(report.sections, section_ids)
    metric_ids = [f"{rid}/m{n + 1}" for n in range(len(report.metrics))]
    page = _page_finder(source.page_starts)

    def value(cell: Cell, name: str) -> dict:
        return {name: cell.value, "value_raw": cell.value_raw, "start": cell.start, "end": cell.end,
                "page": page(cell.start), "inferred": int(cell.inferred)}

    return {
        "reports": [{
            "id": rid, "title": meta.title, "agency": meta.agency, "province": meta.province,
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
        "checks": [{
            "report_id": rid, "check": c.check, "scope": c.scope, "expected": c.expected, "actual": c.actual,
            "passed": int(c.passed), "detail": c.detail,
        } for c in report.checks],
        "build_issues": [{
            "source_path": source.path, "report_id": rid, "severity": i.severity, "message": i.message,
        } for i in report.issues],
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
        for s in reversed(ordered[: bisect_right(starts, position)]):
            if s.start <= position < s.end:
                return ids[s.ordinal]
        return None

    return locate
