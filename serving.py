"""How the site is served: the one place Datasette's options are written.

`make serve`, the deployment bundle and `datasette publish` (deploy.py), the benchmarks
(bench/bench.py) and the tests (tests/conftest.py) all serve with these, so what is tested
and measured is what is deployed.

    python serving.py options              # the options, for the Makefile
    python serving.py download data/ogi.db  # data/ogi.db.gz, the compressed download
"""

from __future__ import annotations

import gzip
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# A read-only public site: no suggested facets (slow on large tables), bounded SQL, cached pages.
SETTINGS = {"suggest_facets": "off", "sql_time_limit_ms": "3000", "default_cache_ttl": "600"}
CORS = True  # the JSON API is for scripts and notebooks anywhere


def setting_options() -> list[str]:
    return [part for name, value in SETTINGS.items() for part in ("--setting", name, value)]


def options(root: Path = ROOT, plugins: Path | None = None) -> list[str]:
    """Everything `datasette serve` needs besides the database and where to listen."""
    return (["-m", str(root / "metadata.yml"), "--template-dir", str(root / "templates"),
             "--plugins-dir", str(plugins or root / "plugins")] + setting_options() + (["--cors"] if CORS else []))


def serve_command(db: Path, inspect: Path | None, host: str, port: int) -> list[str]:
    """The `datasette serve` arguments for an immutable database (with its inspect file, if any)."""
    return (["serve", "-i", str(db)] + (["--inspect-file", str(inspect)] if inspect else [])
            + options() + ["-h", host, "-p", str(port)])


def download_path(db: Path) -> Path:
    return db.with_name(db.name + ".gz")


def write_download(db: Path) -> Path:
    """The database gzipped beside it (a third of the size or less), for people to download:
    written aside and renamed, so the site never offers half a file."""
    target = download_path(db)
    partial = target.with_name(target.name + ".partial")
    with open(db, "rb") as source, open(partial, "wb") as raw:
        with gzip.GzipFile(filename=db.name, mode="wb", fileobj=raw, compresslevel=6, mtime=0) as packed:
            shutil.copyfileobj(source, packed, 1 << 20)
    os.replace(partial, target)
    return target


def current_download(db: Path) -> Path | None:
    """The compressed download, if it was written from this database (not an older one)."""
    target = download_path(db)
    if target.is_file() and db.is_file() and target.stat().st_mtime_ns >= db.stat().st_mtime_ns:
        return target
    return None


if __name__ == "__main__":
    if sys.argv[1:] == ["options"]:
        print(" ".join(options(Path("."))))
    elif len(sys.argv) == 3 and sys.argv[1] == "download":
        print(f"wrote {write_download(Path(sys.argv[2]))}")
    else:
        sys.exit("usage: python serving.py options | download DB")
