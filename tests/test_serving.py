"""What a crowd and a CDN rely on: few queries per page, cache headers, and the compressed
download (plugins/ogi_cache.py, plugins/ogi_site.py, serving.py). Real servers, real HTTP."""

import gzip
import html
import json
import re

import httpx
import pytest
from datasette.utils import tilde_encode

from conftest import datasette


@pytest.fixture(scope="module")
def traced(built_db):
    """The site with Datasette's query tracing on (?_trace=1 lists every SQL query a page ran)."""
    with datasette(built_db, "--setting", "trace_debug", "1") as base:
        yield base


def queries(base: str, path: str) -> list[dict]:
    # no-cache: the page is built again (not served from memory), so its queries run
    page = httpx.get(base + path + "?_trace=1", headers={"cache-control": "no-cache"}, timeout=30)
    assert page.status_code == 200
    traces = json.loads(html.unescape(re.search(r"<pre>(\{.*\})</pre>", page.text, re.S).group(1)))["traces"]
    return [t for t in traces if t.get("database") == "ogi"]


def test_the_home_page_costs_one_query(traced):
    queries(traced, "/")  # the first visit may read what the server keeps (labels)
    assert [q["sql"] for q in queries(traced, "/")] == ["select key, value from build_info"]


def test_a_report_page_costs_a_handful_of_queries(traced, db):
    report_id = db.execute("select report_id from application_outcomes group by report_id limit 1").fetchone()[0]
    path = f"/report/{tilde_encode(report_id)}"
    queries(traced, path)
    ran = queries(traced, path)
    # the report with its text, its audits, outcomes, review and litigation, checks, metrics,
    # sections and versions (and Datasette's schema check): one query per part of the page, none per row
    assert len(ran) <= 9, [q["sql"] for q in ran]


def test_the_home_page_shows_what_the_database_holds(get, db):
    """The figures the build recorded are the database's own counts."""
    page = get("/").text
    reports = db.execute("select count(*) from reports").fetchone()[0]
    assert f"<b>{reports}</b>份文件" in page
    for year, n in db.execute("select year, count(*) from reports where year is not null group by year"):
        assert re.search(rf"\?year={year}\">{year}</a></td><td class=\"n\">{n}</td>", page), year


def test_pages_carry_an_etag_and_answer_304(get, site):
    first, second = get("/ogi/reports"), get("/report/003_85b1cd000e56671f")
    tag = first.headers["etag"]
    # one build, one site: one tag; weak, for the page gzipped or not is the same page
    assert tag.startswith('W/"') and second.headers["etag"] == tag
    assert first.headers["cache-control"] == "public, max-age=600"
    again = httpx.get(site + "/ogi/reports", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    # as a cache that strips the weak mark sends it, or one of several
    assert httpx.get(site + "/ogi/reports", headers={"if-none-match": f'"x", {tag[2:]}'}).status_code == 304
    other = httpx.get(site + "/ogi/reports", headers={"if-none-match": '"another-build"'})
    assert other.status_code == 200 and other.text == first.text


def test_arbitrary_sql_is_never_kept(get):
    """random() differs on every run: a kept page would repeat it."""
    values = {get("/ogi.json", sql="select random() as r", _shape="array").json()[0]["r"] for _ in range(3)}
    assert len(values) == 3
    assert "etag" not in get("/ogi.json", sql="select 1", _shape="array").headers


def test_a_request_with_a_cookie_or_credentials_is_never_kept_or_shared(site):
    """A page may vary with a Cookie or Authorization header (a plugin could read them): such a
    request is answered fresh, and its answer is not marked for shared caches."""
    for header in ({"cookie": "ds_actor=someone"}, {"authorization": "Bearer x"}):
        private = httpx.get(site + "/ogi/reports", headers=header)
        assert private.status_code == 200 and "etag" not in private.headers, header
        assert "public" not in private.headers.get("cache-control", ""), header
    assert "etag" in httpx.get(site + "/ogi/reports").headers  # the same page, asked plainly


def test_errors_are_not_kept_or_tagged(get):
    missing = get("/report/no-such-report")
    assert missing.status_code == 404 and "etag" not in missing.headers


def test_the_compressed_download_is_the_database(get, site, built_db):
    download = httpx.get(site + "/ogi.db.gz", timeout=60)
    assert download.status_code == 200 and download.headers["content-type"] == "application/gzip"
    assert gzip.decompress(download.content) == built_db.read_bytes()
    assert len(download.content) < built_db.stat().st_size / 2
    home = get("/").text
    assert 'href="/ogi.db.gz"' in home and 'href="/ogi.db"' in home
    # its size as the page says it (Datasette's format_bytes: "1.2 MB")
    size = re.search(r"ogi\.db\.gz</a>（gzip，([\d.]+) (KB|MB|GB)", home)
    assert size, "the home page gives the download's size"
    value = float(size.group(1)) * {"KB": 2**10, "MB": 2**20, "GB": 2**30}[size.group(2)]
    assert abs(value - len(download.content)) / len(download.content) < 0.05


def test_a_download_older_than_its_database_is_not_offered(tmp_path):
    import os
    import serving
    db = tmp_path / "ogi.db"
    db.write_bytes(b"SQLite format 3\0" + b"x" * 5000)
    assert serving.current_download(db) is None
    packed = serving.write_download(db)
    assert serving.current_download(db) == packed and gzip.decompress(packed.read_bytes()) == db.read_bytes()
    later = packed.stat().st_mtime_ns + 10**9
    os.utime(db, ns=(later, later))  # the database rebuilt, its download not yet
    assert serving.current_download(db) is None


def test_view_pages_count_what_is_cheap_and_offer_the_rest(get, db):
    """A packed table's view: the whole table's count comes from the build, one report's rows are
    counted, a broad filter is counted only when asked (_count=1), and then rightly."""
    total = db.execute("select count(*) from application_outcomes").fetchone()[0]
    assert f"共 {total:,} 行" in get("/ogi/application_outcomes").text
    report_id, mine = db.execute("select report_id, count(*) from application_outcomes group by report_id "
                                 "order by 2 desc limit 1").fetchone()
    assert f"共 {mine:,} 行" in get("/ogi/application_outcomes", report_id=report_id).text
    broad = get("/ogi/application_outcomes", applicant_type="total").text
    assert "统计行数" in broad and "共 " not in broad
    link = re.search(r'<a class="count-rows" href="([^"]+)"', broad).group(1)
    counted = get(html.unescape(link)).text
    totals = db.execute("select count(*) from application_outcomes where applicant_type = 'total'").fetchone()[0]
    assert f"共 {totals:,} 行" in counted


def test_the_database_page_lists_the_tables_and_views(get):
    """(The views' counts given to the table pages must not confuse the database page.)"""
    page = get("/ogi")
    assert page.status_code == 200
    for name in ("reports", "sections", "metrics", "application_outcomes", "review_litigation", "checks",
                 "build_issues", "labels"):
        assert f'href="/ogi/{name}"' in page.text, name


def test_the_load_run_goes_to_this_machine_only_and_counts_every_page_type(site):
    """bench/load.py, briefly, against the test site: every page type answered, no errors."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from bench import load

    with pytest.raises(SystemExit):
        load.pages_of("http://example.com")
    # its own thread: the browser tests' Playwright may hold this thread's event loop
    with ThreadPoolExecutor(1) as thread:
        result = thread.submit(asyncio.run, load.run(site, load.pages_of(site), clients=4, seconds=2)).result()
    assert result["errors"] == 0, result["error_examples"]
    assert set(result["by_type"]) == {"home", "report", "table", "search", "json", "query"}
    assert all(figures["n"] > 0 for figures in result["by_type"].values())
    assert result["requests"] == sum(figures["n"] for figures in result["by_type"].values())


def test_a_database_built_under_another_name_is_served_as_the_site(built_db, tmp_path):
    """build.py --db other.db (as the README shows), then served: every page, query and link
    names the database "ogi", so that is what it is served as."""
    import shutil

    from conftest import datasette

    other = tmp_path / "other.db"
    shutil.copy(built_db, other)
    with datasette(other) as base:
        assert httpx.get(base + "/", timeout=30).status_code == 200
        rows = httpx.get(base + "/ogi/reports.json", params={"_shape": "array", "_size": "1"}, timeout=30)
        assert rows.status_code == 200 and len(rows.json()) == 1
        assert httpx.get(base + "/report/017_pingtan_zone_2022", timeout=30).status_code == 200
