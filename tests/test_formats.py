"""Every format a government site publishes (HTML in GBK, PDF, DOCX), and every
broken file a crawl brings: each read with provenance, or recorded with a message
that names the file and the problem, while the rest of the build goes on."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import zipfile

from urllib.parse import quote

import httpx
import pytest

import build
import report_files as rf
from conftest import datasette

REPORT = "某县交通运输局2022年政府信息公开工作年度报告\n一、总体情况\n本局共主动公开政府信息25条。\n"


def scanned_pdf() -> bytes:
    """A page with a drawing and no text layer, as a scanner writes it."""
    from reportlab.pdfgen import canvas
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.rect(100, 100, 300, 500, fill=1)
    page.save()
    return out.getvalue()


def zip_bomb() -> bytes:
    """A DOCX-shaped zip whose document unpacks to 210 MB of zeros."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("word/document.xml", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(210):
                member.write(chunk)
    return out.getvalue()


def document_write_page() -> str:
    """The article is a string a script writes into the page (saved as UTF-8 under a gb2312 declaration)."""
    body = rf.html_page().split('<div id="zoom">')[1].split("</div>\n<div class=\"footer\">")[0]
    script = "document.write(" + json.dumps(body, ensure_ascii=False) + ");"
    return rf.html_page(article="").replace('<div id="zoom"></div>', f'<div id="zoom"><script>{script}</script></div>')


FILES = {
    "hongze-jt.html": lambda: rf.html_page().encode("gbk"),
    "pdf/hongze-jt.pdf": rf.pdf_bytes,
    "docx/hongze-jt.docx": rf.docx_bytes,
    "written/hongze-jt.html": lambda: document_write_page().encode("utf-8"),
    # Bytes that are not GBK in the middle of a GBK page: the rest is still read.
    "damaged/hongze-jt.html": lambda: rf.html_page().encode("gbk").replace("主动公开政府信息126条".encode("gbk"),
                                                                          b"\x81\x20" + "主动公开政府信息126条".encode("gbk")),
    "script.txt": lambda: (REPORT + "<script>alert('x')</script><b>粗体</b>\n").encode("utf-8"),
    "中文/交通运输局.html": lambda: rf.html_page(charset="utf-8").encode("utf-8"),  # a Chinese file name: a Chinese id
    "nameless.txt": lambda: "政府信息公开工作年度报告\n一、总体情况\n本局共主动公开政府信息30条。\n".encode("utf-8"),
    "manifest.csv": lambda: "path,source_url,year,agency\nnameless.txt,https://example.gov.cn/a.html,2021,某县农业农村局\n".encode(),
    "pdf/hongze-jt.meta.json": lambda: json.dumps({"source_url": "https://www.hongze.gov.cn/a.pdf", "year": 2023}).encode(),
    "bad/empty.pdf": lambda: b"",
    "bad/truncated.pdf": lambda: rf.pdf_bytes()[:2500],
    "bad/locked.pdf": lambda: rf.pdf_bytes(encrypt="secret"),
    "bad/scanned.pdf": scanned_pdf,
    "bad/notzip.docx": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
    "bad/bomb.docx": zip_bomb,
    "bad/noarticle.html": lambda: rf.html_page(article="<p>暂无内容</p>").encode("gbk"),
    "bad/junk.html": lambda: bytes(range(256)) * 20,
    "bad/huge.txt": lambda: REPORT.encode("utf-8") * (50 * 1024 * 1024 // len(REPORT.encode("utf-8")) + 1),
    "bad/old.doc": lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600,
}


@pytest.fixture(scope="module")
def formats_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("formats") / "reports"
    for name, make in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(make())
    db = folder.parent / "ogi.db"
    assert build.main(["--db", str(db), str(folder)]) == 0
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def rows(db, sql, *params):
    return [dict(r) for r in db.execute(sql, params)]


@pytest.mark.parametrize("rid", ["hongze-jt", "pdf--hongze-jt", "docx--hongze-jt", "written--hongze-jt"])
def test_table_three_and_four_from_the_grid(formats_db, rid):
    outcomes = {(r["outcome"], r["applicant_type"]): r["count"]
                for r in rows(formats_db, "select * from application_outcomes where report_id = ?", rid)}
    assert outcomes == rf.expected_outcomes()
    review = {(r["proceeding"], r["result"]): r["count"]
              for r in rows(formats_db, "select * from review_litigation where report_id = ?", rid)}
    assert review == rf.expected_review_litigation()
    [report] = rows(formats_db, "select * from reports where id = ?", rid)
    assert (report["title"], report["year"], report["template"], report["doc_type"]) == (
        rf.TITLE, 2023, "t2021", "annual_report")
    assert report["agency"] == "洪泽区交通运输局" and report["county"] == "洪泽区"


@pytest.mark.parametrize("rid", ["hongze-jt", "pdf--hongze-jt", "docx--hongze-jt", "written--hongze-jt"])
def test_every_span_holds_its_value(formats_db, rid):
    for table in ("metrics", "application_outcomes", "review_litigation"):
        wrong = rows(formats_db, f"""select t.value_raw, substr(r.text, t.start + 1, t."end" - t.start) as at_span
                                     from {table} t join reports r on r.id = t.report_id
                                     where r.id = ? and at_span != t.value_raw""", rid)
        assert wrong == []
    prose = rows(formats_db, "select value, value_raw from metrics where report_id = ? and metric = 'proactive_items_total'", rid)
    assert prose == [{"value": 126, "value_raw": "126"}]


def test_html_article_without_navigation_and_with_its_source(formats_db):
    [report] = rows(formats_db, "select * from reports where id = 'hongze-jt'")
    assert report["source_format"] == "html"
    assert report["source_url"] == "http://www.hongze.gov.cn/hzqjtysj/zfxxgkndbg/content/2024/01/19/a1.html"
    assert report["published_date"] == "2024-01-19"
    for furniture in ("互动交流", "网站标识码", "浏览次数", "_hmt"):
        assert furniture not in report["text"]
    assert json.loads(report["metadata_from"]) == {"source_url": "page", "published_date": "page"}


def test_pdf_pages_and_sidecar(formats_db):
    [report] = rows(formats_db, "select * from reports where id = 'pdf--hongze-jt'")
    assert report["pages"] == 2 and report["source_url"] == "https://www.hongze.gov.cn/a.pdf"
    assert json.loads(report["metadata_from"]) == {"source_url": "pdf/hongze-jt.meta.json"}
    pages = {r["proceeding"]: r["page"] for r in rows(formats_db, "select * from review_litigation where report_id = 'pdf--hongze-jt'")}
    assert set(pages.values()) == {2}  # table 四 was put on the second page
    assert {r["page"] for r in rows(formats_db, "select page from application_outcomes where report_id = 'pdf--hongze-jt'")} == {1}


def test_manifest_fills_what_the_report_does_not_say(formats_db):
    [report] = rows(formats_db, "select * from reports where id = 'nameless'")
    assert (report["year"], report["agency"], report["source_url"]) == (2021, "某县农业农村局", "https://example.gov.cn/a.html")
    assert json.loads(report["metadata_from"]) == {"agency": "manifest.csv", "source_url": "manifest.csv", "year": "manifest.csv"}
    # the guess the year replaced is not reported any more
    assert not rows(formats_db, "select * from build_issues where source_path = 'nameless.txt' and message like '%year%'")
    assert not rows(formats_db, "select * from reports where id in ('manifest', 'pdf--hongze-jt-meta')")


def test_damaged_gbk_page_keeps_the_rest(formats_db):
    outcomes = rows(formats_db, "select count(*) as n from application_outcomes where report_id = 'damaged--hongze-jt'")
    assert outcomes == [{"n": 25 * 7}]
    [issue] = rows(formats_db, "select * from build_issues where source_path = 'damaged/hongze-jt.html'")
    assert issue["severity"] == "warning" and "could not be decoded" in issue["message"]


@pytest.mark.parametrize("path,words", [
    ("bad/empty.pdf", "empty"),
    ("bad/truncated.pdf", "damaged or truncated"),
    ("bad/locked.pdf", "password"),
    ("bad/scanned.pdf", "no text layer"),
    ("bad/notzip.docx", "not a zip"),
    ("bad/bomb.docx", "zip bomb"),
    ("bad/noarticle.html", "no article"),
    ("bad/junk.html", "binary"),
    ("bad/huge.txt", "50 MB limit"),
    ("bad/old.doc", "Word"),
])
def test_bad_file_is_one_error_naming_file_and_problem(formats_db, path, words):
    [issue] = rows(formats_db, "select * from build_issues where source_path = ?", path)
    assert issue["severity"] == "error" and issue["message"].startswith(path) and words in issue["message"]
    assert not rows(formats_db, "select * from reports where source_path = ?", path)


def test_every_good_file_is_in_the_database(formats_db):
    ids = {r["id"] for r in rows(formats_db, "select id from reports")}
    assert ids == {"hongze-jt", "pdf--hongze-jt", "docx--hongze-jt", "written--hongze-jt", "damaged--hongze-jt",
                   "script", "nameless", "中文--交通运输局"}


@pytest.fixture(scope="module")
def formats_site(formats_db):
    with datasette(formats_db.execute("pragma database_list").fetchone()["file"]) as base:
        yield base


def test_report_text_is_never_rendered_as_html(formats_site):
    page = httpx.get(f"{formats_site}/report/script", timeout=30).text
    table = httpx.get(f"{formats_site}/ogi/reports/script", timeout=30).text
    assert "<script>alert(" not in page and "&lt;script&gt;alert(" in page
    assert "<b>粗体</b>" not in page
    assert "<script>alert(" not in table


def test_a_report_with_a_chinese_id_has_its_page_and_value_links(formats_site, formats_db):
    rid = "中文--交通运输局"
    [(value_raw, start, end)] = formats_db.execute(
        "select value_raw, start, \"end\" from application_outcomes where report_id = ? "
        "and outcome = 'new_received' and applicant_type = 'total'", [rid]).fetchall()
    listing = httpx.get(f"{formats_site}/ogi/application_outcomes", timeout=30,
                        params={"report_id": rid, "outcome": "new_received", "applicant_type": "total"}).text
    [link] = re.findall(r'<a class="provenance" href="([^"]+)"', listing)
    page = httpx.get(formats_site + link.replace("&amp;", "&"), timeout=30, follow_redirects=True)
    assert page.status_code == 200
    assert f'<mark id="hl">{value_raw}</mark>' in page.text
    # the %-encoded address a person or a script may type also arrives, through Datasette's redirect
    typed = httpx.get(f"{formats_site}/report/{quote(rid)}", timeout=30, follow_redirects=True)
    assert typed.status_code == 200 and "交通运输局" in typed.text


# --- PDFium and pdfplumber read a page the same ------------------------------------------

def _plumber_text(data: bytes) -> str:
    """What the reader gave when pdfplumber (pdfminer) read every page: its lines, page after page."""
    import pdfplumber

    from parsers.readers import plumber_layout, text_of_pages

    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return text_of_pages(plumber_layout(page) for page in pdf.pages).text


def _awkward_pdf() -> bytes:
    """Text-only pages that test the layout of lines: sizes mixed on a line and across lines, Latin
    words and spaced digits, a gap wider than a space, a line a little above its neighbour, a
    superscript, a second page with one line."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setFont("STSong-Light", 18)
    page.drawString(80, 780, "某市2023年政府信息公开工作年度报告")
    y = 740
    for size, text in ((10.5, "一、总体情况 2023年, 本机关主动公开政府信息 1 2 3 条, PDF Version 1.4。"),
                       (12, "收到申请 25 件（含2022年结转1件）,   办结 24 件。"), (9, "Government Information Disclosure")):
        page.setFont("STSong-Light", size)
        page.drawString(60, y, text)
        y -= size * 1.8
    page.setFont("STSong-Light", 10)
    page.drawString(60, y, "左边的字")
    page.setFont("STSong-Light", 14)
    page.drawString(140, y + 1.5, "大一号的字")  # the same line, a larger size, a little higher
    page.setFont("STSong-Light", 6)
    page.drawString(230, y + 6, "注1")  # a superscript
    page.setFont("STSong-Light", 10)
    page.drawString(260, y, "2 0 2 3")
    page.drawString(330, y, "年")  # a gap wider than pdfplumber's word tolerance
    page.showPage()
    page.setFont("STSong-Light", 10)
    page.drawString(60, 700, "五、存在的主要问题及改进情况")
    page.save()
    return out.getvalue()


def _pdfs() -> dict[str, bytes]:
    from pathlib import Path

    from bench.corpus import pdf_bytes
    from conftest import ROOT
    from variants import tables_of, variant

    import parsers
    from parsers import data as layout_data

    pdfs = {path.name: path.read_bytes() for path in sorted((ROOT / "reports").glob("*.pdf"))}
    pdfs["report_files"] = rf.pdf_bytes()
    pdfs["awkward"] = _awkward_pdf()
    text = (ROOT / "reports/020_pingtan_zone_2025.txt").read_text(encoding="utf-8")
    pdfs["synthetic"] = pdf_bytes(text.splitlines())  # the benchmark corpus's way: text lines, no rules
    source = Path(ROOT / "reports/017_pingtan_zone_2022.txt")
    tables = tables_of(parsers.parse_report(source.name, source.read_bytes()), layout_data.templates())
    for perturbation in ("plain", "other_ordinals", "blank_column", "intro_mentions"):
        made = variant(tables, "pdf", perturbation)
        if made:  # (a blank column needs an applicant column that is 0 throughout)
            pdfs[made.name] = made.data
    return pdfs


def test_pdfium_and_pdfplumber_read_every_pdf_the_same():
    """PDFium's description of each page (characters, and the lines and boxes it draws) gives the text
    pdfminer's gave: the same lines, the same tables cut into the same cells."""
    import pypdfium2 as pdfium

    from parsers.readers import _as_pdfminer_would, pdfium_layout, read_pdf

    by_pdfium, ruled, pages = 0, 0, 0
    for name, data in _pdfs().items():
        assert read_pdf(data).text == _plumber_text(data), name
        document = pdfium.PdfDocument(data)
        layouts = [pdfium_layout(document[i]) if _as_pdfminer_would(document[i]) else None for i in range(len(document))]
        pages += len(layouts)
        by_pdfium += sum(1 for layout in layouts if layout)
        ruled += sum(1 for layout in layouts if layout and layout.edges)
    # PDFium read nearly all, tables among them (the Word export's page of stacked characters went to pdfplumber)
    assert by_pdfium >= pages - 2 and ruled >= 8


def test_a_turned_page_is_read_by_pdfplumber_with_the_same_text():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    from parsers.readers import _as_pdfminer_would, read_pdf

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, invariant=1)
    page.setPageRotation(90)
    page.setFont("STSong-Light", 10)
    page.drawString(60, 700, "收到政府信息公开申请12件")
    page.rect(60, 600, 200, 40)
    page.save()
    import pypdfium2 as pdfium

    assert not _as_pdfminer_would(pdfium.PdfDocument(out.getvalue())[0])
    assert "12件" in read_pdf(out.getvalue()).text and read_pdf(out.getvalue()).text == _plumber_text(out.getvalue())
