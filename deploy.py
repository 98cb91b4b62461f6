"""Put the site online: a container bundle, a static copy, or a real publish.

    python deploy.py bundle  --db data/ogi.db --out dist/bundle [--app NAME]
    python deploy.py static  --db data/ogi.db --out dist/static [--live-url URL]
    python deploy.py publish fly|cloudrun --db data/ogi.db [--app NAME]

`bundle` and `publish` go through `datasette publish` (datasette-publish-fly, and
Datasette's own Cloud Run publisher) with the project's metadata, templates and
plugins. The plugins folder they carry also holds the `parsers` package (the
search plugin imports it) and the pinned requirements, which the generated
Dockerfile installs with `-r … -c constraints.txt`, so a deployment runs the
versions the tests ran, not whatever `pip install -U` finds that day.

`static` renders the site in-process with the same Datasette and writes plain
files: no link in them needs a server. Links to views that do (sorting,
facets, further pages, search, SQL) go to the live site, or are dropped when
there is none.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import posixpath
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from datasette.utils import tilde_decode, tilde_encode

import serving
from serving import SETTINGS, setting_options  # the settings every way of serving uses

ROOT = Path(__file__).resolve().parent
DATABASE = "ogi"
# What a deployment installs: the project's pins, every transitive version fixed.
PIP_INSTALL = "-r plugins/requirements.txt -c plugins/constraints.txt"

PROVIDERS = {
    # provider: (its CLI, how to install it, command that succeeds only when logged in, how to log in)
    "fly": ("flyctl", "https://fly.io/docs/flyctl/install/", ["flyctl", "auth", "whoami"], "flyctl auth login"),
    "cloudrun": ("gcloud", "https://cloud.google.com/sdk/docs/install",
                 ["gcloud", "auth", "print-access-token", "--quiet"], "gcloud auth login && gcloud config set project PROJECT"),
}


class DeployError(Exception):
    """A problem the user can fix; printed without a traceback."""


# --- bundle and publish -------------------------------------------------------------------

def stage_plugins(into: Path) -> Path:
    """The plugins folder a deployment carries: our plugins, the pins, and the project itself as
    a wheel (the search plugin imports parsers.search), listed with the requirements."""
    plugins = into / "plugins"
    shutil.copytree(ROOT / "plugins", plugins, ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(plugins), str(ROOT)], check=True, cwd=into)
    wheel = next(plugins.glob("ogi_reports-*.whl")).name
    shutil.copy(ROOT / "constraints.txt", plugins / "constraints.txt")
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    (plugins / "requirements.txt").write_text(requirements + f"plugins/{wheel}\n", encoding="utf-8")
    return plugins


def publish_arguments(db: Path, plugins: Path) -> list[str]:
    """Arguments every `datasette publish PROVIDER` here shares."""
    arguments = [str(db), "--metadata", str(ROOT / "metadata.yml"),
                 "--template-dir", str(ROOT / "templates"), "--plugins-dir", str(plugins),
                 f"--install={PIP_INSTALL}", "--version-note", version_note()]
    return arguments + [f"--extra-options={' '.join(setting_options())}"]


def version_note() -> str:
    result = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout.strip() or "unversioned"


def datasette_command() -> list[str]:
    return [sys.executable, "-m", "datasette"]


def bundle(db: Path, out: Path, app: str) -> Path:
    """A deployable container bundle (Dockerfile, fly.toml, database, site files) in `out`."""
    _require_database(db)
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as staging:
        plugins = stage_plugins(Path(staging))
        command = datasette_command() + ["publish", "fly", *publish_arguments(db, plugins),
                                         "--app", app, "--generate-dir", str(out)]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise DeployError("datasette publish fly --generate-dir failed:\n" + result.stderr + result.stdout)
    return out


def publish(provider: str, db: Path, app: str) -> None:
    """The real `datasette publish PROVIDER`, once its CLI is installed and logged in."""
    if provider not in PROVIDERS:
        raise DeployError(f"unknown provider {provider!r}: choose one of {', '.join(PROVIDERS)}")
    cli, install_from, logged_in_check, login = PROVIDERS[provider]
    if shutil.which(cli) is None:
        raise DeployError(f"`datasette publish {provider}` needs the {cli} command, which is not installed.\n"
                          f"Install it ({install_from}), log in with `{login}`, then run make publish again.\n"
                          f"Or deploy the container bundle from `make bundle` to any host (see README).")
    if subprocess.run(logged_in_check, capture_output=True).returncode:
        raise DeployError(f"{cli} is installed but not logged in: run `{login}`, then make publish again.")
    _require_database(db)
    name_option = ["--app", app] if provider == "fly" else ["--service", app]
    with tempfile.TemporaryDirectory() as staging:
        plugins = stage_plugins(Path(staging))
        command = datasette_command() + ["publish", provider, *publish_arguments(db, plugins), *name_option]
        if subprocess.run(command, cwd=ROOT).returncode:
            raise DeployError(f"datasette publish {provider} failed (its output is above)")


def _require_database(db: Path) -> None:
    if not db.is_file():
        raise DeployError(f"{db} does not exist: run `make build` first")


# --- static copy ---------------------------------------------------------------------------

STATIC_NOTE = ("这是静态副本：全文搜索、筛选、排序和自定义 SQL 需要在线站点{live}，或在本机运行"
               "（下载 <a href=\"{db}\">{db_name}</a>，或克隆项目后 <code>make serve</code>）。"
               " This is a static copy: search, filters and SQL need the live site or a local copy.")


@dataclass
class StaticSite:
    """Pages to write, by URL path, and the files they become."""
    out: Path
    live_url: str
    files: dict[str, str] = field(default_factory=dict)     # URL path -> file under out
    json_pages: dict[str, str] = field(default_factory=dict)  # URL path of a page -> its JSON URL


def load_metadata() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))


def page_paths(db: Path, metadata: dict) -> tuple[list[str], dict[str, str]]:
    """The static site's pages: home, about, database, first page of each table, each canned query,
    each report, each agency and each place."""
    database = metadata["databases"][DATABASE]
    conn = sqlite3.connect(db)
    try:
        tables = [name for (name,) in conn.execute(
            "select name from sqlite_master where type in ('table', 'view') and name not like '%_fts%'"
            " and name not like 'sqlite_%' order by name")
            if not database.get("tables", {}).get(name, {}).get("hidden")]
        report_ids = [row[0] for row in conn.execute("select id from reports order by id")]
        agency_keys = [row[0] for row in conn.execute("select agency_key from agencies order by agency_key")]
        places = conn.execute("select distinct province, coalesce(city, county) from reports "
                              "where province is not null order by 1, 2").fetchall()
    finally:
        conn.close()
    listings = [f"/{DATABASE}/{quote(name)}" for name in tables + list(database.get("queries", {}))]
    place_pages = sorted({f"/place/{tilde_encode(p)}" for p, _ in places}
                         | {f"/place/{tilde_encode(p)}/{tilde_encode(c)}" for p, c in places if c})
    pages = (["/", "/about", "/place", "/compare", f"/{DATABASE}"] + listings + [f"/report/{tilde_encode(i)}" for i in report_ids]
             + [f"/agency/{tilde_encode(k)}" for k in agency_keys] + place_pages)
    return pages, {path: path + ".json?_shape=array" for path in listings}


def file_for(path: str) -> str:
    """Where the page at URL `path` is written: / -> index.html, /report/x -> report/x.html."""
    if path == "/":
        return "index.html"
    return "/".join(tilde_decode(part) for part in unquote(path).split("/")).lstrip("/") + ".html"


def static(db: Path, out: Path, live_url: str = "") -> StaticSite:
    _require_database(db)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    site = StaticSite(out=out, live_url=live_url.rstrip("/"))
    metadata = load_metadata()
    pages, json_pages = page_paths(db, metadata)
    site.files = {path: file_for(path) for path in pages}
    site.files[f"/{DATABASE}.db"] = f"{DATABASE}.db"
    for page, json_url in json_pages.items():
        site.files[urlsplit(json_url).path] = unquote(urlsplit(json_url).path).lstrip("/")
    shutil.copy(db, out / f"{DATABASE}.db")
    if serving.current_download(db):  # the compressed download the home page offers
        site.files[f"/{DATABASE}.db.gz"] = f"{DATABASE}.db.gz"
        shutil.copy(serving.current_download(db), out / f"{DATABASE}.db.gz")
    asyncio.run(_render(site, db, metadata, pages, json_pages))
    return site


async def _render(site: StaticSite, db: Path, metadata: dict, pages: list[str], json_pages: dict[str, str]) -> None:
    from datasette.app import Datasette

    inspect = json.loads(subprocess.run(datasette_command() + ["inspect", str(db)], capture_output=True,
                                        text=True, check=True).stdout)
    ds = Datasette(immutables=[str(db)], inspect_data=inspect, metadata=metadata,
                   template_dir=str(ROOT / "templates"), plugins_dir=str(ROOT / "plugins"),
                   settings={name: _setting(value) for name, value in SETTINGS.items()})
    assets: set[str] = set()
    for path in pages:
        response = await ds.client.get(path)
        if response.status_code != 200:
            raise DeployError(f"{path} answered {response.status_code}: {response.text[:300]}")
        html, found = rewrite_page(response.text, path, site)
        assets |= found
        _write(site.out / site.files[path], html.encode("utf-8"))
    for json_url in json_pages.values():
        _write(site.out / site.files[urlsplit(json_url).path], await _json_file(ds, json_url))
    for asset in sorted(assets):
        response = await ds.client.get(asset)
        if response.status_code != 200:
            raise DeployError(f"static file {asset} answered {response.status_code}")
        _write(site.out / unquote(asset).lstrip("/"), response.content)


async def _json_file(ds, json_url: str) -> bytes:
    """A table's or query's JSON as the static copy holds it: its rows as a list (datasette-vega
    reads that) when it is all there; when it is only the first page, an object that says so."""
    response = await ds.client.get(json_url.replace("_shape=array", "_shape=objects"))
    found = response.json()
    rows = found.get("rows", [])
    total = found.get("filtered_table_rows_count")
    if not (found.get("next") or found.get("truncated")):
        return json.dumps(rows, ensure_ascii=False).encode("utf-8")
    return json.dumps({"complete": False, "rows_in_this_file": len(rows), "rows_in_table": total,
                       "note": "这是第一页；完整数据见 ogi.db 或在线站点 Only the first page: see ogi.db for all rows",
                       "full_data": "ogi.db", "rows": rows}, ensure_ascii=False).encode("utf-8")


def _setting(value: str):
    return int(value) if value.isdigit() else (False if value == "off" else value)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)


ASSET_PREFIXES = ("/-/static/", "/-/static-plugins/")


def rewrite_page(html: str, path: str, site: StaticSite) -> tuple[str, set[str]]:
    """Links made relative to files that exist; server-only links sent to the live site or dropped.

    Returns the page and the static assets (CSS, JS) it refers to.
    """
    import lxml.html

    tree = lxml.html.document_fromstring(html)
    here = site.files[path]
    assets: set[str] = set()
    for element, attribute in [(e, "href") for e in tree.iter("a", "link")] + [(e, "src") for e in tree.iter("script", "img")]:
        value = element.get(attribute)
        if value is None or value.startswith(("#", "mailto:", "data:", "javascript:")):
            continue
        target = urlsplit(value)
        if target.netloc and target.netloc != "localhost":
            continue  # another site (Datasette writes its own absolute URLs with the in-process host)
        url_path = posixpath.normpath(posixpath.join(posixpath.dirname(path) if not path.endswith("/") else path,
                                                     target.path)) if target.path else path
        if target.path.endswith("/") and url_path != "/":
            url_path += "/"
        url_path = _as_report_page(url_path)
        if url_path.startswith(ASSET_PREFIXES):
            assets.add(url_path)
            local = unquote(url_path).lstrip("/")
        elif url_path in site.files and (not target.query or url_path.startswith("/report/")
                                         or target.query == "_shape=array"):
            local = site.files[url_path]
            # The report page marks ?start=&end= itself (see the report template's script).
        else:
            _send_to_live_site(element, attribute, url_path + (f"?{target.query}" if target.query else "")
                               + (f"#{target.fragment}" if target.fragment else ""), site)
            continue
        relative = posixpath.relpath(local, posixpath.dirname(here) or ".")
        element.set(attribute, quote(relative) + (f"?{target.query}" if target.query else "")
                    + (f"#{target.fragment}" if target.fragment else ""))
    _replace_forms(tree, here, site)
    _add_banner(tree, here, site)
    # Datasette names the charset in its HTTP header; a file on a static host has only itself.
    charset = tree.makeelement("meta", {"charset": "utf-8"})
    tree.head.insert(0, charset)
    return lxml.html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>"), assets


def _as_report_page(url_path: str) -> str:
    """A report's row page is shown, in the static copy, as its report page."""
    prefix = f"/{DATABASE}/reports/"
    if url_path.startswith(prefix) and "/" not in url_path[len(prefix):] and "." not in url_path[len(prefix):]:
        return "/report/" + url_path[len(prefix):]
    return url_path


def _send_to_live_site(element, attribute: str, url: str, site: StaticSite) -> None:
    if site.live_url:
        element.set(attribute, site.live_url + url)
    elif element.tag == "a":
        element.drop_tag()  # keep the words, lose the link
    else:
        element.drop_tree()


def _note(here: str, site: StaticSite):
    import lxml.html

    db = posixpath.relpath(f"{DATABASE}.db", posixpath.dirname(here) or ".")
    live = f"（<a href=\"{site.live_url}/\">{site.live_url}</a>）" if site.live_url else ""
    return lxml.html.fragment_fromstring(
        STATIC_NOTE.format(live=live, db=quote(db), db_name=f"{DATABASE}.db"), create_parent="p")


def _replace_forms(tree, here: str, site: StaticSite) -> None:
    """A form asks the server something: in the static copy it becomes the note."""
    for form in list(tree.iter("form")):
        note = _note(here, site)
        note.set("class", "static-note")
        form.getparent().replace(form, note)


def _add_banner(tree, here: str, site: StaticSite) -> None:
    banner = _note(here, site)
    banner.set("class", "static-banner")
    banner.set("style", "background:#fff7d6;border:1px solid #e6c200;padding:0.5em 1em;margin:0")
    tree.body.insert(0, banner)


# --- command line -------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("bundle", "static", "publish"):
        command = commands.add_parser(name)
        if name == "publish":
            command.add_argument("provider", help="fly or cloudrun")
        command.add_argument("--db", type=Path, default=ROOT / "data" / f"{DATABASE}.db")
        command.add_argument("--app", default="ogi-reports", help="app (Fly) or service (Cloud Run) name")
        if name != "publish":
            command.add_argument("--out", type=Path, default=ROOT / "dist" / name)
        command.add_argument("--live-url", default="", help="the live site, for what a static copy cannot do")
    args = parser.parse_args(argv)
    try:
        if args.command == "bundle":
            print(f"bundle written to {bundle(args.db, args.out, args.app)}")
        elif args.command == "static":
            site = static(args.db, args.out, args.live_url)
            print(f"static site written to {site.out}: {len(site.files)} files and their assets")
        else:
            publish(args.provider, args.db, args.app)
    except DeployError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
