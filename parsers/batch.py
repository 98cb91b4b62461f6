"""Files to parsed reports, a chunk at a time: the unit of work a process pool or a
Dask worker runs. Pure: bytes and metadata in, plain data (model.py) out; what the
database makes of it is the store package's business."""

from __future__ import annotations

import contextlib
import signal
import threading
import traceback
from dataclasses import dataclass, field

from .model import Issue, ParsedReport
from .pipeline import parse_report
from .decode import UnreadableFile


@dataclass
class Job:
    path: str  # under its corpus folder: what build_issues and reports.source_path name
    report_id: str
    data: bytes
    given: dict = field(default_factory=dict)  # metadata from a sidecar or manifest
    given_by: str = ""
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


@dataclass
class Parsed:
    """One file's outcome: its report, or why there is none."""

    path: str
    report_id: str
    report: ParsedReport | None
    problem: Issue | None = None  # the error that stopped it, when there is no report


def parse_file(job: Job) -> Parsed:
    """A file's report. A file that cannot be read, takes too long, needs too much memory or
    trips a parser bug is a Parsed with the problem and no report: it never stops the others."""
    def failed(message: str) -> Parsed:
        return Parsed(job.path, job.report_id, None, Issue("error", message))
    if job.unreadable:
        return failed(f"cannot be read ({job.unreadable})")
    try:
        with time_limit(SECONDS_PER_FILE):
            return Parsed(job.path, job.report_id, parse_report(job.path, job.data, job.given, job.given_by))
    except UnreadableFile as e:
        return failed(f"cannot be read: {e}")
    except FileTimeout as e:
        return failed(f"not read: it {e}")
    except MemoryError:
        return failed("not read: it needs more memory than a file may use")
    except Exception as e:  # a parser bug must not cost the other reports
        traceback.print_exc()
        return failed(f"the parser failed ({type(e).__name__}: {e})")

