"""The static copy at 10,000 and 100,000 reports: what `make static` writes and what a page costs.

    python -m bench.static [--sizes 10000 100000] [--out build/static.json]

For each size: the synthetic corpus's database (bench/bench.py builds it into build/bench/SIZE/ and
keeps it; built here when missing), then the copy (static_copy.static): build time, files, bytes,
the largest file, bytes against the database. Then the copy behind tests/range_server.py (a file
server that answers Range, as static hosts do) in headless Chromium: for each kind of page, opened
in a fresh browser context (nothing cached), the bytes the server sent, the requests, the time to
the first paint and the time until the page's data is on it. Targets (issue 24): ≤ 2 MB a report
page, ≤ 5 MB a search, ≤ 20,000 files, none over 25 MiB, ≤ 1.2× the database plus the assets,
≤ 5 minutes for 100,000 reports.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from bench import corpus
from bench.bench import WORK, build_command

import static_copy
from tests.range_server import serve

ROOT = Path(__file__).resolve().parent.parent


def database(size: int) -> Path:
    """The synthetic corpus's database that `make bench` builds (built now if it is not there)."""
    db = WORK / str(size) / "ogi.db"
    if not db.exists():
        corpus_dir = WORK / f"corpus-{size}"
        if not corpus_dir.exists():
            corpus.write(size, corpus_dir, seed=1, pdf_share=0.0)
        db.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(build_command(corpus_dir, db, "--jobs", str(os.cpu_count() or 1)), check=True)
    return db


def page_urls(db: Path) -> dict[str, str]:
    """One page of each kind a reader opens, as the copy's URLs."""
    conn = sqlite3.connect(db)
    report, start, end = conn.execute(
        "select report_id, start, \"end\" from application_outcomes where \"end\" > start "
        "order by report_id limit 1 offset 5000").fetchone() or conn.execute(
        "select report_id, start, \"end\" from application_outcomes where \"end\" > start limit 1").fetchone()
    agency = conn.execute("select agency_key from agencies order by reports desc limit 1").fetchone()[0]
    province = conn.execute("select province from reports where province is not null "
                            "group by province order by count(*) desc limit 1").fetchone()[0]
    conn.close()
    return {"home": "index.html",
            "report": f"report.html?id={quote(report)}&start={start}&end={end}#hl",
            "agency": f"agency.html?key={quote(agency, safe='')}",
            "province": f"region.html?province={quote(province)}",
            "search": f"query.html?name=search_sections&q={quote('复议')}",
            "find": f"find.html?q={quote(province)}",
            "canned query": "query.html?name=failed_checks",
            "builder": f"compare.html?province={quote(province)}&year_from=2021&year_to=2021"}


def measure_pages(copy: Path, urls: dict[str, str]) -> dict:
    from playwright.sync_api import sync_playwright

    found = {}
    with serve(copy) as (base, counter), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"])
        for kind, url in urls.items():
            context = browser.new_context(viewport={"width": 1280, "height": 900})  # an empty cache
            tab = context.new_page()
            counter.reset()
            started = time.perf_counter()
            tab.goto(f"{base}/{url}")
            if url != "index.html":
                tab.wait_for_selector("#app[data-ready], #app .message-error", timeout=120000)
            ready = time.perf_counter() - started
            tab.wait_for_timeout(300)  # the last requests of the page's scripts
            paint = tab.evaluate("(performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null")
            error = tab.locator("#app .message-error").all_inner_texts() if url != "index.html" else []
            found[kind] = {"url": url, "bytes": counter.bytes, "requests": len(counter.requests),
                           "database_bytes": sum(n for path, n in counter.requests if path.startswith("/data/")),
                           "first_paint_ms": round(paint) if paint else None, "ready_ms": round(ready * 1000),
                           **({"error": error[0]} if error else {})}
            context.close()
        browser.close()
    return found


def bench(size: int) -> dict:
    db = database(size)
    out = WORK / f"static-{size}"
    started = time.perf_counter()
    static_copy.static(db, out)
    seconds = time.perf_counter() - started
    files = [p for p in out.rglob("*") if p.is_file()]
    chunks = [p for p in files if p.parent.name == "data"]
    assets = sum(p.stat().st_size for p in files if p not in chunks)
    return {"reports": size, "database_mb": round(db.stat().st_size / 2**20, 1), "static_s": round(seconds, 1),
            "files": len(files), "chunks": len(chunks), "bytes_mb": round(sum(p.stat().st_size for p in files) / 2**20, 1),
            "largest_file_mb": round(max(p.stat().st_size for p in files) / 2**20, 1),
            "other_files_mb": round(assets / 2**20, 1),
            "over_database": round(sum(p.stat().st_size for p in chunks) / db.stat().st_size, 3),
            "pages": measure_pages(out, page_urls(db))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "static.json")
    args = parser.parse_args(argv)
    results = []
    for size in args.sizes:
        found = bench(size)
        results.append(found)
        print(f"{size} reports: database {found['database_mb']} MB -> {found['files']} files ({found['chunks']} chunks), "
              f"{found['bytes_mb']} MB ({found['over_database']}x the database in chunks, {found['other_files_mb']} MB else), "
              f"largest {found['largest_file_mb']} MB, in {found['static_s']} s", flush=True)
        for kind, page in found["pages"].items():
            print(f"  {kind:13s} {page['bytes'] / 1e6:6.2f} MB in {page['requests']:4d} requests "
                  f"(database {page['database_bytes'] / 1e6:5.2f} MB), first paint {page['first_paint_ms']} ms, "
                  f"data on the page {page['ready_ms']} ms" + (f"  ERROR {page['error']}" if "error" in page else ""), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
