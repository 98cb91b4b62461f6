"""The same table 三 and 四 written out the ways real government sites print them.

A metamorphic test reads a corpus report's tables, writes their figures back out
in another layout family (`|` cells, one cell per line, spaces, digits glued with
and without stray spaces, an HTML <table> with rowspan/colspan, DOCX, PDF), with
a perturbation real pages show (headings glued to the previous cell, other
ordinals, an appendix, a breadcrumb on the report's line, the whole page on one
line, a column left blank, the table's name in the introduction), and expects
the parser to give back the same figures.
"""

from __future__ import annotations

import io
import json
import random
import re
from dataclasses import dataclass
from html import escape

from report_files import _placed, docx_grid

APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
              "legal_service_org", "other_org", "total"]
RESULTS = ["upheld", "corrected", "other", "pending", "total"]
PROCEEDINGS = ["admin_review", "litigation_direct", "litigation_after_review"]
TEXT_FAMILIES = ["pipe", "lines", "spaces", "glued", "glued_spaced"]
FILE_FAMILIES = ["html", "docx", "pdf", "html_as_txt", "js_string", "md_label_line", "md_split_tables"]
PERTURBATIONS = ["plain", "glued_headings", "other_ordinals", "appendix", "furniture", "one_line",
                 "blank_column", "intro_mentions", "no_table_headings"]
# What a family can carry: blank cells need a grid or `|` separators; a page on one
# line and headings glued to cells are text; furniture on the report's line is a text or web page.
UNSUPPORTED = {
    "blank_column": {"lines", "spaces", "glued", "glued_spaced"},
    "one_line": {"lines", "html", "docx", "pdf", "html_as_txt", "js_string", "md_label_line", "md_split_tables"},
    "glued_headings": {"html", "docx", "pdf", "html_as_txt", "js_string", "md_label_line", "md_split_tables"},
    "furniture": {"docx", "pdf", "md_label_line", "md_split_tables"},
}

INTRO = ("本报告根据《中华人民共和国政府信息公开条例》要求编制，本报告中所列数据的统计期限自{year}年1月1日起至"
         "{year}年12月31日止。")
INTRO_MENTIONS = ("本报告由总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、政府信息公开行政复议和行政诉讼情况、"
                  "存在的主要问题及改进情况、其他需要报告的事项等部分组成，附政府信息公开情况统计表。")
PROSE = "坚持以公开为常态、不公开为例外，认真落实政府信息公开各项工作。"
FURNITURE = "当前位置：首页 > 政务公开 > 政府信息公开年报 【字体：大 中 小】 打印本页 "
HEADINGS = {  # (usual number, words)
    "overview": ("一、", "总体情况"),
    "table2": ("二、", "主动公开政府信息情况"),
    "table3": ("三、", "收到和处理政府信息公开申请情况"),
    "table4": ("四、", "政府信息公开行政复议、行政诉讼情况"),
    "problems": ("五、", "存在的主要问题及改进情况"),
    "other": ("六、", "其他需要报告的事项"),
}


@dataclass
class Tables:
    """A report's table 三 rows (template row, seven cells) and table 四 cells, as read."""

    agency: str
    year: int
    template: str
    rows: list[tuple[dict, list[int | None]]]
    review: list[int | None] | None


@dataclass
class Variant:
    name: str  # file name with its extension
    data: bytes
    outcomes: dict[tuple[str, str], int | None]
    review: dict[tuple[str, str], int | None]


def tables_of(report, templates: dict) -> Tables | None:
    """The full rows of table 三 (and table 四) a parsed report gives, or None if it has none."""
    cells = {(o.outcome, o.applicant_type): o.cell.value for o in report.outcomes if o.source == "table"}
    if report.template not in ("t2019", "t2021") or not cells:
        return None
    rows = []
    for row in templates[report.template]["table3"]["rows"]:
        values = [cells.get((row["key"], a), "missing") for a in APPLICANTS]
        if row.get("kind") in ("header", "group") or all(v != "missing" for v in values):
            rows.append((row, values if row.get("kind") not in ("header", "group") else []))
    if not any(values for _, values in rows):
        return None
    review = {(r.proceeding, r.result): r.cell.value for r in report.review_litigation if r.source == "table"}
    order = [(p, r) for p in PROCEEDINGS for r in RESULTS]
    return Tables(report.metadata.agency or "某县人民政府", report.metadata.year or 2022, report.template, rows,
                  [review[k] for k in order] if all(k in review for k in order) else None)


def variant(tables: Tables, family: str, perturbation: str, seed: int = 0) -> Variant | None:
    if family in UNSUPPORTED.get(perturbation, set()):
        return None
    rng = random.Random(f"{seed}-{family}-{perturbation}")
    blank = _blank_column(tables) if perturbation == "blank_column" else None
    if perturbation == "blank_column" and blank is None:
        return None
    rows = [(row, [None if c == blank else v for c, v in enumerate(values)]) for row, values in tables.rows]
    review = tables.review
    if perturbation == "blank_column" and review and not any(review[10:]):
        review = review[:10] + [None] * 5  # no 复议后起诉 cases: its five cells, the row's last, left blank
    tables = Tables(tables.agency, tables.year, tables.template, tables.rows, review)
    expected = {(row["key"], a): v for row, values in rows for a, v in zip(APPLICANTS, values)}
    expected_review = ({(p, r): review[i * 5 + j] for i, p in enumerate(PROCEEDINGS) for j, r in enumerate(RESULTS)}
                       if review else {})
    title = f"{tables.agency}{tables.year}年政府信息公开工作年度报告"
    if family in ("html", "docx", "pdf"):
        data = {"html": _html, "docx": _docx, "pdf": _pdf}[family](title, tables, rows, perturbation)
        return Variant(f"{family}-{perturbation}.{family}", data, expected, expected_review)
    if family == "html_as_txt":  # a saved page kept as .txt
        return Variant(f"{family}-{perturbation}.txt", _html(title, tables, rows, perturbation), expected, expected_review)
    if family == "js_string":  # the report in a JavaScript string of a saved page's script
        page = _html(title, tables, rows, perturbation).decode("utf-8")
        article = page[page.index("<div id=\"zoom\">"):page.rindex("</div>")]
        script = "var content = " + json.dumps(article, ensure_ascii=False) + ";\ndocument.getElementById('zoom').innerHTML = content;\n"
        return Variant(f"{family}-{perturbation}.txt", script.encode("utf-8"), expected, expected_review)
    if family == "md_label_line":  # PDF-to-Markdown: a row's label on its own line, its values in the next | row
        text = _markdown(title, tables, rows, perturbation)
        return Variant(f"{family}-{perturbation}.md", text.encode("utf-8"), expected, expected_review)
    if family == "md_split_tables":  # PDF-to-Markdown that cut table 三 into pieces with generic headers
        text = _markdown(title, tables, rows, perturbation, lambda rows: _in_pieces(rows, rng))
        return Variant(f"{family}-{perturbation}.md", text.encode("utf-8"), expected, expected_review)
    text = _text(title, tables, rows, family, perturbation, rng)
    return Variant(f"{family}-{perturbation}.txt", text.encode("utf-8"), expected, expected_review)


def _blank_column(tables: Tables) -> int | None:
    """An applicant column that is 0 in every row (no 科研机构 applicants), to print blank."""
    for c in range(6):
        if all(values[c] == 0 for _, values in tables.rows if values):
            return c
    return None


# --- the report around the tables ------------------------------------------------------

def _sections(perturbation: str) -> list[tuple[str, str]]:
    """(heading, kind) in order; kind names the table that follows, if any."""
    numbers = {k: n for k, (n, _) in HEADINGS.items()}
    if perturbation == "other_ordinals":  # the tables numbered （一）（二）（三） as parts of one section
        numbers.update(table2="（一）", table3="（二）", table4="（三）")
        head = [("一、总体情况", "prose"), ("二、政府信息公开情况统计", "prose")]
        return head + [(numbers[k] + HEADINGS[k][1], k) for k in ("table2", "table3", "table4")] + [
            ("三、存在的主要问题及改进情况", "prose"), ("四、其他需要报告的事项", "prose")]
    if perturbation == "appendix":  # the body in prose, the tables numbered 一二三 in an attachment
        body = [("一、总体情况", "prose"), ("二、存在的主要问题及改进情况", "prose"), ("三、其他需要报告的事项", "prose"),
                ("附件：政府信息公开工作年度报告统计表", "prose")]
        return body + [(f"{n}{HEADINGS[k][1]}", k) for n, k in zip(("一、", "二、", "三、"), ("table2", "table3", "table4"))]
    if perturbation == "no_table_headings":  # the tables pasted without their headings, after the prose
        return [(numbers[k] + words, "prose") for k, (_, words) in HEADINGS.items() if not k.startswith("table")] + [
            ("", "table2"), ("", "table3"), ("", "table4")]
    return [(numbers[k] + words, k if k.startswith("table") else "prose") for k, (_, words) in HEADINGS.items()]


T3_HEAD = ["申请人情况", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
T4_HEAD = [["行政复议", "行政诉讼"], ["未经复议直接起诉", "复议后起诉"], ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3]


def _line(cells: list[str], family: str, rng: random.Random) -> str:
    """One table row as the family prints it. Glued digits lose their separators; glued_spaced
    keeps a space at two of the cell boundaries (230 000023), as PDF text extraction does."""
    if family == "pipe":
        return "| " + " | ".join(cells) + " |"
    if family == "lines":
        return "\n".join(c for c in cells if c)
    if family == "spaces":
        return "  ".join(c for c in cells if c)
    label = cells[0] if cells and not cells[0].isdigit() else ""
    values = cells[1:] if label else cells
    kept = set(rng.sample(range(1, len(values)), min(2, len(values) - 1))) if family == "glued_spaced" else set()
    return label + "".join((" " if i in kept else "") + v for i, v in enumerate(values))


def _text(title: str, tables: Tables, rows, family: str, perturbation: str, rng: random.Random) -> str:
    lines = [FURNITURE + title if perturbation == "furniture" else title,
             INTRO.format(year=tables.year) + (INTRO_MENTIONS if perturbation == "intro_mentions" else "")]
    for heading, kind in _sections(perturbation):
        if heading:
            lines.append(heading)
        if kind == "table3":
            lines.append(_line(T3_HEAD, family, rng) if family != "glued_spaced" else "".join(T3_HEAD))
            for row, values in rows:
                lines.append(_line([row["label"]] + ["" if v is None else str(v) for v in values], family, rng)
                             if values else row["label"])
        elif kind == "table4" and tables.review:
            lines += [_line(h, family, rng) if family != "glued_spaced" else "".join(h) for h in T4_HEAD]
            lines.append(_line(["" if v is None else str(v) for v in tables.review], family, rng))
        elif kind == "table2":
            lines.append("第二十条第(一)项" if perturbation == "no_table_headings" else "本年制发规范性文件3件。")
        else:
            lines.append(PROSE)
    if perturbation == "one_line":
        return " ".join(line.replace("\n", " ") for line in lines) + "\n"
    if perturbation == "glued_headings":
        # Each heading follows the previous line's last cell or word with no separator.
        out = []
        for line in lines:
            if out and re.match(r"^(三|四|五)、", line):
                out[-1] += line
            else:
                out.append(line)
        lines = out
    return "\n".join(lines) + "\n"


def _markdown(title: str, tables: Tables, rows, perturbation: str, table3=None) -> str:
    """A PDF-to-Markdown conversion; table 三 as `table3` writes its lines (by default a row's label
    on its own line, its values in the next | row)."""
    lines = [title, "", INTRO.format(year=tables.year) + (INTRO_MENTIONS if perturbation == "intro_mentions" else "")]
    for heading, kind in _sections(perturbation):
        lines += ["", heading, ""] if heading else [""]
        if kind == "table3":
            lines += (table3 or _labels_on_their_lines)(rows)
        elif kind == "table4" and tables.review:
            lines += ["| " + " | ".join(h) + " |" for h in T4_HEAD]
            lines.append("| " + " | ".join("" if v is None else str(v) for v in tables.review) + " |")
        else:
            lines.append("本年制发规范性文件3件。" if kind == "table2" else PROSE)
    if perturbation == "furniture":
        lines[0] = FURNITURE + lines[0]
    return "\n".join(lines) + "\n"


def _labels_on_their_lines(rows) -> list[str]:
    lines = ["| " + " | ".join(T3_HEAD) + " |", "|" + "---|" * len(T3_HEAD)]
    for row, values in rows:
        lines.append(row["label"])
        if values:
            lines.append("| " + " | ".join("" if v is None else str(v) for v in values) + " |")
    return lines


def _in_pieces(rows, rng: random.Random) -> list[str]:
    """Table 三 as a PDF converter writes it when the table crosses pages or its groups confuse it:
    one Markdown table per piece, cut before each group and once inside the longest group; the first
    piece under the table's header row cut short (a wrong header), the others under generic headers
    (数据1 … 数据8) or under their own first row taken for a header; a group's own row a row of
    empty cells."""
    lines = []
    for n, piece in enumerate(_pieces(rows, rng)):
        printed = [[row["label"]] + (["" if v is None else str(v) for v in values] if values else [""] * 7)
                   for row, values in piece]
        if n == 0:
            header = ["申请人情况", "自然人", "法人或其他组织", "总计"]
        elif n % 2:
            header = [f"数据{i}" for i in range(1, 9)]
        else:  # the piece's first row taken for its header
            header, printed = printed[0], printed[1:]
        lines += ["", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(cells) + " |" for cells in printed]
    return lines


def _pieces(rows, rng: random.Random) -> list[list]:
    """Rows cut before every group (a row whose children follow) and at a random place inside the
    group with the most children."""
    cuts = [i for i, (row, _) in enumerate(rows) if i and row.get("kind") in ("header", "group")]
    parents = [row.get("parent") for row, _ in rows]
    longest = max(set(p for p in parents if p), key=parents.count, default=None)
    inside = [i for i, p in enumerate(parents) if p == longest][1:]
    if inside:
        cuts.append(rng.choice(inside))
    bounds = [0] + sorted(set(cuts)) + [len(rows)]
    return [rows[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


# --- files: HTML, DOCX, PDF with merged cells -------------------------------------------

def _grid3(rows) -> list[list[tuple[str, int, int]]]:
    """Table 三 as a merged-cell grid: (text, rowspan, colspan); groups span their children."""
    grid = [[("申请人情况", 2, 3), ("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
            [(h, 1, 1) for h in T3_HEAD[2:7]]]
    children = {}
    for row, _ in rows:
        if row.get("parent"):
            children.setdefault(row["parent"], 0)
            children[row["parent"]] += 1
    by_id = {row["id"]: row for row, _ in rows}
    seen_parent = set()
    for row, values in rows:
        if row.get("kind") in ("header", "group"):
            continue
        cells = ["" if v is None else str(v) for v in values]
        parent = by_id.get(row.get("parent"))
        line = []
        if parent and parent.get("kind") == "group":
            top = by_id.get(parent.get("parent"))
            if top and top["id"] not in seen_parent:
                line.append((top["label"], _descendants(top["id"], rows), 1))
                seen_parent.add(top["id"])
            if parent["id"] not in seen_parent:
                line.append((parent["label"], children[parent["id"]], 1))
                seen_parent.add(parent["id"])
            line.append((row["label"], 1, 1))
        elif parent:  # 予以公开 under 三、本年度办理结果
            if parent["id"] not in seen_parent:
                line.append((parent["label"], _descendants(parent["id"], rows), 1))
                seen_parent.add(parent["id"])
            line.append((row["label"], 1, 2))
        else:
            line.append((row["label"], 1, 3))
        grid.append(line + [(c, 1, 1) for c in cells])
    return grid


def _descendants(row_id: str, rows) -> int:
    return sum(1 for row, _ in rows if row.get("kind") not in ("header", "group")
               and row.get("id", "").startswith(row_id + "."))


def _grid4(review) -> list[list[tuple[str, int, int]]]:
    results = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [[("行政复议", 1, 5), ("行政诉讼", 1, 10)],
            [(r, 2, 1) for r in results] + [("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
            [(r, 1, 1) for r in results * 2],
            [("" if v is None else str(v), 1, 1) for v in review]]


def _blocks(title: str, tables: Tables, rows, perturbation: str) -> list[tuple[str, object]]:
    """The report as ("p", text) paragraphs and ("table", grid) tables."""
    blocks = [("p", title), ("p", INTRO.format(year=tables.year) + (INTRO_MENTIONS if perturbation == "intro_mentions" else ""))]
    for heading, kind in _sections(perturbation):
        if heading:
            blocks.append(("p", heading))
        if kind == "table3":
            blocks.append(("table", _grid3(rows)))
        elif kind == "table4" and tables.review:
            blocks.append(("table", _grid4(tables.review)))
        else:
            blocks.append(("p", "本年制发规范性文件3件。" if kind == "table2" else PROSE))
    return blocks


def _html(title: str, tables: Tables, rows, perturbation: str) -> bytes:
    body = []
    for kind, content in _blocks(title, tables, rows, perturbation):
        if kind == "p":
            body.append(f"<p>{escape(content)}</p>")
        else:
            body.append("<table border=1><tbody>" + "".join(
                "<tr>" + "".join(f'<td{f" rowspan={r}" if r > 1 else ""}{f" colspan={c}" if c > 1 else ""}>{escape(t)}</td>'
                                 for t, r, c in row) + "</tr>" for row in content) + "</tbody></table>")
    crumbs = f"<p>{escape(FURNITURE)}{escape(title)}</p>" if perturbation == "furniture" else ""
    page = (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{escape(title)}</title></head><body>"
            f"<div class=\"nav\"><a href=\"/\">首页</a> <a href=\"/xxgk/\">政府信息公开</a></div>"
            f"<div id=\"zoom\">{crumbs}{''.join(body)}</div></body></html>")
    return page.encode("utf-8")


def _docx(title: str, tables: Tables, rows, perturbation: str) -> bytes:
    import docx

    document = docx.Document()
    for kind, content in _blocks(title, tables, rows, perturbation):
        if kind == "p":
            document.add_paragraph(content)
            continue
        docx_grid(document, content)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _pdf(title: str, tables: Tables, rows, perturbation: str) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=15)
    small = ParagraphStyle("small", fontName="STSong-Light", fontSize=5, leading=6)
    story = []
    for kind, content in _blocks(title, tables, rows, perturbation):
        if kind == "p":
            story.append(Paragraph(escape(content), body))
            continue
        data, spans = _placed(content)
        width = len(data[0])
        widths = [30, 40, 110] + [30] * 7 if width == 10 else [32] * width
        table = Table([[Paragraph(escape(t), small) if t else "" for t in row] for row in data], colWidths=widths)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 5)]
                                  + spans))
        story.append(table)
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, title=title, invariant=1).build(story)
    return out.getvalue()
