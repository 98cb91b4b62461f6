"""Local government-CMS-like sites on 127.0.0.x, for the harvester's benchmark and tests.

A `Site` is a table of paths to `Resource`s (a page, a file, an error, a redirect, a slow
answer) served by a threaded HTTP server that answers conditional requests (ETag,
Last-Modified -> 304) as government CMSs do, and counts what it was asked: requests and
answers per path, and the most requests it was serving at once.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAST_MODIFIED = "Mon, 15 Jan 2024 08:00:00 GMT"


@dataclass
class Resource:
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    location: str | None = None  # a redirect's target
    delay: float = 0.0  # seconds before answering
    last_modified: str = LAST_MODIFIED

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:16] + '"'


@dataclass
class Site:
    routes: dict[str, Resource] = field(default_factory=dict)
    robots: str = "User-agent: *\nDisallow:\n"
    latency: float = 0.0  # added to every answer
    dynamic: object = None  # path -> Resource | None, for pages made on demand (a calendar)
    requests: Counter = field(default_factory=Counter)  # path -> requests
    answers: Counter = field(default_factory=Counter)  # (path, status) -> count
    in_flight: int = 0
    most_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def resource(self, path: str) -> Resource | None:
        if path == "/robots.txt":
            return Resource(self.robots.encode(), "text/plain")
        found = self.routes.get(path) or self.routes.get(path.split("?")[0])
        return found or (self.dynamic(path) if self.dynamic else None)

    def documents_fetched(self) -> Counter:
        """Paths answered 200, robots.txt aside."""
        return Counter({p: n for (p, status), n in self.answers.items() if status == 200 and p != "/robots.txt"})


class _Handler(BaseHTTPRequestHandler):
    server_version = "TRS-WCM/7.0"
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802
        site: Site = self.server.site
        with site.lock:
            site.requests[self.path] += 1
            site.in_flight += 1
            site.most_in_flight = max(site.most_in_flight, site.in_flight)
        self.counted = True
        try:
            self._answer(site)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            self._done(site)

    def _done(self, site: Site) -> None:
        """No longer in flight: called before the answer is written, so that a client that has
        its answer and asks again is never counted twice (it did, now and then, on a busy machine)."""
        if self.counted:
            self.counted = False
            with site.lock:
                site.in_flight -= 1

    def _answer(self, site: Site) -> None:
        found = site.resource(self.path)
        time.sleep(site.latency + (found.delay if found else 0))
        self._done(site)
        if found is None:
            found = Resource("<html><body><h1>404 Not Found</h1></body></html>".encode(), status=404)
        status = found.status
        if status == 200 and (self.headers.get("If-None-Match") == found.etag or (
                not self.headers.get("If-None-Match") and self.headers.get("If-Modified-Since") == found.last_modified)):
            status = 304
        with site.lock:
            site.answers[(self.path, status)] += 1
        self.send_response(status)
        if found.location:
            self.send_header("Location", found.location)
        if status in (200, 304):
            self.send_header("ETag", found.etag)
            self.send_header("Last-Modified", found.last_modified)
        body = b"" if status == 304 else found.body
        self.send_header("Content-Type", found.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server:
    """A site served on one loopback address until stop()."""

    def __init__(self, site: Site, host: str = "127.0.0.1"):
        self.site = site
        self.httpd = ThreadingHTTPServer((host, 0), _Handler)
        self.httpd.daemon_threads = True
        self.httpd.site = site
        self.host, self.port = host, self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
