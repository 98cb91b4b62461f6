"""A public site that no URL can bring down.

- Every value a query makes or reads is at most MAX_VALUE_BYTES (SQLite's length limit:
  `zeroblob(1000000000)` is an error, not 1 GB in memory); the functions that only make
  large values out of nothing (zeroblob, randomblob, printf/format padding) are not
  available; and a query whose rows grow the server by more than QUERY_MEMORY is stopped
  like one that runs too long: a clear 400.
- Arbitrary SQL (`?sql=`) runs one request at a time, so a few slow visitors hold one of
  Datasette's SQL threads, never all of them: pages and canned queries stay fast. It cannot
  be streamed (`_stream=1` is for tables), and no response is larger than MAX_RESPONSE_BYTES.
- The server's own paths stay private: `pragma_database_list` shows no file names, and the
  debug pages that reveal internals (/-/threads, /-/databases, /-/messages…) are not served.
- Every response carries security headers, with a Content-Security-Policy the site's own
  scripts and charts satisfy (all served from this site).
"""

import asyncio
import base64
import codecs
import contextlib
import csv
import hashlib
import html
import io
import json
import os
import re
import sqlite3
import time
from urllib.parse import parse_qs

import datasette.database
from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import await_me_maybe, tilde_decode

MAX_VALUE_BYTES = 2 * 1024 * 1024  # a 100-page report's text is a few hundred KB
GENERATORS = {"zeroblob", "randomblob", "printf", "format"}
QUERY_MEMORY = 256 * 1024 * 1024
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
CUSTOM_SQL_AT_ONCE = 1
CUSTOM_SQL_WAIT = 10  # seconds a custom query may wait for its turn before a 503
MAX_PARAMETERS = 100  # query-string parameters a page takes (the compare form sends about 20)
MAX_FACETS = 10  # _facet parameters a page takes
MAX_URL_BYTES = 8192  # path and query string (the page cache keeps keys of up to 4 kB)
MAX_HEADERS = 64  # a browser sends about 15
PRIVATE_PATHS = ("/-/threads", "/-/databases", "/-/messages", "/-/actor", "/-/permissions", "/-/allow-debug",
                 "/-/patterns", "/-/auth-token", "/-/create-token", "/-/logout", "/-/api")
HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]
# Scripts run only from this site's files and the inline scripts its templates hold as they are
# (by hash: an injected <script> runs nowhere). Vega's expressions are interpreted on the pages
# this site draws charts on (plugins/static/charts.js), but datasette-vega's chart tool on table
# and query pages bundles a Vega that compiles them with Function: only there 'unsafe-eval'.
POLICY = ("default-src 'self'; script-src 'self' {scripts}; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
INLINE_SCRIPT = re.compile(r"<script(?P<attributes>[^>]*)>(?P<code>.*?)</script>", re.S)


def fixed_inline_scripts(source: str) -> list[str]:
    """The inline scripts of a template that hold no template markup: pages carry them as written.
    (Data goes in <script type="application/json"> blocks, which never run.)"""
    return [m["code"] for m in INLINE_SCRIPT.finditer(source)
            if "src=" not in m["attributes"] and "application/json" not in m["attributes"]
            and "{{" not in m["code"] and "{%" not in m["code"]]


def script_hash(code: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(code.encode("utf-8")).digest()).decode() + "'"


async def trusted_script_hashes(datasette) -> list[str]:
    """The hashes of the inline scripts the site's pages may carry: those of every template it
    serves (ours first, as Datasette finds them) and the body scripts of its plugins."""
    env = datasette.jinja_env
    scripts = [code for name in env.list_templates() for code in fixed_inline_scripts(env.loader.get_source(env, name)[0])]
    for script in pm.hook.extra_body_script(template=None, database=None, table=None, columns=None,
                                                      view_name=None, request=None, datasette=datasette):
        script = await await_me_maybe(script)
        scripts.append(script["script"] if isinstance(script, dict) else script)
    return sorted({script_hash(code) for code in scripts if code})


CHART_TOOL_VIEWS = ("table", "query")  # the pages datasette-vega's chart tool draws on


def _without_chart_tool(results: list) -> list:
    return [[url for url in urls if "datasette_vega" not in str(url)] if isinstance(urls, list) else urls
            for urls in results]


@hookimpl(hookwrapper=True)
def extra_js_urls(view_name):
    """datasette-vega's bundle only where its chart tool draws: elsewhere it is 900 kB for nothing,
    and its Vega asks for eval as it loads, which the policy of those pages refuses."""
    outcome = yield
    if view_name not in CHART_TOOL_VIEWS:
        outcome.force_result(_without_chart_tool(outcome.get_result()))


@hookimpl(hookwrapper=True)
def extra_css_urls(view_name):
    outcome = yield
    if view_name not in CHART_TOOL_VIEWS:
        outcome.force_result(_without_chart_tool(outcome.get_result()))


def content_security_policy(hashes: list[str], compiled_charts: bool) -> bytes:
    return POLICY.format(scripts=" ".join(hashes + (["'unsafe-eval'"] if compiled_charts else []))).encode()


def _authorize(action, arg1, arg2, database, trigger):
    # The file column of pragma_database_list reads as NULL: the server's paths are its own.
    if action == sqlite3.SQLITE_READ and arg1 == "pragma_database_list" and arg2 == "file":
        return sqlite3.SQLITE_IGNORE
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in GENERATORS:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


@hookimpl
def prepare_connection(conn):
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.set_authorizer(_authorize)


def _resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


MEMORY_CHECK_EVERY = 0.001  # seconds: the fastest a query can grow memory, a few MB a millisecond


@contextlib.contextmanager
def _time_and_memory_limit(conn, ms):
    """Datasette's sqlite_timelimit, which also stops a query whose rows grow the process by
    more than QUERY_MEMORY. The clock is read every 1,000 SQLite instructions (about 80
    microseconds of work); the resident size, a read of /proc that costs ten times more,
    at most once a millisecond: reading it each time made a page's facet queries 3x slower."""
    deadline = time.perf_counter() + ms / 1000
    ceiling = _resident_bytes() + QUERY_MEMORY if os.path.exists("/proc/self/statm") else None
    next_memory_check = 0.0

    def handler():
        nonlocal next_memory_check
        now = time.perf_counter()
        if now >= deadline:
            return 1
        if ceiling and now >= next_memory_check:
            next_memory_check = now + MEMORY_CHECK_EVERY
            if _resident_bytes() > ceiling:
                return 1
        return 0

    conn.set_progress_handler(handler, 1000 if ms > 20 else 1)
    try:
        yield
    finally:
        conn.set_progress_handler(None, 1000)


# Datasette applies its time limit through this function; the memory limit joins it there.
datasette.database.sqlite_timelimit = _time_and_memory_limit


def _is_custom_sql(scope) -> bool:
    """?sql=, and _where= (a fragment of SQL a table page runs: as costly as any query)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return "sql" in query or "_where" in query


def _too_much_asked(scope) -> tuple[int, str] | None:
    """Why a request asks for more than a page can give, with its status: Datasette parses the
    query string again for each parameter (3,000 took 24 s of one core), and computes each _facet
    asked for (the same one 3,000 times ran 18 minutes)."""
    query = scope.get("query_string", b"")
    if len(scope.get("headers", [])) > MAX_HEADERS:
        return 431, f"A request may carry at most {MAX_HEADERS} headers."
    if len(scope.get("raw_path") or scope["path"].encode()) + len(query) > MAX_URL_BYTES:
        return 414, f"A URL may be at most {MAX_URL_BYTES} bytes long."
    if query.count(b"&") + 1 > MAX_PARAMETERS:
        return 400, f"A page takes at most {MAX_PARAMETERS} parameters."
    facets = sum(len(v) for k, v in parse_qs(query.decode("latin-1")).items() if k.startswith("_facet"))
    if facets > MAX_FACETS:
        return 400, f"A page shows at most {MAX_FACETS} facets."
    return None


STRICT = content_security_policy([], False)  # the pages of refusals: no script at all


def _refuse(status: int, message: str, scope) -> tuple[dict, dict]:
    wants_json = scope["path"].endswith(".json")
    body = (json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False) if wants_json
            else f"<!DOCTYPE html><meta charset=utf-8><title>{status}</title><p>{html.escape(message)}</p>").encode("utf-8")
    kind = b"application/json; charset=utf-8" if wants_json else b"text/html; charset=utf-8"
    headers = [(b"content-type", kind), (b"content-security-policy", STRICT)] + HEADERS
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body})


FORMULA = re.compile(r"[=+\-@\t\r]")
MAY_BE_FORMULA = re.compile(r'(?:^|[,\n])"?[=+\-@\t\r]')  # a cell that may begin with one of them


def _may_hold_formula(text: str) -> bool:
    """Whether a cell of this CSV may begin with a formula's character. Most CSV holds none of
    them (but the \\r of its line breaks), which single-character searches tell at C speed: a
    regular expression over a 64 MB CSV of custom SQL held the event loop seconds."""
    if not any(char in text for char in "=+-@\t") and text.count("\r") == text.count("\r\n"):
        return False
    return MAY_BE_FORMULA.search(text) is not None


NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralised(cell: str) -> str:
    """A CSV cell a spreadsheet would run as a formula (=, +, -, @, tab, carriage return first),
    with a ' before it, the OWASP way; numbers such as -5 stay numbers."""
    return "'" + cell if FORMULA.match(cell) and not NUMBER.fullmatch(cell) else cell


class CsvNeutraliser:
    """Rewrites a CSV response as it streams: whole records only (a quoted field may hold line
    breaks), each cell neutralised."""

    def __init__(self):
        self.pending, self.started = "", False
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def feed(self, data: bytes, last: bool = False) -> bytes:
        text = self.pending + self.decoder.decode(data, final=last)
        head = ""
        if not self.started and text:
            self.started = True
            if text.startswith("\ufeff"):  # the byte-order mark of _bom=1 stays first
                head, text = "\ufeff", text[1:]
        end = len(text) if last else _last_record_end(text)
        self.pending = text[end:]
        if not _may_hold_formula(text[:end]):  # most CSV: passed on as it is, without parsing
            return (head + text[:end]).encode("utf-8")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv.reader(io.StringIO(text[:end], newline="")):
            writer.writerow([neutralised(cell) for cell in row])
        return (head + out.getvalue()).encode("utf-8")


def _last_record_end(text: str) -> int:
    """Where the last complete record of `text` ends: after its last line break outside quotes
    (one before which the quotes are even). Counted by str methods: a loop over 64 MB of CSV
    in Python held the server's event loop for seconds."""
    end = text.rfind("\n")
    while end >= 0 and text.count('"', 0, end) % 2:
        end = text.rfind("\n", 0, end)
    return end + 1


class ResponseTooLarge(Exception):
    """Raised into the app from send(): a streamed response past the cap stops being made."""


# The last line of a streamed response cut at the cap (a CSV's reader sees it as a last row).
TRUNCATED = f"\r\n# truncated at {MAX_RESPONSE_BYTES // 2**20} MB: ask for fewer rows\r\n".encode()


def _is_json(headers: list[tuple[bytes, bytes]]) -> bool:
    return any(k.lower() == b"content-type" and b"json" in v.lower() for k, v in headers)


async def _unknown_sort_column(datasette, scope) -> str | None:
    """A table page's _sort or _sort_desc naming no column of the table (Datasette answers 500)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    wanted = query.get("_sort", []) + query.get("_sort_desc", [])
    parts = scope["path"].strip("/").split("/")
    if not wanted or len(parts) != 2:
        return None
    database, table = tilde_decode(parts[0]), tilde_decode(re.sub(r"\.(json|csv)$", "", parts[1]))
    try:
        db = datasette.get_database(database)
    except KeyError:
        return None
    if not (await db.table_exists(table) or table in await db.view_names()):
        return None
    columns = set(await db.table_columns(table)) | {"rowid"}
    return next((column for column in wanted if column not in columns), None)


async def _until_the_client_leaves(app, scope, receive, send) -> None:
    """Makes the page; if its client disconnects first, the page's work is cancelled: a streamed
    CSV stops being made, and no further query of the page starts (one that is running ends at
    its time limit). uvicorn drops what is sent after a disconnect without a word, so a page
    went on being made for no one: 3,000 facets ran 18 minutes after the client had left."""
    inbox: asyncio.Queue = asyncio.Queue()

    async def listen():
        while (message := await receive())["type"] != "http.disconnect":
            await inbox.put(message)

    page = asyncio.ensure_future(app(scope, inbox.get, send))
    listener = asyncio.ensure_future(listen())
    try:
        await asyncio.wait({page, listener}, return_when=asyncio.FIRST_COMPLETED)
    finally:  # (also when the server stops: then the cancellation goes on up)
        listener.cancel()
        if not page.done():
            page.cancel()
    if not page.done():
        with contextlib.suppress(asyncio.CancelledError):
            await page
        return
    page.result()  # what went wrong in the page goes on up


@hookimpl
def asgi_wrapper(datasette):
    custom_sql = asyncio.Semaphore(CUSTOM_SQL_AT_ONCE)
    policies: dict[bool, bytes] = {}  # made on the first request: the templates and plugins are loaded by then

    async def policy_for(path: str) -> bytes:
        if not policies:
            hashes = await trusted_script_hashes(datasette)
            policies.update({False: content_security_policy(hashes, False), True: content_security_policy(hashes, True)})
        # a database's own pages (tables, rows, queries) are where datasette-vega draws
        return policies[tilde_decode(path.strip("/").split("/")[0].split(".")[0]) in datasette.databases]

    def wrap(app):
        async def guarded(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            path = scope["path"]

            async def refuse(status, message):
                for event in _refuse(status, message, scope):
                    await send(event)

            if path.startswith(PRIVATE_PATHS):
                return await refuse(404, "Not found")
            too_much = _too_much_asked(scope)
            if too_much:
                return await refuse(*too_much)
            is_sql = _is_custom_sql(scope)
            if is_sql and b"_stream=" in scope.get("query_string", b""):
                return await refuse(400, "Results of custom SQL cannot be streamed; page through them with "
                                         "LIMIT and OFFSET, or stream a table (its .csv with _stream=1).")
            unknown = await _unknown_sort_column(datasette, scope)
            if unknown:
                return await refuse(400, f"There is no column {unknown!r} to sort by.")
            held = {}
            security = [(b"content-security-policy", await policy_for(path))] + HEADERS

            async def bounded_send(event):
                if event["type"] == "http.response.start":
                    headers = [h for h in event.get("headers", []) if h[0].lower() not in dict(security)]
                    if not _is_json(headers):  # CORS is for the JSON API: pages, CSV and files stay same-origin
                        headers = [h for h in headers if h[0].lower() != b"access-control-allow-origin"]
                    held["start"] = dict(event, headers=headers + security)
                    kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    if event.get("status") == 200 and (b"csv" in kind or path.endswith(".csv") and b"text/plain" in kind):
                        held["csv"] = CsvNeutraliser()
                        held["start"]["headers"] = [h for h in held["start"]["headers"] if h[0].lower() != b"content-length"]
                    return
                if held.get("ended"):  # (Datasette catches the first ResponseTooLarge and writes it out)
                    raise ResponseTooLarge
                if event["type"] == "http.response.body" and "csv" in held:
                    event = dict(event, body=held["csv"].feed(event.get("body", b""), last=not event.get("more_body")))
                if "start" in held:
                    start = held.pop("start")
                    if not event.get("more_body") and len(event.get("body", b"")) > MAX_RESPONSE_BYTES:
                        return await refuse(400, f"The response would be larger than {MAX_RESPONSE_BYTES // 2**20} MB; "
                                                 "ask for fewer rows or shorter values.")
                    await send(start)
                held["sent"] = held.get("sent", 0) + len(event.get("body", b""))
                if held["sent"] > MAX_RESPONSE_BYTES:  # a streamed response: it ends here, and so does its work
                    held["ended"] = True
                    await send({"type": "http.response.body", "body": TRUNCATED, "more_body": False})
                    raise ResponseTooLarge
                await send(event)
                if event.get("more_body"):
                    # Datasette writes a CSV's rows without pausing: let other requests in between
                    # (a 64 MB CSV held every other page 2 s).
                    await asyncio.sleep(0)

            if not is_sql:
                with contextlib.suppress(ResponseTooLarge):
                    await _until_the_client_leaves(app, scope, receive, bounded_send)
                return
            try:
                await asyncio.wait_for(custom_sql.acquire(), CUSTOM_SQL_WAIT)
            except asyncio.TimeoutError:
                return await refuse(503, "Other custom SQL queries are running; try again in a few seconds.")
            try:
                with contextlib.suppress(ResponseTooLarge):
                    await _until_the_client_leaves(app, scope, receive, bounded_send)
            finally:
                custom_sql.release()
        return guarded
    return wrap
