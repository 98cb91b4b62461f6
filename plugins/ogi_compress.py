"""Pages, JSON, CSV and the site's scripts go out gzipped to a client that accepts it: a table
page's scripts are about 0.9 MB as written and a quarter of that gzipped.

The compression is asgi-gzip's (Starlette's middleware, as datasette-gzip uses it), outermost of
the site's wrappers (trylast): the page cache keeps pages as Datasette made them and the guard
counts and neutralises the bytes as written. It adds `Vary: Accept-Encoding`. What is compressed
already or is a download of the database is passed on as it is: compressing a database of
hundreds of megabytes for each visitor would cost a core for minutes (its .gz is ready beside it).
"""

from __future__ import annotations

from asgi_gzip import GZipMiddleware
from datasette import hookimpl

MINIMUM_BYTES = 500  # smaller responses gain nothing
LEVEL = 6  # zlib's default: within a few per cent of 9's size, at about a third of its time
AS_THEY_ARE = (".db", ".gz", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".zip")


def compressible(path: str) -> bool:
    """Whether a response to this path is worth compressing (not a database, not a compressed file)."""
    return not path.lower().endswith(AS_THEY_ARE)


@hookimpl(trylast=True)
def asgi_wrapper(datasette):
    def wrap(app):
        gzipped = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=LEVEL)

        async def compress(scope, receive, send):
            if scope.get("type") == "http" and compressible(scope.get("path", "")):
                return await gzipped(scope, receive, send)
            return await app(scope, receive, send)
        return compress
    return wrap
