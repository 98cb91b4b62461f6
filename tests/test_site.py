"""The site as users reach it: a real Datasette on 127.0.0.1 serving the built
database with metadata.yml, templates/ and plugins/."""

import re
import sqlite3
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

METADATA = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
TABLES = ["reports", "sections", "metrics", "application_outcomes", "review_litigation", "checks", "build_issues"]
QUERIES = METADATA["databases"]["ogi"]["queries"]
PARAMS = {"year": "", "agency": "芙蓉区", "metric": "proactive_items_total", "metric_id": "003_85b1cd000e56671f/m4"}


@pytest.mark.parametrize("table", TABLES)
def test_table_page_and_json(get, db, table):
    page = get(f"/ogi/{table}")
    assert page.status_code == 200 and METADATA["databases"]["ogi"]["tables"][table]["title"] in page.text
    rows = get(f"/ogi/{table}.json", _shape="array", _size="max").json()
    assert len(rows) == min(db.execute(f"select count(*) from {table}").fetchone()[0], 1000)


@pytest.mark.parametrize("name", QUERIES)
def test_canned_query_page_and_json(get, name):
    params = {p: PARAMS[p] for p in re.findall(r":(\w+)", QUERIES[name]["sql"])}
    page = get(f"/ogi/{name}", **params)
    assert page.status_code == 200 and QUERIES[name]["title"] in page.text
    response = get(f"/ogi/{name}.json", _shape="array", **params)
    assert response.status_code == 200 and isinstance(response.json(), list)


def test_at_least_six_canned_queries():
    assert len(QUERIES) >= 6


def test_applications_by_report_gives_the_2021_totals(get):
    [row] = get("/ogi/applications_by_report.json", _shape="array", year="2021").json()
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


def test_search_sections(get, db):
    rows = get("/ogi/sections.json", _search="行政复议", _shape="array").json()
    expected = db.execute("select count(*) from sections where text like '%行政复议%' or heading like '%行政复议%'").fetchone()[0]
    assert len(rows) == expected > 0


def test_plugins_are_installed(get):
    names = {p["name"] for p in get("/-/plugins.json").json()}
    assert {"datasette-vega", "datasette-template-sql", "ogi_links.py"} <= names


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
    keys = {r["key"] for r in vocabulary["figures"]} | {r["key"] for r in vocabulary["zero_topics"]} | {"other"}
    documented = METADATA["databases"]["ogi"]["tables"]["metrics"]["description_html"]
    assert {k for k in keys if f"<code>{k}</code>" not in documented} == set()
