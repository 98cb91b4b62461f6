"""A build's time with the database: from the lock and the copy of the served file to the new file put
in its place. build.py plans and feeds it; everything done to a database file happens here.

    with store.starting(db_path, version, full) as start:   # the lock; the copy begins
        ... walk and plan, with start.known ...
        with start.building(changed) as session:            # open, begin … finish, commit, swap
            ... session.forget(…), session.add(…), session.writer …
"""

from __future__ import annotations

import contextlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import sqlite_utils

from .derived import analyze, begin, finish
from .files import (build_lock, building_files, can_update, discard, forget_unwalked, open_building, put_in_place,
                    read_known)
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


@dataclass
class Start:
    db_path: Path
    version: str
    known: dict[str, dict] | None  # the last build's build_files rows by path; None: everything is built anew
    copying: Future  # (target, state): the served database copied beside it, or empty files

    def building(self, changed: set[str]):
        """The build's session, on the copy when the last build's files are reused, else on a new file."""
        target, state = self.copying.result()
        full = self.known is None
        if full and target.exists():  # copied, but the last build's files cannot be reused: start empty
            target, state = building_files(self.db_path, copy=False)
        return building(target, state, self.db_path, self.version, full, changed)


@contextlib.contextmanager
def starting(db_path: Path, version: str, full: bool):
    """One build at a time per db_path (the lock). An update starts from a copy of the served database,
    made in the background while the caller walks and plans the corpus: at 100,000 reports each takes
    seconds (the copy is the kernel's work, the walk ours). Whatever was not put in place is removed."""
    with build_lock(db_path), ThreadPoolExecutor(max_workers=1) as background:
        copying = background.submit(building_files, db_path, copy=not full and can_update(db_path))
        try:
            yield Start(db_path, version, None if full else read_known(db_path, version), copying)
        finally:
            with contextlib.suppress(Exception):
                discard(*copying.result())


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
