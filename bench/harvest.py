"""Benchmark of the harvester: pages/s against local sites that answer in 100 ms, the per-host
limit as the sites saw it, and the harvester's memory over 10,000 pages.

    python -m bench.harvest [--pages 10000] [--hosts 10] [--out build/bench-harvest.json]

Ten report columns on ten loopback addresses (127.0.0.11 and on: hosts to Scrapy), each
listing its share of the entries twenty to a list page; every entry is a detail page holding a
short report. harvest.py runs as a user runs it (--delay 0, two requests at a time per host),
then once more against the unchanged sites (every page answered 304).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from bench.sites import Resource, Server, Site

ROOT = Path(__file__).resolve().parent.parent
PER_PAGE = 20
REPORT = ("一、总体情况\n本机关认真贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
          "全面推进决策、执行、管理、服务、结果公开，着力提升政府信息公开质量和实效。\n"
          "二、主动公开政府信息情况\n全年主动公开政府信息{n}条，其中规范性文件{k}件，及时回应社会关切。\n"
          "三、收到和处理政府信息公开申请情况\n全年共收到政府信息公开申请{m}件，均在法定期限内答复。\n"
          "四、政府信息公开行政复议、行政诉讼情况\n本年度未发生因政府信息公开申请引起的行政复议和行政诉讼。\n"
          "五、存在的主要问题及改进情况\n信息公开的及时性和规范性有待提高，下一步将加强培训、完善制度、强化监督。\n")


def column_site(host: int, entries: int, latency: float) -> Site:
    """One host's report column: list pages of PER_PAGE entries, each entry a detail page."""
    routes = {}
    pages = max(1, -(-entries // PER_PAGE))
    for page in range(pages):
        items = "".join(
            f'<li><a href="/art/{n}.html">某县第{host}局{2000 + n % 25}年政府信息公开工作年度报告</a>'
            f'<span>{2001 + n % 25}-01-15</span></li>'
            for n in range(page * PER_PAGE, min(entries, (page + 1) * PER_PAGE)))
        pager = f'<a href="index_{page + 1}.html">下一页</a>' if page + 1 < pages else ""
        name = "/nb/" if page == 0 else f"/nb/index_{page}.html"
        routes[name] = Resource(f"<html><body><ul>{items}</ul>{pager}</body></html>".encode())
    for n in range(entries):
        title = f"某县第{host}局{2000 + n % 25}年政府信息公开工作年度报告"
        body = REPORT.format(n=n % 900 + 100, k=n % 30, m=n % 50)
        routes[f"/art/{n}.html"] = Resource(
            f'<html><head><meta name="PubDate" content="{2001 + n % 25}-01-15"><title>{title}</title></head><body>'
            f'<h1>{title}</h1><div id="zoom">{"".join(f"<p>{line}</p>" for line in body.splitlines())}</div>'
            f"</body></html>".encode())
    return Site(routes=routes, latency=latency)


def run(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak resident memory (bytes) and output of a command."""
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    while process.poll() is None:
        try:
            peak = max(peak, process.memory_info().rss)
        except psutil.Error:
            pass
        time.sleep(0.25)
    out, err = process.communicate()
    if process.returncode:
        raise RuntimeError(f"{command} failed ({process.returncode}): {out[-1000:]} {err[-2000:]}")
    return time.perf_counter() - started, peak, out


def bench(pages: int, hosts: int, latency: float = 0.1, per_host: int = 2) -> dict:
    servers = [Server(column_site(n, pages // hosts, latency), f"127.0.0.{11 + n}") for n in range(hosts)]
    out = Path(tempfile.mkdtemp(prefix="ogi-harvest-bench-"))
    try:
        command = [sys.executable, str(ROOT / "harvest.py"), "--out", str(out), "--delay", "0",
                   "--per-host", str(per_host), "--max-list-pages", "1000", "--max-entries", str(pages),
                   *[s.url + "/nb/" for s in servers]]
        first_s, peak, _ = run(command)
        fetched = sum(sum(s.site.requests.values()) for s in servers)
        documents = len(list(out.glob("*/*.meta.json")))
        for server in servers:
            server.site.answers.clear()
        second_s, _, _ = run(command)
        not_modified = sum(n for s in servers for (_, status), n in s.site.answers.items() if status == 304)
        answered = sum(sum(s.site.answers.values()) for s in servers)
        return {
            "hosts": hosts, "latency_ms": latency * 1000, "per_host_limit": per_host,
            "requests": fetched, "documents": documents, "seconds": round(first_s, 1),
            "pages_per_s": round(fetched / first_s, 1),
            "most_in_flight_per_host": max(s.site.most_in_flight for s in servers),
            "peak_rss_mb": round(peak / 2**20), "second_run_s": round(second_s, 1),
            "second_run_not_modified": f"{not_modified}/{answered}",
        }
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=10000)
    parser.add_argument("--hosts", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench-harvest.json")
    args = parser.parse_args(argv)
    found = bench(args.pages, args.hosts)
    print(f"harvest: {found['requests']} requests to {found['hosts']} hosts answering in {found['latency_ms']:.0f} ms "
          f"in {found['seconds']} s ({found['pages_per_s']} pages/s), at most {found['most_in_flight_per_host']} "
          f"at a time per host (limit {found['per_host_limit']}), peak {found['peak_rss_mb']} MB; "
          f"second run {found['second_run_s']} s, {found['second_run_not_modified']} answered 304", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
