"""The site in a real browser: headless Chromium (Debian's package) driven by Playwright.

Screenshots of the pages land in build/ as test artifacts."""

from __future__ import annotations

import pytest

from conftest import SHOTS, new_tab, serious_accessibility_violations
from test_site import ENGLISH, PAGE_TYPES, words_a_reader_sees

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def page(chromium):
    tab = new_tab(chromium)
    yield tab
    tab.close()


def test_home_page_renders_its_chart(page, site):
    page.goto(site + "/")
    page.wait_for_selector("#chart svg .mark-line path, #chart svg .mark-symbol path", timeout=15000)
    assert page.locator("h1").first.inner_text() == "政府信息公开工作年度报告数据库"
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)
    assert page.errors == []


def test_clicking_a_value_in_table_three_scrolls_to_its_highlighted_span(page, site):
    page.goto(site + "/report/003_85b1cd000e56671f")
    cell = page.locator('#table-3 tr[data-outcome="new_received"] a.provenance').last  # 总计 139
    assert cell.inner_text() == "139"
    page.screenshot(path=str(SHOTS / "report.png"))
    cell.click()
    page.wait_for_url("**#hl")
    mark = page.locator("mark#hl")
    assert mark.inner_text() == "139"
    top, bottom, height = page.evaluate(
        "(() => { const r = document.getElementById('hl').getBoundingClientRect(); return [r.top, r.bottom, window.innerHeight]; })()")
    assert 0 <= top and bottom <= height  # the highlighted span is on screen
    page.screenshot(path=str(SHOTS / "report-highlight.png"))


def test_search_box_finds_sections_with_a_two_character_word(page, site, db):
    page.goto(site + "/ogi/sections")
    page.fill('input[name="_search"]', "复议")
    page.press('input[name="_search"]', "Enter")
    page.wait_for_load_state()
    shown = page.locator("table.rows-and-columns tbody tr").count()
    expected = db.execute("select count(*) from sections where instr(heading || ' ' || text, '复议')").fetchone()[0]
    assert shown >= expected > 0
    page.screenshot(path=str(SHOTS / "search.png"))


def test_chart_link_draws_a_chart(page, site):
    page.goto(site + "/ogi/headline_series#g.mark=line&g.x_column=year&g.y_column=applications_received")
    page.wait_for_selector(".datasette-vega svg, .datasette-vega canvas, #vis svg, #vis canvas, svg.marks, canvas.marks", timeout=15000)
    page.screenshot(path=str(SHOTS / "chart.png"), full_page=True)


def test_dashboard_draws_its_charts(page, site):
    page.goto(site + "/-/dashboards/national-trends")
    page.locator("svg.marks, canvas.marks").nth(3).wait_for(state="attached", timeout=20000)  # four charts
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


@pytest.mark.parametrize("path", ["/", "/report/003_85b1cd000e56671f", "/about", "/place", "/compare?agency=平潭",
                                  "/ogi/reports", "/ogi/metrics", "/ogi/application_outcomes", "/ogi/checks",
                                  "/ogi/search_sections?q=复议", "/ogi/refusal_reasons", "/ogi/compare?_show_sql=1",
                                  "/find?q=平潭"])
def test_pages_fit_a_phone_screen(chromium, site, path):
    """At 390 px no page needs sideways scrolling (tables scroll inside themselves)."""
    tab = chromium.new_page(viewport={"width": 390, "height": 844})
    tab.goto(site + path)
    tab.wait_for_timeout(500)
    width = tab.evaluate("document.documentElement.scrollWidth")
    name = path.strip("/").split("?")[0].replace("/", "-") or "home"
    tab.screenshot(path=str(SHOTS / f"phone-{name}.png"))
    tab.close()
    assert width <= 390, (path, width)


def _fits(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth") <= tab.viewport_size["width"]


def _highlighted_after_clicking(tab, link) -> str:
    """Follow a link to a place in a report; the text marked there."""
    link.click()
    tab.wait_for_url("**#hl")
    return tab.locator("mark#hl").inner_text()


@pytest.mark.parametrize("width", [1280, 390])
def test_walk_from_home_by_place_and_agency_to_a_highlighted_value(chromium, site, width):
    tab = new_tab(chromium, width)
    tab.goto(site + "/")
    tab.click("text=按地区浏览（地图）")
    tab.wait_for_load_state()
    assert _fits(tab)
    tab.click(".tile.has a[title^='福建省']")  # the province on the map
    tab.wait_for_load_state()
    assert tab.locator("h1").inner_text() == "福建省" and _fits(tab)
    tab.click("text=平潭综合实验区管委会")  # its agency, reporting 2011-2025
    tab.wait_for_load_state()
    assert tab.locator("h1").inner_text() == "平潭综合实验区管委会" and _fits(tab)
    tab.click("text=平潭综合实验区2022年度政府信息公开工作年度报告")  # its report of 2022, by its title
    tab.wait_for_load_state()
    cell = tab.locator('#table-3 tr[data-outcome="new_received"] a.provenance').last
    total = cell.inner_text()
    assert _highlighted_after_clicking(tab, cell) == total and _fits(tab)
    tab.screenshot(path=str(SHOTS / f"walk-place-agency-report-{width}.png"))
    tab.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_walk_from_a_search_to_the_highlighted_passage(chromium, site, width):
    tab = new_tab(chromium, width)
    tab.goto(site + "/")
    tab.fill('form.search input[name="q"]', "复议")
    tab.press('form.search input[name="q"]', "Enter")
    tab.wait_for_load_state()
    first = tab.locator("td.col-passage a.passage").first
    assert "复议" in first.inner_text()
    assert _highlighted_after_clicking(tab, first) == "复议"
    tab.screenshot(path=str(SHOTS / f"walk-search-{width}.png"))
    tab.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_the_report_builder_draws_its_chart_and_offers_csv(chromium, site, width):
    tab = new_tab(chromium, width)
    tab.goto(site + "/compare")
    tab.fill('input[name="agency"]', "平潭")
    tab.click('input[type="submit"]')
    tab.wait_for_load_state()
    tab.wait_for_selector("#chart svg, #chart canvas", timeout=15000)
    assert tab.locator("table.figures a.provenance").count() > 5 and _fits(tab)
    with tab.expect_download() as download:
        tab.click("text=下载 CSV")
    assert download.value.suggested_filename.endswith(".csv")
    tab.screenshot(path=str(SHOTS / f"compare-{width}.png"), full_page=True)
    tab.close()


def test_a_page_with_no_rows_runs_its_scripts_without_error(chromium, site):
    """datasette-vega puts its chart panel before the results table; with no rows there was none
    (TypeError: Cannot read properties of null)."""
    tab = new_tab(chromium, 1280)
    errors = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.goto(site + "/ogi/checks?check=cross_year&passed=0")
    tab.wait_for_timeout(800)
    tab.close()
    assert errors == []


CSP_WATCH = ("window.cspViolations = []; document.addEventListener('securitypolicyviolation', "
             "e => window.cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || e.sample)));")


@pytest.mark.parametrize("path", ["/", "/report/017_pingtan_zone_2022", "/about", "/place", "/compare?agency=平潭",
                                  "/agency/{agency}", "/ogi", "/ogi/reports", "/ogi/reports/017_pingtan_zone_2022",
                                  "/ogi/refusal_reasons", "/ogi?sql=select+1", "/-/dashboards/national-trends",
                                  "/ogi/headline_series#g.mark=line&g.x_column=year&g.y_column=applications_received"])
def test_every_page_runs_under_the_content_security_policy(chromium, site, db, path):
    """No inline script but those the policy trusts by hash, no eval but on table and query pages:
    every page's scripts still run, and its charts draw."""
    agency = db.execute("select agency_key from reports where id = '017_pingtan_zone_2022'").fetchone()[0]
    tab = new_tab(chromium)
    tab.add_init_script(CSP_WATCH)
    tab.goto(site + path.format(agency=agency))
    if path in ("/", "/compare?agency=平潭") or path.startswith("/agency/"):
        tab.wait_for_selector("#chart svg .mark-line path", state="attached", timeout=15000)
    elif path.startswith("/-/dashboards"):
        # (a locator, not wait_for_function: its polling compiles the predicate in the page, which the
        # policy refuses whenever the charts are not drawn at the first look)
        tab.locator("svg.marks, canvas.marks").nth(3).wait_for(state="attached", timeout=20000)
    elif "#g.mark" in path:
        tab.wait_for_selector("svg.marks, canvas.marks", timeout=15000)
    else:
        tab.wait_for_load_state("networkidle")
    assert tab.evaluate("window.cspViolations") == [] and tab.errors == []
    # the watch sees what the policy stops: a script put in the page is refused
    tab.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; "
                 "document.body.appendChild(s); }")
    tab.wait_for_timeout(100)
    assert tab.evaluate("window.injected") is None and tab.evaluate("window.cspViolations").__len__() == 1
    tab.close()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("path", PAGE_TYPES)
def test_every_page_type_passes_axe_without_a_serious_violation(chromium, site, db, path, width):
    """Labels for every field, contrast of at least 4.5:1, a <main>: what axe-core calls serious or critical."""
    agency = db.execute("select agency_key from reports where id = '017_pingtan_zone_2022'").fetchone()[0]
    tab = chromium.new_page(viewport={"width": width, "height": 900}, bypass_csp=True)
    tab.goto(site + path.format(agency=agency))
    tab.wait_for_load_state("networkidle")
    assert serious_accessibility_violations(tab) == []
    # the page as its scripts drew it (the chart panel, the dashboards' legends), in Chinese too
    assert ENGLISH.findall(words_a_reader_sees(tab.content())) == []
    tab.close()


def test_on_a_phone_the_map_s_tiles_are_targets_a_finger_hits_and_table_three_keeps_its_row_names(chromium, site):
    tab = new_tab(chromium, 390)
    tab.goto(site + "/place")
    boxes = [tab.locator(".tile.has a").nth(i).bounding_box() for i in range(tab.locator(".tile.has a").count())]
    assert boxes and min(min(b["width"], b["height"]) for b in boxes) >= 36  # were 24 × 38 px: the words only
    tab.goto(site + "/report/017_pingtan_zone_2022")
    table = tab.locator("#table-3")
    table.evaluate("t => t.scrollLeft = t.scrollWidth")
    label = tab.locator('#table-3 tr[data-outcome="new_received"] td.label').bounding_box()
    assert abs(label["x"] - table.bounding_box()["x"]) < 2  # scrolled to the right, the names stay at the left
    tab.close()


def test_the_sql_editor_starts_with_its_scripts_deferred(chromium, site):
    tab = new_tab(chromium)
    tab.goto(site + "/ogi?sql=select+1")
    tab.wait_for_selector(".CodeMirror", timeout=15000)
    assert tab.locator("#sql-format:not([hidden])").count() == 1 and tab.errors == []
    tab.close()
