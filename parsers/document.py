"""Step 2: a report's text to a document: metadata and sections.

Works on the folded text (same offsets as the original) and never lets page
furniture (breadcrumbs, counters, share buttons) or injected spam become a
title, an agency or a section.
"""

from __future__ import annotations

import functools
import re

from . import data, regions
from .model import Issue, Metadata, Section
from .textutil import Line, fold, lines, squash

YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
ISO_DATE = re.compile(r"((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})")
CN_DATE = re.compile(r"((?:19|20)\d{2})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
PUBLISHED_FIELD = re.compile(r"(发布时间|发布日期|成文日期|公开日期|发文日期)\s*[:：]\s*")
PERIOD = re.compile(r"统计(期限|时限|时间|区间|周期)[^。\n]{0,20}?((?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日")
TITLE_CONTINUES = re.compile(r"[^，,。;；:：]{0,16}(通知|函|意见|办法|方案|决定|公告)")
TITLE_TAIL = 12  # the most characters a title's wrapped second line holds (工作年度报告)
TITLE_FIELD = re.compile(r"^\s*标题\s*[:：]\s*(?P<title>\S.*?)\s*$")
HEADING = [
    (1, re.compile(r"^[ \t]*(?P<number>[一二三四五六七八九十]{1,3})[ \t]*[、.][ \t]*(?P<rest>\S.*)$")),
    (2, re.compile(r"^[ \t]*(?P<number>\([一二三四五六七八九十]{1,3}\))[ \t]*(?P<rest>\S.*)$")),
    (3, re.compile(r"^[ \t]*(?P<number>\d{1,2}[.、](?!\d))[ \t]*(?P<rest>\S.*)$")),
    # An attachment (附件: 政府信息公开情况统计表) ends the report's last section.
    (1, re.compile(r"^[ \t]*(?P<number>附件\s*\d*)[ \t]*[:：]?[ \t]*(?P<rest>\S.{0,40})?$")),
]


LONG_LINE = 150  # a line this long is content, even when page furniture starts it


def is_noise(line_text: str) -> bool:
    """Page furniture. A long line that starts with a breadcrumb is a whole page flattened onto
    one line: its furniture is skipped where titles are looked for, the line is kept."""
    return is_folded_noise(fold(line_text))


def is_folded_noise(folded: str) -> bool:
    """is_noise of a line already folded (a slice of the folded text: no line is folded again)."""
    return len(folded.strip()) < LONG_LINE and data.noise_pattern().search(folded) is not None


def spam_in(text: str) -> list[str]:
    return [word for word in data.spam_words() if word in text]


def analyse(text: str, path: str = "") -> tuple[Metadata, list[Issue]]:
    rules = data.load("document")
    all_lines = lines(text)
    issues = [Issue("warning", f"the page contains injected spam text {word!r}; it was ignored")
              for word in spam_in(text)]
    meta = Metadata()
    title_line = find_title(text, all_lines, rules)
    if title_line:
        meta.title_span = _title_span(title_line)
        meta.title = text[meta.title_span[0]:meta.title_span[1]]
        meta.body_start = title_line.end
        before = next((ln for ln in reversed(all_lines) if ln.end < title_line.start and ln.text.strip()), None)
        if (before and re.match(r"\d{4}年", squash(meta.title)) and len(squash(before.text)) <= 30
                and squash(before.text).endswith(tuple(rules["agency_suffixes"]))):
            # The agency on a line of its own above the title (PDF covers): 淮安市洪泽区人民政府 / 2024年…报告
            meta.title = before.text.strip() + meta.title
            meta.title_span = (before.start + len(before.text) - len(before.text.lstrip()), meta.title_span[1])
        following = next((ln for ln in all_lines if ln.start > title_line.end), None)
        wrapped = (following and not re.search(r"(报告|报表)$", squash(meta.title))
                   and 0 < len(squash(following.text)) <= TITLE_TAIL and re.search(r"(报告|报表)$", squash(following.text)))
        if following and (TITLE_CONTINUES.fullmatch(squash(following.text)) or wrapped):
            # A title broken over two lines: 关于政府信息公开工作年度报告 / 有关事项的通知
            meta.title += following.text.strip()
            meta.title_span = (meta.title_span[0], following.start + len(following.text.rstrip()))
            meta.body_start = following.end
    else:
        issues.append(Issue("warning", "no title found"))
        announced = find_announcement(text, rules)
        if announced:
            meta.doc_type = "annual_report"
            before = re.search(rules["announcement_agency_before"], announced.string[:announced.end()])
            named = [m.group("agency") for m in (announced, before) if m and _is_agency(m.group("agency"), rules)]
            meta.agency = named[0] if named else None
        elif has_the_format_structure(text, rules):
            meta.doc_type = "annual_report"
    meta.published_date = find_published_date(text, all_lines)
    meta.year, meta.year_guess = find_year(text, meta.title, meta.published_date, path)
    complete(meta)
    return meta, issues


def complete(meta: Metadata) -> None:
    """Doc type, agency and region from the title and agency, where they are still unknown
    (after the text is read, and again after a sidecar gives a title or agency)."""
    rules = data.load("document")
    if meta.doc_type == "other":
        meta.doc_type = classify(meta.title, rules)
    meta.agency = meta.agency or find_agency(meta.title, rules)
    region = None if meta.province else (regions.resolve(meta.agency) or regions.resolve(meta.title))
    if region:
        meta.province, meta.city, meta.county, meta.region_code = (
            region.province, region.city, region.county, region.region_code)


def find_announcement(text: str, rules: dict) -> re.Match | None:
    """The opening sentence in which a report without a title line names itself
    (特向社会公布2017年度政府信息公开年度报告)."""
    head = fold(text[: rules["announcement_within"]])
    if any(word in head for word in rules["news_markers"]):
        return None
    return re.search(rules["announcement_pattern"], re.sub(r"[ \t]", "", head))


@functools.cache
def part_words(part: str) -> tuple[str, ...]:
    """The words that name a part in a heading: the sections' own (section_keys)."""
    return tuple(next(k["match"] for k in data.load("document")["section_keys"] if k["key"] == part))


def heading_names(part: str, text: str) -> bool:
    """Whether a numbered heading (三、…, （三）…) names the part, at a line's start or, in a copy
    that flattened its headings into the running text, anywhere."""
    words = "|".join(map(re.escape, part_words(part)))
    return bool(re.search(rf"[一二三四五六七八九十]+\s*[、.．）)]\s*[^。，；\n]{{0,12}}?(?:{words})", text))


def has_the_format_structure(text: str, rules: dict) -> bool:
    """Whether numbered headings name enough of an annual report's parts (总体情况, 主动公开政府信息情况,
    收到和处理政府信息公开申请情况, 政府信息公开行政复议、行政诉讼情况, 存在的主要问题及改进情况)."""
    return sum(heading_names(part, text) for part in rules["structure_parts"]) >= rules["structure_min"]


def _is_agency(name: str | None, rules: dict) -> bool:
    return bool(name) and name.endswith(tuple(rules["agency_suffixes"])) and not spam_in(name)


def cited_template(text: str, year: int | None) -> str | None:
    """The official format an annual report follows when no table of it is left to tell:
    the one it cites, else the one in force for the year it covers."""
    rules = data.load("document")
    squashed = squash(text)
    for pattern, template in rules["format_citations"].items():
        if re.search(pattern, squashed):
            return template
    return next((r["template"] for r in rules["template_by_year"] if year and year >= r["from"]), None)


def _title_span(line: Line) -> tuple[int, int]:
    field = TITLE_FIELD.match(fold(line.text))
    if field:  # "标题: …" in a scraped page's header
        return line.start + field.start("title"), line.start + field.end("title")
    lead = len(line.text) - len(line.text.lstrip())
    return line.start + lead, line.start + len(line.text.rstrip())


def find_title(text: str, all_lines: list[Line], rules: dict) -> Line | None:
    folded = fold(text)
    for line in all_lines[:60]:
        if TITLE_FIELD.match(folded[line.start:line.end]):
            return line
    pattern, cover = re.compile(rules["title_pattern"]), re.compile(rules["cover_letter_pattern"])
    candidates = all_lines[:60]

    def is_title(s: str) -> bool:
        return bool(pattern.search(s)) and not (spam_in(s) or cover.search(s) or _quoted(s))

    for n, line in enumerate(candidates):
        s = squash(line.text)
        if len(s) > 80 or is_noise(line.text):
            # A page on one line, or a breadcrumb before the title on its line: the title is
            # one of the line's first chunks between spaces.
            chunk = next((c for c in _chunks(line) if len(squash(c.text)) <= 80 and not is_noise(c.text)
                          and is_title(squash(c.text))), None)
            if chunk:
                return chunk
            continue
        if spam_in(s) or cover.search(s) or _quoted(s):
            continue
        if is_title(s):
            return line
        following = squash(candidates[n + 1].text) if n + 1 < len(candidates) else ""
        if 0 < len(following) <= TITLE_TAIL and pattern.search(s + following):
            return line  # a title wrapped onto a second line; analyse() joins them
    return None


def _chunks(line: Line, within: int = 300) -> list[Line]:
    """The pieces of a line's first characters between runs of white space."""
    return [Line(line.start + m.start(), line.start + m.end(), m.group())
            for m in re.finditer(r"\S+", fold(line.text[:within]))]


def _quoted(s: str) -> bool:
    """A line that starts inside or with a quoted title (…定》）和《关于印发…报告) is running text, not a title."""
    opening, closing = s.find("《"), s.find("》")
    return opening == 0 or (closing >= 0 and (opening < 0 or closing < opening))


def classify(title: str | None, rules: dict) -> str:
    if not title:
        return "other"
    s = squash(title)
    return next((rule["doc_type"] for rule in rules["doc_types"] if re.search(rule["pattern"], s)), "other")


def find_published_date(text: str, all_lines: list[Line]) -> str | None:
    """The page's 发布时间 field, else the last line that is only a date (the signature)."""
    folded = fold(text)
    for m in PUBLISHED_FIELD.finditer(folded):
        date = ISO_DATE.match(folded, m.end()) or CN_DATE.match(folded, m.end())
        if date:
            return _iso(*date.groups())
    for line in reversed(all_lines):
        m = CN_DATE.fullmatch(folded[line.start:line.end].strip())
        if m:
            return _iso(*m.groups())
    return None


def date_span(text: str, iso: str) -> tuple[int, int] | None:
    """Where the text writes the date `iso` (2024-01-19, 2024年1月19日…), as find_published_date
    reads dates: its last mention, for a link to it."""
    folded = fold(text)  # (the same length as the text: its offsets are the text's)
    found = [m.span() for pattern in (ISO_DATE, CN_DATE) for m in pattern.finditer(folded) if _iso(*m.groups()) == iso]
    return max(found, default=None)


def _iso(year: str, month: str, day: str) -> str | None:
    y, m, d = int(year), int(month), int(day)
    return f"{y:04d}-{m:02d}-{d:02d}" if 1 <= m <= 12 and 1 <= d <= 31 else None


FILE_YEAR = re.compile(r"(?<![0-9A-Za-z])((?:19|20)\d{2})(?![0-9A-Za-z])")


def find_year(text: str, title: str | None, published: str | None, path: str = "") -> tuple[int | None, str | None]:
    """The year the report covers: from the title, its statistics period, the file's name,
    the first year its text names, or the year before publication, in that order."""
    if title:
        m = YEAR.search(fold(title))
        if m:
            return int(m.group(1)), None
    m = PERIOD.search(fold(text))
    if m:
        return int(m.group(2)), None
    name = path.rsplit("/", 1)[-1]
    m = FILE_YEAR.search(name[: name.rfind(".")] if "." in name else name)
    if m:
        return int(m.group(1)), f"the text names no year; the year {m.group(1)} was taken from the file name"
    m = YEAR.search(fold(text), 0, 600)
    if m:
        return int(m.group(1)), f"the title names no year; the year {m.group(1)} is the first one the text names"
    if published:
        return int(published[:4]) - 1, "the title names no year; the year was taken as the year before publication"
    return None, "no year found: the title names none and there is no statistics period or publication date"


def find_agency(title: str | None, rules: dict) -> str | None:
    """The issuing body from the title: 君山区人民政府2016年… or 云城区2018年度… (云城区人民政府)."""
    if not title:
        return None
    s = squash(title)
    m = re.search(r"((?:19|20)\d{2}\s*年|关于|落实|《)", s)
    prefix = re.split(r"[:：,，、|]", s[: m.start()])[-1] if m else ""  # 文字解读:济南市… names the agency after the colon
    if not prefix:  # 2023年度北京市城市管理委员会政府信息公开工作年度报告: the agency after the year
        after = re.match(r"(?:19|20)\d{2}年度?(?P<agency>.{2,30}?)(?:政府信息公开|政务公开|信息公开)", s)
        prefix = after.group("agency") if after and after.group("agency").endswith(tuple(rules["agency_suffixes"])) else ""
    if not prefix or spam_in(prefix):
        return None
    if any(prefix.endswith(suffix) for suffix in rules["agency_suffixes"]):
        return prefix
    for suffix, government in list(rules["zone_suffixes"].items()) + list(rules["division_suffixes"].items()):
        if prefix.endswith(suffix):
            return prefix + government
    return prefix


def find_sections(text: str, start: int, end: int, skip: list[tuple[int, int]]) -> list[Section]:
    """Numbered headings (一、 / （一） / 1.) between start and end, outside the table regions in skip."""
    rules = data.load("document")
    heads = []
    all_lines = lines(text, start, end)
    folded_text = fold(text)
    for n, line in enumerate(all_lines):
        folded = folded_text[line.start:line.end]
        if any(s <= line.start < e for s, e in skip) or "|" in line.text or is_folded_noise(folded):
            continue
        for level, pattern in HEADING:
            m = pattern.match(folded)
            if m:
                following = all_lines[n + 1].text if n + 1 < len(all_lines) else ""
                heads.append((level, line, m, following))
                break
    sections = []
    for i, (level, line, m, following) in enumerate(heads):
        section_end = next((h[1].start for h in heads[i + 1:] if h[0] <= level), end)
        parent = next((s.ordinal for s in reversed(sections) if s.level < level), None)
        # An attachment's name is often on the line after 附件.
        heading = _heading(line.text[m.start("rest"):] if m.group("rest") else following)
        sections.append(Section(
            ordinal=i + 1, level=level, number=line.text[m.start("number"):m.end("number")],
            heading=heading, start=line.start + len(line.text) - len(line.text.lstrip()),
            end=_trim_end(text, section_end), key=_section_key(level, heading, rules), parent=parent))
    return sections


def _heading(rest: str) -> str:
    """The heading words: up to the first full stop when the line runs on into text (and never
    words a mirror site injected)."""
    rest = data.without_spam(rest).strip()
    stop = re.search(r"[。;；:：]", rest)
    if stop and stop.start() <= 60:
        return rest[: stop.start()]
    return rest if len(rest) <= 60 else re.split(r"[,，:：]", rest)[0][:60]


def _section_key(level: int, heading: str, rules: dict) -> str | None:
    if level != 1:
        return None
    s = squash(heading)
    return next((r["key"] for r in rules["section_keys"] if any(w in s for w in r["match"])), None)


def _trim_end(text: str, end: int) -> int:
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return end


def body_end(text: str) -> int:
    """End of the report's last line of content: trailing page furniture is not part of it."""
    folded = fold(text)
    for line in reversed(lines(text)):
        stripped = line.text.strip()
        if is_folded_noise(folded[line.start:line.end]) or re.fullmatch(r"[\d\W_]{0,3}", stripped):
            continue
        return line.end
    return len(text)
