"""Fetch annual reports from the agencies' own report columns (政府信息公开年报) into a folder
that build.py reads.

    .venv/bin/python harvest.py --out reports/harvested URL [URL ...]
    .venv/bin/python harvest.py --out reports/harvested --sites sites.csv

Polite by default (robots.txt, two requests at a time per host, a delay, a User-Agent with a
contact), incremental (a second run asks with conditional requests and writes nothing when
nothing changed), resumable (a killed run, started again, finishes the same), and every
failure is a line in the summary, never a crash. The crawl is Scrapy's (harvester/spider.py);
what sites look like is data (harvester/sites.yml). Exit codes: 0 every column was read;
1 some column could not be read at all (its list page failed); 2 bad arguments.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from datetime import date
from pathlib import Path

from harvester import pages, state
from harvester.spider import Column, ReportColumnSpider, crawl_settings

EXIT_HARVESTED, EXIT_COLUMN_FAILED, EXIT_BAD_ARGUMENTS = 0, 1, 2
# Politeness, overridable on the command line (or OGI_HARVEST_CONTACT for the contact).
POLITE = {"delay": 1.0, "per_host": 2, "concurrency": 32, "retries": 2, "timeout": 30.0, "max_list_pages": 50, "max_entries": 500,
          "contact": "https://github.com/ogi-reports (set OGI_HARVEST_CONTACT to your address)"}


def read_sites(path: Path) -> list[Column]:
    """Columns from a CSV with a `url` column (and agency, region_code; more are allowed)."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and "url" not in rows[0]:
        raise ValueError(f"{path} has no 'url' column")
    return [Column(row["url"].strip(), (row.get("agency") or "").strip() or None,
                   (row.get("region_code") or "").strip() or None)
            for row in rows if (row.get("url") or "").strip() and not row["url"].lstrip().startswith("#")]


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="*", help="report column URLs (list pages)")
    parser.add_argument("--sites", type=Path, help="a CSV of columns: url, agency, region_code")
    parser.add_argument("--out", type=Path, default=Path("reports/harvested"), help="where documents go")
    parser.add_argument("--profiles", type=Path, help="a YAML of per-host profiles added to harvester/sites.yml")
    parser.add_argument("--delay", type=float, default=POLITE["delay"], help="seconds between requests to a host")
    parser.add_argument("--per-host", type=int, default=POLITE["per_host"], help="concurrent requests per host")
    parser.add_argument("--concurrency", type=int, default=POLITE["concurrency"],
                        help="requests in flight over all hosts (on a shared queue: how many one machine takes)")
    parser.add_argument("--timeout", type=float, default=POLITE["timeout"], help="seconds before a request fails")
    parser.add_argument("--retries", type=int, default=POLITE["retries"], help="retries of a failed request")
    parser.add_argument("--max-list-pages", type=int, default=POLITE["max_list_pages"], help="list pages per column")
    parser.add_argument("--max-entries", type=int, default=POLITE["max_entries"], help="entries per column")
    parser.add_argument("--contact", default=os.environ.get("OGI_HARVEST_CONTACT", POLITE["contact"]),
                        help="a URL or e-mail address for the User-Agent, so site owners can reach you")
    parser.add_argument("--redis", help="share the crawl's queue with other machines (scrapy-redis), e.g. "
                                        "redis://host:6379/0")
    parser.add_argument("--job", default=date.today().isoformat(),
                        help="with --redis: the shared crawl's name (machines with the same name share it; "
                             "default today's date)")
    parser.add_argument("--log-level", default="WARNING", help="Scrapy's log level")
    args = parser.parse_args(argv)
    if not args.urls and not args.sites:
        parser.error("give column URLs or --sites FILE")
    if args.per_host < 1 or args.concurrency < 1 or args.delay < 0 or args.timeout <= 0:
        parser.error("--per-host and --concurrency must be at least 1, --delay at least 0, --timeout above 0")
    return args


def harvest(columns: list[Column], out: Path, polite: dict, profiles: Path | None = None,
            redis_url: str | None = None, job: str = "harvest", log_level: str = "WARNING") -> int:
    """Crawl the columns into `out`; the run's number in the state file."""
    from scrapy.crawler import CrawlerProcess

    settings = crawl_settings(str(out), polite, redis_url, job) | {"LOG_LEVEL": log_level}
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ReportColumnSpider)
    process.crawl(crawler, columns=columns, known=pages.knowledge(profiles), polite=polite,
                  shared_queue=bool(redis_url))
    process.start()
    db = state.open_state(state.state_path(out))
    run = db.execute("select max(id) from runs").fetchone()[0]
    db.close()
    return run


def report(out: Path, run: int, columns: list[Column], shared: bool = False) -> tuple[str, int]:
    """The summary of a run, per column, and the exit code. A column failed when its list page
    failed, or (alone, not on a shared queue where another machine may have read it) when
    nothing of it was read."""
    db = state.open_state(state.state_path(out))
    by_column = {row["column_url"]: row for row in state.run_summary(db, run)}
    db.close()
    lines, failed_columns = [], 0
    for column in columns:
        row = by_column.get(column.url) or {"lists": 0, "new": 0, "changed": 0, "unchanged": 0, "duplicate": 0,
                                            "failures": []}
        nothing = row["lists"] == 0 and not (row["new"] or row["changed"] or row["unchanged"] or row["duplicate"])
        if any(f["url"] == column.url for f in row["failures"]) or (nothing and not shared):
            failed_columns += 1
            status = "FAILED"
        else:
            status = "shared" if nothing else "ok"
        lines.append(f"{status:6} {column.url}  lists {row['lists']}, new {row['new']}, changed {row['changed']}, "
                     f"unchanged {row['unchanged']}, same as another URL {row['duplicate']}, "
                     f"failures {len(row['failures'])}")
        lines += [f"         {f['kind']}: {f['url']} ({f['detail']})" for f in row["failures"]]
    lines.append(f"{len(columns) - failed_columns} of {len(columns)} columns read; documents in {out}, "
                 f"state in {state.state_path(out)}")
    return "\n".join(lines), EXIT_COLUMN_FAILED if failed_columns else EXIT_HARVESTED


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        columns = [Column(url) for url in args.urls] + (read_sites(args.sites) if args.sites else [])
    except (OSError, ValueError, csv.Error) as e:
        print(f"harvest: {e}", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    bad = [c.url for c in columns if not pages.absolute(c.url, "http://x/") or not c.url.startswith(("http://", "https://"))]
    if bad or not columns:
        print(f"harvest: not http(s) column URLs: {', '.join(bad) or '(none given)'}", file=sys.stderr)
        return EXIT_BAD_ARGUMENTS
    polite = {"delay": args.delay, "per_host": args.per_host, "concurrency": args.concurrency, "retries": args.retries,
              "timeout": args.timeout,
              "max_list_pages": args.max_list_pages, "max_entries": args.max_entries, "contact": args.contact}
    run = harvest(columns, args.out, polite, args.profiles, args.redis, args.job, args.log_level)
    text, code = report(args.out, run, columns, shared=bool(args.redis))
    print(text)
    return code


if __name__ == "__main__":
    sys.exit(main())
