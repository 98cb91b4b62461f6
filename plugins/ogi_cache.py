"""Pages of an immutable database are the same until the next build: say so, and keep them.

Served immutable (`-i`, as `make serve` and every deployment serve it), the database cannot
change under the server, so a page is a function of its URL. This plugin

- gives every successful GET a weak `ETag` (the build's id, its parser version and the site's
  templates, metadata and plugins: whatever a page is made of) and `Cache-Control: public`,
  and answers `If-None-Match` with 304: a CDN or a browser in front serves repeat visits;
- keeps recent responses in memory (at most CACHE_BYTES, each at most ENTRY_BYTES, least
  recently used out first), so a crowd on the same pages costs each page once: requests for
  a page that is being built wait for it rather than build it again.

Requests with a Cookie or Authorization header (the only things a page varies by besides its
URL and host) are not cached, nor arbitrary SQL (`?sql=`: it may ask for random() or the time). `Cache-Control: no-cache` on a request makes the server build
the page again (the benchmarks measure the work that way). A mutable database turns it all off.

Each SQL connection keeps up to PAGE_CACHE of the database's pages (SQLite's default is 2 MB):
a search for a common word reads ten thousand reports' rows for the page and each of its facets,
and a larger cache serves the repeats from memory rather than from the file (about twice as fast).

At startup it also moves everything the server has loaded (Datasette, templates, metadata,
plugins) out of the garbage collector's sight (`gc.freeze()`): a full collection otherwise walks
those objects again and again, and a page that takes 30 ms took 130 ms now and then.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
from collections import OrderedDict
from pathlib import Path
from urllib.parse import parse_qs

from datasette import hookimpl

CACHE_BYTES = 64 * 1024 * 1024
PAGE_CACHE = 64 * 1024 * 1024  # per SQL connection (Datasette keeps one per SQL thread)
ENTRY_BYTES = 1024 * 1024
KEY_BYTES = 4096  # path, query string, Host and scheme together: a longer key is never kept
MAX_AGE = 600  # seconds a shared cache may serve a page without asking (Datasette's default_cache_ttl)
SITE = Path(__file__).resolve().parent.parent
SITE_FILES = ["metadata.yml", "templates", "plugins"]


def site_digest(root: Path = SITE) -> str:
    """A digest of the files pages are made of (templates, metadata, plugins)."""
    digest = hashlib.sha256()
    for name in SITE_FILES:
        path = root / name
        for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
            if file.is_file() and "__pycache__" not in file.parts:
                digest.update(file.relative_to(root).as_posix().encode() + b"\0" + file.read_bytes())
    return digest.hexdigest()


class Pages:
    """Responses by key, least recently used out first, within a byte budget that counts each
    entry whole: its key, headers and body (counting bodies alone, 300 requests with a unique
    1 MB Host header kept 294 MB)."""

    def __init__(self, budget: int = CACHE_BYTES):
        self.budget, self.size = budget, 0
        self.entries: OrderedDict[tuple, tuple[int, list, bytes, int]] = OrderedDict()

    def get(self, key: tuple):
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
        return entry[:3] if entry else None

    def put(self, key: tuple, status: int, headers: list, body: bytes) -> None:
        size = len(body) + sum(len(part or b"") for part in key) + sum(len(k) + len(v) for k, v in headers) + 200
        if size > ENTRY_BYTES or key in self.entries:
            return
        self.entries[key] = (status, headers, body, size)
        self.size += size
        while self.size > self.budget:
            _, (*_, old) = self.entries.popitem(last=False)
            self.size -= old


def _header(scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope.get("headers", []) if key.lower() == name), None)


def not_modified(if_none_match: bytes | None, tag: bytes) -> bool:
    """Whether If-None-Match names the page's tag (weakly, as RFC 9110 compares for it: W/"x" is "x")."""
    if not if_none_match:
        return False
    opaque = tag.removeprefix(b"W/")
    return if_none_match.strip() == b"*" or any(
        candidate.strip().removeprefix(b"W/") == opaque for candidate in if_none_match.split(b","))


def shared_request(scope) -> bool:
    """Whether the answer to this request may be shared: not for a Cookie or Authorization (the
    only things a page varies by besides its URL), nor for arbitrary SQL (random(), the time)."""
    private = _header(scope, b"cookie") or _header(scope, b"authorization")
    return not private and "sql" not in parse_qs(scope.get("query_string", b"").decode("latin-1"))


def page_key(scope) -> tuple | None:
    """What a page is kept under: path, query string, Host and scheme (next_url and the page's
    links are absolute, made from Host), or None when they are too long for anyone to share."""
    key = (scope["path"].encode(), scope.get("query_string", b""), _header(scope, b"host") or b"",
           (scope.get("scheme") or "").encode())
    return None if sum(map(len, key)) > KEY_BYTES else key


def shared_headers(status: int, headers: list, tag: bytes) -> tuple[list, bool]:
    """A response's headers as the cache sends them, and whether it may be kept: a 200 without a
    cookie gets the build's ETag (a download of the database keeps its own, its hash) and
    Cache-Control: public; anything else goes out without a Cache-Control of its own making."""
    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
    ok = status == 200 and not any(k.lower() == b"set-cookie" for k, _ in headers)
    if ok:
        if not any(k.lower() == b"etag" for k, _ in headers):
            headers.append((b"etag", tag))
        headers.append((b"cache-control", f"public, max-age={MAX_AGE}".encode()))
    return headers, ok


@hookimpl
def prepare_connection(conn):
    conn.execute(f"pragma cache_size = -{PAGE_CACHE // 1024}")


@hookimpl
def startup(datasette):
    async def inner():
        gc.collect()
        gc.freeze()  # what is loaded now lives as long as the server
    return inner


@hookimpl
def asgi_wrapper(datasette):
    pages = Pages()
    building: dict[tuple, asyncio.Event] = {}  # pages being built now, for those who ask meanwhile
    etag: list[bytes] = []  # computed on the first request: the database is open by then

    async def current_etag() -> bytes | None:
        if not etag:
            # Datasette's own _internal database (in memory) describes the others; it is not data
            databases = [db for name, db in datasette.databases.items() if name != "_internal"]
            if any(db.is_mutable for db in databases):
                etag.append(b"")
            else:
                info = {}
                for db in databases:
                    if "build_info" in await db.table_names():
                        info.update(dict((await db.execute("select key, value from build_info")).rows))
                digest = hashlib.sha256(repr((sorted(info.items()), site_digest())).encode()).hexdigest()[:20]
                # weak: the page gzipped (ogi_compress) or not is the same page (RFC 9110 8.8.3)
                etag.append(f'W/"{digest}"'.encode())
        return etag[0] or None

    def wrap(app):
        async def cached(scope, receive, send):
            if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
                return await app(scope, receive, send)
            tag = await current_etag()
            if tag is None or not shared_request(scope):
                return await app(scope, receive, send)
            if not_modified(_header(scope, b"if-none-match"), tag):
                await send({"type": "http.response.start", "status": 304,
                            "headers": [(b"etag", tag), (b"cache-control", f"public, max-age={MAX_AGE}".encode())]})
                return await send({"type": "http.response.body", "body": b""})
            key = page_key(scope)
            if key is None:
                return await app(scope, receive, send)
            fresh = b"no-cache" in (_header(scope, b"cache-control") or b"")
            if not fresh and key in building:
                await building[key].wait()
            found = None if fresh else pages.get(key)
            if found is not None:
                status, headers, body = found
                # (a copy: a wrapper outside, such as the gzip one, may change the list it is given)
                await send({"type": "http.response.start", "status": status, "headers": list(headers)})
                return await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

            held: dict = {"body": [], "keep": scope["method"] == "GET", "size": 0}

            async def keeping(event):
                if event["type"] == "http.response.start":
                    headers, ok = shared_headers(event["status"], event.get("headers", []), tag)
                    held.update(keep=held["keep"] and ok, status=event["status"], headers=list(headers))
                    event = dict(event, headers=headers)
                elif event["type"] == "http.response.body" and held["keep"]:
                    held["size"] += len(event.get("body", b""))
                    if held["size"] > ENTRY_BYTES:
                        held.update(keep=False, body=[])
                    else:
                        held["body"].append(event.get("body", b""))
                    if not event.get("more_body") and held["keep"]:
                        pages.put(key, held["status"], held["headers"], b"".join(held["body"]))
                await send(event)

            if fresh or key in building:
                return await app(scope, receive, keeping)
            building[key] = asyncio.Event()
            try:
                await app(scope, receive, keeping)
            finally:
                building.pop(key).set()

        return cached

    return wrap
