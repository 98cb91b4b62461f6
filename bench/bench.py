"""Benchmarks: the build and the site at 10,000 and 100,000 reports.

    python -m bench.bench [--sizes 10000 100000] [--out build/bench.json]

For each size: a synthetic text/HTML corpus (bench/corpus.py, seed 1, kept in
build/bench/ between runs), the time to just read its files, a full build
(wall time, reports/s, peak memory of the build and its workers together,
database size and its gzipped download's), a rebuild after changing one file,
the latency of a fixed list of pages, JSON calls and searches for one client
against Datasette started as `make serve` starts it (each page built afresh:
`Cache-Control: no-cache`), and then 50 clients at once on a mix of pages for
30 s (bench/load.py). First, the harvester against local sites (bench/harvest.py). Prints a
table and writes everything to build/bench.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import psutil
from datasette.utils import tilde_encode

import serving  # the options every way of serving uses
from bench import corpus, load

ROOT = Path(__file__).resolve().parent.parent

WORK = ROOT / "build" / "bench"
REPEAT = 7  # requests per URL, after one warm-up
CLIENTS, CROWD_SECONDS = 50, 30
SERVE = serving.options()


def read_time(folder: Path) -> float:
    """Seconds to read every file's bytes once: the floor under any build."""
    started = time.perf_counter()
    for path in folder.rglob("*"):
        if path.is_file():
            path.read_bytes()
    return time.perf_counter() - started


MEMORY_EVERY = 1.0  # seconds between memory samples: reading a process's PSS costs the kernel ~7 ms
# per 600 MB, so sampling each 0.1 s took a sixth of a core from the build being measured


def run_measured(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak memory (bytes, proportional set size, sampled each MEMORY_EVERY) of
    a command and its child processes. The disk cache is flushed first (os.sync): the writes an
    earlier step left to the kernel are not billed to this one."""
    os.sync()
    started = time.perf_counter()
    process = psutil.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while process.poll() is None:
        try:
            tree = [process] + process.children(recursive=True)
            # PSS: pages shared by the forked workers counted once, not once per process
            peak = max(peak, sum(p.memory_full_info().pss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        with contextlib.suppress(psutil.TimeoutExpired):  # (returns as soon as the command ends)
            process.wait(timeout=min(MEMORY_EVERY, max(0.05, time.perf_counter() - started)))
    elapsed = time.perf_counter() - started
    if process.returncode:
        raise RuntimeError(f"{command} failed: {process.stderr.read().decode(errors='replace')[-2000:]}")
    return elapsed, peak


def build_command(corpus_dir: Path, db: Path, *extra: str) -> list[str]:
    return [sys.executable, str(ROOT / "build.py"), "--db", str(db), "--progress", "off", *extra, str(corpus_dir)]


def urls(db: Path) -> dict[str, list[str]]:
    """The fixed list, by kind: pages, JSON calls, searches."""
    conn = sqlite3.connect(db)
    report_ids = [r[0] for r in conn.execute("select id from reports order by id limit 3 offset 17")]
    agency = conn.execute("select agency from reports where agency is not null order by id limit 1").fetchone()[0]
    conn.close()
    import yaml
    queries = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["ogi"]["queries"]
    pages = ["/", "/ogi"] + [f"/ogi/{t}" for t in ("reports", "sections", "metrics", "application_outcomes",
                                                 "review_litigation", "checks", "build_issues", "labels")]
    pages += [f"/report/{tilde_encode(r)}" for r in report_ids]  # as the site links to them
    pages += [f"/ogi/{name}" for name in queries if name not in ("search_sections",)]
    pages += [f"/ogi/agency_over_years?agency={quote(agency)}", "/ogi/refusal_reasons?year=2022",
              "/ogi/metric_across_reports?metric=admin_review_total"]
    json_calls = [
        "/ogi/application_outcomes.json?applicant_type=total&outcome=new_received&_shape=array",
        f"/ogi/application_outcomes.json?report_id={quote(report_ids[0])}&_shape=array",
        f"/ogi/reports/{tilde_encode(report_ids[1])}.json?_shape=array",
        "/ogi/metrics.json?metric=admin_review_total&_shape=array",
        "/ogi/reports.json?year=2021&province=广东省&_shape=array",
        "/ogi/headline_series.json?_shape=array",
        "/ogi/reports_by_year.json?_shape=array",
        "/ogi/disclosure_rate_ranking.json?_shape=array",
    ]
    searches = [f"/ogi/sections?_search={quote(q)}" for q in ("复议", "不予公开", "信息处理费", "行政诉讼")]
    searches += [f"/ogi/search_sections?q={quote(q)}" for q in ("复议", "依申请公开")]
    searches += [f"/ogi/reports?_search={quote(q)}" for q in ("教育局", "人民政府")]
    return {"pages": pages, "json": json_calls, "searches": searches}


def latency(db: Path) -> dict:
    inspect = db.with_suffix(".inspect.json")
    subprocess.run([sys.executable, "-m", "datasette", "inspect", str(db), "--inspect-file", str(inspect)],
                   cwd=ROOT, check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "datasette", "serve", "-i", str(db), "--inspect-file",
                               str(inspect), *SERVE, "-h", "127.0.0.1", "-p", str(port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        load.wait_until_serving(base)
        result, every = {}, []
        # no-cache: the server builds each page again rather than serve it from memory (ogi_cache)
        with httpx.Client(timeout=60, headers={"cache-control": "no-cache"}) as client:
            for kind, paths in urls(db).items():
                timings = {}
                for path in paths:
                    response = client.get(base + path)  # warm-up
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: HTTP {response.status_code}")
                    times = []
                    for _ in range(REPEAT):
                        started = time.perf_counter()
                        client.get(base + path)
                        times.append((time.perf_counter() - started) * 1000)
                    timings[path] = times
                    every += times
                flat = [t for times in timings.values() for t in times]
                result[kind] = {"p50_ms": round(statistics.median(flat), 1), "p95_ms": round(_p95(flat), 1),
                                "slowest": sorted(((round(_p95(t), 1), p) for p, t in timings.items()), reverse=True)[:3]}
        result["all"] = {"p50_ms": round(statistics.median(every), 1), "p95_ms": round(_p95(every), 1),
                         "requests": len(every)}
        crowd = asyncio.run(load.run(base, load.pages_of(base), CLIENTS, CROWD_SECONDS, pid=server.pid))
        return {"one_client": result, "crowd": crowd}
    finally:
        server.terminate()
        server.wait(timeout=20)


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def bench(size: int, jobs: int) -> dict:
    corpus_dir = WORK / f"corpus-{size}"
    if not corpus_dir.exists():
        started = time.perf_counter()
        corpus.write(size, corpus_dir, seed=1, pdf_share=0.0)
        print(f"  wrote the corpus in {time.perf_counter() - started:.0f} s", flush=True)
    db = WORK / str(size) / "ogi.db"  # the site's pages name the database ogi
    db.parent.mkdir(parents=True, exist_ok=True)
    for stale in (db, db.with_name(db.name + ".building")):
        stale.unlink(missing_ok=True)
    reading = read_time(corpus_dir)
    elapsed, peak = run_measured(build_command(corpus_dir, db, "--jobs", str(jobs)))
    changed = sorted(corpus_dir.rglob("*.txt"))[size // 3]
    original = changed.read_bytes()
    try:
        changed.write_bytes(original + "\n附：本报告于次年一月修订。\n".encode("utf-8") if not original.startswith(b"\xef") else original + b"\n")
        rebuild, rebuild_peak = run_measured(build_command(corpus_dir, db, "--jobs", str(jobs)))
    finally:
        changed.write_bytes(original)
    run_measured(build_command(corpus_dir, db, "--jobs", str(jobs)))  # back to the corpus as generated
    started = time.perf_counter()
    download = serving.write_download(db)
    compress = time.perf_counter() - started
    return {
        "reports": size, "jobs": jobs,
        "read_files_s": round(reading, 2),
        "build_s": round(elapsed, 1), "reports_per_s": round(size / elapsed),
        "build_over_read": round(elapsed / reading, 1),
        "peak_pss_mb": round(peak / 2**20), "db_mb": round(db.stat().st_size / 2**20),
        "download_gz_mb": round(download.stat().st_size / 2**20), "compress_s": round(compress, 1),
        "one_file_rebuild_s": round(rebuild, 2), "one_file_rebuild_peak_pss_mb": round(rebuild_peak / 2**20),
        "latency": latency(db),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench.json")
    parser.add_argument("--harvest-pages", type=int, default=10000, help="pages of the harvester's run (0: none)")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    results = {"machine": {"cores": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30)},
               "sizes": []}
    if args.harvest_pages:
        from bench import harvest

        results["harvest"] = found = harvest.bench(args.harvest_pages, hosts=10)
        print(f"harvest: {found['requests']} requests in {found['seconds']} s ({found['pages_per_s']} pages/s), "
              f"at most {found['most_in_flight_per_host']} per host at a time, peak {found['peak_rss_mb']} MB; "
              f"second run {found['second_run_s']} s ({found['second_run_not_modified']} answered 304)", flush=True)
    for size in args.sizes:
        print(f"{size} reports:", flush=True)
        found = bench(size, args.jobs)
        results["sizes"].append(found)
        print(f"  read files {found['read_files_s']} s; build {found['build_s']} s ({found['reports_per_s']}/s, "
              f"{found['build_over_read']}x reading), peak {found['peak_pss_mb']} MB, db {found['db_mb']} MB "
              f"(gzipped {found['download_gz_mb']} MB in {found['compress_s']} s); "
              f"one-file rebuild {found['one_file_rebuild_s']} s", flush=True)
        for kind, figures in found["latency"]["one_client"].items():
            print(f"  {kind:9s} p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms"
                  + (f"; slowest {figures['slowest']}" if "slowest" in figures else ""), flush=True)
        crowd = found["latency"]["crowd"]
        print(f"  {crowd['clients']} clients for {crowd['seconds']} s: {crowd['requests_per_s']} requests/s, "
              f"{crowd['errors']} errors, server peak {crowd['server_peak_rss_mb']} MB", flush=True)
        for kind, figures in crowd["by_type"].items():
            print(f"    {kind:7s} p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms",
                  flush=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
