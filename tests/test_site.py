"""The site as users reach it: a real Datasette on 127.0.0.1 serving the built
database with metadata.yml, templates/ and plugins/."""

import csv
import html
import io
import re
import sqlite3

import httpx
import pytest
import yaml
from datasette.utils import tilde_decode, tilde_encode

from parsers.textutil import squash

from conftest import ROOT

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
TABLES = ["reports", "sections", "metrics", "application_outcomes", "review_litigation", "checks", "labels", "build_issues",
          "audits", "coverage_gaps", "report_versions"]
QUERIES = METADATA["databases"]["ogi"]["queries"]
PARAMS = {"year": "", "agency": "芙蓉区", "metric": "proactive_items_total", "metric_id": "003_85b1cd000e56671f/m4",
          "min_applications": "", "q": "复议", "same_agencies": "",
          "province": "", "year_from": "", "year_to": "", "fields": "", "indicator": "on_time"}


@pytest.mark.parametrize("table", TABLES)
def test_table_page_and_json(get, db, table):
    page = get(f"/ogi/{table}")
    assert page.status_code == 200 and METADATA["databases"]["ogi"]["tables"][table]["title"] in page.text
    rows = get(f"/ogi/{table}.json", _shape="array", _size="max").json()
    assert len(rows) == min(db.execute(f"select count(*) from {table}").fetchone()[0], 1000)


@pytest.mark.parametrize("name", QUERIES)
def test_canned_query_page_and_json(get, db, name):
    """Each canned query's page, and its JSON: the rows its SQL gives when SQLite runs it here."""
    from parsers.search import fts_query

    params = {p: PARAMS[p] for p in re.findall(r":(\w+)", QUERIES[name]["sql"])}
    page = get(f"/ogi/{name}", **params)
    assert page.status_code == 200 and QUERIES[name]["title"] in page.text
    response = get(f"/ogi/{name}.json", _shape="array", **params)
    assert response.status_code == 200
    db.create_function("fts_query", 1, fts_query, deterministic=True)
    db.create_function("escape_fts", 1, fts_query, deterministic=True)
    expected = [tuple(row) for row in db.execute(QUERIES[name]["sql"], params)]
    served = [tuple(row.values()) for row in response.json()]
    assert len(served) == min(len(expected), 1000)
    if len(expected) <= 1000:
        assert sorted(served, key=repr) == sorted(expected, key=repr)


def test_queries_that_pick_their_rows_first_return_the_views_rows(get, db):
    """metric_across_reports and fees pick at most 200 rows by index before reading the
    metrics view; on the bundled corpus (fewer rows than that) they return every matching row."""
    for metric in ("admin_review_total", "proactive_items_total"):
        expected = {r[0] for r in db.execute("select id from metrics where metric = ?", [metric])}
        rows = get("/ogi/metric_across_reports.json", _shape="array", metric=metric).json()
        assert 0 < len(expected) < 200 and [r["metric_id"] for r in rows] == sorted(expected, key=_report_order(db))
    fees = {(r[0], r[1], r[2]) for r in db.execute(
        "select report_id, metric, start from metrics where metric like 'request_fees_collected%' "
        "or metric like 'art20_8.administrative_fees.%'")}
    rows = get("/ogi/fees.json", _shape="array").json()
    assert fees and {(r["report_id"], r["metric"], r["start"]) for r in rows} == fees
    assert [r["metric"] for r in rows] == sorted(r["metric"] for r in rows)


def _report_order(db):
    """A metric id's place: its report's number (the build's order), then its own number."""
    number = dict(db.execute("select id, rowid from reports").fetchall())
    return lambda metric_id: (number[metric_id.rsplit("/m", 1)[0]], int(metric_id.rsplit("/m", 1)[1]))


def test_at_least_twelve_canned_queries_with_chinese_titles():
    assert len(QUERIES) >= 12
    for name, query in QUERIES.items():
        assert re.search(r"[\u4e00-\u9fff]", query["title"]), name
        assert re.search(r"[\u4e00-\u9fff]", query.get("description") or query.get("description_html", "")), name


def test_applications_by_report_gives_the_2021_totals(get):
    rows = get("/ogi/applications_by_report.json", _shape="array", year="2021").json()
    [row] = [r for r in rows if r["agency"] == "长沙市芙蓉区人民政府"]
    # From the 芙蓉区 2021 report's table 三, 总计 column.
    assert {k: row[k] for k in ("new_received", "carried_over", "granted", "partially_granted", "denied", "unable",
                                "not_processed", "other", "results_total", "carried_forward")} == {
        "new_received": 139, "carried_over": 0, "granted": 25, "partially_granted": 62, "denied": 3, "unable": 45,
        "not_processed": 1, "other": 0, "results_total": 136, "carried_forward": 3}


def test_agency_over_years(get):
    [row] = get("/ogi/agency_over_years.json", _shape="array", agency="芙蓉区").json()
    assert (row["year"], row["applications_received"], row["granted"], row["admin_review"], row["litigation"]) == (2021, 139, 25, 2, 0)
    [old] = get("/ogi/agency_over_years.json", _shape="array", agency="格尔木").json()
    assert (old["year"], old["applications_received"], old["admin_review"], old["litigation"]) == (2017, 0, 0, 0)


def test_value_in_context_shows_the_words_around_a_value(get, db):
    metric = db.execute("select id, value_raw from metrics where report_id = '003_85b1cd000e56671f' and metric = 'website_visits'").fetchone()
    [row] = get("/ogi/value_in_context.json", _shape="array", metric_id=metric["id"]).json()
    assert row["text_at_span"] == "29465589" and row["before"].endswith("区政府门户网站总访问量:")


def test_every_value_links_to_its_highlighted_span(get, db):
    page = get("/ogi/application_outcomes", report_id="003_85b1cd000e56671f", outcome="new_received", applicant_type="total")
    [link] = re.findall(r'<a class="provenance" href="([^"]+)"', page.text)
    report = get(link.replace("&amp;", "&").split("#")[0])
    assert report.status_code == 200
    assert re.search(r'<mark id="hl">139</mark>', report.text)
    for table in ("metrics", "review_litigation"):
        page = get(f"/ogi/{table}", report_id="003_85b1cd000e56671f", _size=5)
        assert len(re.findall(r'class="provenance" href="/report/003_85b1cd000e56671f\?start=\d+&amp;end=\d+#hl"', page.text)) >= 5


def test_report_page(get):
    page = get("/report/002_7a6cba6d02a39fa6")
    assert page.status_code == 200
    assert "格尔木市2017年政府信息公开工作年度报告" in page.text and "格尔木市人民政府" in page.text
    assert get("/report/no-such-report").status_code == 404


@pytest.mark.parametrize("word", ["复议", "不予公开", "信息处理费", "诉讼", "依申请公开", "行政复议、行政诉讼"])
def test_search_finds_exactly_the_sections_containing_a_word(get, db, word):
    """Any query of two or more characters, from the table's search box and from the search query.
    A section counts as containing the word when it is there as written, or with line breaks inside it
    (PDF text wraps words), so: every section with the word as written is found, and every section found
    has the word once white space is ignored."""
    found = {r["id"] for r in get("/ogi/sections.json", _search=word, _shape="array", _size="max", _col="id").json()}
    as_written = {r[0] for r in db.execute("select id from sections where instr(heading || ' ' || text, ?)", [word])}
    # The index folds traditional characters (繁體 mirrors) as the parser does.
    squashed = {i for i, heading, text in db.execute("select id, heading, text from sections") if word in squash(heading + text)}
    assert as_written and as_written <= found <= squashed
    by_query = {r["section_id"] for r in get("/ogi/search_sections.json", q=word, _shape="array", _size="max").json()}
    assert by_query == found


def test_search_result_shows_the_matching_passage(get, db):
    rows = get("/ogi/search_sections.json", q="信息处理费", _shape="array").json()
    # Where the section's text has the word as written (not only in its heading, or broken over
    # two lines), the passage shown is around it.
    written = {i for (i,) in db.execute("select id from sections where instr(text, '信息处理费')")}
    assert rows and written & {r["section_id"] for r in rows}
    assert all("信息处理费" in r["passage"] for r in rows if r["section_id"] in written)


def test_home_page(get, db):
    page = get("/")
    assert page.status_code == 200 and "政府信息公开工作年度报告数据库" in page.text
    reports = db.execute("select count(*) from reports").fetchone()[0]
    assert f"<b>{reports}</b>份文件" in page.text
    assert 'id="chart"' in page.text and "vega-embed" in page.text
    for name in QUERIES:
        assert f"/ogi/{name}" in page.text
    assert "湖南省" in page.text and "2021 年格式" in page.text  # counts by province and template


def test_report_page_rebuilds_table_three_and_four(get):
    """芙蓉区 2021: 本年新收 139 (自然人 137, 商业企业 2); table 四 复议 总计 2 (read from the report)."""
    page = get("/report/003_85b1cd000e56671f").text
    table3 = page.split('id="table-3"')[1].split("</table>")[0]
    row = table3.split('data-outcome="new_received"')[1].split("</tr>")[0]
    assert re.findall(r">(\d+)</a>", row) == ["137", "2", "0", "0", "0", "0", "139"]
    assert "（三）不予公开" in table3 and "1.属于国家秘密" in table3
    table4 = page.split('id="table-4"')[1].split("</table>")[0]
    assert "行政复议" in table4 and "结果纠正" in table4
    assert "通过" in page and "校验" in page
    # every value in the text is a link to its own span
    assert len(re.findall(r'<a class="v" href="\?start=\d+&amp;end=\d+#hl">', page)) > 150


def test_robots_and_cors(get):
    robots = get("/robots.txt")
    assert robots.status_code == 200 and robots.headers["content-type"].startswith("text/plain") and "User-agent" in robots.text
    assert get("/ogi/reports.json", _shape="array").headers.get("access-control-allow-origin") == "*"


def test_dashboard_page(get):
    page = get("/-/dashboards/national-trends")
    assert page.status_code == 200 and "全国趋势" in page.text


def test_plugins_are_installed(get):
    names = {p["name"] for p in get("/-/plugins.json").json()}
    assert {"datasette-vega", "datasette-template-sql", "datasette-dashboards", "ogi_links.py", "ogi_site.py"} <= names


def test_every_table_and_column_is_described(built_db):
    tables = METADATA["databases"]["ogi"]["tables"]
    conn = sqlite3.connect(built_db)
    for table in TABLES:
        assert tables[table].get("description") or tables[table].get("description_html"), table
        columns = [c[1] for c in conn.execute(f"pragma table_info('{table}')")]
        assert set(columns) == set(tables[table]["columns"]), table
    conn.close()


def test_figure_vocabulary_is_documented():
    vocabulary = yaml.safe_load((ROOT / "parsers" / "data" / "vocabulary.yml").read_text(encoding="utf-8"))
    keys = ({r["key"] for r in vocabulary["figures"]} | {r["key"] for r in vocabulary["zero_topics"]} | {"other"}
            | {r["then"] for r in vocabulary["also"]} | set(vocabulary["pending_part"]["of"].values())
            | {vocabulary["carry_by_year"][side] for side in ("over", "forward")})
    documented = METADATA["databases"]["ogi"]["tables"]["metrics"]["description_html"]
    assert {k for k in keys if f"<code>{k}</code>" not in documented} == set()


def test_unread_tables_lists_every_annual_report_not_read_completely(get, db):
    listed = {r["report_id"]: r for r in get("/ogi/unread_tables.json", _shape="array").json()}
    # Tables seen: a value read from a table, or a warning that a table's cells could not be read.
    expected = {r[0] for r in db.execute(
        "select id from reports r where doc_type = 'annual_report' and cells_read < cells_expected and ("
        " exists (select 1 from metrics m where m.report_id = r.id and m.source = 'table')"
        " or exists (select 1 from application_outcomes o where o.report_id = r.id and o.source = 'table')"
        " or exists (select 1 from build_issues i where i.report_id = r.id and i.message like '%could not be read%'))")}
    assert set(listed) == expected and expected
    assert all(r["reading"] in ("partial", "no_table") for r in listed.values())


def test_report_page_says_how_much_was_read(get):
    # 芙蓉区 2021: tables 二, 三 and 四 all printed in full in the report.
    page = get("/report/003_85b1cd000e56671f").text
    assert "读取完整" in page and "200 / 200" in page
    # 北京市城市管理委员会 2022: the excerpt ends before its tables; its counts are in the prose.
    assert "仅正文数字" in get("/report/158_beijing_city_management_commission_2022_narrative_counts_excerpt").text


def test_every_share_and_rate_is_recomputed_from_the_value_tables(get, db):
    """Shares and rates in the canned queries, recomputed here from application_outcomes and
    review_litigation: each share over the same reports as its denominator."""
    cells = {}
    for r in db.execute("select report_id, outcome, count, source from application_outcomes where applicant_type = 'total'"):
        cells[(r["report_id"], r["outcome"])] = (r["count"], r["source"])
    # refusal_reasons: per reason, its reports' counts over the same reports' results_total
    reasons = {}
    for (rid, outcome), (count, source) in cells.items():
        total = cells.get((rid, "results_total"))
        if (outcome.startswith(("denied_", "unable_", "not_processed_", "other_")) and not outcome.endswith("_total")
                and count is not None and source == "table" and total and total[0] is not None and total[1] == "table"):
            n, d, k = reasons.get(outcome, (0, 0, 0))
            reasons[outcome] = (n + count, d + total[0], k + 1)
    rows = {r["outcome"]: r for r in get("/ogi/refusal_reasons.json", _shape="array", year="").json()}
    assert set(rows) == set(reasons)
    for outcome, (n, d, k) in reasons.items():
        assert (rows[outcome]["applications"], rows[outcome]["results_total"], rows[outcome]["reports"]) == (n, d, k)
        assert rows[outcome]["percent_of_results"] == (round(100 * n / d, 2) if d else None)
        assert rows[outcome]["percent_of_results"] is None or rows[outcome]["percent_of_results"] <= 100
    # disclosure_rate_ranking: (granted + partially granted) / results total, as a percentage
    for row in get("/ogi/disclosure_rate_ranking.json", _shape="array", min_applications="1").json():
        granted = sum(cells.get((row["report_id"], k), (0, ""))[0] or 0 for k in ("granted", "partially_granted"))
        assert row["disclosure_rate_percent"] == round(100 * granted / cells[(row["report_id"], "results_total")][0], 1)
    # review_litigation_rates: corrected / (total - pending), as percentages
    review = {}
    for r in db.execute("select report_id, proceeding, result, count from review_litigation"):
        group = "admin_review" if r["proceeding"] == "admin_review" else "litigation"
        key = (r["report_id"], group, r["result"])
        review[key] = (review.get(key) or 0) + (r["count"] or 0)
    for row in get("/ogi/review_litigation_rates.json", _shape="array").json():
        for group in ("admin_review", "litigation"):
            decided = review.get((row["report_id"], group, "total"), 0) - review.get((row["report_id"], group, "pending"), 0)
            corrected = review.get((row["report_id"], group, "corrected"))  # None: the report does not say
            expected = round(100 * corrected / decided, 1) if decided and corrected is not None else None
            assert row[f"{group}_correction_percent"] == expected, (row["report_id"], group)


def test_counts_are_integers_in_the_api(get):
    for row in get("/ogi/report_figures.json", _shape="array", _size="max").json():
        for column in ("applications_received", "new_received", "results_total", "admin_reviews", "lawsuits"):
            assert row[column] is None or isinstance(row[column], int), (row["report_id"], column, row[column])


def test_headline_series_says_what_each_point_covers(get, db):
    rows = get("/ogi/headline_series.json", _shape="array", same_agencies="").json()
    for row in rows:
        reporting = db.execute("select count(*) from report_figures where doc_type = 'annual_report' and year = ? "
                               "and applications_received is not null", [row["year"]]).fetchone()[0]
        assert row["applications_received_reports"] == reporting <= row["reports"]
    panel = get("/ogi/headline_series.json", _shape="array", same_agencies="1").json()
    years = {r["year"] for r in rows}
    agencies = {a for (a,) in db.execute(
        "select agency from report_figures where doc_type = 'annual_report' and agency is not null and year is not null "
        "group by agency having count(distinct year) = ?", [len(years)])}
    assert sum(r["agencies"] for r in panel) == len(agencies) * len(panel)


def test_injected_spam_is_struck_through_not_shown_as_the_agencys_words(get, db):
    # 芙蓉区 2021 as mirrored: 凯发一触即发 was injected in place of words of the report.
    [(text,)] = db.execute("select text from reports where id = '003_85b1cd000e56671f'").fetchall()
    assert "凯发一触即发" in text  # kept in the text: the spans count it
    page = get("/report/003_85b1cd000e56671f").text
    assert '<del class="spam"' in page and page.count("凯发一触即发") == page.count('<del class="spam"')
    from parsers.data import spam_words
    for word in spam_words():  # never in a label, heading, title or agency
        for sql in ("select count(*) from metrics where instr(label, ?)", "select count(*) from sections where instr(heading, ?)",
                    "select count(*) from reports where instr(coalesce(title, '') || coalesce(agency, ''), ?)"):
            assert db.execute(sql, [word]).fetchone()[0] == 0, (sql, word)


def test_report_json_has_metadata_tables_checks_and_reading(get, db):
    document = get("/report/003_85b1cd000e56671f.json").json()
    assert document["report"]["title"] == "长沙市芙蓉区2021年政府信息公开工作年度报告" and document["report"]["reading"] == "complete"
    cells = {(c["outcome"], c["applicant_type"]): c for c in document["application_outcomes"]}
    assert cells[("new_received", "total")]["count"] == 139 and len(cells) == 175
    total = cells[("new_received", "total")]
    [(text,)] = db.execute("select text from reports where id = '003_85b1cd000e56671f'").fetchall()
    assert text[total["start"]:total["end"]] == "139" and total["link"].startswith("http")
    assert len(document["review_litigation"]) == 15 and document["checks"]
    assert document["text"] == text
    metrics = db.execute("select count(*) from metrics where report_id = '003_85b1cd000e56671f'").fetchone()[0]
    assert len(document["metrics"]) == metrics and all(text[m["start"]:m["end"]] == m["value_raw"] or m["value_raw"]
                                                      is None for m in document["metrics"])
    sections = db.execute("select count(*) from sections where report_id = '003_85b1cd000e56671f'").fetchone()[0]
    assert len(document["sections"]) == sections
    assert '/report/003_85b1cd000e56671f.json"' in get("/report/003_85b1cd000e56671f").text  # the page's JSON link
    assert get("/report/no-such-report.json").status_code == 404


def test_home_page_api_examples_work_when_pasted_into_a_shell(site, get):
    import html as html_module
    import shlex
    page = get("/").text
    block = html_module.unescape(re.search(r'<pre [^>]*class="api">(.*?)</pre>', page, re.S).group(1))
    commands = [shlex.split(line) for line in block.strip().splitlines()]
    assert len(commands) >= 3
    for command in commands:
        assert command[0] == "curl" and command[1].startswith(site) and command[1].isascii(), command
        assert httpx.get(command[1], timeout=30).status_code == 200, command


def test_bundled_reports_link_to_their_originals(get, db):
    # reports/manifest.csv gives each corpus report the address tests/expected/CORPUS_SOURCES.md names
    import csv
    with open(ROOT / "reports" / "manifest.csv", encoding="utf-8") as f:
        manifest = {row["path"]: row for row in csv.DictReader(f)}
    for path, row in manifest.items():
        [(report_id, url)] = db.execute("select id, source_url from reports where source_path = ?", [path]).fetchall()
        assert url == row["source_url"] and url.startswith(("https://", "http://")), (path, url)
    page = get("/report/164_pingdu_public_security_bureau_2023_narrative_counts_excerpt").text
    assert 'href="http://www.pingdu.gov.cn/bmxxgkml_15/pdsgaj_15/xxgkml_15/ndgzbg_15/202401/t20240116_7794358.shtml"' in page


def test_about_page_is_linked_from_every_page(get):
    about = get("/about")
    assert about.status_code == 200 and "关于与方法" in about.text
    assert "<table tabindex=\"0\">" in about.text and "复议后起诉" in about.text  # the glossary, a Markdown table rendered
    for path in ("/", "/ogi", "/ogi/metrics", "/ogi/refusal_reasons", "/report/003_85b1cd000e56671f"):
        assert 'href="/about"' in get(path).text, path


def test_report_ids_link_to_report_pages_and_long_text_is_cut(get):
    reports = get("/ogi/reports").text
    assert 'href="/report/003_85b1cd000e56671f"' in reports
    assert len(reports) < 200_000  # was the full text of every report in its rows
    assert 'href="/report/003_85b1cd000e56671f"' in get("/ogi/application_outcomes?report_id=003_85b1cd000e56671f").text
    assert 'href="/report/' in get("/ogi/search_sections", q="复议").text


def test_csv_for_excel_has_a_byte_order_mark(get):
    plain = get("/ogi/reports.csv", _size="3").content
    excel = get("/ogi/reports.csv", _size="3", _bom="1").content
    assert not plain.startswith(b"\xef\xbb\xbf") and excel == b"\xef\xbb\xbf" + plain
    assert excel.decode("utf-8-sig").splitlines()[0].startswith("id,")


def test_search_results_lead_to_the_passage_with_the_word_marked(get, db):
    page = get("/ogi/search_sections", q="信息处理费").text
    assert "<mark>信息处理费</mark>" in page
    rows = get("/ogi/search_sections.json", q="信息处理费", _shape="array").json()
    texts = dict(db.execute("select id, text from reports").fetchall())
    found = [r for r in rows if texts[r["report_id"]][r["start"]:r["end"]] == "信息处理费"]
    assert found and f'start={found[0]["start"]}&amp;end={found[0]["end"]}#hl' in page


def test_an_agency_keeps_one_identity_and_has_its_page(get, db):
    # 平潭综合实验区: five annual reports 2011-2025, the agency written 管委会 / 管委会（…）/ 管委会（办公室）
    reports = db.execute("select id, agency_key from reports where source_path in ('013_pingtan_zone_2018.txt', "
                         "'017_pingtan_zone_2022.txt', '020_pingtan_zone_2025.txt', '101_pingtan_zone_2011.txt', "
                         "'104_pingtan_zone_2014.txt')").fetchall()
    assert len(reports) == 5 and len({key for _, key in reports}) == 1
    key = reports[0][1]
    [agency] = get("/ogi/agencies.json", _shape="array", agency_key=key).json()
    assert (agency["reports"], agency["first_year"], agency["last_year"]) == (5, 2011, 2025)
    from datasette.utils import tilde_encode
    page = get("/agency/" + tilde_encode(key)).text
    assert all(f'/report/{rid}' in page for rid, _ in reports)
    assert f'href="/agency/{tilde_encode(key)}"' in get("/report/017_pingtan_zone_2022").text
    assert get("/agency/no-such-agency").status_code == 404


def test_searching_reports_finds_words_in_their_text(get, db):
    found = {r["id"] for r in get("/ogi/reports.json", _search="复议", _shape="array", _size="max", _col="id").json()}
    written = {i for (i,) in db.execute("select id from reports where instr(text, '复议')")}
    assert written and written <= found


def test_canned_queries_open_with_their_description_and_results_not_their_sql(get):
    page = get("/ogi/refusal_reasons").text
    title = re.search(r"<title>(.*?)</title>", page, re.S).group(1)
    assert QUERIES["refusal_reasons"]["title"] in title and "select" not in title
    assert "_show_sql=1" in page and "select o.outcome" not in page  # the SQL is one click away, not shown


def test_browsing_by_place_leads_to_agencies_and_reports(get, db):
    from datasette.utils import tilde_encode
    counts = dict(db.execute("select province, count(*) from reports where province is not null group by province").fetchall())
    page = get("/place").text
    for province, n in counts.items():
        assert f'href="/place/{tilde_encode(province)}"' in page and f"{province}：{n} 份报告" in page
    province = "福建省"
    cities = dict(db.execute("select coalesce(city, county), count(*) from reports where province = ? group by 1", [province]).fetchall())
    page = get("/place/" + tilde_encode(province)).text
    for city, n in cities.items():
        if city:
            assert f'/place/{tilde_encode(province)}/{tilde_encode(city)}' in page
    [(key,)] = db.execute("select agency_key from agencies where province = ? order by reports desc limit 1", [province]).fetchall()
    assert f'href="/agency/{tilde_encode(key)}"' in page
    assert get("/place/" + tilde_encode("不存在省")).status_code == 404
    assert 'href="/place/' in get("/report/003_85b1cd000e56671f").text and 'href="/place/' in get("/ogi/reports").text


def test_the_report_builder_gives_linked_figures_a_chart_and_csv(get, db):
    page = get("/compare", agency="芙蓉区", fields="applications").text
    # 芙蓉区 2021, table 三: 139 new applications, the cell's own span in the text
    [(start, end)] = db.execute("select start, \"end\" from application_outcomes where report_id = '003_85b1cd000e56671f' "
                                "and outcome = 'new_received' and applicant_type = 'total'").fetchall()
    assert f'?start={start}&amp;end={end}#hl' in page and ">139</a>" in page
    csv_link = re.search(r'href="([^"]*/ogi/compare\.csv[^"]*)"', page).group(1).replace("&amp;", "&")
    csv_bytes = get(csv_link).content
    assert csv_bytes.startswith(b"\xef\xbb\xbf")
    lines = csv_bytes.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("report_id,") and any(",new_received," in line and ",139," in line for line in lines)
    everything = get("/ogi/compare.json", _shape="array", agency="", province="", year_from="", year_to="", fields="").json()
    annual = {r for (r,) in db.execute("select id from reports where doc_type = 'annual_report'")}
    assert {row["report_id"] for row in everything} <= annual


def test_the_report_builder_s_wide_csv_has_a_row_per_report_and_chinese_headers(get, db):
    page = get("/compare", agency="平潭", fields="applications").text
    link = re.search(r'href="(/compare\.csv\?[^"]*)"', page).group(1).replace("&amp;", "&")
    answer = get(link)
    assert answer.headers["content-type"].startswith("text/csv") and answer.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    # the official names, in the official order (labels.ordinal), after the report's own columns
    official = [label for (label,) in db.execute(
        "select label from labels where template = 't2021' and kind = 'outcome' and key in "
        "('new_received', 'carried_over_from_prev_year', 'results_total', 'carried_forward_to_next_year') order by ordinal")]
    assert table[0][:4] == ["报告", "机关", "年度", "省份"] and table[0][4:] == official
    expected = {(r, str(n)) for r, n in db.execute(
        "select o.report_id, o.count from application_outcomes o join reports r on r.id = o.report_id "
        "where r.doc_type = 'annual_report' and r.agency like '%平潭%' and o.outcome = 'new_received' "
        "and o.applicant_type = 'total'")}
    assert {(row[0], row[4]) for row in table[1:] if row[4]} == expected
    assert len({row[0] for row in table[1:]}) == len(table) - 1  # one row per report


def test_the_report_builder_names_figures_officially_and_charts_the_one_chosen(get):
    page = get("/compare", agency="平潭", fields="reviews", chart="admin_review_total").text
    assert "<th>行政复议（总计）</th>" in page and "<th>admin_review</th>" not in page
    assert "<h2>图表：行政复议（总计）</h2>" in page
    assert re.search(r'<option selected>福建省</option>', get("/compare", province="福建").text)


def test_the_comparison_takes_several_agencies_a_short_province_and_says_what_it_did(get, db):
    def reports(**params):
        rows = get("/ogi/compare.json", _shape="array", **{"agency": "", "province": "", "year_from": "",
                                                           "year_to": "", "fields": "applications", **params}).json()
        return {row["report_id"] for row in rows}

    def annual(where, *args):
        return {r for (r,) in db.execute(f"select id from reports where doc_type = 'annual_report' and {where}", args)
                if db.execute("select 1 from application_outcomes where report_id = ?", [r]).fetchone()}

    pingtan, furong = annual("agency like '%平潭%'"), annual("agency like '%芙蓉区%'")
    assert pingtan and furong
    for written in ("平潭、芙蓉区", "平潭 芙蓉区", "平潭，芙蓉区"):
        assert reports(agency=written) == pingtan | furong, written
    assert reports(province="福建") == reports(province="福建省") == annual("province = '福建省'")
    # a year that is no year filters nothing, and the page says so
    assert reports(agency="平潭", year_to="abc") == pingtan
    page = get("/compare", agency="平潭", year_to="abc").text
    assert "截止年度“abc”不是四位数的年份" in page and "份报告" in page
    assert "没有找到符合条件的年度报告" in get("/compare", agency="没有这个机关").text
    assert "作为示例" in get("/compare").text and "作为示例" not in get("/compare", agency="平潭").text


def test_datasettes_interface_words_are_chinese(get):
    table = get("/ogi/metrics").text
    assert "共 " in table and "数据格式：" in table and 'value="应用"' in table and "各列说明" in table
    assert "This data as" not in table and 'value="Apply"' not in table
    query = get("/ogi/refusal_reasons").text
    assert "显示 SQL" in query and "Custom SQL query" not in query and 'value="运行"' in query


@pytest.mark.parametrize("path", ["/", "/ogi", "/ogi/metrics", "/ogi/refusal_reasons", "/report/003_85b1cd000e56671f",
                                  "/-/dashboards", "/-/dashboards/national-trends", "/about"])
def test_every_page_is_marked_chinese_and_its_frame_speaks_chinese(get, path):
    page = get(path).text
    assert '<html lang="zh-CN">' in page
    for english in ("Powered by", "Queries took", "Data license", "Data source", ">home<", ">Menu<", "Log out"):
        assert english not in page, (path, english)
    if path != "/":
        assert '<a href="/">首页</a>' in page  # the first crumb


def test_reports_are_what_a_reader_browses(get, db):
    """Report lists lead to report pages by their titles: the reports table, an agency's page, and
    a province's and a city's pages (their newest reports)."""
    rid, title, agency_key, province, city = db.execute(
        "select id, title, agency_key, province, city from reports where city is not null and title is not null "
        "order by id limit 1").fetchone()
    link = f'<a class="report" href="/report/{tilde_encode(rid)}" title="报告页">{html.escape(title)}</a>'
    assert link in get(f"/ogi/reports?id={rid}").text
    assert f'href="/report/{tilde_encode(rid)}">{html.escape(title)}</a>' in get(f"/agency/{tilde_encode(agency_key)}").text
    for page in (f"/place/{tilde_encode(province)}", f"/place/{tilde_encode(province)}/{tilde_encode(city)}"):
        assert f'href="/report/{tilde_encode(rid)}">{html.escape(title)}</a>' in get(page).text, page


def test_counts_on_table_pages_stand_beside_their_official_labels(get):
    page = get("/ogi/application_outcomes?report_id=003_85b1cd000e56671f").text
    assert "一、本年新收政府信息公开申请数量" in page and "new_received" in page and "自然人" in page


# --- Chinese throughout --------------------------------------------------------------------

# Datasette's and its plugins' own words, which the site's templates say in Chinese. Data (table
# cells), code (SQL, <code>, <pre>) and the names of columns and tables are not words to translate.
ENGLISH_WORDS = ["Menu", "Dashboards", "Powered by", "Queries took", "Query took", "Data license", "Data source",
                 "Links from other tables", "descending", "Sort by", "download file", "JSON shape", "Run SQL",
                 "Format SQL", "Custom SQL query", "Next page", "Advanced export", "remove filter", "Apply",
                 "Edit SQL", "This data as", "Tables", "Views", "Queries", "hidden", "Table actions", "rows", "row",
                 "Home", "Search", "Download", "Export", "Show SQL", "Hide SQL", "No results", "License", "Source",
                 "stream all rows", "CSV options", "expand labels", "contains", "starts with", "ends with", "is null",
                 "- column -", "records", "suggested facets",
                 # datasette-vega's chart panel, drawn by its script (the browser test reads the drawn page)
                 "Show charting options", "Swap X and Y", "X column", "Y column", "Numeric", "Scatter", "-- none --"]
ENGLISH = re.compile(r"(?<![A-Za-z_])(" + "|".join(map(re.escape, ENGLISH_WORDS)) + r")(?![A-Za-z_])")
PAGE_TYPES = ["/", "/report/017_pingtan_zone_2022", "/about", "/place", "/place/福建省", "/compare?agency=平潭",
              "/agency/{agency}", "/ogi", "/ogi?sql=select+1", "/ogi/reports", "/ogi/reports/017_pingtan_zone_2022",
              "/ogi/metrics?_facet=metric", "/ogi/checks?passed=0", "/ogi/search_sections?q=复议",
              "/ogi/headline_series", "/-/dashboards", "/-/dashboards/national-trends", "/find?q=平潭 2022",
              "/find?q=没有这个机关"]


def words_a_reader_sees(page: str) -> str:
    """A page's text and the words of its controls, without data and code."""
    import lxml.html

    tree = lxml.html.fromstring(page)
    for hidden in tree.xpath("//script|//style|//code|//pre|//textarea|//td|//th|//select[starts-with(@name, '_filter_column')]"
                             "|//*[contains(@class, 'facet-info')]//li|//*[contains(@class, 'metadata-description')]"):
        hidden.drop_tree()
    controls = tree.xpath("//@title|//@placeholder|//@aria-label|//input[@type='submit']/@value|//option/text()")
    return tree.text_content() + " " + " ".join(controls)


def test_the_word_check_sees_datasette_s_own_words():
    assert ENGLISH.findall(words_a_reader_sees(
        "<p>Powered by <a>Datasette</a> · Queries took 3ms</p><select><option>- column -</option></select>"
        "<input type=submit value=Apply><td>Apply</td><code>rows</code>")) == ["Powered by", "Queries took", "- column -", "Apply"]


@pytest.mark.parametrize("path", PAGE_TYPES)
def test_no_page_shows_an_english_word_outside_data_and_code(site, db, path):
    agency = db.execute("select agency_key from reports where id = '017_pingtan_zone_2022'").fetchone()[0]
    page = httpx.get(site + path.format(agency=agency), follow_redirects=True, timeout=30)
    assert page.status_code == 200
    assert ENGLISH.findall(words_a_reader_sees(page.text)) == []


# --- /find ----------------------------------------------------------------------------------

def _found(get, q: str) -> tuple[str, list[str]]:
    page = get("/find", q=q).text
    return page, re.findall(r'<td><a href="/report/([^"?#]+)">', page)


def test_find_lists_an_agency_s_reports_by_title_each_linked_to_its_page(get, db):
    page, found = _found(get, "平潭")
    expected = db.execute("select r.id, r.title, r.year from reports r join agencies a on a.agency_key = r.agency_key "
                          "where a.name like '%平潭%'").fetchall()
    assert expected and sorted(map(tilde_decode, found)) == sorted(r[0] for r in expected)
    years = {r[0]: r[2] for r in expected}
    assert [years[tilde_decode(f)] for f in found] == sorted(years.values(), reverse=True)  # the latest first
    assert all(html.escape(title) in page for _, title, _ in expected)
    assert "按机关或地区名称找到" in page


def test_find_takes_a_place_and_a_year_as_people_write_them(get, db):
    for q in ("福建 2022", "福建省，2022年", "2022年度 福建"):
        _, found = _found(get, q)
        expected = {r for (r,) in db.execute("select r.id from reports r join agencies a on a.agency_key = r.agency_key "
                                              "where a.province = '福建省' and r.year = 2022")}
        assert expected and {tilde_decode(f) for f in found} == expected, q
    _, found = _found(get, "2022")
    assert {tilde_decode(f) for f in found} == {r for (r,) in db.execute("select id from reports where year = 2022")}


def test_find_falls_back_to_the_text_and_says_so(get, db):
    page, found = _found(get, "复议后起诉")
    assert "按标题和全文找到" in page and found
    for report_id in map(tilde_decode, found):
        text = db.execute("select coalesce(title, '') || coalesce(agency, '') || text from reports where id = ?",
                          [report_id]).fetchone()[0]
        assert "复议后起诉" in re.sub(r"\s", "", text), report_id
    assert "没有找到报告" in get("/find", q="没有这个机关").text


def test_find_reads_years_and_words():
    from plugins.ogi_site import find_queries, find_terms

    assert find_terms(" 平潭、2022年 福建省，2021年度;x ") == ([2022, 2021], ["平潭", "福建省", "x"])
    assert find_terms("") == ([], [])
    [(how, sql, params)] = find_queries([2022], [])
    assert how == "年度" and "r.year in (?1)" in sql and params == [2022]
    (how, sql, params), (how2, sql2, params2) = find_queries([2021, 2022], ["平潭", "县"])
    assert "like ?2" in sql and "r.year in (?3, ?4)" in sql and params == ["%平潭%", "%县%", 2021, 2022]
    assert "match ?1" in sql2 and "r.year in (?2, ?3)" in sql2 and params2 == ['"平潭" AND "县"*', 2021, 2022]


@pytest.mark.parametrize("path", ["/", "/compare?agency=平潭", "/ogi/reports", "/ogi/refusal_reasons"])
def test_no_script_blocks_the_page_from_showing(get, path):
    """Scripts with a src are deferred (or modules, deferred by nature): the page shows before the
    chart libraries (about 270 kB gzipped) have loaded."""
    page = get(path).text
    scripts = re.findall(r"<script\b[^>]*\bsrc=[^>]*>", page)
    assert scripts and [s for s in scripts if " defer" not in s and 'type="module"' not in s] == []


def test_an_agency_s_figures_link_to_the_cells_they_came_from(get, db):
    agency = db.execute("select agency_key from reports where id = '017_pingtan_zone_2022'").fetchone()[0]
    page = get(f"/agency/{tilde_encode(agency)}").text
    links = re.findall(r'<a class="provenance" href="/report/([^"?]+)\?start=(\d+)&amp;end=(\d+)#hl"[^>]*>(\d+)</a>', page)
    assert len(links) >= 10
    for report_id, start, end, shown in links:
        text = db.execute("select text from reports where id = ?", [tilde_decode(report_id)]).fetchone()[0]
        # the span holds the number as the report wrote it (full-width digits folded)
        assert squash(text[int(start):int(end)]).translate({0xFF10 + i: 0x30 + i for i in range(10)}) == shown


def test_the_builder_suggests_agencies_from_the_agencies_table(get, db):
    page = get("/compare", province="福建").text
    suggested = re.findall(r'<option value="([^"]+)">', page.split('<datalist id="agency-names">')[1].split("</datalist>")[0])
    assert sorted(suggested) == sorted(n for (n,) in db.execute("select name from agencies where province = '福建省'"))
    assert 'list="agency-names"' in page
