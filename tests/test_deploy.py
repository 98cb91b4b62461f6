"""Deployment, proved offline: the container bundle runs its own serve command,
the static copy is served by a plain file server with every link resolving,
and `make publish` says what is missing when a provider's CLI is not there."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import httpx
import lxml.html
import pytest

from conftest import ROOT, SHOTS, _free_port, new_tab, serving

import deploy

pytestmark = pytest.mark.deploy

PLUGINS = ["datasette-vega", "datasette-template-sql", "datasette-dashboards"]
LIVE = "https://live.example.org"


# --- the container bundle ------------------------------------------------------------------

@pytest.fixture(scope="module")
def bundle(built_db, tmp_path_factory) -> Path:
    return deploy.bundle(built_db, tmp_path_factory.mktemp("dist") / "bundle", app="ogi-test")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        name, equals, version = line.partition("==")
        if equals and not line.startswith("#"):
            pins[_normal(name)] = version.strip()
    return pins


def _dockerfile(bundle: Path) -> dict[str, list[str]]:
    lines: dict[str, list[str]] = {}
    for line in (bundle / "Dockerfile").read_text().splitlines():
        instruction, _, rest = line.partition(" ")
        lines.setdefault(instruction, []).append(rest)
    return lines


def test_bundle_installs_the_versions_the_tests_run(bundle):
    runs = _dockerfile(bundle)["RUN"]
    install = next(r for r in runs if r.startswith("pip install"))
    assert install == "pip install -U datasette -r plugins/requirements.txt -c plugins/constraints.txt"
    constraints = _pins(bundle / "plugins" / "constraints.txt")
    requirements = _pins(bundle / "plugins" / "requirements.txt")
    for name in ["datasette", *PLUGINS]:
        assert constraints[name] == requirements[name] == importlib.metadata.version(name), name
    # every package the tests run with is fixed at its version, so `pip install -U` can upgrade nothing
    for dist in importlib.metadata.distributions():
        name = _normal(dist.metadata["Name"])
        if name not in ("pip", "setuptools", "wheel", "ogi-reports"):  # ogi-reports: the project, shipped as its wheel
            assert constraints.get(name) == dist.version, f"constraints.txt: {name}=={dist.version}"
    assert 'app = "ogi-test"' in (bundle / "fly.toml").read_text()
    for part in ["ogi.db", "metadata.json", "templates/pages/report/{id}.html", "templates/index.html",
                 "plugins/ogi_site.py", "plugins/ogi_links.py"]:
        assert (bundle / part).exists(), part
    [wheel] = (bundle / "plugins").glob("ogi_reports-*.whl")  # the project, installed with the requirements
    assert f"plugins/{wheel.name}" in (bundle / "plugins" / "requirements.txt").read_text()


@pytest.fixture(scope="module")
def bundle_site(bundle):
    """The bundle served by its own Dockerfile commands (no Docker: the same Datasette, here)."""
    dockerfile = _dockerfile(bundle)
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                   "PYTHONPATH": ""}
    inspect = next(r for r in dockerfile["RUN"] if r.startswith("datasette inspect"))
    subprocess.run(shlex.split(inspect), cwd=bundle, env=environment, check=True)
    command = dockerfile["CMD"][0].replace("--host 0.0.0.0", "--host 127.0.0.1")
    assert "-i ogi.db" in command and "--inspect-file inspect-data.json" in command
    port = _free_port()
    with serving(["sh", "-c", command], port, "/-/versions.json", cwd=bundle,
                 env={**environment, "PORT": str(port)}) as base:
        yield base


def test_bundle_serves_the_site_and_json(bundle_site, db):
    plugins = {p["name"]: p["version"] for p in httpx.get(bundle_site + "/-/plugins.json").json()}
    for name in PLUGINS:
        assert plugins[name] == importlib.metadata.version(name)
    assert {"ogi_site.py", "ogi_links.py"} <= set(plugins)
    settings = httpx.get(bundle_site + "/-/settings.json").json()
    assert settings["suggest_facets"] is False and settings["sql_time_limit_ms"] == 3000
    # Served immutable: only an immutable database is offered for download, with its hash as ETag
    # (/-/databases, which would say so, is not public: it shows the server's paths).
    download = httpx.head(bundle_site + "/ogi.db")
    assert download.status_code == 200 and len(download.headers["etag"].strip('"')) == 64

    home = httpx.get(bundle_site + "/")
    assert "政府信息公开工作年度报告数据库" in home.text
    report_id, total = db.execute("select report_id, count from application_outcomes "
                                  "where outcome = 'new_received' and applicant_type = 'total' limit 1").fetchone()
    page = httpx.get(f"{bundle_site}/report/{report_id}")
    assert page.status_code == 200 and 'id="table-3"' in page.text
    rows = httpx.get(bundle_site + "/ogi/application_outcomes.json",
                     params={"report_id": report_id, "outcome": "new_received", "applicant_type": "total",
                             "_shape": "array"}).json()
    assert [r["count"] for r in rows] == [total]
    # the search plugin runs in the bundle: it imports the parsers package the bundle carries
    found = httpx.get(bundle_site + "/ogi/sections.json", params={"_search": "复议", "_shape": "array",
                                                                "_size": "max"}).json()
    expected = db.execute("select count(*) from sections where instr(heading || ' ' || text, '复议')").fetchone()[0]
    assert len(found) >= expected > 0


# --- the static copy -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def static_copy(built_db, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist") / "static"
    # as `make static` runs it (a process of its own: Playwright's event loop may be running here)
    subprocess.run([sys.executable, str(ROOT / "deploy.py"), "static", "--db", str(built_db), "--out", str(out),
                    "--live-url", LIVE], check=True)
    return out


@pytest.fixture(scope="module")
def static_site(static_copy):
    """dist/static behind Python's plain file server: no Datasette, no Python code of ours."""
    port = _free_port()
    with serving([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                  "--directory", str(static_copy)], port) as base:
        yield base


def _html_files(static_copy: Path) -> list[Path]:
    return sorted(static_copy.rglob("*.html"))


def test_static_copy_has_every_page_as_html_and_json(static_copy, db):
    reports = [r[0] for r in db.execute("select id from reports")]
    for report_id in reports:
        assert (static_copy / "report" / f"{report_id}.html").is_file()
    import yaml
    hidden = {name for name, table in yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))
              ["databases"]["ogi"]["tables"].items() if table.get("hidden")}
    tables = [t for (t,) in db.execute("select name from sqlite_master where type in ('table', 'view')")
              if not t.startswith("sqlite_") and "_fts" not in t and t not in hidden]
    assert "build_files" not in tables and len(tables) >= 8  # bookkeeping stays in the state file
    queries = re.findall(r"^      (\w+):\n        title:", (ROOT / "metadata.yml").read_text(), re.M)
    assert len(queries) >= 12
    for name in tables + queries:
        assert (static_copy / "ogi" / f"{name}.html").is_file(), name
        rows = json.loads((static_copy / "ogi" / f"{name}.json").read_text())
        # all the rows as a list, or the first page in an object that says it is only that
        assert isinstance(rows, list) or (rows["complete"] is False and isinstance(rows["rows"], list)), name
    first = json.loads((static_copy / "ogi" / "reports.json").read_text())
    first = first if isinstance(first, list) else first["rows"]
    assert [r["id"] for r in first] == sorted(reports)[:100]
    assert (static_copy / "ogi.db").read_bytes() == Path(db.execute("pragma database_list").fetchone()[2]).read_bytes()
    assert (static_copy / "index.html").is_file() and (static_copy / "ogi.html").is_file()


def test_every_static_page_says_search_and_sql_need_the_live_site(static_copy):
    for page in _html_files(static_copy):
        tree = lxml.html.parse(str(page)).getroot()
        banner = tree.find_class("static-banner")
        assert banner, page
        assert LIVE + "/" in [a.get("href") for a in banner[0].iter("a")], page
        assert not list(tree.iter("form")), f"{page} has a form, which needs a server"


def test_every_link_in_the_static_copy_resolves(static_copy, static_site):
    checked: dict[str, int] = {}
    for page in _html_files(static_copy):
        page_url = f"{static_site}/{page.relative_to(static_copy).as_posix()}"
        tree = lxml.html.parse(str(page)).getroot()
        for element in tree.iter("a", "link", "script", "img"):
            link = element.get("href") or element.get("src")
            if not link or link.startswith(("#", "mailto:")):
                continue
            target = urlsplit(urljoin(page_url, link))
            if target.netloc != urlsplit(static_site).netloc:
                assert "localhost" not in target.netloc, f"{page}: {link}"
                continue  # another site: the live site, the licence, a report's source
            path = target.path
            if path not in checked:
                checked[path] = httpx.get(static_site + path).status_code
            assert checked[path] == 200, f"{page.name}: {link} -> {unquote(path)} {checked[path]}"
    assert len(checked) > 60


def test_a_static_report_page_highlights_the_span_its_link_names(chromium, static_site, db):
    report_id, value_raw, start, end, text = db.execute(
        "select a.report_id, a.value_raw, a.start, a.\"end\", r.text from application_outcomes a "
        "join reports r on r.id = a.report_id where a.outcome = 'new_received' and a.applicant_type = 'total' "
        "and a.\"end\" > a.start order by a.report_id limit 1").fetchone()
    tab = new_tab(chromium)
    tab.goto(f"{static_site}/report/{report_id}.html")
    # the text box holds the report text exactly: the offsets the script counts are the database's
    assert tab.locator(".report-text").evaluate("e => e.textContent") == text
    cell = tab.locator('#table-3 tr[data-outcome="new_received"] a.provenance').last
    assert cell.inner_text() == value_raw
    cell.click()
    tab.wait_for_selector("mark#hl")
    assert tab.locator("mark#hl").inner_text() == text[start:end] == value_raw
    assert f"start={start}" in tab.url
    tab.screenshot(path=str(SHOTS / "static-report.png"))
    assert tab.errors == []
    tab.close()


def test_static_pages_draw_their_charts(chromium, static_site):
    tab = new_tab(chromium)
    tab.goto(static_site + "/index.html")
    tab.wait_for_selector("#chart svg .mark-line path, #chart svg .mark-symbol path", timeout=15000)
    # datasette-vega reads the page's JSON link: the static JSON file
    tab.goto(static_site + "/ogi/headline_series.html#g.mark=line&g.x_column=year&g.y_column=applications_received")
    tab.wait_for_selector("svg.marks, canvas.marks", timeout=15000)
    tab.screenshot(path=str(SHOTS / "static-chart.png"), full_page=True)
    assert tab.errors == []
    tab.close()


# --- make publish --------------------------------------------------------------------------

def _publish(provider: str, path: str, built_db) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "deploy.py"), "publish", provider, "--db", str(built_db)],
                          capture_output=True, text=True, env={**os.environ, "PATH": path})


def test_publish_says_which_cli_is_missing(built_db, tmp_path):
    result = _publish("fly", str(tmp_path), built_db)
    assert result.returncode == 1
    assert "flyctl" in result.stderr and "https://fly.io/docs/flyctl/install/" in result.stderr
    result = _publish("cloudrun", str(tmp_path), built_db)
    assert result.returncode == 1 and "gcloud" in result.stderr
    result = _publish("heroku", str(tmp_path), built_db)
    assert result.returncode == 1 and "fly, cloudrun" in result.stderr


def test_publish_says_when_the_cli_is_not_logged_in(built_db, tmp_path):
    # flyctl as it answers `flyctl auth whoami` when nobody is logged in
    flyctl = tmp_path / "flyctl"
    flyctl.write_text("#!/bin/sh\necho 'Error: No access token available. Please login with flyctl auth login' >&2\nexit 1\n")
    flyctl.chmod(0o755)
    result = _publish("fly", f"{tmp_path}{os.pathsep}/usr/bin:/bin", built_db)
    assert result.returncode == 1
    assert "not logged in" in result.stderr and "flyctl auth login" in result.stderr


def test_static_json_says_when_it_holds_only_part_of_a_table(static_copy, db):
    metrics = json.loads((static_copy / "ogi" / "metrics.json").read_text(encoding="utf-8"))
    total = db.execute("select count(*) from metrics").fetchone()[0]
    assert metrics["complete"] is False and metrics["rows_in_table"] == total > metrics["rows_in_this_file"] == len(metrics["rows"])
    series = json.loads((static_copy / "ogi" / "headline_series.json").read_text(encoding="utf-8"))
    assert isinstance(series, list) and series  # all there: a plain list of rows
