"""Parsers: one report file's bytes in, plain data out.

    read file -> text with offsets -> document (metadata, sections)
              -> tables and figures -> checks

`parse_report` (in `pipeline`) is a pure function of a file's path and bytes: no
database, no shared state, so files can be parsed in any order or in parallel.

Importing this package loads nothing else: the site's search plugin imports
`parsers.search` alone, without the readers, layouts and their dependencies.
"""


def __getattr__(name: str):
    if name in ("parse_report", "fill_metadata", "GIVEN_FIELDS"):
        from . import pipeline
        return getattr(pipeline, name)
    raise AttributeError(f"module 'parsers' has no attribute {name!r}")
