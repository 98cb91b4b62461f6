"""The static copy (static_copy.py), served by a file server that honours Range as static hosts do
(tests/range_server.py), read in headless Chromium: no Datasette and no Python of ours behind it.

The copy here is cut into 256 KiB chunks, so the bundled database spans several files and every
page read crosses a chunk boundary somewhere, as a national database's 20 MiB chunks do."""

from __future__ import annotations

import csv
import io
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

import httpx
import lxml.html
import pytest

from conftest import ROOT, SHOTS, new_tab
from parsers.search import fts_query
from tests.range_server import serve

import static_copy

pytestmark = pytest.mark.deploy

LIVE = "https://live.example.org"
CHUNK = 256 * 1024


@pytest.fixture(scope="module")
def static_copy_dir(built_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "static"
    # as `make static` runs it (a process of its own: Playwright's event loop may be running here)
    subprocess.run([sys.executable, str(ROOT / "deploy.py"), "static", "--db", str(built_db), "--out", str(out),
                    "--live-url", LIVE, "--chunk-bytes", str(CHUNK)], check=True)
    return out


@pytest.fixture(scope="module")
def static_site(static_copy_dir):
    with serve(static_copy_dir) as (base, counter):
        yield base


# --- the files ----------------------------------------------------------------------------

def test_the_database_is_in_chunks_that_put_together_are_the_database(static_copy_dir, db, tmp_path):
    chunks = sorted((static_copy_dir / "data").iterdir())
    assert len(chunks) > 3 and all(c.stat().st_size <= CHUNK for c in chunks)
    assert [c.name for c in chunks] == [f"ogi.db.{i:03d}" for i in range(len(chunks))]
    whole = tmp_path / "ogi.db"
    whole.write_bytes(b"".join(c.read_bytes() for c in chunks))
    copy = sqlite3.connect(whole)
    assert copy.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert copy.execute("pragma journal_mode").fetchone()[0] == "delete"
    for sql in ["select id, title, year from reports order by id",
                "select report_id, outcome, applicant_type, count, start, \"end\" from application_outcomes order by 1, 2, 3",
                "select count(*) from sections_fts where sections_fts match '\"复议\"'"]:
        assert copy.execute(sql).fetchall() == [tuple(r) for r in db.execute(sql).fetchall()], sql


def test_the_number_of_files_does_not_grow_with_the_reports(static_copy_dir, db):
    files = [p for p in static_copy_dir.rglob("*") if p.is_file()]
    chunks = [p for p in files if p.parent.name == "data"]
    reports = db.execute("select count(*) from reports").fetchone()[0]
    # entry pages, a shell per kind of data page, assets, the tables' first pages: none per report
    assert len(files) - len(chunks) < 80 < reports * 2
    assert not (static_copy_dir / "report").exists() and not (static_copy_dir / "agency").exists()
    assert max(p.stat().st_size for p in files) <= 25 * 2**20


def test_every_page_says_what_needs_the_live_site(static_copy_dir):
    for page in sorted(static_copy_dir.rglob("*.html")):
        tree = lxml.html.parse(str(page)).getroot()
        banner = tree.find_class("static-banner")
        assert banner, page
        assert LIVE + "/" in [a.get("href") for a in banner[0].iter("a")], page
        for form in tree.iter("form"):  # only forms a data page answers (the home page's search)
            assert form.get("action") in ("query.html", "compare.html", "find.html"), page


def test_every_link_in_the_static_copy_resolves(static_copy_dir, static_site):
    checked: dict[str, int] = {}
    for page in sorted(static_copy_dir.rglob("*.html")):
        page_url = f"{static_site}/{page.relative_to(static_copy_dir).as_posix()}"
        tree = lxml.html.parse(str(page)).getroot()
        for element in tree.iter("a", "link", "script", "img"):
            link = element.get("href") or element.get("src")
            if not link or link.startswith(("#", "mailto:")):
                continue
            target = urlsplit(urljoin(page_url, link))
            if target.netloc != urlsplit(static_site).netloc:
                assert "localhost" not in target.netloc, f"{page}: {link}"
                continue  # another site: the live site, the licence, a report's source
            if target.path not in checked:
                checked[target.path] = httpx.get(static_site + target.path).status_code
            assert checked[target.path] == 200, f"{page.name}: {link} -> {unquote(target.path)}"
    assert len(checked) > 40


def test_server_links_become_data_pages():
    site = static_copy.StaticSite(out=Path("."), live_url="", canned={"search_sections"})
    page = static_copy.data_page
    assert page("/report/a~2Fb", "start=3&end=5", site) == "report.html?id=a%2Fb&start=3&end=5"
    assert page("/ogi/reports/x1", "", site) == "report.html?id=x1"
    assert page("/ogi/reports/x1.json", "", site) is None
    assert page("/agency/110000:城管", "", site) == "agency.html?key=110000%3A%E5%9F%8E%E7%AE%A1"
    assert page("/place/福建省/福州市", "", site) == "region.html?province=%E7%A6%8F%E5%BB%BA%E7%9C%81&place=%E7%A6%8F%E5%B7%9E%E5%B8%82"
    assert page("/ogi/search_sections", "q=复议", site) == "query.html?name=search_sections&q=%E5%A4%8D%E8%AE%AE"
    assert page("/ogi/metrics", "", site) is None  # a table: its first page is a file, the rest the server's
    assert page("/ogi.db.gz", "", site) == "download.html"


def test_canned_queries_take_the_search_words_the_browser_folds():
    sql, fts = static_copy.browser_sql("select 1 from t where t match fts_query(:q) and a = :a and b like '%:x%'")
    assert sql == "select 1 from t where t match :q__fts and a = :a and b like '%:x%'" and fts == ["q"]
    assert static_copy.query_parameters(sql) == ["q", "a"]
    assert static_copy.query_parameters("select :b, :a, :b -- :c\n, ':d'") == ["b", "a"]


# --- in the browser -----------------------------------------------------------------------

def _ready(tab, url: str):
    tab.goto(url)
    tab.wait_for_selector("#app[data-ready]", timeout=30000)


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_a_reader_goes_from_home_to_a_highlighted_value(chromium, static_site, db, width):
    # a report with table 三 read, its province, its agency: the path a reader takes to a figure
    report_id, province, agency, agency_key, value_raw, start, end = db.execute(
        "select r.id, r.province, r.agency, r.agency_key, a.value_raw, a.start, a.\"end\" from application_outcomes a "
        "join reports r on r.id = a.report_id where a.outcome = 'new_received' and a.applicant_type = 'total' "
        "and a.\"end\" > a.start and r.province is not null and r.agency_key is not null order by r.id limit 1").fetchone()
    text = db.execute("select text from reports where id = ?", [report_id]).fetchone()[0]
    tab = new_tab(chromium, width)
    tab.goto(static_site + "/index.html")
    tab.goto(static_site + "/place.html")
    tab.locator(f'a[href="region.html?province={quote(province)}"]').first.click()
    tab.wait_for_selector("#app[data-ready]", timeout=30000)
    assert tab.locator("h1").inner_text() == province
    tab.locator(f'a[href="agency.html?key={quote(agency_key, safe="")}"]').first.click()
    tab.wait_for_selector("#app[data-ready]", timeout=30000)
    assert tab.locator("h1").inner_text() == agency
    tab.locator(f'a[href="report.html?id={quote(report_id, safe="")}"]').first.click()
    tab.wait_for_selector("#app[data-ready]", timeout=30000)
    # the text box holds the report text exactly: the offsets are the database's
    assert tab.locator(".report-text").evaluate("e => e.textContent") == text
    cell = tab.locator('.table-3 tr[data-outcome="new_received"] a.provenance').last
    assert cell.inner_text() == value_raw
    cell.click()
    tab.wait_for_selector("mark#hl", timeout=30000)
    assert tab.locator("mark#hl").inner_text() == text[start:end] == value_raw
    assert f"start={start}" in tab.url
    tab.screenshot(path=str(SHOTS / f"static-report-{width}.png"))
    assert tab.errors == []
    tab.close()


@pytest.mark.browser
def test_the_report_page_links_every_value_the_database_holds(chromium, static_site, db):
    report_id = db.execute("select report_id from metrics group by report_id order by count(*) desc limit 1").fetchone()[0]
    expected = sorted((r[0], r[1], r[2]) for r in db.execute(
        "select value_raw, start, \"end\" from application_outcomes where report_id = ? and \"end\" > start "
        "union all select value_raw, start, \"end\" from review_litigation where report_id = ? and \"end\" > start "
        "union all select value_raw, start, \"end\" from metrics where report_id = ? and \"end\" > start",
        [report_id] * 3))
    tab = new_tab(chromium)
    _ready(tab, f"{static_site}/report.html?id={quote(report_id)}")
    links = tab.locator("a.provenance").evaluate_all(
        "as => as.map(a => [a.textContent, new URL(a.href).searchParams.get('start'), new URL(a.href).searchParams.get('end')])")
    assert sorted((words, int(s), int(e)) for words, s, e in links) == expected
    assert tab.errors == []
    tab.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_a_search_from_the_home_page_leads_to_the_passage(chromium, static_site, db, width):
    tab = new_tab(chromium, width)
    tab.goto(static_site + "/index.html")
    tab.fill('form.search input[name="q"]', "复议")
    tab.locator('form.search input[type="submit"]').click()
    tab.wait_for_selector("#app[data-ready]", timeout=30000)
    passages = tab.locator("table.rows td a mark")
    assert passages.count() > 0 and set(passages.all_inner_texts()) == {"复议"}
    expected = db.execute("select count(*) from sections where instr(heading || text, '复议')").fetchone()[0]
    shown = tab.locator("table.rows tbody tr").count()
    assert shown == min(expected, 100) or shown == min(expected, 200)
    tab.screenshot(path=str(SHOTS / f"static-search-{width}.png"))
    tab.locator("table.rows td a").first.click()
    tab.wait_for_selector("mark#hl", timeout=30000)
    assert "复议" in tab.locator("mark#hl").inner_text()
    assert tab.errors == []
    tab.close()


@pytest.mark.browser
def test_the_browser_folds_a_search_as_the_index_was_folded(chromium, static_site):
    tab = new_tab(chromium)
    _ready(tab, static_site + "/query.html?name=search_sections")
    fold = httpx.get(static_site + "/static-app/site.json").json()["fold"]
    for words in ["复议", "不予 公开", "行政複議", "ＡＢＣ信息", "公", '"引号"', "  ", "𠀀汉字"]:
        assert tab.evaluate("([q, f]) => window.ogiFtsQuery(q, f)", [words, fold]) == fts_query(words), words
    tab.close()


@pytest.mark.browser
def test_a_canned_query_runs_in_the_browser(chromium, static_site, db):
    tab = new_tab(chromium)
    _ready(tab, static_site + "/query.html?name=failed_checks")
    expected = db.execute("select count(*) from checks where passed = 0").fetchone()[0]
    assert tab.locator("table.rows tbody tr").count() == min(expected, 100)
    assert tab.locator("h1").inner_text() == "数字不符合勾稽关系的报告"
    assert tab.errors == []
    tab.close()


@pytest.mark.browser
def test_the_report_builder_downloads_its_csv(chromium, static_site, db):
    agency = db.execute("select agency from reports where doc_type = 'annual_report' and agency like '%平潭%' limit 1").fetchone()[0]
    expected = {(r[0], str(r[1])) for r in db.execute(
        "select r.id, o.count from application_outcomes o join reports r on r.id = o.report_id "
        "where r.doc_type = 'annual_report' and r.agency like '%平潭%' and o.outcome = 'new_received' and o.applicant_type = 'total'")}
    assert expected and agency
    tab = new_tab(chromium)
    _ready(tab, static_site + "/compare.html?agency=" + quote("平潭") + "&fields=applications")
    with tab.expect_download() as waiting:
        tab.locator("button.csv-wide").click()
    content = Path(waiting.value.path()).read_text(encoding="utf-8-sig")
    table = list(csv.DictReader(io.StringIO(content)))
    assert list(table[0])[:4] == ["报告", "机关", "年度", "省份"]
    new_received = next(h for h in table[0] if "新收" in h)
    assert {(row["报告"], row[new_received]) for row in table if row[new_received]} == expected
    assert tab.errors == []
    tab.close()


@pytest.mark.browser
def test_the_home_page_draws_its_chart(chromium, static_site):
    tab = new_tab(chromium)
    tab.goto(static_site + "/index.html")
    tab.wait_for_selector("#chart svg .mark-line path, #chart svg .mark-symbol path", timeout=15000)
    assert tab.errors == []
    tab.close()


def test_a_table_json_says_when_it_holds_only_part_of_the_table(static_copy_dir, db):
    import json

    metrics = json.loads((static_copy_dir / "ogi" / "metrics.json").read_text(encoding="utf-8"))
    total = db.execute("select count(*) from metrics").fetchone()[0]
    assert metrics["complete"] is False and metrics["rows_in_table"] == total > metrics["rows_in_this_file"] == len(metrics["rows"])


def test_a_canned_query_s_default_answer_is_the_query_s_rows(static_copy_dir, db, tmp_path):
    """The copy keeps each canned query's rows for its blank parameters (the whole-corpus summaries
    would fetch much of the database): they are the rows the site's query gives."""
    import yaml

    whole = tmp_path / "ogi.db"
    whole.write_bytes(b"".join(c.read_bytes() for c in sorted((static_copy_dir / "data").iterdir())))
    copy = sqlite3.connect(whole)
    queries = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["ogi"]["queries"]
    for name in ["failed_checks", "audit_ranking", "unread_tables"]:
        sql = queries[name]["sql"]
        params = {p: "" for p in static_copy.query_parameters(sql)}
        # (as sets of rows: rows that tie in the query's order may come in either order)
        assert sorted(map(repr, copy.execute(f"select * from static_query_{name}"))) == \
            sorted(repr(tuple(r)) for r in db.execute(sql, params)), name
    assert "static_query_search_sections" not in {n for (n,) in copy.execute("select name from sqlite_master")}


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_the_copy_s_pages_pass_axe_without_a_serious_violation(chromium, static_site, db, width):
    from conftest import serious_accessibility_violations

    report_id, agency_key, province = db.execute(
        "select id, agency_key, province from reports where agency_key is not null and province is not null limit 1").fetchone()
    for url in ["index.html", f"report.html?id={quote(report_id)}", f"agency.html?key={quote(agency_key, safe='')}",
                f"region.html?province={quote(province)}", "query.html?name=search_sections&q=" + quote("复议"),
                "query.html?name=failed_checks", "compare.html?agency=" + quote("平潭"), "download.html",
                "find.html?q=" + quote("平潭")]:
        tab = chromium.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
        tab.goto(f"{static_site}/{url}")
        if url != "index.html":
            tab.wait_for_selector("#app[data-ready]", timeout=30000)
        assert serious_accessibility_violations(tab) == [], url
        tab.close()


@pytest.mark.browser
def test_the_copy_strikes_through_what_a_mirror_site_injected(chromium, static_site, db):
    from parsers.data import spam_words

    words = spam_words()
    report_id, word = next((rid, w) for rid, text in db.execute("select id, text from reports order by id")
                           for w in words if w in text)
    tab = new_tab(chromium)
    _ready(tab, f"{static_site}/report.html?id={quote(report_id)}")
    assert word in tab.locator(".report-text del.spam").all_inner_texts()
    tab.close()


@pytest.mark.browser
def test_the_copy_finds_reports_by_agency_place_and_year_as_the_site_does(chromium, static_site, db):
    from plugins.ogi_site import find_terms

    tab = new_tab(chromium)
    tab.goto(static_site + "/index.html")
    tab.fill('form.find input[name="q"]', "平潭")  # the home page's form goes to the copy's find page
    tab.locator('form.find input[type="submit"]').click()
    tab.wait_for_selector("#app[data-ready]", timeout=30000)
    expected = {r for (r,) in db.execute("select r.id from reports r join agencies a on a.agency_key = r.agency_key "
                                         "where a.name like '%平潭%'")}

    def found() -> set[str]:
        hrefs = tab.locator("table.reports td a[href^='report.html']").evaluate_all("as => as.map(a => a.href)")
        return {parse_qs(urlsplit(h).query)["id"][0] for h in hrefs}

    assert expected and found() == expected
    _ready(tab, static_site + "/find.html?q=" + quote("福建 2022年"))
    assert found() == {r for (r,) in db.execute("select r.id from reports r join agencies a on a.agency_key = r.agency_key "
                                                 "where a.province = '福建省' and r.year = 2022")}
    _ready(tab, static_site + "/find.html?q=" + quote("没有这个机关"))
    assert "没有找到报告" in tab.locator("#app").inner_text()
    for q in [" 平潭、2022年 福建省，2021年度;x ", "", "2022", "复议后起诉 1999"]:
        years, words = find_terms(q)
        assert tab.evaluate("q => window.ogiFindTerms(q)", q) == {"years": years, "words": words}, q
    assert tab.errors == []
    tab.close()


# --- what goes wrong, said plainly ----------------------------------------------------------

def _static(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "deploy.py"), "static", *args], capture_output=True, text=True)


def test_a_copy_that_cannot_be_made_says_why_and_leaves_nothing_half_written(built_db, tmp_path):
    out = tmp_path / "static"
    # a chunk that a database page would straddle
    result = _static("--db", str(built_db), "--out", str(out), "--chunk-bytes", "1000")
    assert result.returncode == 1 and "not a multiple of the page size (4096)" in result.stderr
    assert "Traceback" not in result.stderr and not list(out.rglob("ogi.db*"))
    result = _static("--db", str(tmp_path / "none.db"), "--out", str(out))
    assert result.returncode == 1 and "does not exist: run `make build` first" in result.stderr


def test_a_copy_without_the_browser_library_says_how_to_get_it(built_db, tmp_path, monkeypatch):
    monkeypatch.setattr(static_copy, "HTTPVFS", tmp_path / "node_modules" / "sql.js-httpvfs" / "dist")
    with pytest.raises(static_copy.StaticError, match="run `make install`"):
        static_copy.static(built_db, tmp_path / "static")


@pytest.mark.browser
def test_a_data_page_for_something_that_is_not_there_says_so(chromium, static_site):
    tab = new_tab(chromium)
    for url, words in [("report.html?id=no-such-report", "没有这份报告：no-such-report"),
                       ("agency.html?key=nobody", "没有这个机关：nobody"),
                       ("query.html?name=nothing", "没有这个预设查询：nothing")]:
        _ready(tab, f"{static_site}/{url}")
        assert words in tab.locator("#app").inner_text(), url
    assert tab.errors == []
    tab.close()
