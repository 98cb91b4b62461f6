"""Files to rows, a chunk at a time: the unit of work a process pool or a Dask
worker runs. Pure: bytes and metadata in, plain rows out, no database."""

from __future__ import annotations

import contextlib
import signal
import threading
import traceback
from dataclasses import dataclass, field

from . import rows
from .pipeline import parse_report
from .decode import UnreadableFile


@dataclass
class Job:
    path: str  # under its corpus folder: what build_issues and reports.source_path name
    report_id: str
    data: bytes
    given: dict = field(default_factory=dict)  # metadata from a sidecar or manifest
    given_by: str = ""
    issues: list[dict] = field(default_factory=list)  # found before parsing (shared id…), stored with the file's rows
    unreadable: str | None = None  # why its bytes could not be read, when they could not


# A file gets this long to parse. A pathological file (a page of rowspan=200 colspan=50 cells,
# a PDF of ruled 100x100 grids) must not hold a worker for minutes.
SECONDS_PER_FILE = 60
# Each worker process may use this much memory (address space); past it the file fails, the worker lives.
WORKER_MEMORY = 3 * 1024 ** 3


class FileTimeout(BaseException):
    """Not an Exception: the readers' broad `except Exception` (damaged PDFs…) must not swallow it."""


@contextlib.contextmanager
def time_limit(seconds: float):
    """Raise FileTimeout in this thread after `seconds` (where signals can be used: a process's
    main thread on Unix; elsewhere, as on Dask's worker threads, no limit)."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise FileTimeout(f"took longer than {seconds:g} s to parse")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def limit_worker_memory(limit: int = WORKER_MEMORY) -> None:
    """For a process pool's workers: a file that needs more memory fails with MemoryError."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def issue(path: str, report_id: str | None, severity: str, message: str) -> dict:
    """A build_issues row; the message names the file, so it reads on its own."""
    return {"source_path": path, "report_id": report_id, "severity": severity, "message": f"{path}: {message}"}


def file_rows(job: Job) -> dict[str, list[dict]]:
    """The rows of every table for one file. A file that cannot be read is one build_issues row."""
    tables: dict[str, list[dict]] = {"build_issues": list(job.issues)}
    if job.unreadable:
        tables["build_issues"].append(issue(job.path, None, "error", f"cannot be read ({job.unreadable})"))
        return tables
    try:
        with time_limit(SECONDS_PER_FILE):
            report = parse_report(job.path, job.data, job.given, job.given_by)
    except UnreadableFile as e:
        tables["build_issues"].append(issue(job.path, None, "error", f"cannot be read: {e}"))
        return tables
    except FileTimeout as e:
        tables["build_issues"].append(issue(job.path, None, "error", f"not read: it {e}"))
        return tables
    except MemoryError:
        tables["build_issues"].append(issue(job.path, None, "error", "not read: it needs more memory than a file may use"))
        return tables
    except Exception as e:  # a parser bug must not cost the other reports
        traceback.print_exc()
        tables["build_issues"].append(issue(job.path, None, "error", f"the parser failed ({type(e).__name__}: {e})"))
        return tables
    for name, new_rows in rows.rows(job.report_id, report).items():
        if name == "build_issues":
            new_rows = [issue(job.path, r["report_id"], r["severity"], r["message"]) for r in new_rows]
        tables.setdefault(name, []).extend(new_rows)
    return tables


def parse_chunk(jobs: list[Job]) -> list[dict[str, list[dict]]]:
    """file_rows for several files: one task, so the per-task overhead is paid once per chunk."""
    return [file_rows(job) for job in jobs]
