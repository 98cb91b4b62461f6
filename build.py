"""Build the OGI Reports database from a folder of reports.

    python build.py [--db data/ogi.db] [--jobs N] [--executor processes|dask] [--full] [PATH ...]

Every file under the given paths (default: reports/) becomes one row in
`reports` and its figures rows in the other tables (see SCHEMA.md). Parsing
is done by `parsers` (pure functions of each file's bytes), in parallel, on
local processes or on a Dask cluster; this script walks the files, sends them
out, and is the one writer of the database.

- A full build writes a new file and moves it into place only when finished.
- When the database exists and was built by the same parsers, the build is
  incremental: only files whose bytes (or id, or given metadata) changed are
  parsed again, deleted files lose their rows, and the result is the same as a
  full build. The update is one transaction: it is there whole or not at all.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import csv
import dataclasses
import errno
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import stat
import sys
import traceback
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import store
from parsers import pipeline
from parsers.batch import Job, Parsed, limit_worker_memory, parse_file
from parsers.model import Issue
from parsers.decode import MAX_BYTES, format_of, sha256
from store import BOOKKEEPING, DERIVED, FTS, TABLES, issue_row as issue, report_id  # noqa: F401  (schema for tests)
from store import NothingBuilt  # no file could be read: the previous database is left as it was

ROOT = Path(__file__).resolve().parent
# Exit codes: built; no report could be read; bad arguments (argparse's); an internal error.
EXIT_BUILT, EXIT_NOTHING_READ, EXIT_BAD_ARGUMENTS, EXIT_INTERNAL_ERROR = 0, 1, 2, 3


def find_files(paths: list[Path]) -> tuple[list[tuple[str, str]], list[dict]]:
    """(file, path under its corpus folder) for every file, sorted, skipping hidden ones, and
    what could not be walked: unreadable folders, links that loop, dangle or leave the corpus
    (never followed: a link must not publish a file from elsewhere on the machine)."""
    found, problems = [], []
    for root in paths:
        if root.is_file():
            name, note = readable_name(root.name)
            found.append((str(root), name))
            problems += [issue(name, None, "warning", note)] if note else []
            continue
        inside = root.resolve()

        def cannot_read(error: OSError, root=root) -> None:
            where = Path(error.filename).relative_to(root).as_posix() if error.filename else str(root)
            problems.append(issue(readable_name(where)[0], None, "error",
                                  f"the folder cannot be read ({error.strerror}); its files were not built"))

        _walk(root, "", inside, found, problems, cannot_read)
    return found, problems


def _walk(root: Path, prefix: str, inside: Path, found: list, problems: list, cannot_read) -> None:
    """One folder's files and then its folders', in name order (os.scandir: the kind of each entry
    comes with its name, without a stat per file, which counts at 100,000 files). A file is its
    path as a string: making 100,000 Path objects took longer than the walk."""
    folder = root / prefix if prefix else root
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as error:
        return cannot_read(error)
    folders = []
    for entry in entries:
        relative, note = readable_name(prefix + entry.name)
        if entry.name.startswith("."):
            continue
        if entry.is_symlink():
            if os.path.isdir(entry.path):  # (follows the link; False where it loops) a folder: not walked
                problems.append(issue(relative, None, "warning", "a link to a folder; not followed"))
                continue
            if not os.path.exists(entry.path):
                problems.append(issue(relative, None, "error", "a link that leads nowhere (or loops); not read"))
                continue
            if not Path(entry.path).resolve().is_relative_to(inside):
                problems.append(issue(relative, None, "error", "a link to a file outside the corpus; not read"))
                continue
        elif entry.is_dir(follow_symlinks=False):
            folders.append(entry.name)
            continue
        found.append((entry.path, relative))
        problems += [issue(relative, None, "warning", note)] if note else []
    for name in folders:
        _walk(root, f"{prefix}{name}/", inside, found, problems, cannot_read)


def has_files(root: Path) -> bool:
    """Whether find_files has anything to find: the first file that is not hidden will do."""
    if root.is_file():
        return True
    for _, folders, names in os.walk(root):
        folders[:] = [name for name in folders if not name.startswith(".")]
        if any(not name.startswith(".") for name in names):
            return True
    return False


def readable_name(path: str) -> tuple[str, str | None]:
    """A path as text that can be stored: bytes that are not UTF-8 in a file name become U+FFFD."""
    try:
        path.encode("utf-8")
        return path, None
    except UnicodeEncodeError:
        shown = path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        return shown, "the file name is not valid UTF-8; it is shown with U+FFFD for the bytes that are not"


SIDECAR = ".meta.json"  # NAME.meta.json beside NAME.pdf
MANIFEST = "manifest.csv"  # one row per report file: path, source_url, agency, year, title, published_date
SIDECAR_LIMIT = 1024 * 1024  # a sidecar larger than this is not metadata (a manifest may be 50 MB)


def is_manifest(path: str) -> bool:
    return path.endswith(MANIFEST) and path.rsplit("/", 1)[-1] == MANIFEST


def is_sidecar(path: str) -> bool:
    return path.endswith(SIDECAR) or is_manifest(path)


FILE_KINDS = {stat.S_IFIFO: "a FIFO", stat.S_IFCHR: "a character device", stat.S_IFBLK: "a block device",
              stat.S_IFSOCK: "a socket", stat.S_IFDIR: "a folder"}


def _read(file: str | Path, limit: int = MAX_BYTES) -> bytes:
    """A corpus file's bytes, checked before they are read: a regular file only (a FIFO would
    hang the build, a device never end), at most `limit` bytes by its size and by what is
    actually read (a sparse file says 3 GB and holds none). Raises OSError with the reason."""
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK)  # (a FIFO opened without O_NONBLOCK waits for a writer)
    try:
        found = os.fstat(fd)
        if not stat.S_ISREG(found.st_mode):
            raise OSError(errno.EINVAL, f"{FILE_KINDS.get(stat.S_IFMT(found.st_mode), 'not a regular file')}, "
                                        "not a file; not read")
        if found.st_size > limit:
            raise OSError(errno.EFBIG, f"{found.st_size // 2**20} MB, over the {limit // 2**20} MB limit; not read")
        with os.fdopen(os.dup(fd), "rb") as f:
            data = f.read(limit + 1)
        if len(data) > limit:
            raise OSError(errno.EFBIG, f"it grew past the {limit // 2**20} MB limit while it was read; not read")
        return data
    finally:
        os.close(fd)


def load_given(files: list[tuple[str, str]]) -> tuple[dict[str, tuple[dict, str]], list[dict]]:
    """Metadata given from outside the reports: (values, where from) per report path."""
    given: dict[str, tuple[dict, str]] = {}
    problems = []
    sidecars = [(file, path) for file, path in files if is_sidecar(path)]
    if not sidecars:
        return given, problems
    reports_by_stem: dict[str, list[str]] = {}  # x.pdf is found as x and as x.pdf
    for _, path in files:
        if not is_sidecar(path):
            for stem in {path, store.EXTENSION.sub("", path)}:
                reports_by_stem.setdefault(stem, []).append(path)
    for file, path in sidecars:
        if is_manifest(path):
            folder = path[: -len(MANIFEST)]
            try:
                rows = list(csv.DictReader(io.StringIO(_read(file).decode("utf-8-sig"), newline="")))
            except (OSError, UnicodeDecodeError, csv.Error) as e:
                problems.append(issue(path, None, "warning", f"the manifest cannot be read "
                                                             f"({getattr(e, 'strerror', None) or e}); ignored"))
                continue
            for line, row in enumerate(rows, start=2):
                if row.pop(None, None) is not None:  # (DictReader's place for fields past the header's)
                    problems.append(issue(path, None, "warning", f"line {line} has more fields than the header; "
                                                                 "the extra ones are ignored"))
                if isinstance(row.get("path"), str) and row["path"].strip():
                    fields = {k: v for k, v in row.items() if k != "path" and v is not None}
                    values, dropped = pipeline.checked_given(fields)
                    problems += [issue(path, None, "warning", f"line {line}: {d}") for d in dropped]
                    given[folder + row["path"].strip()] = (values, path)
    for file, path in sidecars:
        if path.endswith(SIDECAR):
            try:
                values = json.loads(_read(file, SIDECAR_LIMIT).decode("utf-8-sig"))
                if not isinstance(values, dict):
                    raise ValueError("it is not a JSON object")
            except (OSError, UnicodeDecodeError, ValueError, RecursionError) as e:
                why = getattr(e, "strerror", None) or ("it is nested too deep" if isinstance(e, RecursionError) else e)
                problems.append(issue(path, None, "warning", f"the sidecar cannot be read ({why}); ignored"))
                continue
            values, dropped = pipeline.checked_given(values)
            problems += [issue(path, None, "warning", d) for d in dropped]
            for report_path in reports_by_stem.get(path[: -len(SIDECAR)], []):
                given[report_path] = (values, path)  # a sidecar beats the manifest
    return given, problems


def assign_ids(files: list[tuple[str, str]]) -> tuple[dict[str, str], list[dict]]:
    """Report id per path, unique: files that would share an id keep their extension in it, and
    any that still clash (x/y.txt and x--y.txt) get -2, -3… in path order, with a warning."""
    by_id: dict[str, list[str]] = {}
    for _, path in files:
        by_id.setdefault(report_id(path), []).append(path)
    ids, issues = {}, []
    for rid, paths in by_id.items():
        for path in paths:
            ids[path] = rid if len(paths) == 1 else report_id(path.replace(".", "-"))
        if len(paths) > 1:
            issues.append(issue(paths[0], None, "warning", f"{', '.join(paths)} would share the id {rid!r}; "
                                                             "their ids keep the file extension"))
    taken: set[str] = set()
    for path in sorted(ids):
        rid, n = ids[path], 1
        while ids[path] in taken:
            n += 1
            ids[path] = f"{rid}-{n}"
        if n > 1:
            issues.append(issue(path, None, "warning", f"its id {rid!r} is another file's; it is {ids[path]!r}"))
        taken.add(ids[path])
    return ids, issues


# --- what is there to build ------------------------------------------------------------

class FileState(NamedTuple):  # (a tuple: a frozen dataclass is slow to make 100,000 times)
    """What decides a file's rows. A file whose state is unchanged keeps its rows."""
    sha256: str
    report_id: str  # assigned id ("" when the file is not a report)
    given: str  # metadata from sidecars, as JSON ("" when none)
    duplicate_of: str  # the first file with the same bytes ("" when none)


@dataclass
class Plan:
    states: dict[str, FileState] = field(default_factory=dict)
    given: dict[str, tuple[dict, str]] = field(default_factory=dict)
    issues: dict[str, list[dict]] = field(default_factory=dict)  # found before parsing, by source_path
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)


def plan(files: list[tuple[str, str]], known: dict[str, tuple[int, int, str]]) -> Plan:
    """Each file's state. `known` holds (size, mtime_ns, sha256) from the last build: a file
    with the same size and modification time is not read again (as git does)."""
    given, problems = load_given(files)
    sidecars = {path for _, path in files if is_sidecar(path)}
    formats = {path: format_of(path) for _, path in files}
    reports = [(file, path) for file, path in files if path not in sidecars]
    ids, id_issues = assign_ids(reports)
    result = Plan(given=given)
    for row in problems + id_issues:
        result.issues.setdefault(row["source_path"], []).append(row)
    digests: dict[str, str] = {}
    to_read = []  # new and changed files: the others keep the digest the last build recorded
    stats: dict[str, os.stat_result] = {}
    for file, path in files:
        try:
            stats[path] = found = os.stat(file)
        except OSError as e:  # permission denied, vanished while walking
            result.stats[path], digests[path] = (0, 0), f"unreadable: {e.strerror}"
            continue
        result.stats[path] = seen = (found.st_size, found.st_mtime_ns)
        old = known.get(path)
        if old and old[:2] == seen:
            digests[path] = old[2]
        else:
            to_read.append((file, path))
    # A hard link whose other names are not in the corpus is a file from elsewhere on the machine
    # (as a symbolic link out of the corpus is): not read, never published.
    names_here = collections.Counter((found.st_dev, found.st_ino) for found in stats.values())
    for path, found in stats.items():
        if found.st_nlink > names_here[(found.st_dev, found.st_ino)] and stat.S_ISREG(found.st_mode):
            digests[path] = "unreadable: a hard link to a file outside the corpus; not read"
    to_read = [(file, path) for file, path in to_read if path not in digests]

    def digest(file: str) -> str:
        try:
            return sha256(_read(file))
        except OSError as e:
            return f"unreadable: {e.strerror}"

    # threads: reading and hashing let go of the interpreter, and a full build hashes every file
    # (in parts: a thread pool makes a future per item, which costs more than hashing a small file)
    parts = [to_read[i:i + 500] for i in range(0, len(to_read), 500)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for part, found in zip(parts, pool.map(lambda part: [digest(file) for file, _ in part], parts)):
            digests.update(zip((path for _, path in part), found))
    for path, found in digests.items():
        if found.startswith("unreadable: "):
            problem = found.removeprefix("unreadable: ")
            result.issues.setdefault(path, []).append(issue(path, None, "error", f"cannot be read ({problem})"))
    # The same bytes read the same way give the same report, kept under the name that looks
    # original (not 副本, copy, (1)); an empty file is an error each time.
    copies: dict[tuple, list[str]] = {}
    for _, path in files:
        if path not in sidecars and formats[path] and result.stats[path][0]:
            copies.setdefault((digests[path], formats[path]), []).append(path)
    original = {}
    for group in copies.values():
        first = group[0] if len(group) == 1 else min(group, key=lambda p: (looks_like_a_copy(p), len(p), p))
        original.update(dict.fromkeys(group, first))
    for _, path in files:
        if path in sidecars or formats[path] is None or digests[path].startswith("unreadable"):
            result.states[path] = FileState(digests[path], "", "", "")
            continue
        values, origin = given.get(path, ({}, ""))
        given_json = json.dumps([values, origin], ensure_ascii=False, sort_keys=True) if values else ""
        duplicate_of = original.get(path, path)
        result.states[path] = FileState(digests[path], ids[path], given_json, "" if duplicate_of == path else duplicate_of)
    return result


COPY_MARK = re.compile(r"(副本|拷贝|备份|copy|\(\d+\)|（\d+）|[-_ ]\d$|_bak|\.bak)", re.I)


def looks_like_a_copy(path: str) -> bool:
    return bool(COPY_MARK.search(re.sub(r"\.[^./]+$", "", path.rsplit("/", 1)[-1])))


# What else decides what the parsers read: the packages that read the formats and hold the
# reference data (divisions, traditional characters), and the converters for legacy Word.
READING_PACKAGES = ("charset-normalizer", "cpca", "opencc-python-reimplemented", "lxml", "cssselect", "pdfplumber",
                    "pdfminer.six", "pypdfium2", "python-docx", "PyYAML", "datasketch")
CONVERTERS = ("antiword", "soffice", "libreoffice")


def parser_version() -> str:
    """A digest of the parsers' code and data, of the store package (the tables and how rows are made and
    packed), the versions of the packages they read with, and which converters are installed: a
    change in any means every file is parsed again and the database made anew (a .doc that
    failed before antiword was installed is read once it is)."""
    digest = hashlib.sha256()
    for file in [*sorted((ROOT / "parsers").rglob("*")), *sorted((ROOT / "store").glob("*.py"))]:
        if file.is_file() and file.suffix in (".py", ".yml", ".json"):
            digest.update(file.relative_to(ROOT).as_posix().encode() + b"\0" + file.read_bytes())
    for package in READING_PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{package}=={importlib.metadata.version(package)}\0".encode())
    for converter in CONVERTERS:
        digest.update(f"{converter}:{bool(shutil.which(converter))}\0".encode())
    return digest.hexdigest()[:16]


# --- running the parsers ----------------------------------------------------------------

class InlineExecutor:
    """--jobs 1: parse in this process (simplest to debug and profile)."""

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


@contextlib.contextmanager
def executor(kind: str, jobs: int, scheduler: str | None):
    """Something with submit(fn, arg) -> future: a process pool or a Dask client."""
    if kind == "dask":
        from dask.distributed import Client, LocalCluster

        cluster = None if scheduler else LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                                      dashboard_address=None)
        client = Client(scheduler or cluster)
        try:
            yield _DaskSubmitter(client)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    elif jobs == 1:
        yield InlineExecutor()
    else:
        pool = Workers(jobs)
        try:
            yield pool
        finally:
            pool.shutdown()


class Workers:
    """A process pool that is replaced when one of its processes dies (a file that crashes the
    parser's process, or the kernel's OOM killer): the build goes on with a new one."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.jobs, initializer=limit_worker_memory)

    def submit(self, fn, *args):
        try:
            return self.pool.submit(fn, *args)
        except BrokenProcessPool:
            self.renew()
            return self.pool.submit(fn, *args)

    def renew(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = self._new()

    def shutdown(self) -> None:
        self.pool.shutdown()


@dataclass
class _DaskSubmitter:
    client: object

    def submit(self, fn, *args):
        return self.client.submit(fn, *args, pure=False)  # not hashing the files' bytes


def parse_in_workers(pool, work: list[tuple[Job, str]], workers: int, chunk: int = 32):
    """Rows for each job, in order, at most a few chunks in flight: memory stays flat.
    A file's bytes are read when its task is sent, and kept only by the task."""
    in_flight: collections.deque = collections.deque()
    for start in range(0, len(work), chunk):
        batch = [_with_bytes(job, file) for job, file in work[start:start + chunk]]
        in_flight.append((pool.submit(rows_of_chunk, batch), batch))
        while len(in_flight) > 3 * workers:
            yield from _rows(pool, *in_flight.popleft())
    while in_flight:
        yield from _rows(pool, *in_flight.popleft())


def _rows(pool, future, batch: list[Job]) -> list[dict[str, list[dict]]]:
    """A chunk's rows; when its process died, each of its files again in a process of its own,
    so the one that kills its process is recorded and the others are built."""
    try:
        return future.result()
    except BrokenProcessPool:
        if isinstance(pool, Workers):
            pool.renew()
        return [_alone(job) for job in batch]


def _alone(job: Job) -> dict[str, list[dict]]:
    try:
        with ProcessPoolExecutor(max_workers=1, initializer=limit_worker_memory) as single:
            return single.submit(rows_of_chunk, [job]).result()[0]
    except BrokenProcessPool:
        return store.parsed_rows(Parsed(job.path, job.report_id, None, Issue(
            "error", "not read: the process parsing it died (out of memory, or a crash in a reader)")))


def rows_of_chunk(jobs: list[Job]) -> list[dict[str, list[dict]]]:
    """The task a worker runs: parse the files, and turn each parsed report into its rows there,
    packed as far as they can be without the database (the rows are the store's business, but
    making them is work the workers can share)."""
    # each file's rows right after its parse, while what the parse folded is still cached
    return [store.prepack(store.parsed_rows(parse_file(job))) for job in jobs]


def _with_bytes(job: Job, file: str) -> Job:
    try:
        return dataclasses.replace(job, data=_read(file))
    except OSError as e:  # gone or locked since it was planned
        return dataclasses.replace(job, unreadable=e.strerror or str(e))


# --- the build ----------------------------------------------------------------------------

@dataclass
class Result:
    mode: str  # full or incremental
    parsed: int
    removed: int
    unchanged: int
    reports: int


def build(paths: list[Path], db_path: Path, jobs: int = 1, kind: str = "processes", scheduler: str | None = None,
          full: bool = False, progress: bool = False) -> Result:
    """Build the database at db_path. The file at db_path is never written: a new file is built
    beside it (from a copy of it, updated, when it can be reused) and moved into place whole, so
    a server reading db_path sees the old database or the new one. One build at a time per db_path."""
    with store.starting(db_path, parser_version(), full) as start:
        known = start.known or {}
        files, walk_issues = find_files(paths)
        planned = plan(files, {path: (row["size"], row["mtime_ns"], row["sha256"]) for path, row in known.items()})
        for row in walk_issues:
            planned.issues.setdefault(row["source_path"], []).append(row)
        todo = [(file, path) for file, path in files if _state(known.get(path)) != planned.states[path]]
        removed = [path for path in known if path not in planned.states]
        gone = removed + [path for _, path in todo if path in known]  # their rows are removed first
        # Problems with files that are not among the files to build (unreadable folders, links) are
        # recorded afresh by every build.
        unwalked = [row for row in walk_issues if row["source_path"] not in planned.states]
        changed = ({known[path]["report_id"] for path in gone if known[path]["report_id"]}
                   | {planned.states[path].report_id for _, path in todo if planned.states[path].report_id})
        with start.building(changed) as session:
            for path in gone:
                session.forget(path, known[path]["report_id"])
            session.forget_unwalked()
            session.add({"build_issues": unwalked})
            _write_files(session.writer, planned, todo, jobs, kind, scheduler, progress)
    return Result("incremental" if start.known is not None else "full", len(todo), len(removed),
                  len(files) - len(todo), session.reports)


def _state(row: dict | None) -> FileState | None:
    """A file's state as the last build recorded it in build_files."""
    if row is None:
        return None
    return FileState(row["sha256"], row["report_id"] or "", row["given"] or "", row["duplicate_of"] or "")


def _write_files(writer: store.Writer, planned: Plan, todo: list[tuple[str, str]], jobs: int, kind: str,
                 scheduler: str | None, progress: bool) -> None:
    """Parse what needs parsing, on the executor, and write every file's rows as they come back."""
    from tqdm import tqdm

    work: list[tuple[Job, str]] = []
    records: list[tuple[dict, list]] = []  # each parsed file's build_files row and issues, in work's order
    for file, path in todo:
        state = planned.states[path]
        size, mtime_ns = planned.stats[path]
        record = {"path": path, "size": size, "mtime_ns": mtime_ns, "sha256": state.sha256,
                  "report_id": state.report_id or None, "given": state.given or None,
                  "duplicate_of": state.duplicate_of or None}
        issues = planned.issues.get(path, [])
        if state.sha256.startswith("unreadable"):
            writer.add({"build_files": [record], "build_issues": issues})
        elif is_sidecar(path):
            writer.add({"build_files": [record], "build_issues": issues})
        elif format_of(path) is None:
            writer.add({"build_files": [record], "build_issues": issues + [
                issue(path, None, "warning", "not a report format this build reads; skipped")]})
        elif state.duplicate_of:
            writer.add({"build_files": [record], "build_issues": issues + [
                issue(path, None, "warning", f"the same file as {state.duplicate_of}; skipped")]})
        else:
            values, origin = planned.given.get(path, ({}, ""))
            work.append((Job(path, state.report_id, b"", values, origin), file))
            records.append((record, issues))
    with executor(kind, jobs, scheduler) as pool, \
            tqdm(total=len(work), unit="file", disable=not progress, smoothing=0.05) as bar:
        for (record, issues), tables in zip(records, parse_in_workers(pool, work, jobs)):
            writer.add({"build_files": [record], **tables, "build_issues": issues + tables.get("build_issues", [])})
            bar.update()


def summary(db_path: Path, result: Result) -> str:
    counts = store.counts(db_path)
    lines = [f"{counts['reports']} reports ({result.mode} build: {result.parsed} files parsed, "
             f"{result.unchanged} unchanged, {result.removed} removed)"]
    lines += [f"  {n:5d}  {doc_type} / {template}" for doc_type, template, n in counts["kinds"]]
    lines.append(f"annual reports read: {', '.join(f'{n} {reading}' for reading, n in counts['readings']) or 'none'}")
    lines.append(f"{counts['metrics']} metrics, {counts['outcomes']} application outcome cells, "
                 f"{counts['review']} review/litigation cells")
    lines.append(f"{counts['checks']} checks, {counts['failed']} failed")
    errors = counts["errors"]
    lines.append(f"{counts['issues']} build issues ({len(errors)} errors, {counts['warnings']} warnings)")
    lines += [f"  error: {m}" for m in errors[:20]] + ([f"  … and {len(errors) - 20} more"] if len(errors) > 20 else [])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[Path("reports")],
                        help="files or folders of reports (default: reports/)")
    parser.add_argument("--db", type=Path, default=Path("data/ogi.db"), help="database to write (default: data/ogi.db)")
    parser.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                        help="parsers running at once (default: all cores; 1 parses in this process)")
    parser.add_argument("--executor", choices=["processes", "dask"], default="processes",
                        help="where files are parsed: local processes, or a Dask cluster")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786); "
                                            "without it --executor dask starts a local cluster of --jobs workers")
    parser.add_argument("--full", action="store_true", help="parse every file again, not only changed ones")
    parser.add_argument("--progress", choices=["auto", "on", "off"], default="auto",
                        help="progress bar (auto: when writing to a terminal)")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        parser.error(f"no such file or folder: {', '.join(missing)}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    if not any(map(has_files, args.paths)):
        parser.error(f"no files under {', '.join(map(str, args.paths))}")
    args.db.parent.mkdir(parents=True, exist_ok=True)
    progress = sys.stderr.isatty() if args.progress == "auto" else args.progress == "on"
    try:
        result = build(args.paths, args.db, args.jobs, args.executor, args.scheduler, args.full, progress)
    except NothingBuilt:
        print(f"no report could be read from {', '.join(map(str, args.paths))}; {args.db} was left as it was",
              file=sys.stderr)
        return EXIT_NOTHING_READ
    except Exception:  # a bug, a full disk: the old database stays, the traceback goes to a log
        log = args.db.with_name(args.db.name + ".build-error.log")
        log.write_text(traceback.format_exc(), encoding="utf-8")
        print(f"the build failed with an internal error; {args.db} was left as it was. Details: {log}",
              file=sys.stderr)
        return EXIT_INTERNAL_ERROR
    print(summary(args.db, result))
    print(f"wrote {args.db}")
    return EXIT_BUILT


if __name__ == "__main__":
    sys.exit(main())
