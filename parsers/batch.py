"""Files to rows, a chunk at a time: the unit of work a process pool or a Dask
worker runs. Pure: bytes and metadata in, plain rows out, no database."""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field

from . import parse_report, rows
from .decode import UnreadableFile


@dataclass
class Job:
    path: str  # under its corpus folder: what build_issues and reports.source_path name
    report_id: str
    data: bytes
    given: dict = field(default_factory=dict)  # metadata from a sidecar or manifest
    given_by: str = ""
    issues: list[dict] = field(default_factory=list)  # found before parsing (shared id…), stored with the file's rows


def issue(path: str, report_id: str | None, severity: str, message: str) -> dict:
    """A build_issues row; the message names the file, so it reads on its own."""
    return {"source_path": path, "report_id": report_id, "severity": severity, "message": f"{path}: {message}"}


def file_rows(job: Job) -> dict[str, list[dict]]:
    """The rows of every table for one file. A file that cannot be read is one build_issues row."""
    tables: dict[str, list[dict]] = {"build_issues": list(job.issues)}
    try:
        report = parse_report(job.path, job.data, job.given, job.given_by)
    except UnreadableFile as e:
        tables["build_issues"].append(issue(job.path, None, "error", f"cannot be read: {e}"))
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
