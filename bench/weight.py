"""What each kind of page weighs over the wire: its HTML and the scripts and stylesheets it loads
from the site, as a browser that accepts gzip receives them and as one that does not.

    python -m bench.weight --db data/ogi.db      # prints a table, writes build/weight.json

`make bench` runs it on the bundled corpus's database (the page weight does not grow with the
corpus, the HTML of a table page only with its rows). The target for a report page is 150 kB.
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urljoin, urlsplit

import httpx
from datasette.utils import tilde_encode

from bench.load import wait_until_serving
from serving import serve_command

ROOT = Path(__file__).resolve().parent.parent
ASSET = re.compile(r'<script[^>]+src="(?P<script>[^"]+)"|<link[^>]+rel="stylesheet"[^>]+href="(?P<style>[^"]+)"'
                   r'|<link[^>]+href="(?P<style2>[^"]+)"[^>]+rel="stylesheet"')


def page_types(db: Path) -> dict[str, str]:
    """One page of each kind a reader opens."""
    conn = sqlite3.connect(db)
    report = conn.execute("select id from reports where template = 't2021' order by id limit 1").fetchone()[0]
    agency = conn.execute("select agency_key from agencies order by reports desc limit 1").fetchone()[0]
    conn.close()
    return {"home": "/", "report": f"/report/{tilde_encode(report)}", "agency": f"/agency/{tilde_encode(agency)}",
            "table": "/ogi/reports", "values": "/ogi/metrics?metric=admin_review_total",
            "search": f"/ogi/sections?_search={quote('复议')}", "query": "/ogi/reports_by_year",
            "compare": "/compare", "dashboard": "/-/dashboards/national-trends", "about": "/about"}


def transferred(client: httpx.Client, url: str, gzip: bool) -> int:
    """Bytes of the response body as sent (compressed when it was)."""
    headers = {"accept-encoding": "gzip" if gzip else "identity"}
    with client.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        return sum(len(chunk) for chunk in response.iter_raw())


def weigh(base: str, path: str, client: httpx.Client) -> dict:
    html = client.get(base + path, headers={"accept-encoding": "identity"}).text
    assets = sorted({urljoin(base + path, next(filter(None, m.groups()))) for m in ASSET.finditer(html)})
    assets = [url for url in assets if urlsplit(url).netloc == urlsplit(base).netloc]  # the site's own
    weights = {}
    for gzip in (False, True):
        weights["gzip" if gzip else "identity"] = (transferred(client, base + path, gzip)
                                                   + sum(transferred(client, url, gzip) for url in assets))
    return {"path": path, "assets": len(assets), "identity_kb": round(weights["identity"] / 1000, 1),
            "gzip_kb": round(weights["gzip"] / 1000, 1)}


def measure(db: Path) -> dict[str, dict]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "datasette", *serve_command(db, None, "127.0.0.1", port)],
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base)
        with httpx.Client(timeout=60) as client:
            return {kind: weigh(base, path, client) for kind, path in page_types(db).items()}
    finally:
        server.terminate()
        server.wait(timeout=20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "ogi.db")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "weight.json")
    args = parser.parse_args(argv)
    found = measure(args.db)
    print(f"{'page':10} {'assets':>6} {'identity kB':>12} {'gzip kB':>8}")
    for kind, figures in found.items():
        print(f"{kind:10} {figures['assets']:>6} {figures['identity_kb']:>12} {figures['gzip_kb']:>8}")
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(found, ensure_ascii=False, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
