"""Limits at the edge: what a connection may send before Datasette sees a request.

`datasette serve` starts uvicorn with no way to pass it options, and uvicorn's default parser
(httptools) takes a request head of any size at any speed: five connections each sending an
unterminated 50 MB header added 250 MB to the server, and one header streamed slowly held a
connection for as long as the client liked. Loaded with the site's plugins, this module gives
the `uvicorn.run` that `datasette serve` calls the site's limits (EDGE, below):

- h11 as the parser, with a request head of at most HEAD_BYTES: a longer one is a 400 as soon
  as that many bytes have arrived, whatever the client meant to send;
- a request (head and body) must arrive within REQUEST_SECONDS of its first byte, or of the
  connection's opening: a slow client is disconnected, never waited for;
- at most CONNECTIONS connections and requests at once (uvicorn answers 503 past them), idle
  keep-alive connections closed after 5 s, and a stop (SIGTERM) that waits 5 s for work in
  progress, not for ever.

The ASGI guard (ogi_guard) checks what is left in the request itself: parameters, facets,
URL length and number of headers.
"""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEAD_BYTES = 32 * 1024  # a page's URL and headers; the site sets no cookies
REQUEST_SECONDS = 10.0
CONNECTIONS = 256
RECEIVED = (h11.DONE, h11.MUST_CLOSE, h11.CLOSED, h11.ERROR)  # the client has nothing more to send


class EdgeProtocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request to arrive whole."""

    deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport):
        super().connection_made(transport)
        self._start_clock()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state in RECEIVED:
            self._stop_clock()
        elif self.deadline is None:  # the first bytes of the next request on a kept-alive connection
            self._start_clock()

    def connection_lost(self, exc):
        self._stop_clock()
        super().connection_lost(exc)

    def _start_clock(self):
        self.deadline = self.loop.call_later(REQUEST_SECONDS, self._too_slow)

    def _stop_clock(self):
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None

    def _too_slow(self):
        self.deadline = None
        if not self.transport.is_closing() and self.conn.their_state not in RECEIVED:
            self.transport.close()


EDGE = {"http": EdgeProtocol, "h11_max_incomplete_event_size": HEAD_BYTES, "limit_concurrency": CONNECTIONS,
        "timeout_keep_alive": 5, "timeout_graceful_shutdown": 5}


def with_edge_limits(run):
    """uvicorn.run with the site's limits (options the caller passes win)."""
    if getattr(run, "edge_limits", False):
        return run

    def run_with_limits(app, **options):
        return run(app, **{**EDGE, **options})
    run_with_limits.edge_limits = True
    return run_with_limits


# Datasette looks uvicorn.run up when it serves, after it has loaded the plugins.
uvicorn.run = with_edge_limits(uvicorn.run)
