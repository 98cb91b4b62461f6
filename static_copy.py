"""The static copy: the site as plain files any static host serves, at any scale.

    python deploy.py static --db data/ogi.db --out dist/static [--live-url URL]

Its size follows the database, not reports × pages. The database goes in as fixed-size chunks
(data/ogi.db.000, .001, …, at most CHUNK_BYTES each) that the browser reads page by page with HTTP
range requests (sql.js-httpvfs, vendored from node_modules, see package.json): a report page reads
the few database pages that hold that report, not the database. Pages that need data are one file
each for every report, agency, place and query (report.html?id=…&start=…&end=…, agency.html?key=…,
region.html?province=…&place=…, query.html?name=…, compare.html, download.html): a shell cut from
the site's own frame, filled by static_app/app.js from the database. The entry pages (home, about,
the map of places, the database and the first page of each table) are rendered by the site itself,
in-process, as before; their links are rewritten to the files above, relative, so the copy works
under any path. What only a server can do (filters and sorting on table pages, custom SQL) links to
LIVE_URL when one is given, or is dropped, and every page says so.

Files: the entry pages, ~10 shells and assets, and the database in chunks, so the number of files
does not grow with the number of reports (STATIC_LIMITS).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import posixpath
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from datasette.utils import tilde_decode

from serving import SETTINGS

ROOT = Path(__file__).resolve().parent
DATABASE = "ogi"
APP = ROOT / "static_app"  # the browser code of the copy's data pages
HTTPVFS = ROOT / "node_modules" / "sql.js-httpvfs" / "dist"  # `make install` runs npm ci
CHUNK_BYTES = 20 * 2**20  # the bound; Cloudflare Pages takes 25 MiB a file
# What the copy's data pages ask of the database and an index for each that the site itself does not
# need: a place's reports and counts are read from the index alone, never from the report rows
# (each row holds its whole text, so reading 3,000 rows of a province would fetch megabytes).
STATIC_INDEXES = [
    "create index if not exists static_reports_place on reports "
    "(province, city, county, year, agency_key, agency, title, id)",
    # the report builder (the `compare` query) picks reports in agency order and filters them by
    # province and year: from this index alone it stops after its 500, without reading a row
    "create index if not exists static_reports_builder on reports (doc_type, agency, year, id, province)",
    # find.html: an agency's reports, listed by title, from the index alone
    "create index if not exists static_reports_agency on reports "
    "(agency_key, year, province, city, county, agency, title, id)",
]
# The site's own styles for the report page and the builder, which the shells load too.
SHARED_STYLES = ("/-/static-plugins/ogi/report.css", "/-/static-plugins/ogi/compare.css")
# The shells: one file per kind of data page, whatever the number of reports.
SHELLS = {"report": "report.html", "agency": "agency.html", "region": "region.html",
          "query": "query.html", "compare": "compare.html", "find": "find.html", "download": "download.html"}

STATIC_NOTE = ("这是静态副本：报告、机关、地区、全文检索、预设查询和比较在浏览器中直接读取数据库；"
               "表格页的筛选、排序和自定义 SQL 需要在线站点{live}，或在本机运行"
               "（<a href=\"{download}\">下载数据库</a>，或克隆项目后 <code>make serve</code>）。")


class StaticError(Exception):
    """A problem the user can fix; printed without a traceback."""


@dataclass
class StaticSite:
    """Pages to write, by URL path, and the files they become."""
    out: Path
    live_url: str
    files: dict[str, str] = field(default_factory=dict)     # URL path -> file under out
    json_pages: dict[str, str] = field(default_factory=dict)  # URL path of a page -> its JSON URL
    canned: set[str] = field(default_factory=set)            # canned query names: query.html?name=


# --- the database, in chunks ---------------------------------------------------------------

def answered_table(name: str) -> str:
    return f"static_query_{name}"


def answer_queries(conn: sqlite3.Connection, queries: dict[str, str]) -> list[str]:
    """Each canned query's rows for its default parameters (all blank, as a reader first opens it),
    kept as a table. A summary over the whole corpus (audit_ranking reads every report) would
    fetch much of the database over HTTP; read from its table, it costs its own rows."""
    answered = []
    for name, sql in queries.items():
        sql, fts = browser_sql(sql)
        if fts:
            continue  # a search has no default: it needs the reader's words
        conn.execute(f"create table [{answered_table(name)}] as select * from ({sql}\n)",
                     {p: "" for p in query_parameters(sql)})
        answered.append(name)
    return answered


def _prepare(whole: Path, queries: dict[str, str]) -> list[str]:
    """The copy's own indexes and statistics, the canned queries' answers, the search indexes merged."""
    conn = sqlite3.connect(whole)
    try:
        for sql in STATIC_INDEXES:
            conn.execute(sql)
        # the planner weighs the new index against the site's own with statistics of the same day
        # (the build's may be older than the table: it chose idx_reports_province and read the rows)
        conn.execute("analyze reports")
        answered = answer_queries(conn, queries)
        for (name,) in conn.execute("select name from sqlite_master where sql like 'CREATE VIRTUAL TABLE%fts5%'").fetchall():
            conn.execute(f"insert into [{name}]([{name}]) values ('optimize')")
        conn.commit()
        conn.execute("pragma journal_mode = delete")  # a read-only reader cannot open a WAL database
    finally:
        conn.close()
    return answered


def prepare_database(db: Path, folder: Path, chunk_bytes: int = CHUNK_BYTES, queries: dict[str, str] | None = None) -> dict:
    """The database as the copy serves it: compacted (VACUUM INTO), with STATIC_INDEXES, the canned
    queries' default answers (answer_queries) and each full-text index merged into one segment
    (fewer, longer reads for a search), split into chunks. Returns the sql.js-httpvfs configuration
    for them and the queries answered."""
    with contextlib.closing(sqlite3.connect(db)) as source:
        page_size = source.execute("pragma page_size").fetchone()[0]  # VACUUM INTO keeps it
    if chunk_bytes % page_size:  # a database page read must never span two files
        raise StaticError(f"the chunk size ({chunk_bytes}) is not a multiple of the page size ({page_size})")
    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / f"{DATABASE}.db.whole"
    whole.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(db)) as source:
            source.execute("vacuum into ?", [str(whole)])
        answered = _prepare(whole, queries or {})
        size = whole.stat().st_size
        if size > 1000 * chunk_bytes:  # three-digit suffixes
            raise StaticError(f"the database ({size} bytes) needs more than 1000 chunks of {chunk_bytes} bytes")
        digest, chunks = hashlib.sha256(), []
        with whole.open("rb") as data:
            while block := data.read(chunk_bytes):
                digest.update(block)
                chunk = folder / f"{DATABASE}.db.{len(chunks):03d}"
                chunk.write_bytes(block)
                chunks.append({"file": chunk.name, "bytes": len(block)})
    finally:
        whole.unlink(missing_ok=True)
    return {"serverMode": "chunked", "requestChunkSize": page_size, "databaseLengthBytes": size,
            "serverChunkSize": chunk_bytes, "urlPrefix": f"data/{DATABASE}.db.", "suffixLength": 3,
            "chunks": chunks, "sha256": digest.hexdigest(), "answered": answered}


# sql.js-httpvfs 0.8.12 reads ahead (up to 5 MiB) from one chunk file: a read-ahead that runs past
# the end of a chunk gets the bytes up to it (the host clamps the range) and then stops with
# "doXHR failed (bug)!" if the page it wanted lay beyond. The copy's worker fetches that page on its
# own instead (a page never spans two files: CHUNK_BYTES is a multiple of the page size).
READ_AHEAD_FAILS = 'if(void 0===this.chunks[e])throw new Error("doXHR failed (bug)!");'
READ_PAGE_ALONE = ('if(void 0===this.chunks[e]){const p=this.doXHR(e*this.chunkSize,'
                   'Math.min((e+1)*this.chunkSize,this.length)-1);this.chunks[e]=new Uint8Array(p)}')


def worker_script() -> str:
    source = (HTTPVFS / "sqlite.worker.js").read_text(encoding="utf-8")
    if source.count(READ_AHEAD_FAILS) != 1:
        raise StaticError("sql.js-httpvfs's worker is not the version static_copy.py patches (package.json pins 0.8.12)")
    return source.replace(READ_AHEAD_FAILS, READ_PAGE_ALONE)


# --- what the data pages know: the canned queries, labels, the search's folding ------------

FTS_CALL = re.compile(r"(?:fts_query|escape_fts)\(\s*:(\w+)\s*\)")


def browser_sql(sql: str) -> tuple[str, list[str]]:
    """A canned query as the browser runs it. The site computes fts_query(:q) in SQLite (a Python
    function); the browser computes it in JavaScript (app.js ftsQuery) and binds it as :q__fts."""
    names = FTS_CALL.findall(sql)
    return FTS_CALL.sub(lambda m: f":{m.group(1)}__fts", sql), sorted(set(names))


def query_parameters(sql: str) -> list[str]:
    """The :names a query takes, in order of first use (as Datasette's form shows them)."""
    without_strings = re.sub(r"'[^']*'", "''", re.sub(r"--[^\n]*", "", sql))
    seen: list[str] = []
    for name in re.findall(r"(?<![:\w]):(\w+)", without_strings):
        name = name.removesuffix("__fts")  # the words the reader types; the browser makes the match
        if name not in seen:
            seen.append(name)
    return seen


def fold_characters() -> dict[str, str]:
    """The search's folding (parsers.textutil.fold) as a character map: the browser folds a query
    exactly as the index was folded."""
    from parsers.textutil import _fold_table

    return {chr(a): chr(b) for a, b in sorted(_fold_table().items()) if a != b}


def site_data(metadata: dict, database: dict, rewrite_html) -> dict:
    import plugins.ogi_site as ogi_site
    from parsers.data import official_labels, spam_words

    queries = {}
    for name, spec in metadata["databases"][DATABASE].get("queries", {}).items():
        sql, fts = browser_sql(spec["sql"])
        queries[name] = {"title": spec.get("title", name), "sql": sql, "fts": fts,
                         "answered": answered_table(name) if name in database["answered"] else None,
                         "parameters": query_parameters(sql),
                         "description_html": rewrite_html(spec.get("description_html")
                                                          or _escape(spec.get("description", "")))}
    labels: dict = {}
    for row in sorted(official_labels(), key=lambda r: r["ordinal"]):
        labels.setdefault(row["template"], {}).setdefault(row["kind"], []).append(row)
    return {"database": database, "queries": queries, "labels": labels, "fold": fold_characters(),
            "spam_words": sorted(spam_words(), key=len, reverse=True),
            "report_queries": ogi_site.REPORT_QUERIES}


def _escape(text: str) -> str:
    import html

    return f"<p>{html.escape(text)}</p>" if text else ""


# --- links --------------------------------------------------------------------------------

def data_page(url_path: str, query: str, site: StaticSite) -> str | None:
    """The copy's file (with its query string) for a link of the live site, when a data page
    answers it: /report/x?start=1&end=2 -> report.html?id=x&start=1&end=2."""
    parts = [tilde_decode(unquote(p)) for p in url_path.strip("/").split("/")]
    params = parse_qsl(query, keep_blank_values=True)

    def page(file: str, **named: str) -> str:
        found = urlencode(list(named.items()) + params)
        return file + (f"?{found}" if found else "")

    if len(parts) == 2 and parts[0] == "report":
        return page(SHELLS["report"], id=parts[1])
    if len(parts) == 3 and parts[:2] == [DATABASE, "reports"] and "." not in parts[2]:
        return page(SHELLS["report"], id=parts[2])  # a report's row page is shown as its report page
    if len(parts) == 2 and parts[0] == "agency":
        return page(SHELLS["agency"], key=parts[1])
    if parts[0] == "place" and len(parts) in (2, 3):
        return page(SHELLS["region"], province=parts[1], **({"place": parts[2]} if len(parts) == 3 else {}))
    if len(parts) == 2 and parts[0] == DATABASE and parts[1] in site.canned:
        return page(SHELLS["query"], name=parts[1])
    if parts == ["compare"]:
        return page(SHELLS["compare"])
    if parts == ["find"]:
        return page(SHELLS["find"])
    if len(parts) == 1 and parts[0] in (f"{DATABASE}.db", f"{DATABASE}.db.gz"):
        return SHELLS["download"]
    return None


ASSET_PREFIXES = ("/-/static/", "/-/static-plugins/")


def rewrite_page(html: str, path: str, site: StaticSite) -> tuple[str, set[str]]:
    """Links made relative to files that exist; server-only links sent to the live site or dropped.

    Returns the page and the static assets (CSS, JS) it refers to.
    """
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    here = site.files[path]
    assets = rewrite_links(tree, path, here, site)
    _rewrite_forms(tree, path, here, site)
    _add_banner(tree, here, site)
    # Datasette names the charset in its HTTP header; a file on a static host has only itself.
    tree.head.insert(0, tree.makeelement("meta", {"charset": "utf-8"}))
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>"), assets


def rewrite_links(tree, path: str, here: str, site: StaticSite) -> set[str]:
    assets: set[str] = set()
    for element, attribute in [(e, "href") for e in tree.iter("a", "link")] + [(e, "src") for e in tree.iter("script", "img")]:
        value = element.get(attribute)
        if value is None or value.startswith(("#", "mailto:", "data:", "javascript:")):
            continue
        target = urlsplit(value)
        if target.netloc and target.netloc != "localhost":
            continue  # another site (Datasette writes its own absolute URLs with the in-process host)
        url_path = _absolute(path, target.path)
        fragment = f"#{target.fragment}" if target.fragment else ""
        if url_path.startswith(ASSET_PREFIXES):
            assets.add(url_path)
            local = quote(unquote(url_path).lstrip("/")) + (f"?{target.query}" if target.query else "")
        elif url_path in site.files and (not target.query or target.query == "_shape=array"):
            local = quote(site.files[url_path]) + (f"?{target.query}" if target.query else "")
        elif (found := data_page(url_path, target.query, site)) is not None:
            local = found
        else:
            _send_to_live_site(element, attribute, url_path + (f"?{target.query}" if target.query else "") + fragment, site)
            continue
        file, _, query = local.partition("?")
        relative = posixpath.relpath(unquote(file), posixpath.dirname(here) or ".")
        element.set(attribute, quote(relative) + (f"?{query}" if query else "") + fragment)
    return assets


def _absolute(path: str, target_path: str) -> str:
    if not target_path:
        return path
    url_path = posixpath.normpath(posixpath.join(posixpath.dirname(path) if not path.endswith("/") else path, target_path))
    return url_path + "/" if target_path.endswith("/") and url_path != "/" else url_path


def _send_to_live_site(element, attribute: str, url: str, site: StaticSite) -> None:
    if site.live_url:
        element.set(attribute, site.live_url + url)
    elif element.tag == "a":
        element.drop_tag()  # keep the words, lose the link
    else:
        element.drop_tree()


def _note(here: str, site: StaticSite):
    import lxml.html

    download = posixpath.relpath(SHELLS["download"], posixpath.dirname(here) or ".")
    live = f"（<a href=\"{site.live_url}/\">{site.live_url}</a>）" if site.live_url else ""
    return lxml.html.fragment_fromstring(STATIC_NOTE.format(live=live, download=quote(download)), create_parent="p")


def _rewrite_forms(tree, path: str, here: str, site: StaticSite) -> None:
    """A form that a data page answers (the home page's search) goes to it; any other asks the
    server something, and becomes the note."""
    for form in list(tree.iter("form")):
        target = data_page(_absolute(path, urlsplit(form.get("action") or path).path), "", site)
        if target and form.get("method", "get").lower() == "get":
            file, _, query = target.partition("?")
            form.set("action", posixpath.relpath(file, posixpath.dirname(here) or "."))
            for name, value in parse_qsl(query):
                form.insert(0, form.makeelement("input", {"type": "hidden", "name": name, "value": value}))
            continue
        note = _note(here, site)
        note.set("class", "static-note")
        form.getparent().replace(form, note)


def _add_banner(tree, here: str, site: StaticSite) -> None:
    banner = _note(here, site)
    banner.set("class", "static-banner")
    banner.set("style", "background:#fff7d6;border:1px solid #e6c200;padding:0.5em 1em;margin:0")
    tree.body.insert(0, banner)


def shell(html: str, kind: str) -> str:
    """A data page's file: the site's frame (a rendered page) with its content replaced by the
    place app.js fills, and the scripts that fill it."""
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    [content] = tree.find_class("content")
    for child in list(content):
        content.remove(child)
    content.text = None
    content.append(lxml.html.fragment_fromstring(
        f'<div id="app" data-page="{kind}"><p class="loading">正在从数据库读取……</p>'
        '<noscript>本页在浏览器中读取数据库，需要 JavaScript。</noscript></div>'))
    tree.find(".//title").text = "OGI Reports"
    for css in SHARED_STYLES + ("static-app/app.css",):
        tree.head.append(tree.makeelement("link", {"rel": "stylesheet", "href": css.lstrip("/")}))
    for src in ("static-app/index.js", "static-app/app.js"):
        tree.body.append(tree.makeelement("script", {"src": src}))
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>")


# --- the copy -----------------------------------------------------------------------------

def load_metadata() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))


def entry_pages(db: Path, metadata: dict) -> tuple[list[str], dict[str, str]]:
    """The pages rendered by the site: home, about, the place map, the database page and the
    first page of each table, as HTML and as JSON (charts read it). Their number does not grow
    with the corpus."""
    database = metadata["databases"][DATABASE]
    conn = sqlite3.connect(db)
    try:
        tables = [name for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') and name not like '%_fts%'"
            " and name not like 'sqlite_%' order by name")
            if not database.get("tables", {}).get(name, {}).get("hidden")]
    finally:
        conn.close()
    listings = [f"/{DATABASE}/{quote(name)}" for name in tables]
    return ["/", "/about", "/place", f"/{DATABASE}"] + listings, {path: path + ".json?_shape=array" for path in listings}


def file_for(path: str) -> str:
    """Where the page at URL `path` is written: / -> index.html, /ogi/metrics -> ogi/metrics.html."""
    if path == "/":
        return "index.html"
    return "/".join(tilde_decode(part) for part in unquote(path).split("/")).lstrip("/") + ".html"


def static(db: Path, out: Path, live_url: str = "", chunk_bytes: int = CHUNK_BYTES) -> StaticSite:
    if not db.is_file():
        raise StaticError(f"{db} does not exist: run `make build` first")
    if not (HTTPVFS / "sqlite.worker.js").is_file():
        raise StaticError(f"{HTTPVFS} is missing: run `make install` (npm ci installs sql.js-httpvfs)")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    site = StaticSite(out=out, live_url=live_url.rstrip("/"))
    metadata = load_metadata()
    site.canned = set(metadata["databases"][DATABASE].get("queries", {}))
    pages, site.json_pages = entry_pages(db, metadata)
    site.files = {path: file_for(path) for path in pages}
    for json_url in site.json_pages.values():
        site.files[urlsplit(json_url).path] = unquote(urlsplit(json_url).path).lstrip("/")
    canned = {name: spec["sql"] for name, spec in metadata["databases"][DATABASE].get("queries", {}).items()}
    database = prepare_database(db, out / "data", chunk_bytes, canned)
    asyncio.run(_render(site, db, metadata, pages))
    (out / "static-app").mkdir()
    for name in ("index.js", "sql-wasm.wasm"):
        shutil.copy(HTTPVFS / name, out / "static-app" / name)
    _write(out / "static-app" / "sqlite.worker.js", worker_script().encode("utf-8"))
    shutil.copy(HTTPVFS.parent / "LICENSE", out / "static-app" / "sql.js-httpvfs.LICENSE")
    for name in ("app.js", "app.css"):
        shutil.copy(APP / name, out / "static-app" / name)

    def rewrite_html(fragment: str) -> str:
        import lxml.html

        if not fragment:
            return ""
        tree = lxml.html.fragment_fromstring(fragment, create_parent="div")
        rewrite_links(tree, "/", "index.html", site)
        return "".join(lxml.html.tostring(child, encoding="unicode") for child in tree)

    data = site_data(metadata, database, rewrite_html)
    data["live_url"] = site.live_url
    _write(out / "static-app" / "site.json", json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    return site


async def _render(site: StaticSite, db: Path, metadata: dict, pages: list[str]) -> None:
    from datasette.app import Datasette

    # table counts from `datasette inspect`, as `make serve` has them (not counted again per page)
    inspect = json.loads(subprocess.run([sys.executable, "-m", "datasette", "inspect", str(db)], capture_output=True,
                                        text=True, check=True).stdout)
    ds = Datasette(immutables=[str(db)], inspect_data=inspect, metadata=metadata,
                   template_dir=str(ROOT / "templates"), plugins_dir=str(ROOT / "plugins"),
                   # rendered once, with no visitor waiting: a table page of a national database may take
                   # longer than the live site's limit allows a visitor's page
                   settings={name: _setting(value) for name, value in SETTINGS.items()} | {"sql_time_limit_ms": 120000})
    assets: set[str] = set(SHARED_STYLES)
    frame = None
    for path in pages:
        response = await ds.client.get(path)
        if response.status_code != 200:
            raise StaticError(f"{path} answered {response.status_code}: {response.text[:300]}")
        html, found = rewrite_page(response.text, path, site)
        assets |= found
        _write(site.out / site.files[path], html.encode("utf-8"))
        if path == "/about":
            frame = html
    for kind, file in SHELLS.items():
        _write(site.out / file, shell(frame, kind).encode("utf-8"))
    for json_url in site.json_pages.values():
        _write(site.out / site.files[urlsplit(json_url).path], await _json_file(ds, json_url))
    for asset in sorted(assets):
        response = await ds.client.get(asset)
        if response.status_code != 200:
            raise StaticError(f"static file {asset} answered {response.status_code}")
        _write(site.out / unquote(asset).lstrip("/"), response.content)


async def _json_file(ds, json_url: str) -> bytes:
    """A table's JSON as the static copy holds it: its rows as a list (datasette-vega reads that)
    when it is all there; when it is only the first page, an object that says so."""
    response = await ds.client.get(json_url.replace("_shape=array", "_shape=objects"))
    found = response.json()
    rows = found.get("rows", [])
    total = found.get("filtered_table_rows_count")
    if not (found.get("next") or found.get("truncated")):
        return json.dumps(rows, ensure_ascii=False).encode("utf-8")
    return json.dumps({"complete": False, "rows_in_this_file": len(rows), "rows_in_table": total,
                       "note": "这是第一页；完整数据见数据库（download.html）或在线站点",
                       "full_data": SHELLS["download"], "rows": rows}, ensure_ascii=False).encode("utf-8")


def _setting(value: str):
    return int(value) if value.isdigit() else (False if value == "off" else value)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
