"""Parsers: one report file's bytes in, plain data out.

    read file -> text with offsets -> document (metadata, sections)
              -> tables and figures -> checks

`parse_report` is a pure function of a file's path and bytes: no database,
no shared state, so files can be parsed in any order or in parallel.
"""

from __future__ import annotations

from . import checks, decode, document, figures, harmonise, tables
from .model import Issue, ParsedReport, Source


def parse_report(path: str, data: bytes) -> ParsedReport:
    """Everything we can read from one file. Raises decode.UnreadableFile when there is no text."""
    fmt = decode.format_of(path)
    if fmt is None:
        raise decode.UnreadableFile(f"files ending in {path[path.rfind('.'):] if '.' in path else '(no ending)'} are not reports this build reads")
    if fmt not in decode.TEXT_FORMATS:
        raise decode.UnreadableFile(f"{fmt.upper()} files cannot be read yet (only text and Markdown)")
    decoded = decode.decode_text(data)
    report = ParsedReport(Source(path=path, format=fmt, sha256=decode.sha256(data), text=decoded.text))
    if decoded.replaced:
        report.issues.append(Issue("warning", f"{decoded.replaced} characters could not be decoded from "
                                              f"{decoded.encoding} and were replaced with U+FFFD"))
    text = decoded.text
    report.metadata, issues = document.analyse(text, path)
    report.issues += issues
    meta = report.metadata
    found = tables.extract(text, meta.year, meta.body_start)
    report.template = found.template
    if meta.title is None and found.template != "narrative":
        meta.doc_type = "annual_report"  # an excerpt without its title, but with the report's own tables
    report.issues += found.issues
    table_spans = [(r.start, r.end) for r in found.regions.values()] if found.template != "narrative" else []
    end = document.body_end(text)
    report.sections = document.find_sections(text, meta.body_start, end, table_spans)
    prose = figures.extract(text, prose_spans(text, meta.body_start, end, table_spans))
    for metric in prose:  # part_of indexes the prose list; the table's metrics come first
        if metric.part_of is not None:
            metric.part_of += len(found.metrics)
    report.metrics = found.metrics + prose
    outcomes, review = harmonise.comparable_core(report.metrics, found.outcomes, found.review_litigation)
    report.outcomes = found.outcomes + outcomes
    report.review_litigation = found.review_litigation + review
    report.checks = checks.run(report)
    return report


def prose_spans(text: str, start: int, end: int, tables: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The report's running text: its body, less tables and page furniture."""
    cuts = sorted(tables + [(ln.start, ln.end) for ln in document.lines(text, start, end) if document.is_noise(ln.text)])
    spans, position = [], start
    for s, e in cuts:
        if s > position:
            spans.append((position, min(s, end)))
        position = max(position, e)
    if position < end:
        spans.append((position, end))
    return [(s, e) for s, e in spans if e > s]
