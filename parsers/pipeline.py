"""The parsing steps in order, for one file: `parse_report(path, bytes)`.

    read file -> text with offsets -> document (metadata, sections)
              -> tables and figures -> checks
"""

from __future__ import annotations

import math
import re

from . import agencies, audit, checks, decode, document, figures, harmonise, readers, reading, tables
from .model import Issue, ParsedReport, Source, Version
from .textutil import fold

# Metadata a file's own page (HTML meta tags) or a sidecar may supply.
GIVEN_FIELDS = ("source_url", "agency", "year", "title", "published_date")
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the regulations date from 2007; anything outside is not a report year
LARGEST = 2 ** 63 - 1  # SQLite's integers


def is_web_address(value) -> bool:
    """Only http(s) addresses become links (never javascript:, data:, file:)."""
    return isinstance(value, str) and bool(re.match(r"https?://[^\s<>\"']+$", value.strip(), re.I))


def keep_in_range(report: ParsedReport) -> list[Issue]:
    """A number too large for a count (a 20-digit run, a typo) is kept as written, its value
    NULL, with a warning: never an overflow, never a rounded guess."""
    issues = []
    cells = ([m.cell for m in report.metrics] + [o.cell for o in report.outcomes]
             + [r.cell for r in report.review_litigation])
    for cell in cells:
        if cell.value is not None and not (-LARGEST <= cell.value <= LARGEST and math.isfinite(cell.value)):
            issues.append(Issue("warning", f"the number {cell.value_raw[:40]!r} is too large to be a count; "
                                           "it is stored as written, with no value"))
            cell.value = None
    return issues


def parse_report(path: str, data: bytes, given: dict | None = None, given_by: str = "sidecar") -> ParsedReport:
    """Everything we can read from one file. Raises decode.UnreadableFile when there is no text.

    `given` holds metadata from outside the file (a NAME.meta.json sidecar or
    reports/manifest.csv, named by `given_by`); it fills what the report does not say.
    """
    fmt = decode.format_of(path)
    if fmt is None:
        raise decode.UnreadableFile(f"files ending in {path[path.rfind('.'):] if '.' in path else '(no ending)'} are not reports this build reads")
    extracted = readers.read(fmt, data)
    text = extracted.text
    report = ParsedReport(Source(path=path, format=fmt, sha256=decode.sha256(data), text=text,
                                 page_starts=extracted.page_starts))
    report.issues += extracted.issues
    report.metadata, issues = document.analyse(text, path)
    report.issues += issues
    meta = report.metadata
    report.issues += fill_metadata(report, extracted.hints, "page")
    report.issues += fill_metadata(report, given or {}, given_by)
    report.versions, issues = versions_given((given or {}).get("versions"), report.source.sha256, given_by)
    report.issues += issues
    if report.given:
        document.complete(meta)  # doc type and region from a title or agency given from outside
    if meta.year_guess:
        report.issues.append(Issue("warning", meta.year_guess))
    meta.agency_key = agencies.agency_key(meta.agency, meta.region_code)
    found = tables.extract(text, meta.year, meta.body_start)
    report.template = found.template
    if meta.title is None and found.template != "narrative":
        meta.doc_type = "annual_report"  # an excerpt without its title, but with the report's own tables
    if report.template == "narrative" and meta.doc_type == "annual_report":
        report.template = document.cited_template(text, meta.year) or "narrative"
    report.issues += found.issues
    table_spans = [(r.start, r.end) for r in found.read_regions().values()]
    end = document.body_end(text)
    report.sections = document.find_sections(text, meta.body_start, end, table_spans)
    spans = prose_spans(text, meta.body_start, end, table_spans)
    prose = figures.extract(text, spans, meta.year)
    for metric in prose:  # part_of indexes the prose list; the table's metrics come first
        if metric.part_of is not None:
            metric.part_of += len(found.metrics)
    report.metrics = found.metrics + prose
    outcomes, review, issues = harmonise.comparable_core(report.metrics, found.outcomes, found.review_litigation,
                                                            report.template)
    report.issues += issues
    report.outcomes = found.outcomes + outcomes
    report.review_litigation = found.review_litigation + review
    report.issues += keep_in_range(report)
    report.checks = checks.run(report)
    report.reading = reading.assess(report, found)
    report.issues += report.reading.issues
    report.audits = audit.assess(report, extracted.hints.get("published_date"), (given or {}).get("published_date"))
    if meta.doc_type == "annual_report":
        report.fingerprint = audit.fingerprint(audit.sentences(text, spans, report.sections))
    return report


SHA256 = re.compile(r"[0-9a-f]{64}")


# What given metadata may hold: text fields, a year, and the harvester's lists (versions, also_at).
GIVEN_TEXT = {"source_url", "agency", "title", "published_date", "list_url", "index_number", "fetched_at", "sha256",
              "etag", "last_modified", "column_url", "column_agency", "column_region_code"}
MAX_GIVEN_TEXT = 2000


def _fits(value, depth: int = 0) -> bool:
    """JSON of plain values: short text that is real Unicode (no lone surrogate), numbers, and
    lists or objects of them two levels deep at most."""
    if isinstance(value, str):
        return len(value) <= MAX_GIVEN_TEXT and not any("\ud800" <= c <= "\udfff" for c in value)
    if value is None or isinstance(value, (bool, int, float)):
        return True
    if isinstance(value, (list, dict)) and depth < 2 and len(value) <= 1000:
        items = value.values() if isinstance(value, dict) else value
        return all(isinstance(k, str) for k in (value if isinstance(value, dict) else [])) and \
            all(_fits(v, depth + 1) for v in items)
    return False


def checked_given(values: dict) -> tuple[dict, list[str]]:
    """Metadata from a sidecar or manifest row, each field checked (type, length, Unicode,
    nesting); what does not fit is left out and said, and the report still builds."""
    kept, dropped = {}, []
    for name, value in values.items():
        if not isinstance(name, str) or not _fits(name):
            dropped.append("a field name that is not text was ignored")
        elif name in GIVEN_TEXT and not (isinstance(value, str) and _fits(value)):
            dropped.append(f"{name} is not text (at most {MAX_GIVEN_TEXT} characters of valid Unicode); ignored")
        elif name == "year" and not (type(value) is int or isinstance(value, str) and value.strip().isdigit()):
            dropped.append(f"year {str(value)[:40]!r} is not a year; ignored")
        elif not _fits(value):
            dropped.append(f"{name} holds more than plain values; ignored")
        else:
            kept[name] = value
    return kept, dropped


def versions_given(values, sha256: str, origin: str) -> tuple[list[Version], list[Issue]]:
    """The versions a harvester recorded (its sidecar's `versions`), checked: a version number, a
    SHA-256, when fetched, from where. What does not fit is left out, with one warning."""
    if values in (None, []):
        return [], []
    versions, bad = [], 0
    for value in values if isinstance(values, list) else [values]:
        ok = (isinstance(value, dict) and type(value.get("version")) is int and 0 < value["version"] < 100_000
              and isinstance(value.get("sha256"), str) and SHA256.fullmatch(value["sha256"]))
        fetched, url = (value.get("fetched_at"), value.get("source_url")) if ok else (None, None)
        if ok and (fetched is None or isinstance(fetched, str) and len(fetched) <= 40) and (
                url is None or isinstance(url, str) and is_web_address(url)):
            versions.append(Version(value["version"], value["sha256"], fetched, url))
        else:
            bad += 1
    issues = [Issue("warning", f"{origin} lists {bad} version(s) without a version number, a SHA-256, a date of at "
                               "most 40 characters or an http(s) address; they were left out")] if bad else []
    unique = {v.version: v for v in versions}
    versions = sorted(unique.values(), key=lambda v: v.version)
    if versions and versions[-1].sha256 != sha256:
        issues.append(Issue("warning", f"{origin}'s latest version (v{versions[-1].version}) is not this file's bytes; "
                                       "the file was changed after it was harvested"))
    return versions, issues


def fill_metadata(report: ParsedReport, values: dict, origin: str) -> list[Issue]:
    """Fill what the report's text did not say from `values`, noting where each came from.
    Where both say something different, the text wins and the difference is reported."""
    issues = []
    for name in GIVEN_FIELDS:
        value = values.get(name)
        if value in (None, ""):
            continue
        if name == "year":
            try:
                value = int(value)
            except (TypeError, ValueError, OverflowError):
                value = None
            if value is None or not FIRST_YEAR <= value <= LAST_YEAR:
                issues.append(Issue("warning", f"{origin} gives year {values.get(name)!r}, which is not a year "
                                               "a report can cover; ignored"))
                continue
        if name == "source_url" and not is_web_address(value):
            issues.append(Issue("warning", f"{origin} gives source_url {str(value)[:80]!r}, which is not an http(s) "
                                           "address; ignored"))
            continue
        holder = report.source if name == "source_url" else report.metadata
        current = getattr(holder, name)
        guessed = name == "year" and report.metadata.year_guess and origin != "page"
        if guessed:  # a stated year beats one guessed from the file name or the text
            report.metadata.year_guess = None
        if current in (None, "") or guessed:
            setattr(holder, name, value)
            report.given[name] = origin
        elif current != value and origin != "page":
            issues.append(Issue("warning", f"{origin} gives {name} {value!r} but the report says {current!r}; "
                                           "the report's own value is kept"))
    return issues


def prose_spans(text: str, start: int, end: int, tables: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The report's running text: its body, less tables and page furniture."""
    folded = fold(text)
    cuts = sorted(tables + [(ln.start, ln.end) for ln in document.lines(text, start, end)
                            if document.is_folded_noise(folded[ln.start:ln.end])])
    spans, position = [], start
    for s, e in cuts:
        if s > position:
            spans.append((position, min(s, end)))
        position = max(position, e)
    if position < end:
        spans.append((position, end))
    return [(s, e) for s, e in spans if e > s]
