"""Each attack of issue 26 run against a real server (`datasette serve` with the site's plugins,
on 127.0.0.1) while a visitor reads pages: the visitor's pages answer within a second, the
server stays under 1 GB, and nothing goes on running after the attacker has left."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import sys
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest

from conftest import ROOT, SERVER_PIDS, _free_port, serving
from serving import serve_command

pytestmark = pytest.mark.slow

PROBES = ["/robots.txt", "/", "/report/017_pingtan_zone_2022", "/ogi/reports?year=2021"]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


@pytest.fixture(scope="module")
def server(built_db, tmp_path_factory):
    """The site, and beside it a database with one large table (2 million rows, a 150 MB CSV) to
    stream from."""
    folder = tmp_path_factory.mktemp("attacked")
    shutil.copy(built_db, folder / "ogi.db")
    big = sqlite3.connect(folder / "big.db")
    big.execute("create table t (n integer primary key, words text)")
    big.execute("insert into t with recursive r(n) as (select 1 union all select n + 1 from r where n < 2000000) "
                "select n, '政府信息公开工作年度报告' || n from r")
    big.commit()
    big.close()
    port = _free_port()
    command = [sys.executable, "-m", "datasette", *serve_command(folder / "ogi.db", None, "127.0.0.1", port),
               "-i", str(folder / "big.db")]  # immutable, as the site is served: its pages are cached
    with serving(command, port, "/-/versions.json", cwd=ROOT) as base:
        yield base, SERVER_PIDS[base]


def under_attack(base: str, attack, seconds: float = 4.0) -> list[float]:
    """The times a visitor's pages took while `attack` ran (in threads, until it returned or
    `seconds` passed)."""
    stop, failures = threading.Event(), []

    def attacker():
        try:
            attack(stop)
        except Exception as error:  # an answer the attacker should not have had: the test fails
            failures.append(error)
    attackers = [threading.Thread(target=attacker, daemon=True) for _ in range(4)]
    for thread in attackers:
        thread.start()
    time.sleep(0.5)
    timings, started = [], time.monotonic()
    with httpx.Client(timeout=30) as visitor:
        while time.monotonic() - started < seconds:
            for path in PROBES:
                began = time.monotonic()
                assert visitor.get(base + path).status_code == 200, path
                timings.append((round(time.monotonic() - began, 3), path))
            time.sleep(0.1)
    stop.set()
    for thread in attackers:
        thread.join(30)
    assert not failures, failures[:3]
    return sorted(timings)


def assert_unharmed(base: str, pid: int, timings: list[float]) -> None:
    assert timings[-1][0] < 1.0, timings[-5:]
    assert peak_mb(pid) < 1024
    assert httpx.get(base + "/robots.txt").status_code == 200


def raw_get(base: str, target: str, headers: dict | None = None) -> int:
    """The status of GET `target`, its answer read and dropped as cheaply as a socket can: an
    attacker on another machine costs this one nothing, and the tests share two cores with it."""
    host, port = base.removeprefix("http://").split(":")
    lines = [f"GET {target} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    with socket.create_connection((host, int(port)), timeout=60) as s:
        with contextlib.suppress(OSError):
            s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = b""
        with contextlib.suppress(OSError):  # a server that refuses a request mid-way may reset it
            head = s.recv(65536)
            while s.recv(1 << 20):
                pass
    return int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/1.1 ") else 0  # 0: cut off


def repeatedly(request):
    """An attacker that sends `request()` until told to stop."""
    def attack(stop):
        while not stop.is_set():
            request()
    return attack


def test_many_parameters_and_facets(server):
    base, pid = server
    many = "&".join(f"x{n}=1" for n in range(3000))
    facets = "&".join(["_facet=agency"] * 3000)
    few_facets = "&".join(["_facet=agency"] * 200)

    def request():
        assert raw_get(base, f"/ogi/labels?{many}") == 414
        assert raw_get(base, f"/ogi/reports?{facets}") == 414
        assert raw_get(base, f"/ogi/reports?{few_facets}") == 400
    assert_unharmed(base, pid, under_attack(base, repeatedly(request)))


def test_the_page_cache_stays_small_whatever_the_keys(server):
    base, pid = server
    counter = iter(range(10**9))

    def request():
        n = next(counter)
        assert raw_get(base, "/", {"X-Host": f"{n}." + "h" * 2**20}) in (400, 0)  # a 1 MB header: refused
        assert raw_get(base, f"/ogi/labels?q={n}{'x' * 7000}") == 200  # unique 7 kB keys
    before = peak_mb(pid)
    assert_unharmed(base, pid, under_attack(base, repeatedly(request), seconds=6))
    assert peak_mb(pid) - before < 200  # the cache holds at most 64 MB


def test_huge_and_slow_request_heads_are_cut_off(server):
    base, pid = server
    port = int(base.rsplit(":", 1)[1])

    def huge(stop):  # an unterminated 50 MB header
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ")
            sent = 0
            with contextlib.suppress(OSError):
                while sent < 50 * 2**20 and not stop.is_set():
                    sent += s.send(b"a" * 65536)
            closed_at.append(sent)

    closed_at = []
    before = peak_mb(pid)
    assert_unharmed(base, pid, under_attack(base, huge))
    assert peak_mb(pid) - before < 100
    assert closed_at and max(closed_at) < 16 * 2**20  # cut off at 32 kB (and what the sockets' buffers took)

    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    started = time.monotonic()
    for s in slow:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")

    def trickle(stop):  # one header byte a second on each of 20 connections
        while not stop.is_set() and time.monotonic() - started < 15:
            for s in slow:
                with contextlib.suppress(OSError):
                    s.send(b"a")
            time.sleep(1)
    assert_unharmed(base, pid, under_attack(base, trickle, seconds=3))
    time.sleep(max(0.0, 12 - (time.monotonic() - started)))
    for s in slow:  # closed by the server within REQUEST_SECONDS (10 s)
        s.settimeout(3)
        with contextlib.suppress(OSError):
            assert s.recv(100) == b""
        s.close()


def test_custom_sql_in_csv_and_where_wait_their_turn(server):
    base, pid = server
    doubling = ("with recursive s(x, n) as (select 'aaaaaaaaaa', 0 union all select x || x, n + 1 from s where n < 13), "
                "r(i) as (select 1 union all select i + 1 from r where i < 1000) select i, x from r, s where n = 13")
    endless = "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"

    def request():  # each waits its turn, or after 10 s is told to come back (503)
        assert raw_get(base, "/ogi.csv?" + urlencode({"sql": doubling})) in (200, 503)  # 80 MB asked: cut at 64 MB
        assert raw_get(base, "/ogi/reports.json?" + urlencode({"_where": f"1 in ({endless})"})) in (400, 503)
    assert_unharmed(base, pid, under_attack(base, repeatedly(request), seconds=8))


def test_work_stops_when_the_client_leaves(server):
    """A client that asks for a 150 MB CSV stream and leaves after the first megabyte: the server
    stops making it (before, it went on to the 64 MB cap for no one)."""
    base, pid = server
    with httpx.stream("GET", base + "/big/t.csv", params={"_stream": "1", "_size": "max"}, timeout=30) as response:
        assert response.status_code == 200
        received = 0
        for chunk in response.iter_raw():
            received += len(chunk)
            if received > 2**20:
                break
    time.sleep(1.0)  # the page in hand when the client left ends
    before = cpu_seconds(pid)
    time.sleep(3)
    assert cpu_seconds(pid) - before < 0.3
