"""SCHEMA.md, the public data contract, against the database the build writes: every public table
and view has its section there and every one of its columns is named in it, and every table the
contract names exists; metadata.yml describes every column of every table the site shows."""

from __future__ import annotations

import re

import yaml

from conftest import ROOT

# The storage behind the views, the search indexes' own tables and SQLite's: not the contract
# (SCHEMA.md's "Storage" note says what they are).
STORAGE = re.compile(r"_packed$|^codes$|_fts_(config|data|docsize|idx)$|^sqlite_")


def public_columns(db) -> dict[str, list[str]]:
    names = [name for (name,) in db.execute("select name from sqlite_master where type in ('table', 'view')")
             if not STORAGE.search(name)]
    return {name: [row[1] for row in db.execute(f"pragma table_info([{name}])")] for name in names}


def contract_sections() -> dict[str, str]:
    """SCHEMA.md's sections by the table each documents (## name — …; the search indexes and the
    audits' working data share one)."""
    text = (ROOT / "SCHEMA.md").read_text(encoding="utf-8")
    sections = {}
    for heading, body in re.findall(r"^## (.+?)\n(.*?)(?=^## |\Z)", text, re.M | re.S):
        tables = re.findall(r"`(\w+)`", heading) or [heading.split(" — ")[0]]
        if heading.startswith("Search indexes"):
            tables = ["reports_fts", "sections_fts", "report_fingerprints", "report_bands"]
        for table in tables:
            sections[table] = body
    return sections


def test_every_public_table_and_column_is_in_the_contract(db):
    sections = contract_sections()
    missing = {table: [c for c in columns if f"`{c}`" not in sections.get(table, "")]
               for table, columns in public_columns(db).items()}
    assert {table: columns for table, columns in missing.items() if columns} == {}


def test_every_table_the_contract_names_is_in_the_database(db):
    documented = set(contract_sections()) - {"Storage (this project's note, not part of the contract)"}
    assert documented - set(public_columns(db)) == set()


def test_every_column_the_site_shows_is_described(db):
    tables = yaml.safe_load((ROOT / "metadata.yml").read_text(encoding="utf-8"))["databases"]["ogi"]["tables"]
    undescribed = {table: [c for c in columns if c not in (tables.get(table, {}).get("columns") or {})]
                   for table, columns in public_columns(db).items() if not tables.get(table, {}).get("hidden")}
    assert {table: columns for table, columns in undescribed.items() if columns} == {}
