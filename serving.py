"""How the site is served: the one place Datasette's options are written.

`make serve`, the deployment bundle and `datasette publish` (deploy.py), the benchmarks
(bench/bench.py) and the tests (tests/conftest.py) all serve with these, so what is tested
and measured is what is deployed.

    python serving.py options    # the options, for the Makefile
"""

from __future__ import annotations

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


if __name__ == "__main__":
    if sys.argv[1:] != ["options"]:
        sys.exit("usage: python serving.py options")
    print(" ".join(options(Path("."))))
