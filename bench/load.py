"""Many clients at once: how the site holds a crowd.

    python -m bench.load http://127.0.0.1:8001 [--clients 50] [--seconds 30] [--pid PID]

Each client asks for one URL after another from a mix of page types (home, report
pages, table pages, searches, JSON calls, canned queries): the types in turn, and within
a type its URLs in turn, from the client's own starting point, until the time is up or
the request budget is spent. Report pages are hundreds of different reports, so most of
them are built afresh (a crowd reads many reports); the other types are a few URLs each,
as a crowd's popular pages are. Prints and
returns per-type p50/p95/p99, requests/s, errors and, given the server's PID, its
peak memory. Only 127.0.0.1 (or localhost) is accepted: this is a load generator.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from urllib.parse import quote, urlsplit

import aiohttp
import httpx
import psutil
from datasette.utils import tilde_encode
from yarl import URL

MAX_REQUESTS = 60_000  # a bound on the run whatever the speed (about 30 s at the speed measured here)
REPORT_PAGES = 3000  # different report pages in the mix


def wait_until_serving(base: str, seconds: float = 30) -> None:
    """Until the server at `base` answers (a starting Datasette takes a few seconds)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            httpx.get(base + "/-/versions.json")
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def mix(report_ids: list[str], agency: str) -> dict[str, list[str]]:
    """The page set, by type."""
    return {
        "home": ["/"],
        "report": [f"/report/{tilde_encode(r)}" for r in report_ids],
        "table": ["/ogi/reports", "/ogi/application_outcomes?outcome=granted", "/ogi/metrics?metric=admin_review_total",
                  "/ogi/checks?passed=0", f"/ogi/reports?agency={quote(agency)}"],
        "search": [f"/ogi/search_sections?q={quote(q)}" for q in ("复议", "不予公开", "信息处理费")]
        + [f"/ogi/sections?_search={quote(q)}" for q in ("行政诉讼",)] + [f"/ogi/reports?_search={quote('教育局')}"],
        "json": ["/ogi/application_outcomes.json?applicant_type=total&outcome=new_received&_shape=array",
                 f"/ogi/application_outcomes.json?report_id={quote(report_ids[0])}&_shape=array",
                 f"/report/{tilde_encode(report_ids[1])}.json",
                 "/ogi/reports.json?year=2021&_shape=array"],
        "query": ["/ogi/headline_series", "/ogi/reports_by_year", "/ogi/disclosure_rate_ranking",
                  f"/ogi/agency_over_years?agency={quote(agency)}", "/ogi/refusal_reasons?year=2022", "/ogi"],
    }


def _local(base: str) -> None:
    if urlsplit(base).hostname not in ("127.0.0.1", "localhost"):
        raise SystemExit(f"{base}: the load run only goes to 127.0.0.1")


async def _client(client: aiohttp.ClientSession, base: str, pages: dict[str, list[str]], start: int, until: float,
                   budget: list[int], found: dict[str, list[float]], errors: list[str]) -> None:
    kinds, n = list(pages), start
    while time.perf_counter() < until and budget[0] > 0:
        budget[0] -= 1
        kind = kinds[n % len(kinds)]
        path = pages[kind][(n // len(kinds)) % len(pages[kind])]
        n += 1
        started = time.perf_counter()
        try:
            async with client.get(URL(base + path, encoded=True)) as response:
                await response.read()
                if response.status != 200:
                    errors.append(f"{path}: HTTP {response.status}")
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            errors.append(f"{path}: {type(error).__name__}")
        found[kind].append((time.perf_counter() - started) * 1000)


async def _watch(pid: int | None, until: float, peak: list[int]) -> None:
    if not pid:
        return
    process = psutil.Process(pid)
    while time.perf_counter() < until:
        try:
            peak[0] = max(peak[0], process.memory_info().rss)
        except psutil.Error:
            return
        await asyncio.sleep(0.5)


async def run(base: str, pages: dict[str, list[str]], clients: int = 50, seconds: float = 30,
              pid: int | None = None) -> dict:
    _local(base)
    found: dict[str, list[float]] = {kind: [] for kind in pages}
    errors: list[str] = []
    budget, peak = [MAX_REQUESTS], [0]
    spread = max(1, max(map(len, pages.values())) // clients)  # clients start apart: each reads its own reports
    # aiohttp: its C parser keeps the client's share of the machine small (the server shares it)
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60),
                                     skip_auto_headers=["Accept-Encoding"]) as client:
        started = time.perf_counter()
        until = started + seconds
        await asyncio.gather(_watch(pid, until, peak), *(
            _client(client, base, pages, i * len(pages) * spread, until, budget, found, errors) for i in range(clients)))
        elapsed = time.perf_counter() - started
    every = [t for times in found.values() for t in times]
    result = {"clients": clients, "seconds": round(elapsed, 1), "requests": len(every),
              "requests_per_s": round(len(every) / elapsed, 1), "errors": len(errors), "error_examples": errors[:5],
              "server_peak_rss_mb": round(peak[0] / 2**20) if pid else None,
              "all": _figures(every), "by_type": {kind: _figures(times) for kind, times in found.items() if times}}
    return result


def _figures(times: list[float]) -> dict:
    if len(times) < 2:
        return {"n": len(times), "p50_ms": round(times[0], 1) if times else None}
    cuts = statistics.quantiles(times, n=100)
    return {"n": len(times), "p50_ms": round(statistics.median(times), 1), "p95_ms": round(cuts[94], 1),
            "p99_ms": round(cuts[98], 1)}


def pages_of(base: str) -> dict[str, list[str]]:
    """The mix for a running site: report ids and an agency from its own JSON API."""
    _local(base)
    rows = []
    for offset in range(0, REPORT_PAGES, 1000):  # a thousand rows to a response
        rows += httpx.get(base + "/ogi.json", timeout=60, params={
            "sql": f"select id, agency from reports where agency is not null order by id limit 1000 offset {offset}",
            "_shape": "array"}).json()
    return mix([r["id"] for r in rows], rows[0]["agency"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", help="the site, e.g. http://127.0.0.1:8001")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--pid", type=int, help="the server's process, for its memory")
    args = parser.parse_args(argv)
    base = args.base.rstrip("/")
    result = asyncio.run(run(base, pages_of(base), args.clients, args.seconds, args.pid))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
