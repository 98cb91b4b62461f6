"""A build's session with the database: from opening the file built beside the served one to putting
it in place. build.py plans and feeds it; everything it does to the database happens here."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from .derived import analyze, begin, finish
from .files import discard, forget_unwalked, open_building, put_in_place
from .writer import Writer, forget


class NothingBuilt(Exception):
    """No file could be read: the previous database is left as it was."""


@dataclass
class Session:
    db: sqlite_utils.Database
    writer: Writer
    reports: int = 0  # in the finished database

    def forget(self, path: str, report_id: str | None) -> None:
        """A file's rows, before it is built again or because it is gone."""
        forget(self.db, path, report_id)

    def forget_unwalked(self) -> None:
        forget_unwalked(self.db)

    def add(self, rows: dict[str, list]) -> None:
        self.writer.add(rows)


@contextlib.contextmanager
def building(target: Path, state: Path, db_path: Path, version: str, full: bool, changed: set[str]):
    """`with building(…) as session:` writes into target (a new file, or a copy of the served one),
    then finishes it (indexes, checks across reports, aggregates), commits, analyzes and moves it to
    db_path. On any error, or when no report was built (NothingBuilt), it rolls back and removes
    target and state: the served database stays as it was."""
    db = open_building(target, state)
    session = Session(db, Writer(db))
    try:
        begin(db, full, changed)
        yield session
        session.writer.flush()
        session.reports = finish(db, session.writer, version, full)
        if session.reports == 0:
            raise NothingBuilt()
        db.conn.commit()
        analyze(db, full)
    except BaseException:
        with contextlib.suppress(Exception):
            db.conn.rollback()
        db.close()
        discard(target, state)
        raise
    db.close()
    put_in_place(target, state, db_path)
