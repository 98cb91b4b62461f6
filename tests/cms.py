"""Local government-CMS-like sites for the harvester's tests (the server is bench/sites.py).

`report_column()` writes the column every harvester test needs: paginated, with every kind of
entry and every trap; `pingtan_column()` serves a real recorded column (tests/sites/).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from bench.sites import Resource, Server, Site  # noqa: F401  (the tests use all three)

ROOT = Path(__file__).resolve().parent.parent


# --- what the sites hold ------------------------------------------------------------------------

def bundled(name: str) -> str:
    """A report of the bundled corpus, as text."""
    return (ROOT / "reports" / name).read_text(encoding="utf-8")


def detail_page(title: str, text: str, *, date: str = "2024-01-19", agency: str = "", charset: str = "utf-8",
                attachments: list[tuple[str, str]] = (), index_number: str = "") -> str:
    """A detail page as TRS-style CMSs write it: meta tags, an info bar, the article in .TRS_Editor."""
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    links = "".join(f'<p>附件：<a href="{href}">{html.escape(label)}</a></p>' for href, label in attachments)
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="ArticleTitle" content="{html.escape(title)}">
<meta name="PubDate" content="{date} 09:30">
<meta name="ContentSource" content="{html.escape(agency)}">
<title>{html.escape(title)}_政府信息公开</title></head>
<body><div class="header"><a href="/">首页</a> <a href="/xxgk/">政府信息公开</a></div>
<table class="xxgk_info"><tr><td>索引号：{index_number or "000000000/2024-00001"}</td>
<td>发布机构：{html.escape(agency)}</td></tr><tr><td>发布日期：{date}</td></tr></table>
<h1>{html.escape(title)}</h1>
<div class="TRS_Editor">{paragraphs}{links}</div>
<div class="footer">主办单位：某某人民政府办公室</div></body></html>"""


def list_page(entries: list[tuple[str, str, str]], *, pager: str = "", extra: str = "", charset: str = "utf-8") -> str:
    """A column's list page: navigation, entries (href, title, date) and a pager."""
    items = "".join(f'<li><a href="{href}" title="{html.escape(title)}">{html.escape(title[:18])}…</a>'
                    f'<span class="date">{date}</span></li>' for href, title, date in entries)
    return f"""<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">
<meta name="ColumnName" content="政府信息公开年报"><title>政府信息公开年报</title></head>
<body><div class="nav"><a href="/">首页</a> <a href="/xxgk/zfxxgknb/">政府信息公开年报</a>
<a href="/xxgk/zcwj/">政策文件</a></div>
<div class="list"><ul>{items}</ul></div>
<div class="page">{pager}</div>{extra}
<div class="footer">主办单位：某某人民政府办公室</div></body></html>"""


def doc_bytes() -> bytes:
    """The start of an OLE compound file, as a .doc begins (the build says it cannot read it)."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + "某单位政府信息公开工作年度报告".encode("utf-16-le") * 20


def calendar(path: str) -> Resource | None:
    """A calendar that never ends: each day links the next (a crawler trap)."""
    if not path.startswith("/calendar/"):
        return None
    day = int(path.rsplit("/", 1)[-1].split(".")[0] or 0)
    return Resource(f'<html><body><a href="/calendar/{day + 1}.html">{(day + 1) % 31 + 1}</a></body></html>'.encode())


# The report column: what each entry is, and what must become of it.
COLUMN = "/xxgk/zfxxgknb/"
# Documents a harvest keeps (under the column's host folder), besides one of files_t2.pdf (a detail
# page's PDF attachment) and files_copy_t2.pdf (the same bytes, listed at another URL).
EXPECTED_FILES = {
    "xxgk_zfxxgknb_202401_t1.html",   # a report inline (平潭 2022)
    "files_t3.docx",                   # a detail page's DOCX attachment
    "files_t4.pdf",                    # a PDF linked from the list itself
    "files_t6.doc",                    # a detail page's DOC attachment
    "art_gbk.html",                    # a GBK page that declares UTF-8 (平潭 2025)
    "art_jiedu.html",                  # a look-alike: an explainer of a report
}
EXPECTED_FAILURES = {  # path -> the failure's kind
    "/art/missing.html": "http_404",
    "/art/broken.html": "http_500",
    "/art/slow.html": "timeout",
    "/art/moved.html": "blocked",        # redirected to a login page served with 200
    "/art/loop1.html": "redirect_loop",
    "/art/upgrading.html": "blocked",    # "系统正在升级" served with 200
    "/files/t15.pdf": "not_a_document",  # an HTML error page where a PDF was due
    "/xxgk/private/t8.html": "robots",
    "/files/huge.pdf": "too_large",
}
NEVER_ASKED = ["/art/news.html", "/xxgk/private/t8.html", "/search", "/calendar/2.html", "/xxgk/zcwj/"]


def report_column(offsite: str, *, slow: float = 5.0) -> Site:
    """A report column of three list pages with an entry of every kind (see EXPECTED_*)."""
    import report_files

    docx = report_files.docx_bytes()
    pdf_bytes = report_files.pdf_bytes()
    pingtan_2022, pingtan_2025 = bundled("017_pingtan_zone_2022.txt"), bundled("020_pingtan_zone_2025.txt")
    title = "洪泽区交通运输局2023年政府信息公开工作年度报告"
    routes = {
        "/xxgk/zfxxgknb/": Resource(list_page([
            ("202401/t1.html", "平潭综合实验区2022年度政府信息公开工作年度报告", "2023-02-20"),
            ("/art/t2.html", title + "（PDF）", "2024-01-19"),
            ("/art/t3.html", title + "（Word）", "2024-01-19"),
            ("/files/t4.pdf", "洪泽区交通运输局2023年政府信息公开工作年度报告全文", "2024-01-20"),
            ("/files/copy/t2.pdf", "洪泽区交通运输局2023年度报告（镜像）", "2024-01-21"),
            ("/art/news.html", "关于召开2024年政务公开工作会议的通知", "2024-02-01"),
        ], pager='<a href="index_1.html">下一页</a> <a href="index_2.html">尾页</a>',
            extra=f'<div class="side"><a href="/calendar/1.html">1</a> <a href="/search?q=年报&page=2">搜索</a>'
                  f' <a href="{offsite}/art/elsewhere.html">某县2023年政府信息公开工作年度报告</a></div>').encode()),
        "/xxgk/zfxxgknb/index_1.html": Resource(list_page([
            ("/art/t6.html", "某局2023年政府信息公开工作年度报告（DOC）", "2024-01-22"),
            ("/art/gbk.html", "平潭综合实验区2025年度政府信息公开工作年度报告", "2026-03-10"),
            ("/xxgk/private/t8.html", "某局2022年政府信息公开工作年度报告（内部）", "2023-01-10"),
            ("/art/missing.html", "某局2021年政府信息公开工作年度报告", "2022-01-10"),
            ("/art/broken.html", "某局2020年政府信息公开工作年度报告", "2021-01-10"),
        ], pager='<a href="index.html">上一页</a> <a href="index_2.html">下一页</a>').encode()),
        "/xxgk/zfxxgknb/index_2.html": Resource(list_page([
            ("/art/slow.html", "某局2019年政府信息公开工作年度报告", "2020-01-10"),
            ("/art/moved.html", "某局2018年政府信息公开工作年度报告", "2019-01-10"),
            ("/art/loop1.html", "某局2017年政府信息公开工作年度报告", "2018-01-10"),
            ("/art/upgrading.html", "某局2016年政府信息公开工作年度报告", "2017-01-10"),
            ("/art/t15.html", "某局2015年政府信息公开工作年度报告", "2016-01-10"),
            ("/art/jiedu.html", "图解：2023年政府信息公开工作年度报告解读", "2024-01-25"),
            ("/art/huge.html", "某局2014年政府信息公开工作年度报告", "2015-01-10"),
        ]).encode()),
        "/xxgk/zfxxgknb/202401/t1.html": Resource(detail_page(
            "平潭综合实验区2022年度政府信息公开工作年度报告", pingtan_2022, date="2023-02-20",
            agency="平潭综合实验区管委会").encode()),
        "/art/t2.html": Resource(detail_page(title, "现将本局2023年政府信息公开工作年度报告全文发布，详见附件。", agency="洪泽区交通运输局",
                                             attachments=[("/files/t2.pdf", "年度报告.pdf"),
                                                          (f"{offsite}/files/other.pdf", "镜像.pdf")]).encode()),
        "/files/t2.pdf": Resource(pdf_bytes, "application/pdf"),
        "/files/copy/t2.pdf": Resource(pdf_bytes, "application/pdf"),
        "/art/t3.html": Resource(detail_page(title, "现将本局2023年政府信息公开工作年度报告全文发布。", agency="洪泽区交通运输局",
                                             attachments=[("/files/t3.docx", "年度报告.docx")]).encode()),
        "/files/t3.docx": Resource(docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        "/files/t4.pdf": Resource(pdf_bytes + b"\n% the list's own copy\n", "application/pdf"),
        "/art/t6.html": Resource(detail_page("某局2023年政府信息公开工作年度报告", "详见附件。",
                                             attachments=[("/files/t6.doc", "年度报告.doc")]).encode()),
        "/files/t6.doc": Resource(doc_bytes(), "application/msword"),
        "/art/gbk.html": Resource(detail_page("平潭综合实验区2025年度政府信息公开工作年度报告", pingtan_2025,
                                              date="2026-03-10", charset="utf-8").encode("gb18030")),
        "/xxgk/private/t8.html": Resource(detail_page("内部", bundled("017_pingtan_zone_2022.txt")).encode()),
        "/art/broken.html": Resource(b"<html><body>Internal Server Error</body></html>", status=500),
        "/art/slow.html": Resource(detail_page("某局2019年政府信息公开工作年度报告", pingtan_2022).encode(), delay=slow),
        "/art/moved.html": Resource(b"", status=302, location="/login?from=/art/moved.html"),
        "/login": Resource('<html><head><title>用户登录</title></head><body><form>用户名<input name="u">'
                           '密码<input type="password" name="p"><button>登录</button></form></body></html>'.encode()),
        "/art/loop1.html": Resource(b"", status=302, location="/art/loop2.html"),
        "/art/loop2.html": Resource(b"", status=302, location="/art/loop1.html"),
        "/art/upgrading.html": Resource('<html><head><title>系统维护</title></head><body><p>系统正在升级，'
                                        '预计于晚上20时恢复，为此对您造成的不便敬请谅解。</p></body></html>'.encode()),
        "/art/t15.html": Resource(detail_page("某局2015年政府信息公开工作年度报告", "详见附件。",
                                              attachments=[("/files/t15.pdf", "2015年报.pdf")]).encode()),
        "/art/huge.html": Resource(detail_page("某局2014年政府信息公开工作年度报告", "详见附件。",
                                               attachments=[("/files/huge.pdf", "2014年报.pdf")]).encode()),
        "/files/huge.pdf": Resource(b"%PDF-1.4\n" + bytes(51 * 1024 * 1024), "application/pdf"),  # over 50 MB
        "/files/t15.pdf": Resource('<html><body><h1>对不起，您访问的文件不存在</h1></body></html>'.encode()),
        "/art/jiedu.html": Resource(detail_page("图解：2023年政府信息公开工作年度报告解读",
                                                bundled("186_jinan_lixia_daminghu_subdistrict_2022_report_explainer"
                                                        "_other_excerpt.txt")).encode()),
        "/art/news.html": Resource(detail_page("关于召开2024年政务公开工作会议的通知", "会议通知。" * 50).encode()),
    }
    routes["/xxgk/zfxxgknb/index.html"] = routes["/xxgk/zfxxgknb/"]
    return Site(routes=routes, robots="User-agent: *\nDisallow: /xxgk/private/\n", dynamic=calendar)


# --- a real recorded column ---------------------------------------------------------------------

PINGTAN = "/zwgk/zfxxgk/zfxxgknb/"
# The ten entries of the recorded list page (tests/sites/pingtan/index.html): path, year.
PINGTAN_ENTRIES = [("202603/t20260313_105587.htm", 2025), ("202503/t20250310_97791.htm", 2024),
                   ("202403/t20240308_87885.htm", 2023), ("202302/t20230220_80629.htm", 2022),
                   ("202202/t20220208_80613.htm", 2021), ("202103/t20210305_80595.htm", 2020),
                   ("202001/t20200120_80576.htm", 2019), ("201901/t20190110_80529.htm", 2018),
                   ("201801/t20180123_80506.htm", 2017), ("201701/t20170118_80485.htm", 2016)]
# Years whose report text the bundled corpus holds (the others are rebuilt: see sites/README.md).
PINGTAN_TEXTS = {2025: "020_pingtan_zone_2025.txt", 2022: "017_pingtan_zone_2022.txt", 2018: "013_pingtan_zone_2018.txt"}


def pingtan_column() -> Site:
    """平潭综合实验区's report column as recorded (its list page), with a detail page per entry."""
    import random

    from bench.corpus import narrative_lines

    routes = {PINGTAN: Resource((ROOT / "tests/sites/pingtan/index.html").read_bytes())}
    for path, year in PINGTAN_ENTRIES:
        title = f"平潭综合实验区{year}年度政府信息公开工作年度报告"
        if year in PINGTAN_TEXTS:
            text = bundled(PINGTAN_TEXTS[year])
        else:
            body, _ = narrative_lines(random.Random(year), year)
            text = "\n".join([title, *body, "平潭综合实验区管委会", f"{year + 1}年1月15日"])
        routes[PINGTAN + path] = Resource(detail_page(title, text, date=f"{path[:4]}-{path[4:6]}-10",
                                                      agency="平潭综合实验区管委会").encode())
    return Site(routes=routes)


def scripted_column() -> Site:
    """A column whose pager is written by script (TRS's createPageHTML): pages 2 and 3 are
    linked from nowhere in the page's HTML."""
    routes = {}
    for page in range(3):
        entries = [(f"/art/s{page}{n}.html", f"某局{2010 + page * 3 + n}年政府信息公开工作年度报告", "2024-01-10")
                   for n in range(3)]
        name = COLUMN if page == 0 else f"{COLUMN}index_{page}.html"
        script = f'<script>createPageHTML(3, {page}, "index", "html");</script>'
        routes[name] = Resource(list_page(entries, extra=script).encode())
        for href, title, _ in entries:
            routes[href] = Resource(detail_page(title, bundled("017_pingtan_zone_2022.txt")).encode())
    return Site(routes=routes)


def json_column() -> Site:
    """A column filled by script from a JSON endpoint, with the static copy of its first page
    that CMSs keep for crawlers (two entries of five)."""
    items = [{"doctitle": f"某局{2019 + n}年政府信息公开工作年度报告", "chnldocurl": f"/art/j{n}.html",
              "docreltime": f"{2020 + n}-01-15 10:00:00"} for n in range(5)]
    routes = {COLUMN: Resource(list_page([(i["chnldocurl"], i["doctitle"], i["docreltime"][:10])
                                          for i in items[:2]]).encode())}
    for page in (1, 2, 3):
        chunk = items[(page - 1) * 2: page * 2]
        routes[f"/api/list?channel=12&page={page}"] = Resource(
            json.dumps({"data": {"list": chunk, "pageCount": 3}}, ensure_ascii=False).encode(), "application/json")
    for item in items:
        routes[item["chnldocurl"]] = Resource(detail_page(item["doctitle"], bundled("017_pingtan_zone_2022.txt")).encode())
    return Site(routes=routes)


JSON_PROFILE = """profiles:
  {host}:
    json_list:
      url: "/api/list?channel=12&page={{page}}"
      first_page: 1
      pages: data.pageCount
      items: data.list
      title: doctitle
      link: chnldocurl
      date: docreltime
"""
