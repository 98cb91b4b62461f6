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
import codecs
import contextlib
import csv
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
from datasette.utils import tilde_decode

MAX_VALUE_BYTES = 2 * 1024 * 1024  # a 100-page report's text is a few hundred KB
GENERATORS = {"zeroblob", "randomblob", "printf", "format"}
QUERY_MEMORY = 256 * 1024 * 1024
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
CUSTOM_SQL_AT_ONCE = 1
CUSTOM_SQL_WAIT = 10  # seconds a custom query may wait for its turn before a 503
MAX_PARAMETERS = 100  # query-string parameters a page takes (the compare form sends about 20)
MAX_FACETS = 10  # _facet parameters a page takes
PRIVATE_PATHS = ("/-/threads", "/-/databases", "/-/messages", "/-/actor", "/-/permissions", "/-/allow-debug",
                 "/-/patterns", "/-/auth-token", "/-/create-token", "/-/logout", "/-/api")
HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
                                 b"style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
                                 b"object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
]


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


def _too_much_asked(scope) -> str | None:
    """Why a query string asks for more than a page can give: Datasette parses the query string
    again for each parameter (3,000 took 24 s of one core), and computes each _facet asked for
    (the same one 3,000 times ran 18 minutes)."""
    query = scope.get("query_string", b"")
    if query.count(b"&") + 1 > MAX_PARAMETERS:
        return f"A page takes at most {MAX_PARAMETERS} parameters."
    facets = sum(len(v) for k, v in parse_qs(query.decode("latin-1")).items() if k.startswith("_facet"))
    if facets > MAX_FACETS:
        return f"A page shows at most {MAX_FACETS} facets."
    return None


def _refuse(status: int, message: str, scope) -> tuple[dict, dict]:
    wants_json = scope["path"].endswith(".json")
    body = (json.dumps({"ok": False, "error": message, "status": status}, ensure_ascii=False) if wants_json
            else f"<!DOCTYPE html><meta charset=utf-8><title>{status}</title><p>{html.escape(message)}</p>").encode("utf-8")
    kind = b"application/json; charset=utf-8" if wants_json else b"text/html; charset=utf-8"
    return ({"type": "http.response.start", "status": status, "headers": [(b"content-type", kind)] + HEADERS},
            {"type": "http.response.body", "body": body})


FORMULA = re.compile(r"[=+\-@\t\r]")
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
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for row in csv.reader(io.StringIO(text[:end], newline="")):
            writer.writerow([neutralised(cell) for cell in row])
        return (head + out.getvalue()).encode("utf-8")


def _last_record_end(text: str) -> int:
    """Where the last complete record of `text` ends: after its last line break outside quotes."""
    quoted, end = False, 0
    for position, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "\n" and not quoted:
            end = position + 1
    return end


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


@hookimpl
def asgi_wrapper(datasette):
    custom_sql = asyncio.Semaphore(CUSTOM_SQL_AT_ONCE)

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
                return await refuse(400, too_much)
            is_sql = _is_custom_sql(scope)
            if is_sql and b"_stream=" in scope.get("query_string", b""):
                return await refuse(400, "Results of custom SQL cannot be streamed; page through them with "
                                         "LIMIT and OFFSET, or stream a table (its .csv with _stream=1).")
            unknown = await _unknown_sort_column(datasette, scope)
            if unknown:
                return await refuse(400, f"There is no column {unknown!r} to sort by.")
            held = {}

            async def bounded_send(event):
                if event["type"] == "http.response.start":
                    headers = [h for h in event.get("headers", []) if h[0].lower() not in dict(HEADERS)]
                    if not _is_json(headers):  # CORS is for the JSON API: pages, CSV and files stay same-origin
                        headers = [h for h in headers if h[0].lower() != b"access-control-allow-origin"]
                    held["start"] = dict(event, headers=headers + HEADERS)
                    kind = next((v for k, v in headers if k.lower() == b"content-type"), b"")
                    if event.get("status") == 200 and (b"csv" in kind or path.endswith(".csv") and b"text/plain" in kind):
                        held["csv"] = CsvNeutraliser()
                        held["start"]["headers"] = [h for h in held["start"]["headers"] if h[0].lower() != b"content-length"]
                    return
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
                    await send({"type": "http.response.body", "body": TRUNCATED, "more_body": False})
                    raise ResponseTooLarge
                await send(event)

            if not is_sql:
                with contextlib.suppress(ResponseTooLarge):
                    await app(scope, receive, bounded_send)
                return
            try:
                await asyncio.wait_for(custom_sql.acquire(), CUSTOM_SQL_WAIT)
            except asyncio.TimeoutError:
                return await refuse(503, "Other custom SQL queries are running; try again in a few seconds.")
            try:
                with contextlib.suppress(ResponseTooLarge):
                    await app(scope, receive, bounded_send)
            finally:
                custom_sql.release()
        return guarded
    return wrap
