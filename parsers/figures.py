"""Step 3c: figures stated in the report's prose.

Every Arabic number followed by a counting unit is a figure, keyed by the
vocabulary in parsers/data/vocabulary.yml. Dates, document numbers (〔2016〕19号),
ordinals (第17次), phone numbers and digit runs that scraping glued together
(20181120181231 was 2018年1月1日至2018年12月31日) have no counting unit, or
are recognised as glued, and are not figures.
"""

from __future__ import annotations

import dataclasses
import functools
import re

from . import data
from .model import Cell, Metric
from .textutil import fold, squash

CLAUSE_BREAK = "，,。；;：:！!？?、\n\r（）()"
SENTENCE_BREAK = "。；;！!？?\n\r"
GLUED_YEAR = re.compile(r"^(199\d|20[0-3]\d)\d{2,}$")


CHINESE_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CHINESE_NUMBER = "[零〇一二两三四五六七八九十百]{1,6}"


@functools.lru_cache(maxsize=2)
def _quantity(chinese: bool = False) -> re.Pattern:
    """A number and its counting unit. With `chinese`, numbers written in characters too
    (收到申请两件): small counts often are, in small agencies' reports."""
    vocab = data.load("vocabulary")
    units = "|".join(re.escape(u) for u in sorted(vocab["units"], key=len, reverse=True))
    before = "|".join(re.escape(w) for w in vocab["approximate_before"])
    after = "|".join(re.escape(w) for w in vocab["approximate_after"])
    number = r"\d+(?:\.\d+)?(?![0-9])" + (f"|(?<![每第任某逐单唯统同之百千万]){CHINESE_NUMBER}" if chinese else "")
    return re.compile(
        rf"(?:(?P<before>{before})[ \t]?)?(?<![0-9A-Za-z.\-—/第])(?P<num>{number})"
        rf"(?P<after>{after})?[ \t]?(?P<mult>万|亿)?(?P<unit>{units})")


def chinese_number(written: str) -> int | None:
    """二十三 -> 23, 两 -> 2, 一百零五 -> 105; None when it is not a number as written."""
    total, digit = 0, None
    for ch in written:
        if ch in CHINESE_DIGITS:
            if digit is not None and ch not in "零〇":
                return None  # 二三: not a number
            digit = CHINESE_DIGITS[ch] if ch not in "零〇" else None
        elif ch in "十百":
            total += (1 if digit is None else digit) * (10 if ch == "十" else 100)
            digit = None
    return total + (digit or 0)


@functools.lru_cache(maxsize=1)
def _core_keys() -> frozenset[str]:
    core = data.load("vocabulary")["comparable_core"]
    return frozenset(core["application_outcomes"]) | frozenset(core["review_litigation"])


def extract(text: str, spans: list[tuple[int, int]], year: int | None = None) -> list[Metric]:
    """Figures in text[s:e] for each (s, e) in spans (the report's prose); `year`, the report's,
    places a carry-over named by its year."""
    vocab = data.load("vocabulary")
    folded = fold(text)
    metrics: list[Metric] = []
    for start, end in spans:
        previous_end = start
        for m in _quantity(chinese=True).finditer(folded, start, end):
            metric = _figure(text, folded, m, start, previous_end, vocab, year)
            previous_end = m.end()
            if metric:
                metric.part_of = _head_of(folded, metric, metrics, start)
                if metric.part_of is not None:
                    metric.metric = _pending_part(folded, metric, metrics[metric.part_of], m.end(),
                                                  vocab["pending_part"]) or metric.metric
                metrics.append(metric)
                metrics += _also(folded, metric, m.end(), end, vocab["also"])
        metrics += _zero_statements(text, folded, start, end, vocab)
    return metrics


def _figure(text: str, folded: str, m: re.Match, floor: int, previous_end: int, vocab: dict,
            year: int | None = None) -> Metric | None:
    number, unit, mult = m.group("num"), m.group("unit"), m.group("mult")
    if GLUED_YEAR.match(number):
        return None  # a year glued to other digits by lost characters, not a count
    if mult and unit == "元":
        unit, mult = mult + unit, None
    written_out = not number[0].isdigit()
    if written_out and chinese_number(number) is None:
        return None
    value = (chinese_number(number) if written_out else float(number)) * {"万": 10_000, "亿": 100_000_000}.get(mult, 1)
    value = int(value) if float(value).is_integer() else value
    raw_start = m.start("before") if m.group("before") else m.start("num")
    raw_end = max(m.end("num"), m.end("after") if m.group("after") else 0, m.end("mult") if mult else 0)
    _, label = _label(text, folded, raw_start, floor)
    label = data.without_spam(label)
    contexts = _contexts(folded, raw_start, m.end(), floor, previous_end)
    key = _key(contexts, unit, vocab["figures"])
    if key in ("other", vocab["comparable_core"]["unclear_carry"]) and year is not None:
        key = _carried_by_year(folded, raw_start, m.end(), floor, contexts, unit, year, vocab["carry_by_year"]) or key
    if written_out and (key not in _core_keys() or re.search(vocab["negation"], contexts["clause"])):
        return None  # 一个, 三个方面: a number in characters counts only for the requests' core, never negated
    return Metric(metric=key, label=label, unit=unit, source="text",
                  approximate=bool(m.group("before") or m.group("after")),
                  other_year=any(re.search(p, contexts["clause"]) for p in vocab["other_year"]),
                  cell=Cell(value, text[raw_start:raw_end], raw_start, raw_end))


def _pending_part(folded: str, metric: Metric, head: Metric, unit_end: int, rule: dict) -> str | None:
    """Pending cases of a review or litigation total, when the words after a 其中 figure say so."""
    after = folded[unit_end:_clause_end(folded, unit_end)]
    if head.metric in rule["of"] and any(w in after for w in rule["words"]):
        return rule["of"][head.metric]
    return None


def _also(folded: str, metric: Metric, unit_end: int, end: int, rules: list[dict]) -> list[Metric]:
    """The second figures the words around this one make of it (vocabulary.yml: also), same span."""
    after = folded[unit_end:_clause_end(folded, unit_end, end, SENTENCE_BREAK)]
    return [dataclasses.replace(metric, metric=rule["then"], part_of=None) for rule in rules
            if rule["for"] == metric.metric and not metric.approximate and not metric.other_year
            and (any(w in metric.label for w in rule.get("before_any", ())) or
                 ("after" in rule and re.match(rule["after"], after)))]


def _carried_by_year(folded: str, position: int, unit_end: int, floor: int, contexts: dict[str, str], unit: str,
                     year: int, rule: dict) -> str | None:
    """Last year's carry-over or the carry-forward, when the clause names the year it leaves or enters."""
    if unit not in rule["units"] or not any(w in contexts["passage"] for w in rule["passage_any"]):
        return None
    before = folded[_clause_start(folded, position, floor):position]
    after = folded[unit_end:_clause_end(folded, unit_end)]
    leaves = [int(y) for y in re.findall(rule["from_year"], before)]
    enters = [int(y) for y in re.findall(rule["to_year"], before) + re.findall(rule["to_year"], after)]
    if leaves == [year - 1] and not enters or enters == [year] and not leaves:
        return rule["over"]
    if enters == [year + 1] and not leaves:
        return rule["forward"]
    return None


def _clause_end(folded: str, position: int, end: int | None = None, breaks: str = CLAUSE_BREAK) -> int:
    i, end = position, len(folded) if end is None else end
    while i < end and folded[i] not in breaks:
        i += 1
    return i


def _label(text: str, folded: str, position: int, floor: int) -> tuple[int, str]:
    """The clause before position; for a list item with no words of its own (、45个), the one before that."""
    start = _clause_start(folded, position, floor)
    label = text[start:position].strip()
    if not label and start - 1 > floor:
        start = _clause_start(folded, start - 1, floor)
        label = text[start:position].strip()
    return start, re.sub(r"\s+", "", label)


def _clause_start(folded: str, position: int, floor: int, breaks: str = CLAUSE_BREAK) -> int:
    i = position
    while i > floor and folded[i - 1] not in breaks:
        i -= 1
    return i


WORDS_AFTER = re.compile(r"[^\d" + re.escape(CLAUSE_BREAK) + r"]{0,12}")
# What a figure's own parenthesis says of it: 1466件（上年度结转16件…）
ASIDE = re.compile(r"[(（][^" + re.escape(CLAUSE_BREAK.replace("、", "")) + r"]{0,15}")
PASSAGE = 300  # how far back a passage reaches on a long (flattened) line
LEAD = re.compile(r"^(其中|共|均|另|全年共?)[:：]?")


def _contexts(folded: str, position: int, unit_end: int, floor: int, previous_end: int) -> dict[str, str]:
    """Words a rule may look at: the phrase since the last comma or figure (a list joined by 、
    stays together: 行政复议、提起行政诉讼案件3宗) with the words right after the unit
    (共收到7件依申请公开件), the sentence so far, the passage (line) so far, the words that
    follow the figure, and the clause before it (for figures of another year)."""
    breaks = CLAUSE_BREAK.replace("、", "")
    phrase = max(_clause_start(folded, position, floor, breaks), previous_end)
    if not folded[phrase:position].strip() and phrase - 1 > floor:  # 总访问量:29465589次
        phrase = max(_clause_start(folded, phrase - 1, floor, breaks), previous_end)
    sentence = _clause_start(folded, position, floor, SENTENCE_BREAK)
    line = max(folded.rfind("\n", floor, position) + 1, floor, position - PASSAGE)
    after = WORDS_AFTER.match(folded, unit_end).group()
    aside = ASIDE.match(folded, unit_end)
    return {"phrase": squash(folded[phrase:position] + after), "sentence": squash(folded[sentence:position]),
            "passage": squash(folded[line:position]), "following": squash(aside.group() if aside else ""),
            "clause": squash(folded[_clause_start(folded, position, floor, breaks):position])}


def _matches(rule: dict, label: str, contexts: dict[str, str] | None = None) -> bool:
    words = ((all(w in label for w in rule.get("all", []))
              and (not rule.get("any") or any(w in label for w in rule["any"])))
             or LEAD.sub("", label) in rule.get("exact", ()))
    if contexts is not None:
        words = (words and (not rule.get("passage_any") or any(w in contexts["passage"] for w in rule["passage_any"]))
                 and (not rule.get("following_any") or any(w in contexts["following"] for w in rule["following_any"]))
                 and not any(w in contexts["sentence"] for w in rule.get("sentence_none", ())))
    return words and not any(w in label for w in rule.get("none", []))


def _key(contexts: dict[str, str], unit: str, rules: list[dict]) -> str:
    return next((r["key"] for r in rules
                 if unit in r["units"] and _matches(r, contexts[r.get("context", "phrase")], contexts)), "other")


def _head_of(folded: str, metric: Metric, earlier: list[Metric], floor: int) -> int | None:
    """Index of the total that a 其中 figure breaks down (same sentence, before 其中, same unit)."""
    position = metric.cell.start
    sentence = position
    while sentence > floor and folded[sentence - 1] not in SENTENCE_BREAK:
        sentence -= 1
    among = folded.rfind("其中", sentence, position)
    if among < 0 or metric.unit == "%":
        return None
    for index in range(len(earlier) - 1, -1, -1):
        head = earlier[index]
        if head.cell.start < sentence:
            break
        if head.cell.end <= among and head.unit == metric.unit and head.part_of is None:
            return index
    return None


def _zero_statements(text: str, folded: str, start: int, end: int, vocab: dict) -> list[Metric]:
    metrics = []
    clause_start = start
    for i in range(start, end + 1):
        if i < end and folded[i] not in CLAUSE_BREAK.replace("、", ""):
            continue
        clause = folded[clause_start:i]
        negation = re.search(vocab["negation"], clause)
        if negation and not _quantity().search(clause):
            after = squash(clause[negation.end():])
            s, e = clause_start + negation.start(), clause_start + negation.end()
            for topic in vocab["zero_topics"]:
                if _matches(topic, after):
                    metrics.append(Metric(metric=topic["key"], label=data.without_spam(re.sub(r"\s+", "", text[clause_start:i])),
                                          unit=None, source="text", cell=Cell(0, text[s:e], s, e)))
        clause_start = i + 1
    return metrics
