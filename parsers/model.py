"""Plain data passed between the parsing steps.

Every value that comes from a report carries `start`/`end`: character offsets
(code points, end exclusive) into the report's text, so that
`text[start:end]` is the value exactly as the report wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Source:
    """A report's text, and where it came from."""

    path: str  # path under the corpus folder, with forward slashes
    format: str  # txt, html, pdf, docx, md
    sha256: str
    text: str
    source_url: str | None = None
    page_starts: list[int] | None = None  # PDF: offset in text where each page starts


@dataclass
class Version:
    """One version of a report's bytes as a harvester saw it at its address (a sidecar's `versions`)."""

    version: int
    sha256: str
    fetched_at: str | None = None
    source_url: str | None = None


@dataclass
class Section:
    ordinal: int
    level: int  # 1 for 一、, 2 for （一）, 3 for 1.
    number: str  # as written: 三, （一）, 1.
    heading: str
    start: int
    end: int
    key: str | None = None  # template section key (overview, requests...)
    parent: int | None = None  # ordinal of the enclosing section


@dataclass
class Cell:
    """One value printed in a table, or one figure stated in prose."""

    value: float | None  # None for blank cells and dashes
    value_raw: str
    start: int
    end: int
    inferred: bool = False  # cut out of digits printed with no separator, by the table's arithmetic


@dataclass
class Metric:
    metric: str  # canonical key
    label: str  # the report's own words for it
    cell: Cell
    unit: str | None
    source: str  # "table" or "text"
    approximate: bool = False  # 余, 多, 近, 约: the report gives a bound, not a count
    part_of: int | None = None  # index of the metric this one breaks down (其中…)
    other_year: bool = False  # stated for another year (比2022年(31起)下降): never this year's figure


@dataclass
class Outcome:
    outcome: str  # table 三 row key
    applicant_type: str  # table 三 column key
    cell: Cell
    source: str = "table"  # or "text": stated in the report's prose


@dataclass
class ReviewLitigation:
    proceeding: str  # admin_review, litigation_direct, litigation_after_review, litigation
    result: str  # upheld, corrected, other, pending, total
    cell: Cell
    source: str = "table"  # or "text": stated in the report's prose


@dataclass
class Check:
    check: str
    scope: str
    expected: float | None
    actual: float | None
    passed: bool
    detail: str


@dataclass
class Audit:
    """How a report measures up to one thing evaluators check (parsers/audit.py)."""

    indicator: str  # on_time, complete, consistent, cross_year, text_matches_tables, original, unchanged, clean_source
    status: str  # pass, fail, uncertain, not_assessable
    value: float | None  # the measured figure: days late, share repeated, cells read…
    detail: str  # one sentence, in Chinese, saying why
    rule: str  # the legal or format source
    start: int | None = None  # the evidence in the report's text, where there is one
    end: int | None = None


@dataclass
class Fingerprint:
    """A report's prose as sentences, for telling what it repeats: the sentences' 32-bit hashes
    (sorted, unique) and the keys of its MinHash's LSH bands."""

    sentences: list[int]
    bands: list[int]


@dataclass
class Issue:
    severity: str  # error or warning
    message: str


@dataclass
class Metadata:
    title: str | None = None
    title_span: tuple[int, int] | None = None
    agency: str | None = None
    agency_key: str | None = None  # one identity across years and name forms (parsers/agencies.py)
    province: str | None = None
    city: str | None = None
    county: str | None = None
    region_code: str | None = None
    year: int | None = None
    year_guess: str | None = None  # how the year was guessed when the title and statistics period name none
    published_date: str | None = None
    doc_type: str = "other"
    body_start: int = 0  # where the report proper starts (after any cover letter)


@dataclass
class Reading:
    """How much of a report's statistics was read (SCHEMA.md: reports.reading)."""

    reading: str  # complete, partial, no_table, prose_only, not_applicable
    cells_read: int | None
    cells_expected: int | None
    issues: list[Issue] = field(default_factory=list)


@dataclass
class ParsedReport:
    """Everything the parsers found in one file. No database, no ids."""

    source: Source
    metadata: Metadata = field(default_factory=Metadata)
    template: str = "narrative"
    sections: list[Section] = field(default_factory=list)
    metrics: list[Metric] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    review_litigation: list[ReviewLitigation] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    given: dict[str, str] = field(default_factory=dict)  # metadata field -> where it came from, when not the text
    reading: Reading | None = None  # how much of its statistics was read (parsers/reading.py)
    versions: list[Version] = field(default_factory=list)  # as published over time, where a harvest saw them
    audits: list[Audit] = field(default_factory=list)  # what can be judged from this report alone
    fingerprint: Fingerprint | None = None  # its prose, for the corpus-wide `original` audit
