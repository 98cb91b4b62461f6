"""The harvester (harvest.py) against local CMS-like sites on 127.0.0.x (tests/cms.py): what
it reads from pages, what it fetches and keeps, what it refuses, a second run, a changed
document, a killed run, a real recorded column, no network; then the build of what it kept."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import build
import cms
from harvester import pages, state

ROOT = Path(__file__).resolve().parent.parent
PROFILE = pages.profile_for("http://127.0.0.1/", pages.knowledge())
# Quick, and still polite: two requests at a time per host; a slow answer is given up after 1 s.
FAST = ["--delay", "0", "--timeout", "1", "--retries", "1"]


def harvest(out: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "harvest.py"), "--out", str(out), *FAST, *args],
                          capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def kept(out: Path) -> dict[str, bytes]:
    """Documents and sidecars under the output folder (HOST/NAME -> bytes), the hidden state aside."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}


def events(out: Path, run: int | None = None) -> list[dict]:
    db = sqlite3.connect(state.state_path(out))
    db.row_factory = sqlite3.Row
    run = run or db.execute("select max(id) from runs").fetchone()[0]
    rows = [dict(r) for r in db.execute("select * from events where run = ? order by id", [run])]
    db.close()
    return rows


# --- reading pages (pure functions, on the recorded page and on variants made here) --------------

def test_the_recorded_column_lists_its_ten_reports_with_dates_and_no_navigation():
    html = (ROOT / "tests/sites/pingtan/index.html").read_bytes()
    base = "https://www.pingtan.gov.cn/zwgk/zfxxgk/zfxxgknb/"
    entries = pages.list_entries(html, base, PROFILE)
    assert [(e.url.removeprefix(base), int(e.title[7:11])) for e in entries] == cms.PINGTAN_ENTRIES
    assert entries[0].published_date == "2026-03-10" and entries[-1].published_date == "2017-01-18"
    assert all(e.title.endswith("政府信息公开工作年度报告") for e in entries)
    # the sidebar's 政府信息公开年报 and the menu's 政府工作报告 are navigation, never entries
    assert not [e for e in entries if "nlist" in e.url or "zfgzbg" in e.url]
    # a script message saying 系统正在升级 does not make the page a maintenance notice
    assert pages.blocked(html, base, PROFILE) is None


@pytest.mark.parametrize("title,listed", [
    ("平潭综合实验区2023年度政府信息公开工作年度报告", True),
    ("某县人民政府2009年政府信息公开工作报告", True),
    ("二〇一二年度政府信息公开年报", True),
    ("市教育局2021年政务公开工作报告", True),
    ("2023年政府信息公开工作年度报告解读", True),  # a look-alike: fetched, the build decides
    ("关于2014年政府信息公开工作要点落实情况的函", False),
    ("关于召开2024年政务公开工作会议的通知", False),
    ("政府信息公开年报", False),  # a column's name, no year
    ("2023年政府工作报告", False),
])
def test_which_titles_might_be_annual_reports(title, listed):
    assert pages.is_report_title(title, PROFILE) is listed


def test_pagers_static_scripted_and_traps():
    column = "http://x.gov.cn/xxgk/nb/"
    page = ('<a href="index_1.html">2</a><a href="index_2.shtml">3</a><a href="list.html?page=4">4</a>'
            '<a href="next.html">下一页</a><a href="/calendar/2024-01-02.html">2</a>'
            '<a href="/search?q=x&page=2">搜索</a><a href="http://other.gov.cn/xxgk/nb/index_1.html">1</a>'
            '<script>createPageHTML(4, 0, "index", "html");</script>')
    assert pages.pager_urls(page, column, column, PROFILE) == [
        column + "index_1.html", column + "index_2.shtml", column + "list.html?page=4", column + "next.html",
        column + "index_2.html", column + "index_3.html"]  # the script's pages 2 to 4
    # the 政务公开 CMS's other form: createPageHTML('page_div', 3, 1, 'list', 'htm')
    scripted = "<script>createPageHTML('page_div', 3, 1, 'list', 'htm');</script>"
    assert pages.pager_urls(scripted, column, column, PROFILE) == [column + "list_1.htm", column + "list_2.htm"]


def test_login_and_maintenance_pages_are_recognised_and_reports_are_not():
    login = '<html><head><title>统一身份认证</title></head><body><input type="password"></body></html>'
    assert pages.blocked(login, "http://x.gov.cn/sso/login", PROFILE) == "a login page"
    upgrade = "<html><body><p>网站维护中，暂停访问，敬请谅解。</p></body></html>"
    assert pages.blocked(upgrade, "http://x.gov.cn/a.html", PROFILE) == "a maintenance notice"
    report = cms.detail_page("某县2023年政府信息公开工作年度报告", cms.bundled("017_pingtan_zone_2022.txt")
                             + "\n本报告期内系统升级改造一次。")
    assert pages.blocked(report, "http://x.gov.cn/a.html", PROFILE) is None


def test_a_detail_page_gives_its_metadata_and_attachments():
    page = cms.detail_page("某局2023年政府信息公开工作年度报告", "详见附件。", date="2024-01-19", agency="某局",
                           index_number="11350128/2024-00012",
                           attachments=[("/files/a.pdf", "年报.pdf"), ("download.jsp?id=7", "年报.docx"),
                                        ("/files/b.jpg", "图片")]).encode()
    detail = pages.read_detail(page, "http://x.gov.cn/art/1.html", PROFILE)
    assert (detail.title, detail.published_date, detail.agency, detail.index_number) == (
        "某局2023年政府信息公开工作年度报告", "2024-01-19", "某局", "11350128/2024-00012")
    assert detail.attachments == [("http://x.gov.cn/files/a.pdf", "年报.pdf"),
                                  ("http://x.gov.cn/art/download.jsp?id=7", "年报.docx")]
    assert detail.inline_chars < PROFILE["min_inline_report_chars"]
    # an empty 发布机构 field is not filled with the next label
    empty = page.decode().replace("发布机构：某局", "发布机构：").replace('content="某局"', 'content=""').encode()
    assert pages.read_detail(empty, "http://x.gov.cn/art/1.html", PROFILE).agency is None


def test_links_no_browser_could_follow_are_not_entries():
    page = ('<ul><li><a href="http://[broken/2023.html">某局2023年政府信息公开工作年度报告</a></li>'
            '<li><a href="http://x.gov.cn:port/2022.html">某局2022年政府信息公开工作年度报告</a></li>'
            '<li><a href="/2021.html">某局2021年政府信息公开工作年度报告</a></li></ul>')
    assert [e.url for e in pages.list_entries(page, "http://x.gov.cn/nb/", PROFILE)] == ["http://x.gov.cn/2021.html"]


def test_files_are_known_by_their_bytes_and_kept_under_their_host():
    assert pages.file_kind(b"%PDF-1.7\n", "http://x/a.htm") == "pdf"
    assert pages.file_kind(b"\xd0\xcf\x11\xe0rest", "http://x/a.wps") == "wps"
    assert pages.file_kind(b"  <!DOCTYPE html><html>", "http://x/a.pdf") == "html"
    assert pages.file_kind(b"GIF89a", "http://x/a.pdf") is None
    assert pages.document_name("https://www.x.gov.cn/a/b/t1.htm", "html") == "www.x.gov.cn/a_b_t1.htm"
    assert pages.document_name("http://127.0.0.1:8080/dl.jsp?id=1", "pdf").startswith("127.0.0.1_8080/dl.jsp_")
    assert pages.document_name("http://127.0.0.1:8080/dl.jsp?id=1", "pdf") != pages.document_name(
        "http://127.0.0.1:8080/dl.jsp?id=2", "pdf")
    assert pages.same_site("http://www.pingtan.gov.cn/a", "https://files.pingtan.gov.cn/b.pdf")
    assert not pages.same_site("http://www.pingtan.gov.cn/a", "http://www.fuzhou.gov.cn/b.pdf")
    assert not pages.same_site("http://127.0.0.1:1/a", "http://127.0.0.2:1/a")


# --- a harvest ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def column(tmp_path_factory):
    """The test column harvested once: (server, off-site server, output folder, result)."""
    offsite = cms.Server(cms.Site(), "127.0.0.2")
    server = cms.Server(cms.report_column(offsite.url, slow=3))
    out = tmp_path_factory.mktemp("harvest") / "harvested"
    result = harvest(out, server.url + cms.COLUMN)
    yield server, offsite, out, result
    server.stop()
    offsite.stop()


def test_a_harvest_keeps_every_report_and_its_sidecar(column):
    server, _, out, result = column
    assert result.returncode == 0, result.stderr[-2000:]
    host = f"127.0.0.1_{server.port}/"
    documents = {name.removeprefix(host) for name in kept(out) if not name.endswith(".meta.json")}
    # the same PDF listed at two URLs is one document, under whichever URL came first
    copies = {"files_t2.pdf", "files_copy_t2.pdf"} & documents
    assert len(copies) == 1 and documents - copies == cms.EXPECTED_FILES
    for name in documents:
        sidecar = json.loads((out / host / (name + ".meta.json")).read_text(encoding="utf-8"))
        data = (out / host / name).read_bytes()
        assert sidecar["sha256"] == state.sha256(data)
        assert sidecar["source_url"].startswith(server.url) and sidecar["list_url"].startswith(server.url + cms.COLUMN)
        assert sidecar["title"] and sidecar["fetched_at"] and sidecar["etag"] and sidecar["last_modified"]
        assert sidecar["versions"] == [{"version": 1, "sha256": sidecar["sha256"], "fetched_at": sidecar["fetched_at"],
                                        "source_url": sidecar["source_url"]}]
    inline = json.loads((out / host / "xxgk_zfxxgknb_202401_t1.html.meta.json").read_text(encoding="utf-8"))
    assert (inline["published_date"], inline["agency"]) == ("2023-02-20", "平潭综合实验区管委会")
    # an attachment carries its detail page's metadata, and the entry's title as listed
    docx = json.loads((out / host / "files_t3.docx.meta.json").read_text(encoding="utf-8"))
    assert (docx["title"], docx["published_date"], docx["agency"]) == (
        "洪泽区交通运输局2023年政府信息公开工作年度报告（Word）", "2024-01-19", "洪泽区交通运输局")
    kept_copy = next(iter(copies))
    also = json.loads((out / host / (kept_copy + ".meta.json")).read_text(encoding="utf-8"))["also_at"]
    other = {"files_t2.pdf": "/files/copy/t2.pdf", "files_copy_t2.pdf": "/files/t2.pdf"}[kept_copy]
    assert also == [server.url + other]


def test_every_failure_is_one_event_with_its_kind_and_a_summary_line(column):
    server, _, out, result = column
    failures = {e["url"].removeprefix(server.url): e["event"] for e in events(out)
                if e["event"] not in (*state.DOCUMENT_EVENTS, "list")}
    assert failures == cms.EXPECTED_FAILURES
    for path, kind in cms.EXPECTED_FAILURES.items():
        assert f"{kind}: {server.url}{path}" in result.stdout
    assert f"ok     {server.url}{cms.COLUMN}  lists 3, new 7, changed 0, unchanged 0, same as another URL 1, failures 9" \
        in result.stdout


def test_nothing_outside_the_column_is_fetched(column):
    server, offsite, _, _ = column
    assert not offsite.site.requests, "a link to another site was followed"
    for path in cms.NEVER_ASKED:
        assert not [p for p in server.site.requests if p.startswith(path)], f"{path} was asked for"
    assert server.site.requests["/robots.txt"] == 1


def test_a_second_run_downloads_nothing_and_writes_nothing(column, tmp_path):
    server, _, out, _ = column
    before = {name: (data, (out / name).stat().st_mtime_ns) for name, data in kept(out).items()}
    server.site.answers.clear()
    result = harvest(out, server.url + cms.COLUMN)
    assert result.returncode == 0, result.stderr[-2000:]
    fetched = {path for path, n in server.site.documents_fetched().items()}
    # only what failed the first time is asked again in full (the error page where a PDF was due;
    # the slow page and the over-size file, which the server answers after the harvester left)
    assert fetched <= {"/files/t15.pdf", "/art/slow.html", "/files/huge.pdf"}, fetched
    not_modified = {p for (p, status) in server.site.answers if status == 304}
    assert {"/xxgk/zfxxgknb/", "/files/t3.docx", "/files/t4.pdf", "/art/gbk.html", "/robots.txt"} <= not_modified
    after = {name: (data, (out / name).stat().st_mtime_ns) for name, data in kept(out).items()}
    assert after == before
    summary = [e["event"] for e in events(out) if e["event"] in state.DOCUMENT_EVENTS]
    assert set(summary) == {"unchanged"} and len(summary) == 8


def test_the_build_reads_what_was_harvested(column, tmp_path):
    server, _, out, _ = column
    db_path = tmp_path / "h.db"
    assert build.main(["--db", str(db_path), str(out)]) == 0
    db = sqlite3.connect(db_path)
    rows = {r[0].split("--", 1)[1]: r[1:] for r in db.execute(
        "select id, year, agency, doc_type, source_url, published_date from reports")}
    assert rows["xxgk_zfxxgknb_202401_t1"][:3] == (2022, "平潭综合实验区管委会", "annual_report")
    assert rows["art_gbk"][:3] == (2025, "平潭综合实验区管委会", "annual_report")  # GBK declared as UTF-8
    assert rows["files_t3"][:3] == (2023, "洪泽区交通运输局", "annual_report")
    assert rows["art_jiedu"][2] == "other"  # the explainer
    assert rows["files_t3"][3] == server.url + "/files/t3.docx" and rows["files_t3"][4] == "2024-01-19"
    versions = db.execute("select count(*), count(distinct report_id), max(version) from report_versions").fetchone()
    assert versions == (len(rows), len(rows), 1)
    assert db.execute("select count(*) from build_issues where message like '%.doc%cannot be read%'").fetchone()[0] == 1


def test_a_changed_document_is_a_new_version_and_the_old_bytes_stay(tmp_path):
    site = cms.report_column("http://127.0.0.2:9", slow=0)
    out, sites = tmp_path / "harvested", tmp_path / "sites.csv"
    with cms.Server(site) as server:
        sites.write_text(f"url,agency,region_code\n{server.url}{cms.COLUMN},洪泽区交通运输局,320813\n", encoding="utf-8")
        assert harvest(out, "--sites", str(sites)).returncode == 0
        host = f"127.0.0.1_{server.port}"
        first = (out / host / "files_t3.docx").read_bytes()
        changed = first[:-2] + b"\x00\x01"  # the same name, other bytes (an edit after publication)
        site.routes["/files/t3.docx"] = cms.Resource(changed, site.routes["/files/t3.docx"].content_type,
                                                     last_modified="Tue, 20 Feb 2024 08:00:00 GMT")
        result = harvest(out, "--sites", str(sites))
    assert result.returncode == 0
    assert (out / host / "files_t3.docx").read_bytes() == changed
    assert (out / ".harvest/versions" / host / "files_t3.v1.docx").read_bytes() == first
    sidecar = json.loads((out / host / "files_t3.docx.meta.json").read_text(encoding="utf-8"))
    assert [(v["version"], v["sha256"]) for v in sidecar["versions"]] == [(1, state.sha256(first)),
                                                                           (2, state.sha256(changed))]
    assert (sidecar["column_agency"], sidecar["column_region_code"]) == ("洪泽区交通运输局", "320813")
    assert "changed: " not in result.stdout and ", changed 1," in result.stdout
    db_path = tmp_path / "v.db"
    assert build.main(["--db", str(db_path), str(out)]) == 0
    db = sqlite3.connect(db_path)
    assert db.execute("select version, sha256 from report_versions where report_id like '%files_t3' "
                      "order by version").fetchall() == [(1, state.sha256(first)), (2, state.sha256(changed))]
    # the report served is the latest version
    assert db.execute("select source_sha256 from reports where id like '%files_t3'").fetchone()[0] == state.sha256(changed)


def test_a_recorded_column_harvests_every_report_it_lists_and_builds_them(tmp_path):
    site = cms.pingtan_column()
    out = tmp_path / "harvested"
    with cms.Server(site) as server:
        result = harvest(out, server.url + cms.PINGTAN)
        assert result.returncode == 0, result.stderr[-2000:]
        assert "lists 1, new 10, changed 0" in result.stdout
        site.answers.clear()
        again = harvest(out, server.url + cms.PINGTAN)
        assert again.returncode == 0 and "new 0, changed 0, unchanged 10" in again.stdout
        assert not site.documents_fetched()
    asked = {p for p in site.requests if p != "/robots.txt"}
    assert asked == {cms.PINGTAN} | {cms.PINGTAN + path for path, _ in cms.PINGTAN_ENTRIES}
    db_path = tmp_path / "p.db"
    assert build.main(["--db", str(db_path), str(out)]) == 0
    db = sqlite3.connect(db_path)
    got = {url.removeprefix(server.url + cms.PINGTAN): (year, agency, doc_type) for url, year, agency, doc_type in
           db.execute("select source_url, year, agency, doc_type from reports")}
    assert {path: year for path, (year, _, _) in got.items()} == dict(cms.PINGTAN_ENTRIES)
    assert all(agency.startswith("平潭综合实验区") and doc_type == "annual_report" for _, agency, doc_type in got.values())


def test_without_a_network_every_column_fails_with_a_reason_and_nothing_is_written(tmp_path):
    sites = tmp_path / "sites.csv"
    closed = cms.Server(cms.Site())
    port = closed.port
    closed.stop()  # a port nobody listens on
    sites.write_text("url,agency,region_code\nhttp://no-such-host.invalid/xxgk/nb/,某县,000000\n"
                     f"http://127.0.0.1:{port}/xxgk/nb/,某局,\n", encoding="utf-8")
    result = harvest(tmp_path / "out", "--sites", str(sites))
    assert result.returncode == 1
    assert "FAILED http://no-such-host.invalid/xxgk/nb/" in result.stdout and "dns: " in result.stdout
    assert f"FAILED http://127.0.0.1:{port}/xxgk/nb/" in result.stdout and "refused: " in result.stdout
    assert "0 of 2 columns read" in result.stdout
    assert kept(tmp_path / "out") == {}


@pytest.mark.parametrize("args", [[], ["ftp://x/"], ["--per-host", "0", "http://x/"], ["--sites", "/nonexistent.csv"]])
def test_bad_arguments_exit_2(tmp_path, args):
    assert harvest(tmp_path / "out", *args).returncode == 2


def test_the_shipped_sites_csv_names_report_columns():
    columns = __import__("harvest").read_sites(ROOT / "sites.csv")
    assert len(columns) >= 8
    assert all(c.url.startswith(("http://", "https://")) and c.agency and c.region_code and len(c.region_code) == 6
               for c in columns)


# --- politeness, a killed run, a shared queue ------------------------------------------------------

@pytest.mark.slow
def test_a_killed_run_started_again_ends_with_the_same_files(tmp_path):
    site = cms.report_column("http://127.0.0.2:9", slow=0)
    site.latency = 0.15  # slow enough to kill it half-way
    whole, resumed = tmp_path / "whole", tmp_path / "resumed"
    with cms.Server(site) as server:
        assert harvest(whole, server.url + cms.COLUMN).returncode == 0
        process = subprocess.Popen([sys.executable, str(ROOT / "harvest.py"), "--out", str(resumed), *FAST,
                                    server.url + cms.COLUMN], cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([n for n in kept(resumed) if n.endswith(".meta.json")]) < 2:
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        partway = len([n for n in kept(resumed) if n.endswith(".meta.json")])
        assert 2 <= partway < 8, "the run was not killed half-way"
        assert harvest(resumed, server.url + cms.COLUMN).returncode == 0

    def comparable(out: Path) -> dict:
        files = {}
        for name, data in kept(out).items():
            if name.endswith(".meta.json"):
                sidecar = json.loads(data)
                sidecar.pop("fetched_at")
                for version in sidecar["versions"]:
                    version.pop("fetched_at")
                files[name] = sidecar
            else:
                files[name] = state.sha256(data)
        return files

    whole_files, resumed_files = comparable(whole), comparable(resumed)
    # which of two URLs with the same bytes keeps the file depends on which answered first
    for files in (whole_files, resumed_files):
        for name in [n for n in files if "t2.pdf" in n]:
            files.pop(name)
    assert resumed_files == whole_files


@pytest.mark.slow
def test_at_most_two_requests_at_a_time_per_host(tmp_path):
    site = cms.report_column("http://127.0.0.2:9", slow=0)
    site.latency = 0.1
    with cms.Server(site) as server:
        result = harvest(tmp_path / "out", "--per-host", "2", server.url + cms.COLUMN)
    assert result.returncode == 0
    assert site.most_in_flight == 2


@pytest.mark.slow
def test_two_machines_share_one_crawl_through_redis(tmp_path):
    redis_server = shutil.which("redis-server")
    if not redis_server:
        pytest.skip("redis-server is not installed (make install installs it on Debian)")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    redis = subprocess.Popen([redis_server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                              "--appendonly", "no"], stdout=subprocess.DEVNULL, cwd=tmp_path)
    try:
        site = cms.pingtan_column()
        # slow enough that the queue still holds entries when the idle machine next looks (every 5 s)
        site.latency = 1.5
        with cms.Server(site) as server:
            time.sleep(0.5)  # redis-server starts
            # each machine takes two requests at a time from the shared queue
            command = [sys.executable, str(ROOT / "harvest.py"), *FAST, "--timeout", "5", "--job", "test", "--concurrency", "2",
                       "--redis", f"redis://127.0.0.1:{port}/0", server.url + cms.PINGTAN]
            workers = [subprocess.Popen([*command, "--out", str(tmp_path / f"machine{n}")], cwd=ROOT,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in (1, 2)]
            outputs = [w.communicate(timeout=120) for w in workers]
        assert [w.returncode for w in workers] == [0, 0], outputs
        each = [[name for name in kept(tmp_path / f"machine{n}") if not name.endswith(".json")] for n in (1, 2)]
        assert all(each), ("one machine did all the work", outputs)
        assert len(each[0] + each[1]) == len(set(each[0] + each[1])) == 10  # every report once, between the two
        assert all(n == 1 for p, n in site.requests.items() if p != "/robots.txt")  # each URL asked once
    finally:
        redis.terminate()
        redis.wait()


def test_a_sidecars_versions_are_checked_before_they_are_stored():
    from parsers.pipeline import parse_report

    data = (ROOT / "reports/017_pingtan_zone_2022.txt").read_bytes()
    digest = state.sha256(data)
    versions = [{"version": 1, "sha256": "a" * 64, "fetched_at": "2023-02-21T00:00:00+00:00",
                 "source_url": "https://www.pingtan.gov.cn/a.htm"},
                {"version": 2, "sha256": digest, "fetched_at": "2024-03-01T00:00:00+00:00"},
                {"version": "3", "sha256": digest},  # not a number
                {"version": 4, "sha256": "not a hash"},
                {"version": 5, "sha256": digest, "source_url": "javascript:alert(1)"},
                ["version", 6]]
    report = parse_report("x.txt", data, {"versions": versions}, "x.meta.json")
    assert [(v.version, v.sha256) for v in report.versions] == [(1, "a" * 64), (2, digest)]
    assert any("4 version(s)" in i.message for i in report.issues)
    edited = parse_report("x.txt", data, {"versions": versions[:1]}, "x.meta.json")
    assert any("not this file's bytes" in i.message for i in edited.issues)
    assert parse_report("x.txt", data, {"versions": "nonsense"}, "x.meta.json").versions == []


def test_a_pager_written_by_script_is_followed(tmp_path):
    site = cms.scripted_column()
    with cms.Server(site) as server:
        result = harvest(tmp_path / "out", server.url + cms.COLUMN)
    assert result.returncode == 0 and "lists 3, new 9," in result.stdout, result.stdout


def test_a_list_filled_from_json_is_read_whole_with_a_profile_and_its_static_page_without(tmp_path):
    site = cms.json_column()
    with cms.Server(site, "127.0.0.3") as server:
        plain = harvest(tmp_path / "plain", server.url + cms.COLUMN)
        profiles = tmp_path / "profiles.yml"
        profiles.write_text(cms.JSON_PROFILE.format(host="127.0.0.3"), encoding="utf-8")
        profiled = harvest(tmp_path / "profiled", "--profiles", str(profiles), server.url + cms.COLUMN)
    assert plain.returncode == 0 and "lists 1, new 2," in plain.stdout, plain.stdout
    assert profiled.returncode == 0 and "lists 4, new 5," in profiled.stdout, profiled.stdout
    dates = sorted(json.loads(p.read_text(encoding="utf-8"))["published_date"]
                   for p in (tmp_path / "profiled").rglob("*.meta.json"))
    assert dates == [f"{2020 + n}-01-15" for n in range(5)]
