"""Small real-looking reports in each published format, written the way government
sites write them: an HTML page in GBK with a merged-cell table, a PDF drawn with
reportlab, a DOCX written with python-docx. The figures are chosen here (they
satisfy the official sums) so tests know what the database must hold."""

from __future__ import annotations

import io

TITLE = "洪泽区交通运输局2023年政府信息公开工作年度报告"
APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
              "legal_service_org", "other_org", "total"]

# Table 三 of the 2021 format: (first label, second label, third label, key, the six applicant columns).
# Labels left None are covered by the cell above (rowspan) or to the left (colspan).
TABLE_3 = [
    ("一、本年新收政府信息公开申请数量", "", "", "new_received", [10, 2, 0, 0, 1, 0]),
    ("二、上年结转政府信息公开申请数量", "", "", "carried_over_from_prev_year", [1, 0, 0, 0, 0, 0]),
    ("三、本年度办理结果", "（一）予以公开", "", "granted", [5, 1, 0, 0, 0, 0]),
    (None, "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", "", "partially_granted", [2, 0, 0, 0, 0, 0]),
    (None, "（三）不予公开", "1.属于国家秘密", "denied_state_secret", [0] * 6),
    (None, None, "2.其他法律行政法规禁止公开", "denied_prohibited_by_law", [0] * 6),
    (None, None, "3.危及“三安全一稳定”", "denied_three_securities_one_stability", [0] * 6),
    (None, None, "4.保护第三方合法权益", "denied_third_party_rights", [1, 0, 0, 0, 0, 0]),
    (None, None, "5.属于三类内部事务信息", "denied_internal_affairs", [0] * 6),
    (None, None, "6.属于四类过程性信息", "denied_process_information", [0] * 6),
    (None, None, "7.属于行政执法案卷", "denied_enforcement_case_file", [0] * 6),
    (None, None, "8.属于行政查询事项", "denied_administrative_query", [0] * 6),
    (None, "（四）无法提供", "1.本机关不掌握相关政府信息", "unable_not_held", [2, 0, 0, 0, 1, 0]),
    (None, None, "2.没有现成信息需要另行制作", "unable_requires_creation", [0] * 6),
    (None, None, "3.补正后申请内容仍不明确", "unable_unclear_after_correction", [0] * 6),
    (None, "（五）不予处理", "1.信访举报投诉类申请", "not_processed_petition_complaint", [0] * 6),
    (None, None, "2.重复申请", "not_processed_duplicate", [0, 1, 0, 0, 0, 0]),
    (None, None, "3.要求提供公开出版物", "not_processed_publication", [0] * 6),
    (None, None, "4.无正当理由大量反复申请", "not_processed_excessive_repeat", [0] * 6),
    (None, None, "5.要求行政机关确认或重新出具已获取信息", "not_processed_confirm_or_reissue", [0] * 6),
    (None, "（六）其他处理", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", "other_no_correction_overdue", [0] * 6),
    (None, None, "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", "other_fee_not_paid", [0] * 6),
    (None, None, "3.其他", "other_other", [0] * 6),
    (None, "（七）总计", "", "results_total", [10, 2, 0, 0, 1, 0]),
    ("四、结转下年度继续办理", "", "", "carried_forward_to_next_year", [1, 0, 0, 0, 0, 0]),
]
# Table 四: 行政复议 (5 cells), then 行政诉讼 未经复议直接起诉 (5) and 复议后起诉 (5).
TABLE_4 = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
RESULTS = ["upheld", "corrected", "other", "pending", "total"]
PROCEEDINGS = ["admin_review", "litigation_direct", "litigation_after_review"]


def expected_outcomes() -> dict[tuple[str, str], int]:
    cells = {}
    for *_, key, values in TABLE_3:
        for applicant, value in zip(APPLICANTS, values + [sum(values)]):
            cells[(key, applicant)] = value
    return cells


def expected_review_litigation() -> dict[tuple[str, str], int]:
    return {(PROCEEDINGS[i // 5], RESULTS[i % 5]): value for i, value in enumerate(TABLE_4)}


PROSE = [
    "一、总体情况",
    "2023年，我局认真贯彻落实《中华人民共和国政府信息公开条例》，全年主动公开政府信息126条。",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
]
AFTER = [
    "四、政府信息公开行政复议、行政诉讼情况",
]
ENDING = [
    "五、存在的主要问题及改进情况",
    "个别科室信息发布不够及时，下一步将加强培训。",
    "六、其他需要报告的事项",
    "本年度未收取信息处理费。",
]


# --- one grid, spans as HTML writes them ----------------------------------------------

def table_3_cells() -> list[list[tuple[str, int, int]]]:
    """Rows of (text, rowspan, colspan), the way the official form is typeset."""
    rows = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [("商业企业", 1, 1), ("科研机构", 1, 1), ("社会公益组织", 1, 1), ("法律服务机构", 1, 1), ("其他", 1, 1)],
    ]
    spans = {"三、本年度办理结果": 22, "（三）不予公开": 8, "（四）无法提供": 3, "（五）不予处理": 5, "（六）其他处理": 3}
    for first, second, third, _, values in TABLE_3:
        row = []
        if first is not None:
            row.append((first, spans.get(first, 1), 3 if not second else 1))
        if second:  # "" when the first label spans the row
            row.append((second, spans.get(second, 1), 2 if not third else 1))
        if third:
            row.append((third, 1, 1))
        row += [(str(v), 1, 1) for v in values + [sum(values)]]
        rows.append(row)
    return rows


def table_4_cells() -> list[list[tuple[str, int, int]]]:
    results = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"]
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [(r, 2, 1) for r in results] + [("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [(r, 1, 1) for r in results * 2],
        [(str(v), 1, 1) for v in TABLE_4],
    ]


def html_table(cells) -> str:
    rows = []
    for row in cells:
        tds = "".join(f'<td{f" rowspan={r}" if r > 1 else ""}{f" colspan={c}" if c > 1 else ""}>{t}</td>'
                      for t, r, c in row)
        rows.append(f"<tr>{tds}</tr>")
    return "<table border=1><tbody>" + "\n".join(rows) + "</tbody></table>"


def html_page(article: str | None = None, *, charset: str = "gb2312", head: str = "") -> str:
    if article is None:
        article = ("".join(f"<p>{line}</p>" for line in PROSE) + html_table(table_3_cells())
                   + "".join(f"<p>{line}</p>" for line in AFTER) + html_table(table_4_cells())
                   + "".join(f"<p>{line}</p>" for line in ENDING))
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<title>{TITLE}_洪泽区人民政府</title>
<meta name="ArticleTitle" content="{TITLE}">
<meta name="PubDate" content="2024-01-19 09:30">
<link rel="canonical" href="http://www.hongze.gov.cn/hzqjtysj/zfxxgkndbg/content/2024/01/19/a1.html">
{head}
<script>var _hmt = _hmt || []; window.nav = "首页 > 政府信息公开";</script>
</head><body>
<div class="nav"><a href="/">首页</a> <a href="/xxgk/">政府信息公开</a> <a href="/hd/">互动交流</a> <a href="/fw/">政务服务</a></div>
<div class="crumb">您的位置：<a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开年报</a></div>
<h1>{TITLE}</h1>
<div class="info">发布日期：2024-01-19 来源：洪泽区交通运输局 浏览次数：128</div>
<div id="zoom">{article}</div>
<div class="footer">主办单位：洪泽区人民政府办公室 网站标识码：3208130001 苏ICP备05009120号</div>
</body></html>"""


def pdf_bytes(*, encrypt: str | None = None) -> bytes:
    """Two pages: the prose and table 三 on the first, table 四 and the ending on the second."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    body = ParagraphStyle("body", fontName="STSong-Light", fontSize=10, leading=15)
    small = ParagraphStyle("small", fontName="STSong-Light", fontSize=6, leading=8)
    story = [Paragraph(TITLE, ParagraphStyle("title", fontName="STSong-Light", fontSize=14, leading=20))]
    story += [Paragraph(line, body) for line in PROSE]

    def grid(cells, widths):
        data, style = _placed(cells)
        table = Table([[Paragraph(t, small) if t else "" for t in row] for row in data], colWidths=widths)
        table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                                   ("FONTNAME", (0, 0), (-1, -1), "STSong-Light"), ("FONTSIZE", (0, 0), (-1, -1), 6)]
                                  + style))
        return table

    story.append(grid(table_3_cells(), [40, 60, 110] + [35] * 7))
    story.append(PageBreak())
    story += [Paragraph(line, body) for line in AFTER]
    story.append(grid(table_4_cells(), [30] * 15))
    story += [Paragraph(line, body) for line in ENDING]
    out = io.BytesIO()
    SimpleDocTemplate(out, pagesize=A4, encrypt=encrypt, title=TITLE).build(story)
    return out.getvalue()


def _placed(cells):
    """A full grid of texts ("" under spans) and reportlab SPAN commands."""
    placed: dict[tuple[int, int], str] = {}
    style = []
    for r, row in enumerate(cells):
        c = 0
        for text, rowspan, colspan in row:
            while (r, c) in placed:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    placed[(r + dr, c + dc)] = text if (dr, dc) == (0, 0) else ""
            if rowspan > 1 or colspan > 1:
                style.append(("SPAN", (c, r), (c + colspan - 1, r + rowspan - 1)))
            c += colspan
    width = max(c for _, c in placed) + 1
    return [[placed.get((r, c), "") for c in range(width)] for r in range(len(cells))], style


def docx_grid(document, cells):
    """A Word table of merged cells ((text, rowspan, colspan) rows), merged as Word merges them."""
    data, spans = _placed(cells)
    table = document.add_table(rows=len(data), cols=len(data[0]))
    for row, texts in zip(table.rows, data):
        # (a row's cells at once: table.cell(r, c) lays out the whole table again for each cell)
        for cell, text in zip(row.cells, texts):
            cell.text = text
    for _, (c0, r0), (c1, r1) in spans:
        table.cell(r0, c0).merge(table.cell(r1, c1))
    return table


def docx_bytes() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph(TITLE)
    for line in PROSE:
        document.add_paragraph(line)

    docx_grid(document, table_3_cells())
    for line in AFTER:
        document.add_paragraph(line)
    docx_grid(document, table_4_cells())
    for line in ENDING:
        document.add_paragraph(line)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
