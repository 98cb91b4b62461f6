"""Hostile files, faults and URLs: no file stops the build, no rebuild breaks the served
database, no URL brings the site down. Every case is made here."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

import build
from conftest import ROOT, SERVER_PIDS, _free_port, report_files, serving
from parsers import batch
from serving import serve_command

SEED_2016 = ROOT / "reports" / "000_680e7faf37592182.txt"
FURONG_2021 = ROOT / "reports" / "003_85b1cd000e56671f.txt"
GOOD = [SEED_2016, FURONG_2021, ROOT / "reports" / "017_pingtan_zone_2022.txt"]


pytestmark = pytest.mark.slow

def rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def outcomes_of(db, path):
    return [m for (m,) in rows(db, "select message from build_issues where source_path = ?", [path])]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A corpus of good reports and every hostile file the issue names; built once."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "reports"
    corpus.mkdir()
    for file in GOOD:
        shutil.copy(file, corpus / file.name)
    # ids that clash: x/y.txt and x--y.txt; a.txt, a.html and a-txt.md
    (corpus / "x").mkdir()
    for n, name in enumerate(("x/y.txt", "x--y.txt", "a.txt", "a-txt.md")):
        (corpus / name).write_text(SEED_2016.read_text(encoding="utf-8").replace("君山区", "甲乙丙丁"[n] + "区"), encoding="utf-8")
    (corpus / "a.html").write_text("<html><head><title>a区2016年政府信息公开工作年度报告</title></head><body>"
                                   "<div id=zoom><p>a区2016年政府信息公开工作年度报告</p><p>一、总体情况 本年度主动公开政府信息120条，"
                                   "收到政府信息公开申请3件。</p></div></body></html>", encoding="utf-8")
    # a file name with bytes that are not UTF-8
    os.makedirs(os.fsencode(corpus) + b"/bad-name", exist_ok=True)
    with open(os.fsencode(corpus) + b"/bad-name/\xb9\xab\xbf\xaa.txt", "wb") as f:
        f.write(SEED_2016.read_bytes().replace("君山区".encode(), "戊区".encode()))
    # a file that cannot be read (a socket: even root cannot open it)
    unreadable = socket.socket(socket.AF_UNIX)
    unreadable.bind(str(corpus / "socket.txt"))
    # 20-digit numbers in a table and in prose; a sidecar year of that size; a javascript: URL
    (corpus / "huge-number.txt").write_text(
        "庚区2022年政府信息公开工作年度报告\n全年收到政府信息公开申请123456789012345678901件。\n"
        "三、收到和处理政府信息公开申请情况\n| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
        "| 一、本年新收政府信息公开申请数量 | 99999999999999999999 | 0 | 0 | 0 | 0 | 0 | 5 |\n", encoding="utf-8")
    (corpus / "huge-year.txt").write_bytes(SEED_2016.read_bytes().replace("君山区".encode(), "己区".encode()))
    (corpus / "huge-year.meta.json").write_text('{"year": 99999999999999999999999, '
                                                '"source_url": "javascript:alert(document.domain)//"}')
    # links: a loop, a dangling one, one to a file outside the corpus
    (corpus / "loop.txt").symlink_to(corpus / "loop.txt")
    (corpus / "dangling.txt").symlink_to(corpus / "no-such-file.txt")
    secret = root / "secret.txt"
    secret.write_text("不应公开的文件 政府信息公开工作年度报告", encoding="utf-8")
    (corpus / "outside.txt").symlink_to(secret)
    (corpus / "folder-link").symlink_to(root)
    # a page of giant merged cells
    cells = "".join("<tr>" + '<td rowspan="200" colspan="50">1</td>' * 40 + "</tr>" for _ in range(150))
    (corpus / "giant-cells.html").write_text(f"<html><body><div id=zoom><p>某县2022年政府信息公开工作年度报告</p>"
                                             f"<p>{'本年度主动公开政府信息，收到政府信息公开申请，依法答复。' * 5}</p>"
                                             f"<table>{cells}</table></div></body></html>", encoding="utf-8")
    # a short but genuine report page
    (corpus / "short.html").write_text("<html><head><title>丁镇2023年政府信息公开工作年度报告</title></head><body>"
                                       "<h1>丁镇2023年政府信息公开工作年度报告</h1><p>本年度未收到政府信息公开申请。</p></body></html>",
                                       encoding="utf-8")
    # the same file twice: the copy's name sorts first, the original keeps the content
    shutil.copy(FURONG_2021, corpus / "003_85b1cd000e56671f (1).txt")
    db = root / "ogi.db"
    started = time.time()
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "--db", str(db), "--jobs", "2", str(corpus)],
                            capture_output=True, text=True)
    unreadable.close()
    return {"db": db, "corpus": corpus, "result": result, "seconds": time.time() - started}


def test_the_hostile_corpus_builds_to_completion_with_every_good_report(hostile):
    assert hostile["result"].returncode == 0, hostile["result"].stderr
    ids = {i for (i,) in rows(hostile["db"], "select id from reports")}
    assert {f.stem for f in GOOD} <= ids
    cells = rows(hostile["db"], "select count(*) from application_outcomes where report_id = '003_85b1cd000e56671f'")
    assert cells == [(175,)]


def test_clashing_ids_get_a_deterministic_suffix(hostile):
    ids = dict(rows(hostile["db"], "select source_path, id from reports where source_path in "
                                   "('x/y.txt', 'x--y.txt', 'a.txt', 'a.html', 'a-txt.md')"))
    assert len(ids) == 5 and len(set(ids.values())) == 5
    assert ids["x--y.txt"] == "x--y-txt" and ids["x/y.txt"] == "x--y-txt-2"  # in path order
    assert any("would share the id" in m or "another file's" in m for m in outcomes_of(hostile["db"], "x/y.txt"))


def test_a_name_that_is_not_utf8_is_kept_with_replacement_characters(hostile):
    [(path, title)] = rows(hostile["db"], "select source_path, title from reports where source_path like 'bad-name/%'")
    assert "\ufffd" in path and title.startswith("戊区")
    assert any("not valid UTF-8" in m for m in outcomes_of(hostile["db"], path))


def test_an_unreadable_file_is_an_error_row(hostile):
    [message] = outcomes_of(hostile["db"], "socket.txt")
    assert "cannot be read" in message


def test_numbers_too_large_are_kept_as_written_with_no_value(hostile):
    [(count, raw)] = rows(hostile["db"], "select count, value_raw from application_outcomes where report_id = 'huge-number' "
                                         "and outcome = 'new_received' and applicant_type = 'natural_person'")
    assert (count, raw) == (None, "99999999999999999999")
    assert any("too large to be a count" in m for m in outcomes_of(hostile["db"], "huge-number.txt"))
    [(value,)] = rows(hostile["db"], "select value from metrics where report_id = 'huge-number' and value_raw = "
                                     "'123456789012345678901'")
    assert value is None


def test_a_sidecar_year_and_url_that_are_not_are_ignored(hostile):
    [(year, url)] = rows(hostile["db"], "select year, source_url from reports where id = 'huge-year'")
    assert (year, url) == (2016, None)
    messages = outcomes_of(hostile["db"], "huge-year.txt")
    assert any("not a year" in m for m in messages) and any("not an http(s) address" in m for m in messages)


def test_links_that_loop_dangle_or_leave_the_corpus_are_refused_and_recorded(hostile):
    db = hostile["db"]
    assert any("leads nowhere" in m for m in outcomes_of(db, "loop.txt"))
    assert any("leads nowhere" in m for m in outcomes_of(db, "dangling.txt"))
    assert any("outside the corpus" in m for m in outcomes_of(db, "outside.txt"))
    assert any("not followed" in m for m in outcomes_of(db, "folder-link"))
    assert rows(db, "select count(*) from reports where text like '%不应公开%'") == [(0,)]


def test_giant_merged_cells_are_bounded(hostile):
    """1.2 million merged cells of "1" that are no official table: built quickly, no error, and no
    figure read out of them."""
    assert outcomes_of(hostile["db"], "giant-cells.html") == []
    assert rows(hostile["db"], "select doc_type, reading, year from reports where id = 'giant-cells'") == [
        ("annual_report", "prose_only", 2022)]
    for table in ("metrics", "application_outcomes", "review_litigation"):
        assert rows(hostile["db"], f"select count(*) from {table} where report_id = 'giant-cells'") == [(0,)], table


def test_a_short_genuine_report_page_is_a_report(hostile):
    [(doc_type, reading)] = rows(hostile["db"], "select doc_type, reading from reports where id = 'short'")
    assert (doc_type, reading) == ("annual_report", "prose_only")
    # 本年度未收到政府信息公开申请: none received, said in words
    assert rows(hostile["db"], "select metric, value from metrics where report_id = 'short'") == [
        ("applications_received_total", 0)]


def test_duplicates_keep_the_copy_whose_name_looks_original(hostile):
    ids = {i for (i,) in rows(hostile["db"], "select id from reports where source_sha256 = "
                                             "(select source_sha256 from reports where id = '003_85b1cd000e56671f')")}
    assert ids == {"003_85b1cd000e56671f"}
    assert any("the same file as 003_85b1cd000e56671f.txt" in m
               for m in outcomes_of(hostile["db"], "003_85b1cd000e56671f (1).txt"))


def test_bookkeeping_stays_out_of_the_published_database(hostile):
    tables = {t for (t,) in rows(hostile["db"], "select name from sqlite_master where type = 'table'")}
    assert "build_files" not in tables
    assert (hostile["db"].parent / "ogi.db.state").exists()


def test_a_file_over_its_time_limit_is_an_error_row(monkeypatch):
    monkeypatch.setattr(batch, "SECONDS_PER_FILE", 0.001)
    job = batch.Job("slow.pdf", "slow", (ROOT / "reports" / "002_huaian_hongze_district_2024.pdf").read_bytes())
    parsed = batch.parse_file(job)
    assert parsed.report is None and "took longer than" in parsed.problem.message


def test_exit_codes(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "build.py"), *map(str, args)], capture_output=True, text=True)
    assert run("--db", tmp_path / "a.db", tmp_path / "missing").returncode == 2
    (tmp_path / "nothing" / ".git").mkdir(parents=True)
    (tmp_path / "nothing" / ".git" / "config").write_text("")
    assert run("--db", tmp_path / "a.db", tmp_path / "nothing").returncode == 2  # hidden files only: no files
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "empty.txt").write_bytes(b"")
    assert run("--db", tmp_path / "a.db", tmp_path / "junk").returncode == 1
    (tmp_path / "a.db").mkdir()  # the database's place is a folder: the build cannot finish
    (tmp_path / "a.db" / "keep").write_text("")
    not_a_file = run("--db", tmp_path / "a.db", SEED_2016)
    assert not_a_file.returncode == 3 and "build-error.log" in not_a_file.stderr


# --- builds and the served file --------------------------------------------------------------

def _count(db):
    return rows(db, "select count(*) from reports")[0][0]


def test_two_builds_at_once_end_with_a_valid_database(tmp_path):
    db = tmp_path / "ogi.db"
    command = [sys.executable, str(ROOT / "build.py"), "--db", str(db), "--jobs", "1", str(ROOT / "reports")]
    first, second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE), \
        subprocess.Popen(command + ["--full"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert first.wait(300) == 0 and second.wait(300) == 0
    assert rows(db, "pragma integrity_check") == [("ok",)]
    assert _count(db) == len(report_files(ROOT / "reports"))
    assert b"waiting for it to finish" in first.stderr.read() + second.stderr.read()


@pytest.mark.parametrize("incremental", [False, True])
def test_a_build_killed_at_random_points_leaves_the_database_intact(tmp_path, incremental):
    corpus = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", corpus)
    db = tmp_path / "ogi.db"
    assert build.main(["--db", str(db), "--jobs", "1", str(corpus)]) == 0
    before = _count(db)
    rng = random.Random(7)
    for attempt in range(4):
        if incremental:
            (corpus / f"new-{attempt}.txt").write_bytes(SEED_2016.read_bytes().replace("君山区".encode(), f"新{attempt}区".encode()))
        command = [sys.executable, str(ROOT / "build.py"), "--db", str(db), "--jobs", "1", str(corpus)]
        if not incremental:
            command.append("--full")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.2, 1.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert rows(db, "pragma integrity_check") == [("ok",)]
        # the old database or the new one: never a mixture, never damaged
        assert _count(db) in (before, len(report_files(corpus)))
        before = _count(db)
    assert build.main(["--db", str(db), "--jobs", "1", str(corpus)]) == 0
    assert _count(db) == len(report_files(corpus)) and not list(tmp_path.glob("*.building-*"))


def test_a_rebuild_while_the_site_serves_gives_old_or_new_answers_never_errors(tmp_path):
    corpus = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", corpus)
    db = tmp_path / "ogi.db"
    assert build.main(["--db", str(db), "--jobs", "1", str(corpus)]) == 0
    old = _count(db)
    for n in range(3):
        (corpus / f"added-{n}.txt").write_bytes(SEED_2016.read_bytes().replace("君山区".encode(), f"加{n}区".encode()))
    port = _free_port()
    command = [sys.executable, "-m", "datasette", *serve_command(db, None, "127.0.0.1", port)]
    answers, errors = [], []
    with serving(command, port, "/-/versions.json", cwd=ROOT) as site:
        rebuild = threading.Thread(target=build.main, args=(["--db", str(db), "--jobs", "1", str(corpus)],))
        rebuild.start()
        while rebuild.is_alive() or len(answers) < 20:
            for path in ("/ogi.json?sql=select+count(*)+as+n+from+reports&_shape=array",
                         "/ogi/sections.json?_search=%E5%A4%8D%E8%AE%AE&_shape=array", "/ogi/metrics", "/"):
                response = httpx.get(site + path, timeout=30)
                if response.status_code != 200:
                    errors.append((path, response.status_code))
                elif "count" in path:
                    answers.append(response.json()[0]["n"])
        rebuild.join()
    assert errors == [] and set(answers) <= {old, old + 3}
    assert _count(db) == old + 3


# --- URLs ---------------------------------------------------------------------------------

def _resident_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def test_hostile_urls_leave_the_server_alive_small_and_quick(built_db):
    port = _free_port()
    command = [sys.executable, "-m", "datasette", *serve_command(built_db, None, "127.0.0.1", port)]
    with serving(command, port, "/-/versions.json", cwd=ROOT) as site:
        pid = SERVER_PIDS[site]
        assert httpx.get(site + "/ogi.json", params={"sql": "select zeroblob(1000000000)"}).status_code == 400
        assert httpx.get(site + "/ogi.json", params={"sql": "select randomblob(100000000)"}).status_code == 400
        # 1,000 rows of 1 MB each, made without the refused functions: stopped by the memory guard
        doubling = ("with recursive s(x, n) as (select 'ab', 1 union all select x || x, n + 1 from s where n < 20), "
                    "r(i) as (select 1 union all select i + 1 from r where i < 1000) select x || i from s, r where s.n = 20")
        assert httpx.get(site + "/ogi.json", params={"sql": doubling}, timeout=60).status_code == 400
        huge = httpx.get(site + "/report/003_85b1cd000e56671f", params={"start": "99999999999999999999", "end": "1"})
        assert huge.status_code == 200
        paths = httpx.get(site + "/ogi.json", params={"sql": "select * from pragma_database_list", "_shape": "array"}).json()
        assert all(row["file"] is None for row in paths)
        assert httpx.get(site + "/-/threads.json").status_code == 404
        headers = httpx.get(site + "/").headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
        # three never-ending queries, and the pages meanwhile
        slow = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"
        threads = [threading.Thread(target=httpx.get, args=(site + "/ogi.json",), kwargs={"params": {"sql": slow}, "timeout": 60})
                   for _ in range(3)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        timings = []
        for path in ["/", "/report/003_85b1cd000e56671f", "/ogi/metrics", "/ogi/refusal_reasons"] * 3:
            started = time.time()
            assert httpx.get(site + path, timeout=30).status_code == 200
            timings.append(time.time() - started)
        for t in threads:
            t.join()
        timings.sort()
        assert timings[int(len(timings) * 0.95) - 1] < 1.0, timings
        assert _still_running(pid) and _resident_mb(pid) < 1024


def _still_running(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()
