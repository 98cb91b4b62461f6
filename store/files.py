"""The files: the state file beside the database, the build lock, building beside the served
file (an uncached copy) and putting the new one in its place."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import mmap
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import sqlite_utils

from parsers import search

from .schema import STATE


def state_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".state")


def read_known(db_path: Path, version: str) -> dict[str, dict] | None:
    """The last build's build_files rows by path, or None when a full build is needed: no
    database or state file, another parser version, or a state file from another build."""
    if not db_path.exists() or not state_path(db_path).exists():
        return None
    db = None
    try:
        db = sqlite_utils.Database(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True))
        db.execute("attach database ? as state", [f"file:{state_path(db_path)}?mode=ro"])
        info = dict(db.execute("select key, value from build_info").fetchall())
        stamp = db.execute("select build_id from state.build_stamp").fetchone()
        if info.get("parser_version") != version or not stamp or stamp[0] != info.get("build_id"):
            return None
        columns = list(STATE["build_files"])
        return {row[0]: dict(zip(columns, row)) for row in db.execute("select * from state.build_files")}
    except sqlite3.DatabaseError:  # not a database, a damaged one, or tables missing: build anew
        return None
    finally:
        if db is not None:
            db.close()


# --- building beside the served file --------------------------------------------------------

@contextlib.contextmanager
def build_lock(db_path: Path):
    """One build at a time per database: a second waits for the first, saying so."""
    lock = db_path.with_name(db_path.name + ".lock")
    with open(lock, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"another build of {db_path} is running; waiting for it to finish", file=sys.stderr)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            for stale in db_path.parent.glob(db_path.name + "*.building-*"):  # left by a build that died
                stale.unlink(missing_ok=True)
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def can_update(db_path: Path) -> bool:
    """Whether there is a last build to update (read_known says whether it can be used)."""
    return db_path.exists() and state_path(db_path).exists()


def discard(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def building_files(db_path: Path, copy: bool) -> tuple[Path, Path]:
    """The new database and state files this build writes: copies of the current ones for an
    incremental update, else empty."""
    target = db_path.with_name(f"{db_path.name}.building-{os.getpid()}")
    state = db_path.with_name(f"{db_path.name}.state.building-{os.getpid()}")
    for path in (target, state):
        path.unlink(missing_ok=True)
    if copy:
        try:
            copy_uncached(db_path, target)
            shutil.copyfile(state_path(db_path), state)
        except BaseException:
            discard(target, state)
            raise
    return target, state


COPY_CHUNK = 8 << 20


def copy_uncached(source: Path, target: Path) -> None:
    """Copy a database file straight to the disk (O_DIRECT), not through the page cache: an update
    reads a few of the copy's pages and writes fewer, and a second gigabyte of cached pages
    only costs time (measured at 100,000 reports: 5 s, where this takes under 1 s). Where the file
    system cannot (tmpfs) or the size is not in whole pages, an ordinary copy."""
    size = source.stat().st_size
    if not hasattr(os, "O_DIRECT") or size % 4096:
        shutil.copyfile(source, target)
        return
    try:
        out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_DIRECT, 0o644)
    except OSError:
        shutil.copyfile(source, target)
        return
    buffer = mmap.mmap(-1, COPY_CHUNK)  # page-aligned, as O_DIRECT needs
    try:
        with open(source, "rb", buffering=0) as f:
            while n := f.readinto(buffer):
                os.write(out, memoryview(buffer)[:n])
    except OSError:
        os.close(out)
        out = -1
        shutil.copyfile(source, target)
    finally:
        buffer.close()
        if out >= 0:
            os.close(out)


def open_building(target: Path, state: Path) -> sqlite_utils.Database:
    db = sqlite_utils.Database(target)
    db.conn.create_function("bigram_document", 1, search.bigram_document, deterministic=True)
    db.execute("attach database ? as state", [str(state)])
    # Private files, deleted if the build fails: nothing to roll back to, no journal needed.
    for schema in ("main", "state"):
        db.conn.execute(f"PRAGMA {schema}.journal_mode = OFF")
        db.conn.execute(f"PRAGMA {schema}.synchronous = OFF")
    # Many tables and indexes grow at once: a page cache of 64 MB (not SQLite's 2 MB) keeps their
    # growing ends in memory instead of writing and reading them back.
    db.conn.execute("PRAGMA main.cache_size = -65536")
    return db


def stamp(db: sqlite_utils.Database) -> None:
    """The same mark in the database and its state file, derived from the files built (so the
    same corpus gives the same database): a state file from another build is not used."""
    digest = hashlib.sha256()
    for row in db.execute("select path, sha256, report_id, given, duplicate_of from state.build_files order by path"):
        digest.update(repr(row).encode())
    build_id = digest.hexdigest()[:16]
    db.execute("insert or replace into build_info (key, value) values ('build_id', ?)", [build_id])
    db.execute("create table if not exists state.build_stamp (build_id text)")
    db.execute("delete from state.build_stamp")
    db.execute("insert into state.build_stamp values (?)", [build_id])


def put_in_place(target: Path, state: Path, db_path: Path) -> None:
    """Move the new files into place, each in one rename (readers see the old file or the new)."""
    for path in (target, state):
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    os.replace(state, state_path(db_path))
    os.replace(target, db_path)


def forget_unwalked(db: sqlite_utils.Database) -> None:
    """Issues about paths that are not files of the corpus (folders, links): each build records them anew."""
    db.execute("delete from build_issues where source_path not in (select path from build_files)")
