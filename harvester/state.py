"""The harvester's memory, one SQLite file (OUT/.harvest/harvest.db), and the files it keeps.

documents  one row per URL a document came from: where it is kept, its metadata, the
           validators (ETag, Last-Modified) a conditional request sends next time
versions   one row per version of a URL's bytes (sha256, when fetched, where the bytes are)
events     what each run did: list pages read, documents new / changed / unchanged /
           the same as another URL's, and every failure, with its reason
runs       when each run started and ended, and what it was asked to harvest
columns    each report column, with the agency and region code the sites file gave it
http_cache the list and detail pages, for revalidation (Scrapy's HTTP cache, stored here)

A document is written to OUT/HOST/NAME with its sidecar NAME.meta.json (build.py reads it);
when a URL's bytes change, the old bytes move to OUT/.harvest/versions/ (hidden: the build
does not read them) and the sidecar lists every version. Files are written whole or not at
all (a temporary name, then a rename), so a run killed at any point leaves no half file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import sqlite_utils

HIDDEN = ".harvest"  # state and old versions, inside the output folder, out of the build's sight
SIDECAR = ".meta.json"

SCHEMA = {
    "documents": ({"url": str, "path": str, "same_as": str, "kind": str, "column_url": str, "list_url": str,
                   "title": str, "published_date": str, "agency": str, "index_number": str, "first_seen": str,
                   "last_seen": str, "etag": str, "last_modified": str, "sha256": str, "version": int}, "url"),
    "versions": ({"url": str, "version": int, "sha256": str, "fetched_at": str, "etag": str, "last_modified": str,
                  "path": str}, ("url", "version")),
    "events": ({"id": int, "run": int, "at": str, "column_url": str, "url": str, "event": str, "detail": str}, "id"),
    "runs": ({"id": int, "started": str, "finished": str, "columns": str, "settings": str}, "id"),
    "columns": ({"url": str, "agency": str, "region_code": str}, "url"),
    "http_cache": ({"fingerprint": str, "url": str, "status": int, "headers": str, "body": bytes, "stored_at": float},
                   "fingerprint"),
}
# What a document event can be; anything else in `events.event` is a failure's kind.
DOCUMENT_EVENTS = ("new", "changed", "unchanged", "duplicate")


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def state_path(out: Path) -> Path:
    return Path(out) / HIDDEN / "harvest.db"


def open_state(path: Path) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite_utils.Database(path)
    db.execute("pragma journal_mode = wal")
    db.execute("pragma synchronous = normal")  # a killed run loses nothing committed; only a power cut might
    db.execute("pragma busy_timeout = 10000")
    for name, (columns, pk) in SCHEMA.items():
        if not db[name].exists():
            db[name].create(columns, pk=pk)
    db["events"].create_index(["run", "column_url"], if_not_exists=True)
    db["documents"].create_index(["sha256"], if_not_exists=True)
    return db


def write_whole(path: Path, data: bytes) -> bool:
    """Write a file whole (a temporary name, then a rename); False when it already holds `data`."""
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    partial.write_bytes(data)
    os.replace(partial, path)
    return True


def remove_partials(out: Path) -> None:
    """Temporary files a killed run left behind."""
    for partial in Path(out).rglob(".*.partial-*"):
        partial.unlink(missing_ok=True)


@dataclass
class Fetched:
    """A document as downloaded, with what was known of it when it was asked for."""
    url: str
    body: bytes
    kind: str  # pdf, docx, doc, wps, html
    name: str  # HOST/NAME under the output folder
    column_url: str
    list_url: str | None = None
    title: str | None = None
    published_date: str | None = None
    agency: str | None = None
    index_number: str | None = None
    etag: str | None = None
    last_modified: str | None = None


class Harvest:
    """One run's writer: documents and their sidecars on disk, and the state file."""

    def __init__(self, out: Path, db: sqlite_utils.Database, columns: list[dict], settings: dict):
        """`columns`: url, agency, region_code of each column this run harvests."""
        self.out, self.db = Path(out), db
        remove_partials(self.out)
        with db.conn:
            db["columns"].upsert_all(columns, pk="url")
            self.run = db["runs"].insert({"started": now(), "columns": json.dumps([c["url"] for c in columns]),
                                          "settings": json.dumps(settings, ensure_ascii=False, default=str)}).last_pk

    def event(self, column_url: str | None, url: str | None, event: str, detail: str = "") -> None:
        self.db["events"].insert({"run": self.run, "at": now(), "column_url": column_url, "url": url,
                                  "event": event, "detail": detail})

    def finish(self) -> None:
        self.db["runs"].update(self.run, {"finished": now()})

    def known(self, url: str) -> dict | None:
        rows = list(self.db.query("select * from documents where url = ?", [url]))
        return rows[0] if rows else None

    def validators(self, url: str) -> dict[str, str]:
        """The headers of a conditional request for a document already held."""
        row = self.known(url)
        if not row or not (row["same_as"] or row["path"] and (self.out / row["path"]).exists()):
            return {}
        headers = {"If-None-Match": row["etag"], "If-Modified-Since": row["last_modified"]}
        return {name: value for name, value in headers.items() if value}

    def unchanged(self, column_url: str, url: str) -> None:
        """The site answered 304 Not Modified."""
        with self.db.conn:
            self.db.execute("update documents set last_seen = ? where url = ?", [now(), url])
            self.event(column_url, url, "unchanged", "304 Not Modified")

    def keep(self, doc: Fetched) -> str:
        """Record a download: new, changed (a new version), unchanged, or a duplicate of another
        URL's bytes. Files first, then the state, so that a killed run is repeated, never lost."""
        digest, at = sha256(doc.body), now()
        row = self.known(doc.url)
        if row and row["sha256"] == digest and (row["same_as"] or (self.out / row["path"]).exists()):
            with self.db.conn:
                self.db["documents"].update(doc.url, {"last_seen": at, "etag": doc.etag or row["etag"],
                                                      "last_modified": doc.last_modified or row["last_modified"]})
                self.event(doc.column_url, doc.url, "unchanged")
            return "unchanged"
        twin = next(self.db.query("select url from documents where sha256 = ? and url != ? and path is not null "
                                  "order by first_seen, url limit 1", [digest, doc.url]), None)
        if row is None and twin:
            with self.db.conn:
                self.db["documents"].insert({**self._metadata(doc), "url": doc.url, "same_as": twin["url"],
                                             "kind": doc.kind, "first_seen": at, "last_seen": at, "sha256": digest,
                                             "etag": doc.etag, "last_modified": doc.last_modified, "version": 1})
                self._write_sidecar(twin["url"])
                self.event(doc.column_url, doc.url, "duplicate", f"the same bytes as {twin['url']}")
            return "duplicate"
        version = (row["version"] if row and row["version"] else 0) + 1
        name = row["path"] if row and row["path"] else self._free_name(doc.name, doc.url)
        if row and row["path"] and (self.out / name).exists():
            self._set_aside(row, name)
        write_whole(self.out / name, doc.body)
        with self.db.conn:
            self.db["documents"].upsert({
                **self._metadata(doc), "url": doc.url, "path": name, "same_as": None, "kind": doc.kind,
                "first_seen": row["first_seen"] if row else at, "last_seen": at, "etag": doc.etag,
                "last_modified": doc.last_modified, "sha256": digest, "version": version}, pk="url")
            self.db["versions"].upsert({"url": doc.url, "version": version, "sha256": digest, "fetched_at": at,
                                        "etag": doc.etag, "last_modified": doc.last_modified, "path": name},
                                       pk=("url", "version"))
            self._write_sidecar(doc.url)
            outcome = "changed" if row else "new"
            self.event(doc.column_url, doc.url, outcome, f"version {version}" if row else "")
        return outcome

    def _metadata(self, doc: Fetched) -> dict:
        return {"column_url": doc.column_url, "list_url": doc.list_url, "title": doc.title,
                "published_date": doc.published_date, "agency": doc.agency, "index_number": doc.index_number}

    def _free_name(self, name: str, url: str) -> str:
        """`name`, or name-2, name-3… when another URL's document has it already."""
        stem, dot, extension = name.rpartition(".")
        candidate, n = name, 1
        while next(self.db.query("select 1 from documents where path = ? and url != ?", [candidate, url]), None):
            n += 1
            candidate = f"{stem}-{n}{dot}{extension}"
        return candidate

    def _set_aside(self, row: dict, name: str) -> None:
        """Keep a document's current bytes as its numbered old version before new bytes replace them."""
        stem, dot, extension = name.rpartition(".")
        kept = f"{HIDDEN}/versions/{stem}.v{row['version']}{dot}{extension}"
        target = self.out / kept
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.out / name, target)
        self.db["versions"].update((row["url"], row["version"]), {"path": kept})

    def _write_sidecar(self, url: str) -> None:
        """NAME.meta.json beside a document, in the fields build.py reads, plus what the harvest saw.
        It changes only when the document does (no last-seen time), so an unchanged site leaves
        every file as it was and the next build has nothing to parse again."""
        row = self.known(url)
        versions = list(self.db.query("select version, sha256, fetched_at, etag, last_modified from versions "
                                      "where url = ? order by version", [url]))
        also_at = [u for (u,) in self.db.execute("select url from documents where same_as = ? order by url", [url])]
        latest = versions[-1] if versions else {}
        column = next(self.db.query("select * from columns where url = ?", [row["column_url"]]), {})
        sidecar = {
            "source_url": url, "list_url": row["list_url"], "title": row["title"],
            "published_date": row["published_date"], "agency": row["agency"], "index_number": row["index_number"],
            # what the sites file says of the column (a column may list other agencies' reports too:
            # kept apart, for a person to see, never taken for the report's own agency)
            "column_url": row["column_url"], "column_agency": column.get("agency"),
            "column_region_code": column.get("region_code"),
            "fetched_at": latest.get("fetched_at"), "sha256": row["sha256"], "etag": row["etag"],
            "last_modified": row["last_modified"],
            "versions": [{"version": v["version"], "sha256": v["sha256"], "fetched_at": v["fetched_at"],
                          "source_url": url} for v in versions],
            "also_at": also_at,
        }
        sidecar = {key: value for key, value in sidecar.items() if value not in (None, "")}
        text = json.dumps(sidecar, ensure_ascii=False, indent=2) + "\n"
        write_whole(self.out / (row["path"] + SIDECAR), text.encode("utf-8"))


def run_summary(db: sqlite_utils.Database, run: int) -> list[dict]:
    """Per column: list pages read, documents by outcome, and the failures with their reasons."""
    rows = list(db.query("select column_url, event, url, detail from events where run = ? order by id", [run]))
    columns: dict[str, dict] = {}
    for row in rows:
        column = columns.setdefault(row["column_url"] or "", {"column_url": row["column_url"], "lists": 0,
                                                               **dict.fromkeys(DOCUMENT_EVENTS, 0), "failures": []})
        if row["event"] == "list":
            column["lists"] += 1
        elif row["event"] in DOCUMENT_EVENTS:
            column[row["event"]] += 1
        else:
            column["failures"].append({"url": row["url"], "kind": row["event"], "detail": row["detail"]})
    return list(columns.values())
