"""Writing: the tables made, rows added in batches (packed, numbered), a file's rows forgotten."""

from __future__ import annotations


import sqlite_utils


from .schema import (BOOKKEEPING, DERIVED, FTS, PACKED_TABLES, STATE, TABLES, WorkerPackedRows, compile_numbering, 
                     packed, packed_columns, packed_table_sql, prepack, view_sql)


class Writer:
    """Rows into the database in large batches (executemany: 3x faster than insert_all here).

    Rows come in the contract's terms (report_rows); the writer packs those of packed tables,
    numbering reports, sections and codes as it goes, and puts the search documents the
    workers made into the FTS indexes under those numbers."""

    # Rows holding a report's or a section's text are large: fewer of them to a batch.
    BATCH = {"reports": 200, "sections": 2000, "reports_fts": 200, "sections_fts": 2000}
    SEARCH = {"reports_fts": ["report_id", "document"], "sections_fts": ["report_id", "ordinal", "document"]}

    def __init__(self, db: sqlite_utils.Database, batch: int = 20000):
        self.db, self.batch = db, batch
        # An integer primary key (build_issues.id) is SQLite's to assign.
        self.columns = {name: [c for c in spec["columns"] if not (c == spec["pk"] and spec["columns"][c] is int)]
                        for name, spec in (TABLES | BOOKKEEPING | DERIVED).items()}
        self.columns |= {name: list(columns) for name, columns in STATE.items()} | self.SEARCH
        self.buffers: dict[str, list[tuple]] = {name: [] for name in self.columns}
        self.numbers: dict[str, int] | None = None  # report id -> number, once the tables exist
        self.codes: dict[str, int] = {}
        self.section_rows: dict[tuple[str, int], int] = {}  # (report, ordinal) -> rowid, until its document comes

    def add(self, tables: dict[str, list[dict]]) -> None:
        """Buffer rows; a row must have exactly its table's columns (a misspelt key is an error,
        never a silent NULL)."""
        for name, new_rows in tables.items():
            if name not in self.columns:
                raise ValueError(f"no table {name!r}")
            if not isinstance(new_rows, WorkerPackedRows):  # (prepacked rows were checked by prepack)
                expected = set(self.columns[name])
                for row in new_rows:
                    if row.keys() != expected:
                        raise ValueError(f"a {name} row has {sorted(row.keys() - expected)} that are not columns "
                                         f"and lacks {sorted(expected - row.keys())}")
            self.buffers[name].extend(self._tuples(name, new_rows))
            if len(self.buffers[name]) >= self.BATCH.get(name, self.batch):
                self.flush(name)

    def _tuples(self, name: str, rows: list) -> list[tuple]:
        if name == "reports":
            return [(self.new_number(row["id"]), *(row[c] for c in self.columns[name])) for row in rows]
        if name in PACKED_TABLES and not isinstance(rows, WorkerPackedRows):
            rows = prepack({name: rows})[name]
        if name == "sections":
            self._load()
            number, out = compile_numbering(name), []
            where = list(packed_columns(name))
            report, ordinal = where.index("report"), where.index("ordinal")
            for row in rows:
                self.section_rows[row[report], row[ordinal]] = self.next_section
                out.append((self.next_section, *number(row, self.number, self.code, self.codes)))
                self.next_section += 1
            return out
        if name == "reports_fts":
            return [(self.number(row["report_id"]), row["document"]) for row in rows]
        if name == "sections_fts":
            return [(self.section_rows.pop((row["report_id"], row["ordinal"])), row["document"]) for row in rows]
        if name in PACKED_TABLES:
            self._load()
            finish, number, code, codes = compile_numbering(name), self.number, self.code, self.codes
            return [finish(row, number, code, codes) for row in rows]
        return [tuple(row[c] for c in self.columns[name]) for row in rows]

    def _load(self) -> None:
        if self.numbers is None:
            self.numbers = {}
            self.next_number = self.db.execute("select coalesce(max(rowid), 0) + 1 from reports").fetchone()[0]
            self.next_section = self.db.execute("select coalesce(max(rowid), 0) + 1 from sections_packed").fetchone()[0]
            self.codes = dict(self.db.execute("select word, code from codes").fetchall())
            self.codes[None] = None  # no word, no code

    def new_number(self, report_id: str) -> int:
        self._load()
        self.numbers[report_id], self.next_number = self.next_number, self.next_number + 1
        return self.numbers[report_id]

    def number(self, report_id: str) -> int:
        """A report's number: given in this build, or that of a report already in the database."""
        if self.numbers is not None and report_id in self.numbers:
            return self.numbers[report_id]
        self._load()
        if report_id not in self.numbers:
            found = self.db.execute("select rowid from reports where id = ?", [report_id]).fetchone()
            if found is None:
                raise ValueError(f"rows for a report that is not in the database: {report_id!r}")
            self.numbers[report_id] = found[0]
        return self.numbers[report_id]

    def code(self, word: str | None) -> int | None:
        self._load()
        if word not in self.codes:
            self.codes[word] = self.db.execute("insert into codes (word) values (?)", [word]).lastrowid
        return self.codes[word]

    def flush(self, *names: str) -> None:
        for name in names or list(self.buffers):
            if self.buffers[name]:
                if name in ("reports", "sections"):  # numbered here: the search indexes use the numbers
                    table = packed(name) if name == "sections" else name
                    columns = ["rowid", *(packed_columns(name) if name == "sections" else self.columns[name])]
                elif name in self.SEARCH:
                    table, columns = name, ["rowid", "document"]
                elif name in PACKED_TABLES:
                    table, columns = packed(name), list(packed_columns(name))
                else:
                    table, columns = name, self.columns[name]
                marks = ", ".join("?" for _ in columns)
                self.db.conn.executemany(f"insert into [{table}] ({', '.join(f'[{c}]' for c in columns)}) "
                                         f"values ({marks})", self.buffers[name])
                self.buffers[name].clear()


def create_tables(db: sqlite_utils.Database) -> None:
    db.execute("CREATE TABLE codes (code INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE)")
    for name, spec in (TABLES | BOOKKEEPING | DERIVED).items():
        if "packed" in spec:
            db.execute(packed_table_sql(name))
            db.execute(view_sql(name))
            continue
        sql = db.create_table_sql(name, spec["columns"], pk=spec["pk"], foreign_keys=spec["foreign_keys"])
        if spec.get("without_rowid"):
            # Keyed by their primary key alone: no rowid and no second copy of the key in an index
            # (sqlite-utils cannot create these).
            sql = sql.rstrip().rstrip(";") + " WITHOUT ROWID"
        db.execute(sql)
    types = {str: "text", int: "integer"}
    for name, columns in STATE.items():  # sqlite-utils creates tables in main only
        first, *rest = columns.items()
        db.execute(f"create table state.[{name}] ([{first[0]}] text primary key, "
                   + ", ".join(f"[{c}] {types[t]}" for c, t in rest) + ")")
    # The documents are bigrams between spaces (parsers/search.py): the ascii tokenizer reads each as
    # one word, whatever its characters (unicode61 looked each character up: a third slower to build).
    for name in FTS:
        db.execute(f"create virtual table [{name}_fts] using fts5(document, content='', tokenize='ascii')")


def create_indexes(db: sqlite_utils.Database) -> None:
    for name, spec in (TABLES | DERIVED).items():
        table = packed(name) if "packed" in spec else name
        for columns in spec["indexes"]:
            db[table].create_index(columns, if_not_exists=True)
        for index, (column, where) in spec.get("partial_indexes", {}).items():
            db.execute(f"create index if not exists [{index}] on [{table}] ([{column}]) where {where}")


def unindex(db, name: str, where: str, params: list) -> None:
    """Take some rows of `name` out of its search index (a contentless index is told the
    document it had: made here from the database as report_rows made it from the parse);
    `where` picks them by their report, `r`."""
    index = FTS[name]
    document = " || ' ' || ".join(f"coalesce({c}, '')" for c in index["document"])
    db.execute(f"insert into [{name}_fts]([{name}_fts], rowid, document) select 'delete', {index['rowid']}, "
               f"bigram_document({document}) from {index['rows']} where {where}", params)


def forget(db: sqlite_utils.Database, path: str, report_id: str | None) -> None:
    """Remove every row a file gave, before it is built again or because it is gone."""
    if report_id:
        unindex(db, "sections", "r.id = ?", [report_id])
        unindex(db, "reports", "r.id = ?", [report_id])
        for name in ("metrics", "application_outcomes", "review_litigation", "checks", "sections", "audits",
                     "report_fingerprints", "report_bands"):
            db.execute(f"delete from [{packed(name)}] where report = (select rowid from reports where id = ?)",
                       [report_id])
        db.execute("delete from report_figures where report_id = ?", [report_id])
        db.execute("delete from report_versions where report_id = ?", [report_id])
        db.execute("delete from reports where id = ?", [report_id])
    db.execute("delete from build_issues where source_path = ?", [path])
    db.execute("delete from build_files where path = ?", [path])


CHANGED_REPORT_IDS = "select id from temp.changed_reports"
