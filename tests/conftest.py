"""Shared fixtures: a database built from reports/ by build.py, and a real
Datasette server on 127.0.0.1 serving it with the project's metadata,
templates and plugins."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
# The site's plugins import as plugins.ogi_guard… in tests (`python -m pytest` has the project on
# the path, `pytest` alone has not; under mutation testing ROOT is the mutated copy).
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import build  # noqa: E402
import serving as serving_module  # noqa: E402  (conftest has its own serving())
from serving import serve_command  # noqa: E402


def report_files(folder: Path) -> list[Path]:
    """The reports in a corpus folder (not its manifest.csv or sidecars)."""
    return [p for p in folder.iterdir() if p.name != "manifest.csv" and not p.name.endswith(".meta.json")]


@pytest.fixture(scope="session")
def built_db(tmp_path_factory) -> Path:
    db = tmp_path_factory.mktemp("db") / "ogi.db"
    assert build.main(["--db", str(db), str(ROOT / "reports")]) == 0
    serving_module.write_download(db)  # as `make build` does
    return db


@pytest.fixture(scope="session")
def db(built_db):
    conn = sqlite3.connect(built_db)
    conn.row_factory = sqlite3.Row
    yield conn
    conn.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


STARTED_GROUPS: list[int] = []  # process groups of the servers the tests started
SERVER_PIDS: dict[str, int] = {}  # base URL -> the server's process id, while it runs


@contextlib.contextmanager
def serving(command: list[str], port: int, ready_path: str = "/", **popen):
    """Base URL of a server started with `command`, listening on 127.0.0.1:port; stopped afterwards,
    with everything it started (its own process group: `sh -c` and the server under it)."""
    # Its output goes to a file, not a pipe: a pipe nobody reads fills with access-log lines
    # (64 KB) and then stops the server mid-request.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **popen)

    def output() -> str:
        log.seek(0)
        return log.read().decode(errors="replace")
    STARTED_GROUPS.append(process.pid)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if httpx.get(base + ready_path).status_code == 200:
                break
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    else:
        _stop(process)
        raise RuntimeError(f"{command[0]} did not start: " + output())
    if process.poll() is not None:
        raise RuntimeError(f"{command} exited: " + output())
    SERVER_PIDS[base] = process.pid
    try:
        yield base
    finally:
        SERVER_PIDS.pop(base, None)
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def still_running(groups: list[int]) -> list[str]:
    """Command lines of processes left in these process groups."""
    left = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            # the process group id; a zombie (Z) has exited, its parent not yet told
            if int(fields[2]) in groups and fields[0] != "Z":
                left.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
    return left


def pytest_sessionfinish(session, exitstatus):
    """`make test` leaves nothing running: every server a test started is gone."""
    left = still_running(STARTED_GROUPS)
    if left:
        print("\nservers left running by the tests:\n  " + "\n  ".join(left))
        session.exitstatus = 1


def datasette(db: Path, *extra: str):
    """Base URL of a running Datasette serving `db`, started the way `make serve` starts it
    (`make build` writes the inspect file; so does this)."""
    port = _free_port()
    db = Path(db)
    inspect = db.with_name(db.name + ".inspect.json")
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(db), "--inspect-file", str(inspect)], check=True)
    return serving([sys.executable, "-m", "datasette", *serve_command(db, inspect, "127.0.0.1", port), *extra],
                   port, "/-/versions.json", cwd=ROOT)


@pytest.fixture(scope="session")
def site(built_db):
    with datasette(built_db) as base:
        yield base


@pytest.fixture(scope="session")
def get(site):
    def fetch(path: str, **params) -> httpx.Response:
        # httpx would drop a query string already in path if given params too
        return httpx.get(site + path, params=params or None, timeout=30)
    return fetch


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update"]
SHOTS = ROOT / "build"  # screenshots, kept as test artifacts


@pytest.fixture(scope="session")
def chromium():
    """Headless Chromium (Debian's package) driven by Playwright."""
    from playwright.sync_api import sync_playwright
    if not shutil.which(CHROMIUM):
        pytest.fail("Chromium is not installed: run `make install` (installs Debian's chromium package)")
    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"  # package.json pins it; make install runs npm ci


def serious_accessibility_violations(tab) -> list[str]:
    """axe-core's serious and critical findings on the page open in `tab` (a tab made with
    bypass_csp=True: axe is put into the page as a script)."""
    tab.evaluate(AXE.read_text(encoding="utf-8"))
    found = tab.evaluate("() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations"
                         ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                         ".map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', ')))")
    return found


def new_tab(browser, width: int = 1280):
    """A page `width`×900 that collects the page's script errors in .errors."""
    tab = browser.new_page(viewport={"width": width, "height": 900})
    tab.errors = []
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    return tab
