"""A static file server that honours `Range` (one range, as browsers and sql.js-httpvfs ask), the
way GitHub Pages, Cloudflare Pages, S3 and nginx do; Python's http.server does not. It counts the
bytes it sends, so the benchmarks can say what a page cost. On 127.0.0.1 only.

    python -m tests.range_server DIRECTORY [PORT]
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import sys
import threading
from functools import partial
from pathlib import Path

RANGE = re.compile(r"bytes=(\d*)-(\d*)$")


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    counter: "Counter"

    def send_head(self):
        found = RANGE.match(self.headers.get("Range", "").strip())
        path = self.translate_path(self.path)
        if not found or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = found.groups()
        if first:
            start, end = int(first), min(int(last) if last else size - 1, size - 1)
        else:  # bytes=-N: the last N bytes
            start, end = max(0, size - int(last or 0)), size - 1
        if start > end or start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        data = open(path, "rb")
        data.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._remaining = end - start + 1
        return data

    def copyfile(self, source, outputfile):
        remaining = getattr(self, "_remaining", None)
        while remaining is None or remaining > 0:
            block = source.read(65536 if remaining is None else min(65536, remaining))
            if not block:
                break
            outputfile.write(block)
            self.counter.add(self.path, len(block))
            if remaining is not None:
                remaining -= len(block)
        self._remaining = None

    def end_headers(self):
        self.send_header("Accept-Ranges", "bytes")
        super().end_headers()

    def log_message(self, *args):  # quiet
        pass


class Counter:
    """Bytes sent and requests, since the last reset."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        with self.lock:
            self.bytes, self.requests = 0, []

    def add(self, path: str, n: int):
        with self.lock:
            self.bytes += n
            self.requests.append((path, n))


@contextlib.contextmanager
def serve(directory: Path, port: int = 0):
    """(base URL, Counter) of a server for `directory` on 127.0.0.1, stopped afterwards."""
    counter = Counter()
    handler = type("Handler", (RangeHandler,), {"counter": counter})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", counter
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    with serve(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 8002) as (base, _):
        print(f"serving {sys.argv[1]} at {base}")
        threading.Event().wait()
