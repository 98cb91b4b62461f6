"""Site-wide behaviour: Chinese full-text search, robots.txt, report ids in URLs, the
report JSON and about pages, CSV for Excel.

Search: the FTS tables index character bigrams (parsers/search.py). Datasette's
table search box sends `_search` through the SQL function escape_fts(); this
plugin replaces that function (trylast, so it runs after Datasette's own) with
one that turns the query into bigram phrases, so 复议 and 不予公开 both find
exactly the rows that contain them. `fts_query(q)` is the same function for
canned queries and custom pages.
"""

import csv
import functools
import io
import json
import re
from pathlib import Path
from urllib.parse import parse_qs

from datasette import hookimpl
from datasette.utils import tilde_decode, tilde_encode
from datasette.utils.asgi import AsgiFileDownload, Response
from markupsafe import Markup

import serving  # the project's module: where the download is
from parsers.data import official_labels
from parsers.search import fts_query  # the project's package, installed (a deployment installs its wheel)

ROBOTS = """User-agent: *
Disallow: /ogi?sql=
Disallow: /ogi.db
Disallow: /*.csv
Allow: /
"""


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("fts_query", 1, fts_query, deterministic=True)


REPORT_COLUMNS = ("id, title, agency, agency_key, province, city, county, region_code, year, published_date, doc_type, template, "
                  "source_url, source_path, source_format, pages, reading, cells_read, cells_expected")


# A report's data, one query per part, each taking the report's id: /report/{id}.json runs them here,
# the static copy's report page in the browser (static_copy.py, static_app/app.js).
REPORT_QUERIES = {
    "report": f"select {REPORT_COLUMNS}, text from reports where id = ?",  # the text apart in the page's data
    "application_outcomes": "select outcome, applicant_type, count, value_raw, source, start, \"end\" "
                            "from application_outcomes where report_id = ?",
    "review_litigation": "select proceeding, result, count, value_raw, source, start, \"end\" "
                         "from review_litigation where report_id = ?",
    "checks": "select \"check\", scope, expected, actual, passed, detail from checks where report_id = ? "
              "order by passed, \"check\", scope",
    "metrics": "select id, metric, label, value, value_raw, unit, source, approximate, part_of, page, "
               "start, \"end\" from metrics where report_id = ? order by start",
    "sections": "select id, level, number, heading, key, page, start, \"end\" from sections "
                "where report_id = ? order by start",
    "audits": "select indicator, status, value, detail, rule, start, \"end\" from audits where report_id = ?",
    "versions": "select version, sha256, fetched_at, source_url from report_versions where report_id = ? "
                "order by version",
}


async def report_page(datasette, report_id: str) -> dict | None:
    """A report's page as data: its row ("report"), each part of REPORT_QUERIES as a list of rows,
    and its text; None when there is no such report. The report page and /report/{id}.json show
    this; the static copy runs the same queries in the browser."""
    db = datasette.get_database("ogi")
    found = (await db.execute(REPORT_QUERIES["report"], [report_id])).first()
    if found is None:
        return None
    page = {"report": dict(found)}
    page["text"] = page["report"].pop("text") or ""
    for name, sql in REPORT_QUERIES.items():
        if name != "report":
            page[name] = [dict(row) for row in (await db.execute(sql, [report_id])).rows]
    return page


async def report_json(datasette, request):
    """/report/{id}.json: a report's metadata, table 三 and 四 cells and its other values (with their
    spans and a link to each in the text), its sections, checks, audits and versions, how much of
    it was read, and its text, in one document."""
    report_id = tilde_decode(request.url_vars["id"])
    found = await report_page(datasette, report_id)
    if found is None:
        return Response.json({"ok": False, "error": f"no report {report_id!r}"}, status=404)
    page = datasette.absolute_url(request, datasette.urls.path(f"/report/{request.url_vars['id']}"))
    for name, rows in found.items():
        if isinstance(rows, list):
            for row in rows:
                if row.get("start") is not None:
                    row["link"] = f"{page}?start={row['start']}&end={row['end']}#hl"
    return Response.json({"ok": True, "page": page, **found}, headers={"Access-Control-Allow-Origin": "*"})


ABOUT = Path(__file__).resolve().parent / "about.md"


async def about(datasette):
    """/about (关于与方法): plugins/about.md, rendered with markdown-it-py (CommonMark and tables)."""
    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark").enable("table").render(ABOUT.read_text(encoding="utf-8"))
    # a wide table scrolls inside itself on a phone: focusable, so a keyboard can scroll it too
    body = body.replace("<table>", '<table tabindex="0">')
    return Response.html(await datasette.render_template("about.html", {"body": Markup(body)}))


def _files(datasette) -> tuple[Path | None, Path | None]:
    """The database file and its compressed download (None where there is none, or it is stale)."""
    path = datasette.get_database("ogi").path
    db = Path(path) if path else None
    return db, serving.current_download(db) if db else None


async def home(datasette, request):
    """The home page from one query: the counts and tables the build computed (build_info)."""
    info = dict((await datasette.get_database("ogi").execute("select key, value from build_info")).rows)
    db, packed = _files(datasette)
    context = {"totals": info, "home": json.loads(info.get("home") or "{}"), "metadata": datasette.metadata(),
               "download": {"db_bytes": db.stat().st_size if db else None,
                            "gz_bytes": packed.stat().st_size if packed else None}}
    return Response.html(await datasette.render_template("index.html", context, request=request))


async def download(datasette):
    """/ogi.db.gz: the database compressed (serving.py writes it after a build)."""
    _, packed = _files(datasette)
    if packed is None:
        return Response.text("No compressed copy of the database on this site: download /ogi.db", status=404)
    return AsgiFileDownload(packed, filename="ogi.db.gz", content_type="application/gzip")


# --- /find: a report by agency, place and year ----------------------------------------------

YEAR = re.compile(r"(?:19|20)\d\d年?(?:度)?$")
FIND_LIMIT = 200
REPORT_ROW = ("select r.id, r.title, r.agency, r.agency_key, r.province, coalesce(r.city, r.county) as place, r.year "
              "from reports r")


def find_terms(q: str) -> tuple[list[int], list[str]]:
    """A reader's words, split on spaces and Chinese list marks: the years (2022, 2022年, 2022年度)
    and the rest, which name agencies and places."""
    years, words = [], []
    for term in re.split(r"[\s、，,；;]+", q.strip()):
        if YEAR.match(term):
            years.append(int(term[:4]))
        elif term:
            words.append(term)
    return years, words


def find_queries(years: list[int], words: list[str]) -> list[tuple[str, str, list]]:
    """What /find asks, in turn, until one answers: (how it matched, SQL, parameters). Words name an
    agency or a place (every word, in the agency's name, province, city or county: the agencies
    table, small, then the reports by agency_key); failing that, the reports' titles and text (the
    bigram index). Years alone give that year's reports."""
    order = f" order by r.year desc, r.province, r.agency, r.id limit {FIND_LIMIT}"
    if not words:
        return [("年度", f"{REPORT_ROW} where 1{_in_years(years, 1)}{order}", years)] if years else []
    named = " and ".join(f"(name like ?{i} or province like ?{i} or city like ?{i} or county like ?{i})"
                         for i in range(1, len(words) + 1))
    by_name = (f"{REPORT_ROW} where r.agency_key in (select agency_key from agencies where {named})"
               f"{_in_years(years, len(words) + 1)}{order}")
    by_text = f"{REPORT_ROW} join reports_fts f on f.rowid = r.rowid where reports_fts match ?1{_in_years(years, 2)}{order}"
    return [("机关或地区名称", by_name, [f"%{w}%" for w in words] + years),
            ("标题和全文", by_text, [fts_query(" ".join(words))] + years)]


def _in_years(years: list[int], first: int) -> str:
    """The year filter, its placeholders numbered from `first` (those before it are the words')."""
    return f" and r.year in ({', '.join(f'?{first + i}' for i in range(len(years)))})" if years else ""


async def find(datasette, request):
    """/find?q=平潭 2022: reports by agency, place and year, as their titles, each to its page."""
    q = request.args.get("q", "")
    years, words = find_terms(q)
    db = datasette.get_database("ogi")
    found, how = [], None
    for how, sql, params in find_queries(years, words):
        found = [dict(row) for row in (await db.execute(sql, params)).rows]
        if found:
            break
    context = {"q": q, "years": years, "words": words, "reports": found, "how": how if found else None,
               "limit": FIND_LIMIT}
    return Response.html(await datasette.render_template("find.html", context, request=request))


COMPARE_PARAMETERS = ("agency", "province", "year_from", "year_to", "fields")
WIDE_HEADERS = {"report_id": "报告", "agency": "机关", "year": "年度", "province": "省份"}


def wide_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """The `compare` query's rows (one figure each) as a table with one row per report: its
    headers (Chinese: the report's columns, then each figure's official name, in the official
    order) and its rows."""
    order: dict[str, tuple] = {}
    reports: dict[str, dict] = {}
    for row in rows:
        order.setdefault(row["field"], (row.get("field_order") or 0, row["field"], row.get("label") or row["field"]))
        report = reports.setdefault(row["report_id"], {key: row[key] for key in WIDE_HEADERS})
        report[row["field"]] = row["value"]
    fields = sorted(order.values())
    return ([*WIDE_HEADERS.values(), *(label for _, _, label in fields)],
            [[report[key] for key in WIDE_HEADERS] + [report.get(field) for _, field, _ in fields]
             for report in reports.values()])


async def compare_csv(datasette, request):
    """/compare.csv: the report builder's table as CSV, one row per report, Chinese headers, with a
    byte-order mark so Excel reads it as UTF-8 (the long form is /ogi/compare.csv)."""
    sql = ((datasette.metadata("queries", database="ogi") or {}).get("compare") or {}).get("sql", "select 1 where 0")
    params = {name: request.args.get(name, "") for name in COMPARE_PARAMETERS}
    params["fields"] = ",".join(request.args.getlist("fields"))  # fields=a,b or fields=a&fields=b
    found = await datasette.get_database("ogi").execute(sql, params)
    headers, rows = wide_table([dict(row) for row in found.rows])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    writer.writerows(rows)
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="compare.csv"'})


STATIC = Path(__file__).resolve().parent / "static"  # the site's own browser code (charts, vendored Vega parts)


def static_file(request):
    """/-/static-plugins/ogi/NAME.js or .css: where Datasette serves plugins' files, so a static
    copy (static_copy.py) collects these with the others."""
    path = STATIC / request.url_vars["name"]
    if not path.is_file():
        return Response.text("Not found", status=404)
    kind = "text/css" if path.suffix == ".css" else "text/javascript"
    return Response(path.read_text(encoding="utf-8"), content_type=f"{kind}; charset=utf-8")


# Two browser scripts write English into the page and have no translations: datasette-vega 0.6.2's
# chart panel and Datasette 0.65's column menu (table.js). Each is served, where Datasette serves it,
# with those words in Chinese. Every key is an exact string of the script as pinned; a test checks
# they are all there (a version that words them otherwise fails the test, not the page).
VEGA_PANEL_WORDS = {
    '"Show charting options"': '"显示图表选项"', '"Swap X and Y"': '"交换 X 和 Y"', '"-- none --"': '"-- 无 --"',
    '"X column "': '"X 轴 "', '"Y column "': '"Y 轴 "', '"Type "': '"类型 "', '"Color "': '"颜色 "', '"Size "': '"大小 "',
    'name:"Bar"': 'name:"柱状图"', 'name:"Line"': 'name:"折线图"', 'name:"Scatter"': 'name:"散点图"',
    'name:"Numeric"': 'name:"数值"', 'name:"Numeric, binned"': 'name:"数值（分组）"', 'name:"Date/time"': 'name:"日期时间"',
    'name:"Date/time, binned"': 'name:"日期时间（分组）"', 'name:"Label"': 'name:"标签"', 'name:"Category"': 'name:"类别"',
    '"Save as PNG"': '"保存为 PNG"', '"Save as SVG"': '"保存为 SVG"', '"View Source"': '"查看源代码"',
    '"View Vega"': '"查看 Vega 规格"', '"Open in Vega Editor"': '"在 Vega 编辑器中打开"',
}
COLUMN_MENU_WORDS = {
    '>Sort ascending<': '>升序排列<', '>Sort descending<': '>降序排列<', '>Facet by this<': '>按此列分面<',
    '>Hide this column<': '>隐藏此列<', '>Show all columns<': '>显示所有列<', '>Show not-blank rows<': '>只显示此列非空的行<',
    '`Type: ${': '`类型：${', '"Remove this filter"': '"删除此筛选条件"',
}


def _package_dir(name: str) -> Path:
    import importlib.util

    return Path(importlib.util.find_spec(name).origin).parent


TRANSLATED_SCRIPTS = {  # URL pattern -> (where the script is, the words it shows)
    r"^/-/static-plugins/datasette_vega/(?P<name>main\.[0-9a-f]+\.js)$": ("datasette_vega", "static", VEGA_PANEL_WORDS),
    r"^/-/static/(?P<name>table\.js)$": ("datasette", "static", COLUMN_MENU_WORDS),
}


@functools.cache
def translated_source(package: str, folder: str, name: str, words: tuple) -> str | None:
    path = _package_dir(package) / folder / name
    if not (path.is_file() and re.fullmatch(r"[a-z]+(\.[0-9a-f]+)?\.js", name)):
        return None
    source = path.read_text(encoding="utf-8")
    for english, chinese in words:
        source = source.replace(english, chinese)
    return source


def translated_script(package: str, folder: str, words: dict):
    def serve(request):
        source = translated_source(package, folder, request.url_vars["name"], tuple(words.items()))
        if source is None:
            return Response.text("Not found", status=404)
        return Response(source, content_type="text/javascript; charset=utf-8")
    return serve


@hookimpl
def register_routes():
    return [(r"^/$", home),
            (r"^/-/static-plugins/ogi/(?P<name>[a-z-]+\.(?:js|css))$", static_file),
            (r"^/ogi\.db\.gz$", download),
            (r"^/robots\.txt$", lambda: Response.text(ROBOTS)),
            (r"^/report/(?P<id>[^/]+)\.json$", report_json),
            (r"^/about$", about),
            (r"^/compare\.csv$", compare_csv),
            (r"^/find$", find)] + [(pattern, translated_script(*where)) for pattern, where in TRANSLATED_SCRIPTS.items()]


@hookimpl
def extra_template_vars(datasette):
    # The report builder (/compare) runs the `compare` canned query: its SQL is written once, in metadata.yml.
    queries = (datasette.metadata("queries", database="ogi") or {})
    compare = queries.get("compare") or {}
    async def report_data(report_id: str) -> dict | None:
        return await report_page(datasette, report_id)

    return {"compare_sql": compare.get("sql", "select 1 where 0"),
            "official_labels": _official_labels, "report_page": report_data}


@functools.cache
def _official_labels() -> dict:
    """The labels table by template and kind, rows in the official order: the rows the build writes
    into it (parsers/data.py), so a report page reads them without a query."""
    labels: dict = {}
    for row in sorted(official_labels(), key=lambda r: r["ordinal"]):
        labels.setdefault(row["template"], {}).setdefault(row["kind"], []).append(row)
    return labels


@hookimpl
def prepare_jinja2_environment(env):
    # Datasette redirects /report/%E6%BB%A6… to its own ~E6~BB~A6… form and hands the page
    # that form: templates decode it (report ids are file names, often Chinese).
    env.filters["tilde_decode"] = tilde_decode
    env.filters["tilde_encode"] = tilde_encode
    env.filters["from_json"] = json.loads


async def serve_as_ogi(datasette) -> None:
    """A database built under another name (build.py --db other.db, as the README shows) is
    served as "ogi": the name the pages, the metadata and the canned queries use."""
    names = [name for name in datasette.databases if not name.startswith("_")]
    if "ogi" in names or len(names) != 1:
        return
    db = datasette.databases[names[0]]
    if "build_info" not in await db.table_names():  # not a database build.py wrote
        return
    datasette.remove_database(names[0])
    datasette.add_database(db, name="ogi", route="ogi")
    if datasette.inspect_data and names[0] in datasette.inspect_data:
        datasette.inspect_data["ogi"] = datasette.inspect_data.pop(names[0])


@hookimpl
def startup(datasette):
    """The row counts of the packed tables' views, recorded by the build, where Datasette looks for
    a table's count (its inspect data): an unfiltered view page never counts a million joined rows."""
    async def inner():
        await serve_as_ogi(datasette)
        db = datasette.databases.get("ogi")
        if db is None or db.is_mutable or "build_info" not in await db.table_names():
            return
        if not (datasette.inspect_data or {}).get("ogi"):  # served without an inspect file: views are counted
            return
        counts = {key.split(":", 1)[1]: int(value) for key, value in
                  (await db.execute("select key, value from build_info where key like 'rows:%'")).rows}
        # The database page lists the tables its cached counts name: read them before the views join
        # the inspect data (the table page is where the views' counts are looked up).
        db.cached_table_counts
        tables = datasette.inspect_data["ogi"]["tables"]
        for view, count in counts.items():
            tables.setdefault(view, {})["count"] = count
    return inner


async def packed_views(db) -> set[str]:
    """The value tables the build stores packed, each behind a view of its name (NAME over NAME_packed)."""
    if db is None:
        return set()
    tables = set(await db.table_names())
    return {view for view in await db.view_names() if f"{view}_packed" in tables}


def _counts_are_cheap(path: str, query: bytes, packed: set[str]) -> bool:
    """A filtered page of a packed table's view is counted only when it is one report's rows (an
    index finds them) or the visitor asks (_count=1): otherwise the count joins up to millions of
    rows and costs more than the page."""
    name = path.rsplit("/", 1)[-1].split(".", 1)[0]
    if not path.startswith("/ogi/") or name not in packed:
        return True
    args = parse_qs(query.decode("latin-1"))
    filters = [key.split("__")[0] for key in args if not key.startswith("_")]
    return not filters or "report_id" in filters or "_count" in args


@hookimpl
def asgi_wrapper(datasette):
    """Table searches skip counting every match (_nocount): over a national corpus a common
    word matches most sections, and the count would cost more than the page; so do filtered
    pages of the packed tables' views, unless cheap (_counts_are_cheap). CSV asked for with
    _bom=1 starts with a byte-order mark."""
    packed: list[set[str]] = []  # read on the first request: the database is open and named by then

    def wrap(app):
        async def add_nocount(scope, receive, send):
            if scope.get("type") == "http":
                if not packed:
                    packed.append(await packed_views(datasette.databases.get("ogi")))
                query = scope.get("query_string", b"")
                costly = b"_search=" in query or not _counts_are_cheap(scope["path"], query, packed[0])
                if costly and b"_nocount=" not in query:
                    scope = dict(scope, query_string=query + b"&_nocount=1")
                if scope["path"].endswith(".csv") and b"_bom=1" in query:
                    send = _with_bom(send)
            await app(scope, receive, send)
        return add_nocount
    return wrap


def _with_bom(send):
    """CSV that Excel on Chinese Windows opens as UTF-8 (?_bom=1): a byte-order mark before the first byte."""
    started = [False]

    async def sending(event):
        if event["type"] == "http.response.start":
            event = dict(event, headers=[h for h in event.get("headers", []) if h[0].lower() != b"content-length"])
        elif event["type"] == "http.response.body" and not started[0]:
            started[0] = True
            event = dict(event, body=b"\xef\xbb\xbf" + event.get("body", b""))
        await send(event)
    return sending
