"""The database: its tables, and how rows go in and come out again.

Everything that touches SQLite; build.py decides what to parse and calls these. Written with
sqlite-utils (schemas, indexes, ANALYZE) and plain executemany for the bulk inserts. One module
per concern:

- schema: the tables, their keys and indexes, the derived tables' sums, the packed storage;
- rows: a parsed report in the tables' terms;
- writer: the tables made, rows written in batches, a file's rows forgotten;
- derived: a build's begin and finish, what is computed over the whole database;
- files: the state file, the lock, building beside the served file and the swap;
- session: a build's time with the database, `with starting(…) as start:` (the lock, the copy) and
  `with start.building(changed) as session:`, from open to the file in its place.
"""

from .derived import (analyze, audits_across_reports, begin, counts, cross_year_checks, fill_aggregates, finish,
                      record_counts)
from .files import (build_lock, building_files, can_update, copy_uncached, discard, forget_unwalked, open_building,
                    put_in_place, read_known, stamp, state_path)
from .rows import EXTENSION, check_rows, issue_row, parsed_rows, report_id, report_rows
from .schema import (BOOKKEEPING, DERIVED, FTS, PACKED_TABLES, STATE, TABLES, WorkerPackedRows, packed, packed_columns,
                     prepack, view_sql)
from .session import NothingBuilt, Session, Start, building, starting
from .writer import CHANGED_REPORT_IDS, Writer, create_indexes, create_tables, forget

__all__ = ["NothingBuilt", "Session", "Start", "building", "starting", "BOOKKEEPING", "CHANGED_REPORT_IDS", "DERIVED", "EXTENSION", "FTS", "PACKED_TABLES", "STATE", "TABLES",
           "WorkerPackedRows", "Writer", "analyze", "audits_across_reports", "begin", "build_lock", "building_files",
           "can_update", "check_rows", "copy_uncached", "counts", "create_indexes", "create_tables", "cross_year_checks",
           "discard", "fill_aggregates", "finish", "forget", "forget_unwalked", "issue_row", "open_building", "packed",
           "packed_columns", "parsed_rows", "prepack", "put_in_place", "read_known", "record_counts", "report_id",
           "report_rows", "stamp", "state_path", "view_sql"]
