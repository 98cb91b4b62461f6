"""Deployment, proved offline: the container bundle runs its own serve command,
and `make publish` says what is missing when a provider's CLI is not there."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path


import httpx
import pytest

from conftest import ROOT, _free_port, serving

import deploy

pytestmark = pytest.mark.deploy

PLUGINS = ["datasette-vega", "datasette-template-sql", "datasette-dashboards"]


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
