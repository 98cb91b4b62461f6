"""How each report measures up to what evaluators check by hand: on time, complete, consistent,
its prose and tables agreeing, original, unchanged, from a clean copy. The rules are data
(parsers/data/audit.yml); every audit says why in one sentence and points at its evidence.

What one report shows is judged here (`assess`); what needs other reports (`cross_year`, and
`original`, which compares a report with the same agency's year before and, through MinHash
LSH bands, with every other report) is judged when the build has them all (`original`,
`cross_year`), from the report's `fingerprint`.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
import struct

from . import agencies, data, document
from .model import Audit, Fingerprint, ParsedReport, Section

PASS, FAIL, UNCERTAIN, NOT_ASSESSABLE = "pass", "fail", "uncertain", "not_assessable"


@functools.cache
def rules() -> dict:
    return data.load("audit")


def _rule(name: str) -> str:
    return rules()["rules"][name]


def _applies(rows: list[dict], year: int, **match) -> dict | None:
    return next((r for r in rows if r["first_year"] <= year <= r["last_year"]
                 and all(r.get(k) in (v, "any", None) for k, v in match.items())), None)


def assess(report: ParsedReport, page_date: str | None, given_date: str | None) -> list[Audit]:
    """The audits one report shows by itself. `page_date` is the publication date the page
    gave (its PubDate), `given_date` the one a sidecar or manifest gave (a harvest's listing)."""
    if report.metadata.doc_type != "annual_report":
        return []
    return [on_time(report, page_date, given_date), complete(report), consistent(report),
            text_matches_tables(report), unchanged(report), clean_source(report)]


# --- on time -----------------------------------------------------------------------------------

def agency_kind(report: ParsedReport) -> str | None:
    """department or government (None when the report names no agency)."""
    meta = report.metadata
    if not meta.agency:
        return None
    governs = agencies.level(meta.agency, meta.region_code) != "department"
    return "government" if governs or meta.agency.endswith(tuple(rules()["government_suffixes"])) else "department"


def deadline(year: int, kind: str | None) -> tuple[datetime.date, str] | None:
    found = _applies(rules()["deadlines"], year, kind=kind or "unknown")
    if found is None:
        return None
    return datetime.date(year + 1, found["month"], found["day"]), _rule(found["rule"])


def _iso(value) -> str | None:
    """A date as YYYY-MM-DD, or None when it is not a real one (2024-13-45, a number, nothing)."""
    try:
        return datetime.date.fromisoformat(value[:10]).isoformat() if isinstance(value, str) else None
    except ValueError:
        return None


def on_time(report: ParsedReport, page_date: str | None, given_date: str | None) -> Audit:
    meta, text = report.metadata, report.source.text
    signed = _iso(meta.published_date) if "published_date" not in report.given else None
    published = _iso(page_date) or _iso(given_date)
    rule = _rule("regulation")
    if meta.year is None:
        return Audit("on_time", NOT_ASSESSABLE, None, "报告年度不明，无法确定发布期限。", rule)
    kind = agency_kind(report)
    limits = [deadline(meta.year, k) for k in ([kind] if kind else ["department", "government"])]
    if None in limits:
        return Audit("on_time", NOT_ASSESSABLE, None, f"没有{meta.year}年度报告的发布期限规则。", rule)
    earliest, latest = min(limits)[0], max(limits)[0]
    rule = limits[0][1]
    who = {None: "", "department": "政府部门", "government": "人民政府"}[kind]
    if published:
        when = datetime.date.fromisoformat(published[:10])
        late = (when - latest).days
        if when <= earliest:
            return Audit("on_time", PASS, 0, f"{published}发布，在{who}期限（{earliest.isoformat()}）之前。", rule)
        if when > latest:
            return Audit("on_time", FAIL, late, f"{published}发布，晚于{who}期限（{latest.isoformat()}）{late}天。", rule)
        return Audit("on_time", UNCERTAIN, None, f"{published}发布，机关类别不明（政府部门期限{earliest.isoformat()}，"
                                                 f"人民政府期限{latest.isoformat()}）。", rule)
    if signed:  # the report's own date: its signature, or a publication date the copy kept
        span = document.date_span(text, signed)
        start, end = span if span else (None, None)
        when = datetime.date.fromisoformat(signed)
        if when > latest:
            days = (when - latest).days
            return Audit("on_time", FAIL, days, f"报告所载日期{signed}已晚于{who}期限（{latest.isoformat()}）{days}天。",
                         rule, start, end)
        return Audit("on_time", UNCERTAIN, None, f"报告所载日期{signed}在期限内，但未见网页或采集记录的发布日期。",
                     rule, start, end)
    return Audit("on_time", NOT_ASSESSABLE, None, "报告、网页和附带信息都没有日期。", rule)


# --- complete, consistent, prose and tables, unchanged, clean ------------------------------------

def _ends_with_its_date(report: ParsedReport) -> bool:
    """Whether the copy runs to the report's own date at its end (a signature), not just a date at
    the top of a saved page that may stop anywhere."""
    meta, text = report.metadata, report.source.text
    date = _iso(meta.published_date) if "published_date" not in report.given else None
    span = document.date_span(text, date) if date else None
    return bool(span) and span[0] >= 0.8 * len(text.rstrip())


def complete(report: ParsedReport) -> Audit:
    """Fail only for what the report itself lacks: a required part, in a copy that runs to its
    date. Tables the build could not read in full, or parts missing from a copy that stops
    short, are uncertain: the lack may be the reading's or the copy's, not the report's."""
    meta, reading = report.metadata, report.reading
    required = _applies(rules()["required_parts"], meta.year) if meta.year else None
    if required is None:
        return Audit("complete", NOT_ASSESSABLE, None, "报告年度不明，无法确定应有的部分。", _rule("regulation"))
    rule = _rule(required["rule"])
    found = {s.key for s in report.sections if s.key}
    body = report.source.text[meta.body_start:]
    missing = [rules()["part_names"][p] for p in required["parts"] if p not in found and not document.heading_names(p, body)
               and not (required.get("mentions") and any(w in body for w in document.part_words(p)))]
    tables_required = meta.year >= 2019  # the 2019 and 2021 formats' tables 二, 三 and 四
    share = (reading.cells_read / reading.cells_expected) if reading and reading.cells_expected else None
    cells = f"，表格单元格读出{reading.cells_read}/{reading.cells_expected}" if share is not None else ""
    tables_read = not tables_required or (reading is not None and reading.reading == "complete")
    if not missing and tables_read:
        return Audit("complete", PASS, share, f"应有的{len(required['parts'])}个部分都在{cells}。", rule)
    whole_copy = _ends_with_its_date(report)
    problems = [f"缺少{'、'.join(missing)}"] if missing else []
    if not tables_read:
        problems.append("未见统计表格（可能以图片发布）" if reading and reading.reading == "prose_only"
                        else "统计表格未能全部读出，无法确认")
    tail = "" if whole_copy else "；所读副本无落款，可能不全"
    status = FAIL if missing and whole_copy else UNCERTAIN
    return Audit("complete", status, share, f"{'；'.join(problems)}{cells}{tail}。", rule)


def _failed(report: ParsedReport, names: tuple[str, ...] | None = None, exclude: tuple[str, ...] = ()) -> tuple:
    checks = [c for c in report.checks if (names is None or c.check in names) and c.check not in exclude]
    return checks, [c for c in checks if not c.passed]


def consistent(report: ParsedReport) -> Audit:
    rule = _rule("format_2021")
    checks, failed = _failed(report, exclude=("text_vs_table", "cross_year"))
    if not checks:
        return Audit("consistent", NOT_ASSESSABLE, None, "没有读出可以互相校验的数字。", rule)
    if failed:
        names = "、".join(sorted({f"{c.check}({c.scope})" for c in failed})[:6])
        return Audit("consistent", FAIL, len(failed), f"{len(checks)}项勾稽校验中{len(failed)}项不相符：{names}。", rule)
    return Audit("consistent", PASS, 0, f"{len(checks)}项勾稽校验全部相符。", rule)


def text_matches_tables(report: ParsedReport) -> Audit:
    rule = _rule("format_2021")
    checks, failed = _failed(report, ("text_vs_table",))
    if not checks:
        return Audit("text_matches_tables", NOT_ASSESSABLE, None, "正文与表格没有可以对照的数字。", rule)
    if failed:
        return Audit("text_matches_tables", FAIL, len(failed), "；".join(c.detail for c in failed) + "。", rule)
    return Audit("text_matches_tables", PASS, 0, f"正文与表格的{len(checks)}个数字一致。", rule)


def unchanged(report: ParsedReport) -> Audit:
    rule = _rule("evaluators")
    if not report.versions:
        return Audit("unchanged", NOT_ASSESSABLE, None, "未经采集，没有发布后的版本记录。", rule)
    digests = {v.sha256 for v in report.versions}
    if len(digests) > 1:
        return Audit("unchanged", FAIL, len(digests), f"同一网址先后见到{len(digests)}个不同版本"
                                                      f"（{report.versions[0].fetched_at or ''}起）。", rule)
    return Audit("unchanged", PASS, 1, f"采集{len(report.versions)}次，文件未变。", rule)


def clean_source(report: ParsedReport) -> Audit:
    rule = _rule("evaluators")
    spam = [i.message for i in report.issues if "injected spam" in i.message]
    if spam:
        return Audit("clean_source", FAIL, len(spam), f"所读副本含有{len(spam)}处植入的垃圾文字（镜像网站），不是原始发布版本。",
                     rule)
    return Audit("clean_source", PASS, 0, "所读副本未见植入文字。", rule)


# --- across reports: cross_year, original ----------------------------------------------------------

def cross_year(checks: list[tuple[bool, str]], has_previous: bool) -> Audit:
    """From the report's cross-year checks (passed, detail)."""
    rule = _rule("format_2021")
    if not checks:
        why = "没有读出上年结转或上年报告的结转下年度数字。" if has_previous else "语料中没有该机关上一年度的报告。"
        return Audit("cross_year", NOT_ASSESSABLE, None, why, rule)
    failed = [detail for passed, detail in checks if not passed]
    if failed:
        return Audit("cross_year", FAIL, len(failed), "；".join(failed[:3]) + "。", rule)
    return Audit("cross_year", PASS, 0, f"上年结转与上年报告的结转下年度一致（{len(checks)}列）。", rule)


SENTENCE = re.compile(r"[^。！？；\n|]+")
NOT_HAN = re.compile(r"[^\u4e00-\u9fff]+")


def _line_at(text: str, start: int) -> str:
    end = text.find("\n", start)
    return text[start:end if end >= 0 else len(text)]


def sentences(text: str, spans: list[tuple[int, int]], sections: list[Section] = ()) -> list[str]:
    """The report's prose sentences in `spans` (its running text), spaces removed, without short
    fragments or the sections' heading lines (三、收到和处理政府信息公开申请情况 is every report's)."""
    headings = {"".join(_line_at(text, s.start).split()) for s in sections}
    found = []
    limit = rules()["original"]["min_sentence_chars"]
    for start, end in spans:
        for piece in SENTENCE.findall(text, start, end):
            # (a piece shorter than the limit cannot hold enough Chinese: most are, and cost nothing)
            if len(piece) >= limit and len(NOT_HAN.sub("", piece)) >= limit:
                sentence = "".join(piece.split())
                if sentence not in headings:
                    found.append(sentence)
    return found


def _hash32(sentence: str) -> int:
    return int.from_bytes(hashlib.blake2b(sentence.encode("utf-8"), digest_size=4).digest(), "big")


def fingerprint(found: list[str]) -> Fingerprint:
    """Sentence hashes, and LSH band keys of a MinHash of them (datasketch)."""
    from datasketch import MinHash

    spec = rules()["original"]
    hashes = sorted({_hash32(s) for s in found})
    if len(hashes) < spec["min_sentences"]:
        return Fingerprint(hashes, [])
    minhash = MinHash(num_perm=spec["bands"] * spec["rows"], permutations=_permutations(), scheme="affine32")
    minhash.update_batch([h.to_bytes(4, "big") for h in hashes])
    values, rows = minhash.hashvalues, spec["rows"]
    bands = []
    for band in range(spec["bands"]):
        key = hashlib.blake2b(struct.pack(">H", band) + values[band * rows:(band + 1) * rows].tobytes(), digest_size=8)
        bands.append(int.from_bytes(key.digest(), "big", signed=True))
    return Fingerprint(hashes, bands)


@functools.cache
def _permutations():
    """The MinHash's permutations, made once (seed 1: every build, every worker, the same)."""
    from datasketch import MinHash

    spec = rules()["original"]
    return MinHash(num_perm=spec["bands"] * spec["rows"], seed=1, scheme="affine32").permutations


def pack(hashes: list[int]) -> bytes:
    return struct.pack(f">{len(hashes)}I", *hashes)


def unpack(blob: bytes | None) -> set[int]:
    return set(struct.unpack(f">{len(blob) // 4}I", blob)) if blob else set()


def original(own: set[int], previous: set[int] | None, others: list[tuple[str, set[int]]]) -> Audit:
    """The share of a report's sentences found word for word in the same agency's report of the
    year before (`previous`, None when there is none), or in another agency's report (`others`:
    the LSH candidates, by name)."""
    spec = rules()["original"]
    rule = _rule(spec["rule"])
    if len(own) < spec["min_sentences"]:
        return Audit("original", NOT_ASSESSABLE, None, f"正文句子少于{spec['min_sentences']}句，无从比较。", rule)
    share_previous = len(own & previous) / len(own) if previous else None
    copied = max(((len(own & theirs) / len(own), name) for name, theirs in others), default=(0.0, None))
    share = max(share_previous or 0.0, copied[0])
    parts = []
    if share_previous is not None:
        parts.append(f"{share_previous:.0%}的句子与本机关上一年度报告相同")
    if copied[1] and copied[0] >= spec["uncertain"]:
        parts.append(f"{copied[0]:.0%}的句子与{copied[1]}相同")
    if share >= spec["fail"]:
        return Audit("original", FAIL, round(share, 3), "，".join(parts) + "（雷同）。", rule)
    if share >= spec["uncertain"]:
        return Audit("original", UNCERTAIN, round(share, 3), "，".join(parts) + "。", rule)
    if share_previous is None and not others:
        return Audit("original", PASS, round(share, 3), "语料中没有该机关上一年度的报告；与其他机关的报告未见雷同。", rule)
    return Audit("original", PASS, round(share, 3), ("，".join(parts) or "与其他机关的报告未见雷同") + "。", rule)
