"""Step 3b: the official tables, read from their cells with a layout.

A layout (parsers/data/<template>.yml) lists a table's rows with the words
that identify each row's label. Rows are found by those words, never by
position, and each row takes the numbers that follow its label up to the
next label that is itself a row.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from . import data
from .checks import balance, outcome_sum  # the same arithmetic the checks apply
from .cells import ORDINAL, Token, compositions, tokenize
from .model import Issue, Metric, Outcome, ReviewLitigation
from .textutil import fold, squash

LAYOUTS = ("t2021", "t2019")

@dataclass
class Region:
    start: int
    end: int
    confirmed: bool = True  # its header rows follow the heading (not just a numbered heading)


@dataclass
class Tables:
    template: str = "narrative"
    regions: dict[str, Region] = field(default_factory=dict)  # the tables whose headings were found
    metrics: list[Metric] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    review_litigation: list[ReviewLitigation] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    def read_regions(self) -> dict[str, Region]:
        """The stretches of text the template's tables were read from (not prose)."""
        if self.template == "narrative":
            return {}
        return {n: r for n, r in self.regions.items() if (n == "pre2019") == (self.template == "pre2019_stats")}


def extract(text: str, year: int | None, body_start: int = 0) -> Tables:
    """The report's official tables, if it has any, and the template they follow.

    Headings alone prove nothing (a narrative report has 四、行政复议数量 in
    its statistics table), so a layout counts only when its rows are found.
    """
    folded = fold(text)
    regions = find_regions(folded, body_start)
    official = {n: r for n, r in regions.items() if n in ("table2", "table3", "table4")}
    if official:
        result = _read_official(text, folded, official, year)
        if (result.outcomes or any(m.metric.startswith("art20") for m in result.metrics)
                or _looks_like_table3(text, official.get("table3"), result.template)):
            return result
    if "pre2019" in regions:
        layout = data.load("pre2019_stats")
        metrics = read_pre2019(text, regions["pre2019"], layout)
        if metrics:
            return Tables("pre2019_stats", regions, metrics,
                          review_litigation=pre2019_review_litigation(metrics, layout))
    return Tables(regions=regions)  # headings seen, no layout's rows read


def _looks_like_table3(text: str, region: Region | None, template: str) -> bool:
    """A table 三 with its row labels but no values (a blank table) is still the table."""
    if region is None:
        return False
    rows = data.load(template)["table3"]["rows"]
    labels = {match_row(t, rows) for t in tokenize(text, region.start, region.end) if t.kind == "label"}
    return len(labels - {None}) >= 8


def _read_official(text: str, folded: str, regions: dict[str, Region], year: int | None) -> Tables:
    result = Tables(template=detect_layout(folded, regions, year), regions=regions)
    layout = data.load(result.template)
    if "table2" in regions:
        result.metrics += read_table2(text, regions["table2"], layout, stated_numbers(folded, regions))
    if "table3" in regions:
        outcomes, issues = read_table3(text, regions["table3"], layout)
        result.outcomes += outcomes
        result.issues += issues
    if "table4" in regions:
        review, issues = read_table4(text, regions["table4"], layout)
        result.review_litigation += review
        result.issues += issues
    return result


def find_regions(folded: str, body_start: int = 0) -> dict[str, Region]:
    """Each statistics table's stretch of text, by its heading's words (parsers/data/tables.yml)."""
    rules = data.load("tables")
    mentions = {name: _mentions(folded, body_start, spec, rules) for name, spec in rules["tables"].items()}
    found = {name: _table_heading(folded, name, mentions, rules) for name in rules["tables"]}
    anchored = set()
    for name, spec in rules["tables"].items():
        if not found[name][0] and spec.get("anchor"):  # no heading: the table starts at its own header rows
            anchor = re.compile(spec["anchor"]).search(folded, body_start)
            if anchor:
                found[name] = (anchor, True)
                anchored.add(name)
    heads = {name: m for name, (m, _) in found.items() if m}
    regions = {}
    for name, m in heads.items():
        if name == "pre2019":
            regions[name] = Region(m.start(), len(folded), found[name][1])
            continue
        following = [h.start() for n, h in heads.items() if n != "pre2019" and h.start() > m.start()]
        # The next table's heading ends it; the last table ends at the next section's heading.
        end = min(following) if following else _next_heading(folded, m.end(), len(folded), name, rules)
        regions[name] = Region(m.start() if name in anchored else m.end(), end, found[name][1])
    return regions


def _mentions(folded: str, start: int, spec: dict, rules: dict) -> list[re.Match]:
    """Every mention of a table's heading after start, in order: what the heading pattern finds
    scanning the whole text, found by scanning only the stretches around its words."""
    pattern, reach = _heading_pattern(spec["heading"], rules["ordinal"]), rules["heading_reach"]
    stretches: list[list[int]] = []
    for word in _alternatives(tuple(spec["heading_words"])).finditer(folded, start):
        begin, end = max(start, word.start() - reach), min(len(folded), word.end() + reach)
        if stretches and begin <= stretches[-1][1]:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([begin, end])
    found, position = [], start
    for begin, end in stretches:
        for m in pattern.finditer(folded, max(begin, position), end):
            found.append(m)
            position = m.end()
    return found


@functools.cache
def _alternatives(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(map(re.escape, words)))


@functools.cache
def _heading_pattern(heading: str, ordinal: str) -> re.Pattern:
    return re.compile(f"(?:{ordinal}[ \t]*)?(?:{heading})")


def _table_heading(folded: str, name: str, mentions: dict[str, list[re.Match]],
                   rules: dict) -> tuple[re.Match | None, bool]:
    """The heading of one table, among the mentions of every table's heading: the first mention
    of its own that its header words follow (confirmed), else the last numbered one."""
    spec = rules["tables"][name]
    found = mentions[name]
    if not found:
        return None, False
    others = sorted(m.start() for n, theirs in mentions.items() if n != name for m in theirs)
    for m in found:
        window_end = min([p for p in others if p > m.end()] + [m.end() + rules["header_within"]])
        window = squash(folded[m.end():window_end])
        if any(word in window for word in spec["header_words"]):
            return m, True
    numbered = [m for m in found if re.match(rules["ordinal"], m.group())]
    return (numbered[-1] if numbered else None), False


NUMBERED_HEADING = re.compile(r"(?:^|(?<=[\s。\d|]))[ \t]*(?:[一二三四五六七八九十]{1,3}[、.]|\([一二三四五六七八九十]{1,3}\)|附件)"
                              r"[ \t]*(?P<words>[^\d|\n]{2,15})", re.M)


def _next_heading(folded: str, start: int, end: int, table: str, rules: dict) -> int:
    """Where the next numbered heading that is not a row of this table, nor its own heading
    repeated as the table's caption, begins (五、存在的主要问题…)."""
    rows = [row for name in LAYOUTS for row in _rows_of(name, table)]
    words = _words(rows) if rows else ()
    own = _heading_pattern(rules["tables"][table]["heading"], rules["ordinal"])
    for m in NUMBERED_HEADING.finditer(folded, start, end):
        heading = squash(m.group("words"))
        if own.match(folded, m.start() + len(m.group()) - len(m.group().lstrip())):
            continue
        # A cell broken across lines ((五)不 / 予处理) is too short to tell; a heading says more.
        if len(heading) >= 4 and not (words and any(_match_lengths(heading, words))):
            return m.start()
    return end


def _rows_of(layout: str, table: str) -> list[dict]:
    spec = data.load(layout).get(table)
    if table == "table3":
        return spec["rows"]
    if table == "table2":
        return [row for sub in spec for row in sub["rows"]] + [{"key": sub["key"], "match": ["第二十条"]} for sub in spec]
    return []


def detect_layout(folded: str, regions: dict[str, Region], year: int | None) -> str:
    """t2019 or t2021, from the words only one of the two tables uses."""
    table_text = squash("".join(folded[r.start:r.end] for n, r in regions.items() if n in ("table2", "table3")))
    scores = {name: sum(1 for word in data.load(name)["detect"] if word in table_text) for name in LAYOUTS}
    if scores["t2021"] != scores["t2019"]:
        return max(scores, key=scores.get)
    return "t2019" if year is not None and year < 2021 else "t2021"


DIGITS, LEADING_ZERO = re.compile(r"\d+"), re.compile(r"0\d+")
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
MONEY_UNIT = re.compile(r"(万元|元)\s*$")


# --- matching labels to layout rows -------------------------------------------

class Words(tuple):
    """The matching words of a layout's rows: the key of the label-to-rows caches, so its hash is
    kept (a tuple's is computed again at each lookup, and a layout has up to 65 rows)."""

    def __hash__(self) -> int:
        try:
            return self._hash
        except AttributeError:
            self._hash = tuple.__hash__(self)
            return self._hash


def _words(rows: list[dict]) -> Words:
    """The matching words of each row, hashable."""
    return Words((tuple(row.get("exact", ())), tuple(row.get("match", ())), row.get("kind", "data") == "data")
                 for row in rows)


@functools.lru_cache(maxsize=1 << 16)
def _match_lengths(label: str, words: tuple) -> tuple[int, ...]:
    """How well the label fits each row (0: not at all). Cached: reports repeat the template's labels.

    A whole-label match beats any partial one. A row's own label is what follows the last
    ordinal: merged cells flattened into one (（六）其他处理3.其他, 三、本年度办理结果（七）总计)
    name the group first, and the row after it."""
    own = re.split(ORDINAL, label)[-1]
    return tuple(len(label) + 100 if label in exact or own in exact
                 else max((len(word) for word in match if word in label), default=0)
                 for exact, match, _ in words)


@functools.lru_cache(maxsize=1 << 16)
def _candidates(label: str, words: tuple) -> tuple[tuple[int, bool, int], ...]:
    """(index, is a data row, match length) of each row the label fits at all: usually a few."""
    return tuple((index, words[index][2], length) for index, length in enumerate(_match_lengths(label, words)) if length)


def match_row(token: Token, rows: list[dict], start: int = 0, taken: set[int] = frozenset(),
              words: tuple | None = None) -> int | None:
    """Index of the row whose words best fit the label: longest match, then nearest after start
    (the rows from start on, then those before it)."""
    # A data row beats a header or group named in the same cell:
    # 三、本年度办理结果（一）予以公开 is the row 予以公开.
    best = max((c for c in _candidates(token.key_text, words or _words(rows)) if c[0] not in taken),
               key=lambda c: (c[1], c[2], c[0] >= start, -c[0]), default=None)
    return None if best is None else best[0]


def _is_row_label(token: Token, rows: list[dict], words: tuple | None = None) -> bool:
    return token.kind == "label" and bool(_candidates(token.key_text, words or _words(rows)))


def read_rows(tokens: list[Token], rows: list[dict]) -> list[tuple[dict, Token, list[Token], Token | None]]:
    """(row, label token, value tokens, unit token) for every row found, in order.

    A data row must be followed by at least one value; a label that fits a
    data row but is followed by another row's label is a column header
    (总计, 其他) and is skipped.
    """
    found = []
    filled = set()
    pointer = 0
    words = _words(rows)
    row_label = [_is_row_label(token, rows, words) for token in tokens]  # once per token, not once per row
    for i, token in enumerate(tokens):
        if token.kind != "label":
            continue
        index = match_row(token, rows, pointer, filled, words)
        if index is None:
            continue
        row = rows[index]
        values, unit = [], None
        for j in range(i + 1, len(tokens)):
            following = tokens[j]
            if following.kind in ("number", "dash", "run", "blank"):
                values.append(following)
            elif following.kind == "unit":
                unit = unit or following
            elif row_label[j]:
                break
        if row.get("kind", "data") == "data" and all(v.kind == "blank" for v in values):
            continue  # no value of its own: a column header (总计), or a blank row
        filled.add(index)
        pointer = index + 1
        found.append((row, token, values, unit))
    return found


def _label(token: Token) -> str:
    return LINE_BREAKS.sub("", token.text)


# --- the tables ------------------------------------------------------------------

@functools.cache
def caption_pattern(caption: str) -> re.Pattern:
    """A table 二 caption in any of the ways reports write it (tables.yml: table2.caption):
    第二十条第(一)项, 二十条(一)项, 第二十条〔一〕项…"""
    item = re.search(r"\((.+?)\)", squash(caption)).group(1)
    return re.compile(data.load("tables")["tables"]["table2"]["caption"].format(item=re.escape(item)))


def read_table2(text: str, region: Region, layout: dict, stated: frozenset[int] = frozenset()) -> list[Metric]:
    """Table 二's rows; `stated` holds the numbers the report states outside its tables."""
    tokens = tokenize(text, region.start, region.end)
    captions = [(i, sub) for i, t in enumerate(tokens) if t.kind == "label"
                for sub in layout["table2"] if caption_pattern(sub["caption"]).search(squash(t.text))]
    # Each row is looked for under every caption: PDF extraction can move a row below
    # the next caption, and row labels (规章, 行政许可…) name their sub-table anyway.
    sub_of = {id(row): sub for sub in layout["table2"] for row in sub["rows"]}
    all_rows = [row for sub in layout["table2"] for row in sub["rows"]]
    metrics, read = [], set()
    for n, (i, caption) in enumerate(captions):
        end = captions[n + 1][0] if n + 1 < len(captions) else len(tokens)
        part = tokens[i:end]  # the caption too: flattened pages glue the first row's label to it
        for row, label, values, _ in read_rows(part, all_rows):
            sub = sub_of[id(row)]
            values = _trim_padding(values, len(sub["columns"]))
            if (sub["key"], row["key"]) in read:
                continue  # a row is read once, where it first has values
            read.add((sub["key"], row["key"]))
            units = sub["unit"] if isinstance(sub["unit"], list) else [sub["unit"]] * len(sub["columns"])
            headers = _column_headers(part, sub) if sub is caption else [""] * len(sub["columns"])
            if len(values) == 1 and is_run(values[0]) and len(sub["columns"]) > 1:
                # No arithmetic inside these rows: of the possible cuts, take the one whose
                # numbers the report's own prose repeats (规范性文件 8855698: 制发88件 … 现行有效698件).
                splits = run_splits(values[0], len(sub["columns"]), lambda parts: True)
                values = splits[0] if len(splits) == 1 else _corroborated(splits, stated) or []
            if not values or len(values) > len(sub["columns"]):
                continue  # more cells than columns, or digits that split more than one way
            # A row that lost cells keeps its first one: cells go missing at the right, after the first.
            for column, unit, value, header in zip(sub["columns"], units, values[:1] if len(values) < len(sub["columns"]) else values, headers):
                metrics.append(Metric(
                    metric=f"{sub['key']}.{row['key']}.{column}",
                    label=f"{_label(label)} {header}".strip(),
                    cell=value.cell(), unit=_cell_unit(value) or unit, source="table"))
    return metrics


def _corroborated(splits: list[list[Token]], stated: frozenset[int]) -> list[Token] | None:
    """The one cut whose non-zero cells cover the most digits with numbers the prose states."""
    def covered(split: list[Token]) -> int:
        return sum(len(c.text) for c in split if int(c.text) and int(c.text) in stated)
    scores = sorted((covered(split), n) for n, split in enumerate(splits))
    if not scores or scores[-1][0] == 0 or (len(scores) > 1 and scores[-2][0] == scores[-1][0]):
        return None
    return splits[scores[-1][1]]


def stated_numbers(folded: str, regions: dict[str, Region]) -> frozenset[int]:
    """Whole numbers written in the report outside its tables."""
    outside, position = [], 0
    for region in sorted(regions.values(), key=lambda r: r.start):
        outside.append(folded[position:region.start])
        position = max(position, region.end)
    outside.append(folded[position:])
    return frozenset(int(n) for n in re.findall(r"(?<![\d.])\d{1,9}(?![\d.])", "\n".join(outside)))


def _column_headers(tokens: list[Token], sub: dict) -> list[str]:
    headers = []
    for token in tokens:
        if token.kind != "label" or _is_row_label(token, sub["rows"]):
            break
        if "信息内容" not in squash(token.text) and "第二十条" not in squash(token.text):
            headers.append(_label(token))
    return headers if len(headers) == len(sub["columns"]) else [""] * len(sub["columns"])


def _cell_unit(token: Token) -> str | None:
    m = MONEY_UNIT.search(fold(token.text))
    return m.group(1) if m else None


def read_table3(text: str, region: Region, layout: dict) -> tuple[list[Outcome], list[Issue]]:
    tokens = tokenize(text, region.start, region.end)
    columns = layout["table3"]["columns"]
    outcomes, issues, ambiguous = [], [], []
    sums = lambda parts: sum(parts[:-1]) == parts[-1]  # noqa: E731 (the applicant columns add up to 总计)
    for row, label, values, _ in read_rows(tokens, layout["table3"]["rows"]):
        values = _trim_padding(values, len(columns))
        if not values:
            continue
        if len(values) != len(columns) and _digits_only(values, len(columns)):
            splits = joined_splits(values, len(columns), sums)
            if len(splits) == 1:
                values = splits[0]
            elif splits or len(values) == 1:
                ambiguous.append((row, label, _printed(text, values), splits))
                continue
        if len(values) == len(columns) + 1 and _subtotal_first(values[1:-1]):
            # Some local copies add a 法人或其他组织 subtotal after 自然人: it adds up the next five.
            values = values[:1] + values[2:]
        if len(values) < len(columns) and len(values) >= 2 and _sums_to_last(values):
            # Empty cells were left out: the last is 总计 (it adds up the rest); which
            # applicant columns the others belong to is not knowable.
            outcomes.append(Outcome(row["key"], columns[-1], values[-1].cell()))
            issues.append(Issue("warning", f"table 三 row {_label(label)!r} has {len(values)} of {len(columns)} cells; "
                                           "only its 总计 was stored"))
            continue
        if len(values) != len(columns):
            issues.append(Issue("warning", f"table 三 row {_label(label)!r} has {len(values)} cells, "
                                           f"expected {len(columns)}; its values were not stored"))
            continue
        outcomes += [Outcome(row["key"], column, value.cell()) for column, value in zip(columns, values)]
    resolved, unresolved = _resolve_by_columns(outcomes, ambiguous, layout)
    outcomes += resolved
    for row, label, printed, splits in unresolved:
        agreed = _agreed(splits)  # several splits add up: keep the cells they all agree on
        outcomes += [Outcome(row["key"], columns[i], token.cell()) for i, token in agreed.items()]
        kept = (f"the cells every split agrees on ({', '.join(columns[i] for i in agreed)}) were stored; "
                "the rest are ambiguous" if agreed else "its values were not stored")
        issues.append(Issue("warning", f"table 三 row {_label(label)!r} prints {printed!r} with no separators and "
                                       f"{len(splits) or 'no'} split(s) add up; {kept}"))
    return outcomes, issues


def _trim_padding(values: list[Token], cells: int) -> list[Token]:
    """Blank cells at a row's end beyond the table's columns are the page's padding (| 0 | ||)."""
    while len(values) > cells and values[-1].kind == "blank":
        values = values[:-1]
    return values


def _strip_blanks(values: list[Token]) -> list[Token]:
    kept = [i for i, v in enumerate(values) if v.kind != "blank"]
    return values[kept[0]:kept[-1] + 1] if kept else []


def _digits_only(values: list[Token], cells: int) -> bool:
    """Cells that can be one run of digits broken by stray spaces: all digits, enough of them."""
    return (all(v.kind in ("number", "run") and v.text.isdigit() for v in values)
            and sum(len(v.text) for v in values) >= cells and (len(values) < cells or len(values) == 1))


def _printed(text: str, values: list[Token]) -> str:
    return text[values[0].start:values[-1].end]


def _agreed(splits: list[list[Token]]) -> dict[int, Token]:
    """The cells (by column) that every possible split of a run puts in the same place."""
    if not splits:
        return {}
    return {i: token for i, token in enumerate(splits[0])
            if all((s[i].start, s[i].end) == (token.start, token.end) for s in splits[1:])}


def _resolve_by_columns(outcomes: list[Outcome], ambiguous: list, layout: dict) -> tuple[list[Outcome], list]:
    """Rows printed with no separators that split several ways: keep the one choice of splits
    with which every column adds up (the balance identity and 总计 of each column)."""
    if not ambiguous or any(not splits for *_, splits in ambiguous):
        return [], ambiguous
    columns = layout["table3"]["columns"]
    choices = [[]]
    for *_, splits in ambiguous:
        choices = [chosen + [split] for chosen in choices for split in splits]
        if len(choices) > 5000:
            return [], ambiguous
    cells = {(o.outcome, o.applicant_type): o.cell.value for o in outcomes}
    fitting = []
    for choice in choices:
        trial = dict(cells)
        for (row, *_), split in zip(ambiguous, choice):
            trial.update({(row["key"], c): t.cell().value for c, t in zip(columns, split)})
        found = balance(trial, columns) + outcome_sum(trial, layout["table3"])
        if found and all(check.passed for check in found):
            fitting.append(choice)
    if len(fitting) != 1:
        return [], ambiguous
    return [Outcome(row["key"], c, t.cell()) for (row, *_), split in zip(ambiguous, fitting[0])
            for c, t in zip(columns, split)], []


def is_run(token: Token, cells: int = 2) -> bool:
    """Digits that can only be several cells: glued to a label, a number written with a leading 0,
    or as many digits as the row has cells (no single count fills a row of seven)."""
    return token.kind == "run" or bool(LEADING_ZERO.fullmatch(token.text)) or (
        cells > 2 and bool(DIGITS.fullmatch(token.text)) and len(token.text) >= cells)


def run_splits(run: Token, parts: int, fits) -> list[list[Token]]:
    """Every way to cut a run of digits printed with no separators into `parts` cells
    that satisfies `fits` (the table's arithmetic), as inferred cells."""
    return joined_splits([run], parts, fits)


MAX_SPLITS = 20000  # past this many cuts a run is not read (it would be a guess anyway)


def joined_splits(values: list[Token], parts: int, fits) -> list[list[Token]]:
    """Digits printed without separators, perhaps with stray spaces (230 000023): every way to
    cut them into `parts` cells that satisfies `fits`, as inferred cells. Cuts at the spaces are
    preferred: the splits that cut at every space if any fit, else those that cut at the most."""
    texts = [v.text for v in values]
    if not all(DIGITS.fullmatch(t) for t in texts) or sum(map(len, texts)) < parts:
        return []
    found = _splits_at_spaces(values, parts, fits) if len(values) <= parts else []
    if not found and len(values) > 1:
        found = _splits_across_spaces(values, parts, fits)
    for split in found:
        for cell in split:
            cell.kind = "inferred"
    return found


def _splits_at_spaces(values: list[Token], parts: int, fits) -> list[list[Token]]:
    found, tried = [], 0

    def place(i: int, left: int, cells: list[Token]) -> None:
        nonlocal tried
        if i == len(values):
            tried += 1
            if left == 0 and fits([int(c.text) for c in cells]):
                found.append(cells)
            return
        rest = len(values) - i - 1
        for n in range(1, min(len(values[i].text), left - rest) + 1):
            for widths in compositions(values[i].text, n):
                if tried > MAX_SPLITS:
                    return
                place(i + 1, left - n, cells + values[i].split(widths))

    place(0, parts, [])
    return [] if tried > MAX_SPLITS else found


def _splits_across_spaces(values: list[Token], parts: int, fits) -> list[list[Token]]:
    """Cuts anywhere in the digits, a cell may hold a space; only those with the most cuts at spaces."""
    digits = "".join(v.text for v in values)
    places = [(v.start + i) for v in values for i in range(len(v.text))]  # text offset of each digit
    scored = []
    for n, widths in enumerate(compositions(digits, parts)):
        if n > MAX_SPLITS:
            return []
        numbers, cells, at = [], [], 0
        for width in widths:
            numbers.append(int(digits[at:at + width]))
            cells.append((places[at], places[at + width - 1] + 1))
            at += width
        if fits(numbers):
            spaces = sum(1 for (_, end), (start, _) in zip(cells, cells[1:]) if start > end)
            scored.append((spaces, cells, numbers))
    best = max((s for s, *_ in scored), default=0)
    text_of = {v.start + i: ch for v in values for i, ch in enumerate(v.text)}
    return [[Token("number", _slice(text_of, s, e), s, e) for s, e in cells] for score, cells, _ in scored if score == best]


def _slice(text_of: dict[int, str], start: int, end: int) -> str:
    """A cell's text as printed: its digits with the spaces between them."""
    return "".join(text_of.get(i, " ") for i in range(start, end))


def split_run(values: list[Token], parts: int, fits) -> list[Token] | None:
    """The cells of a run when exactly one cut fits; None when none or several do."""
    if len(values) != 1 or not is_run(values[0], parts):
        return None
    splits = run_splits(values[0], parts, fits)
    return splits[0] if len(splits) == 1 else None


def _groups_add_up(parts: list[int]) -> bool:
    return all(sum(parts[g:g + 4]) == parts[g + 4] for g in (0, 5, 10))


def _subtotal_first(values: list[Token]) -> bool:
    numbers = [v.cell().value for v in values]
    return None not in numbers and numbers[0] == sum(numbers[1:])


def _sums_to_last(values: list[Token]) -> bool:
    numbers = [v.cell().value for v in values]
    return None not in numbers and sum(numbers[:-1]) == numbers[-1]


def read_table4(text: str, region: Region, layout: dict) -> tuple[list[ReviewLitigation], list[Issue]]:
    tokens = tokenize(text, region.start, region.end)
    columns = layout["table4"]["columns"]
    # The one data row is the first unbroken sequence of values (text after the table may follow).
    sequences = [[]]
    for token in tokens:
        if token.kind in ("number", "dash", "run", "blank"):
            sequences[-1].append(token)
        elif token.kind == "label" and sequences[-1]:
            sequences.append([])
    # A blank cell between rows (| 总计 | | 0 | 1 |… on a page flattened onto one line) is a row break.
    trimmed = [seq for raw in sequences for seq in (raw, _strip_blanks(raw))]
    values = _trim_padding(next((seq for seq in trimmed if len(seq) == len(columns)), sequences[0]), len(columns))
    if len(values) != len(columns) and _digits_only(values, len(columns)):
        splits = joined_splits(values, len(columns), _groups_add_up)
        if len(splits) != 1:
            agreed = _agreed(splits)
            kept = "only the cells they all agree on were stored" if agreed else "its values were not stored"
            return ([ReviewLitigation(*columns[i], token.cell()) for i, token in agreed.items()],
                    [Issue("warning", f"table 四 prints {_printed(text, values)!r} with no separators and "
                                      f"{len(splits) or 'no'} split(s) add up; {kept} (ambiguous)")])
        values = splits[0]
    if len(values) != len(columns):
        if not values:
            return [], []
        return [], [Issue("warning", f"table 四 has {len(values)} cells, expected {len(columns)}; "
                                     "its values were not stored")]
    return [ReviewLitigation(p, r, v.cell()) for (p, r), v in zip(columns, values)], []


def read_pre2019(text: str, region: Region, layout: dict) -> list[Metric]:
    """One value per row; the 2008-2013 local tables have two (本年度, 历年累计) and we keep this year's."""
    tokens = tokenize(text, region.start, region.end)
    two_columns = "累计" in squash(text[region.start:region.start + 300])
    metrics = []
    for row, label, values, unit in read_rows(tokens, layout["rows"]):
        if two_columns and len(values) == 1:
            # 本年度 and 历年累计 printed together (4251516): this year's is at most the running total.
            values = split_run(values, 2, lambda parts: parts[0] <= parts[1]) or []
        if not values:
            continue
        metrics.append(Metric(metric=row["key"], label=_label(label), cell=values[0].cell(),
                              unit=unit.text if unit else row.get("unit"), source="table"))
    return metrics


def pre2019_review_litigation(metrics: list[Metric], layout: dict) -> list[ReviewLitigation]:
    mapping = layout["review_litigation"]
    return [ReviewLitigation(*mapping[m.metric], m.cell) for m in metrics if m.metric in mapping]
