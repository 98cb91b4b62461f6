"""Step 3b: the official tables, read with a layout.

Finding a table's text is `finding`, matching its labels to a layout's rows is
`matching`, cutting digits printed without separators is `cutting`; this module
reads each table's rows into values with the layout (parsers/data/layouts/).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

from . import data
from .cells import Token, tokenize
from .checks import balance, outcome_sum  # the same arithmetic the checks apply
from .cutting import agreed_cells, cuts, digits_only, is_run, only_cut
from .finding import Region, detect_layout, find_regions, stated_numbers
from .matching import is_row_label, label_text, match_row, read_rows
from .model import Issue, Metric, Outcome, ReviewLitigation
from .textutil import fold, squash

MONEY_UNIT = re.compile(r"(万元|元)\s*$")


@dataclass
class Tables:
    template: str = "narrative"  # the official template the tables follow (reports.template)
    regions: dict[str, Region] = field(default_factory=dict)  # the tables whose headings were found
    metrics: list[Metric] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    review_litigation: list[ReviewLitigation] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    layout: str | None = None  # the layout they were read with: the template's, or a variant's

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
                or _looks_like_table3(text, official.get("table3"), result.layout)):
            return result
    if "pre2019" in regions:
        layout = data.load("pre2019_stats")
        metrics = read_pre2019(text, regions["pre2019"], layout)
        if metrics:
            return Tables("pre2019_stats", regions, metrics,
                          review_litigation=pre2019_review_litigation(metrics, layout))
    return Tables(regions=regions)  # headings seen, no layout's rows read


def _looks_like_table3(text: str, region: Region | None, layout: str) -> bool:
    """A table 三 with its row labels but no values (a blank table) is still the table."""
    if region is None:
        return False
    rows = data.layout(layout)["table3"]["rows"]
    labels = {match_row(t, rows) for t in tokenize(text, region.start, region.end) if t.kind == "label"}
    return len(labels - {None}) >= 8


def _read_official(text: str, folded: str, regions: dict[str, Region], year: int | None) -> Tables:
    name = detect_layout(folded, regions, year)
    layout = data.layout(name)
    result = Tables(template=layout["template"], layout=name, regions=regions)
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
                splits = cuts(values[:1], len(sub["columns"]), lambda parts: True)
                values = splits[0] if len(splits) == 1 else _corroborated(splits, stated) or []
            if not values or len(values) > len(sub["columns"]):
                continue  # more cells than columns, or digits that split more than one way
            # A row that lost cells keeps its first one: cells go missing at the right, after the first.
            for column, unit, value, header in zip(sub["columns"], units, values[:1] if len(values) < len(sub["columns"]) else values, headers):
                metrics.append(Metric(
                    metric=f"{sub['key']}.{row['key']}.{column}",
                    label=f"{label_text(label)} {header}".strip(),
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


def _column_headers(tokens: list[Token], sub: dict) -> list[str]:
    headers = []
    for token in tokens:
        if token.kind != "label" or is_row_label(token, sub["rows"]):
            break
        if "信息内容" not in squash(token.text) and "第二十条" not in squash(token.text):
            headers.append(label_text(token))
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
        if len(values) != len(columns) and digits_only(values, len(columns)):
            splits = cuts(values, len(columns), sums)
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
            issues.append(Issue("warning", f"table 三 row {label_text(label)!r} has {len(values)} of {len(columns)} cells; "
                                           "only its 总计 was stored"))
            continue
        if len(values) != len(columns):
            issues.append(Issue("warning", f"table 三 row {label_text(label)!r} has {len(values)} cells, "
                                           f"expected {len(columns)}; its values were not stored"))
            continue
        outcomes += [Outcome(row["key"], column, value.cell()) for column, value in zip(columns, values)]
    resolved, unresolved = _resolve_by_columns(outcomes, ambiguous, layout)
    outcomes += resolved
    for row, label, printed, splits in unresolved:
        agreed = agreed_cells(splits)  # several splits add up: keep the cells they all agree on
        outcomes += [Outcome(row["key"], columns[i], token.cell()) for i, token in agreed.items()]
        kept = (f"the cells every split agrees on ({', '.join(columns[i] for i in agreed)}) were stored; "
                "the rest are ambiguous" if agreed else "its values were not stored")
        issues.append(Issue("warning", f"table 三 row {label_text(label)!r} prints {printed!r} with no separators and "
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


def _printed(text: str, values: list[Token]) -> str:
    return text[values[0].start:values[-1].end]


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
    if len(values) != len(columns) and digits_only(values, len(columns)):
        splits = cuts(values, len(columns), _groups_add_up)
        if len(splits) != 1:
            agreed = agreed_cells(splits)
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
            values = only_cut(values, 2, lambda parts: parts[0] <= parts[1]) or []
        if not values:
            continue
        metrics.append(Metric(metric=row["key"], label=label_text(label), cell=values[0].cell(),
                              unit=unit.text if unit else row.get("unit"), source="table"))
    return metrics


def pre2019_review_litigation(metrics: list[Metric], layout: dict) -> list[ReviewLitigation]:
    mapping = layout["review_litigation"]
    return [ReviewLitigation(*mapping[m.metric], m.cell) for m in metrics if m.metric in mapping]
