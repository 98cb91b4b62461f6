"""build.py as a user runs it: arguments, a database replaced only when a build
finishes, and bad files recorded while every other report is still built."""

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from conftest import ROOT, report_files

import build
import store

SEED_2016 = ROOT / "reports" / "000_680e7faf37592182.txt"


def run_build(*args):
    return subprocess.run([sys.executable, "build.py", *map(str, args)], cwd=ROOT, capture_output=True, text=True)


def rows(db, sql, params=()):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def test_bad_arguments_exit_non_zero(tmp_path):
    result = run_build("--db", tmp_path / "x.db", tmp_path / "no-such-folder")
    assert result.returncode == 2 and "no such file or folder" in result.stderr
    assert not (tmp_path / "x.db").exists()


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "reports").mkdir()
    result = run_build("--db", tmp_path / "x.db", tmp_path / "reports")
    assert result.returncode == 2 and "no files" in result.stderr


def test_summary_is_printed(tmp_path):
    result = run_build("--db", tmp_path / "ogi.db", "reports")
    assert result.returncode == 0
    assert f"{len(report_files(ROOT / 'reports'))} reports" in result.stdout
    assert "t2021" in result.stdout and "checks" in result.stdout


def test_nothing_built_keeps_the_old_database(tmp_path):
    db = tmp_path / "ogi.db"
    assert build.main(["--db", str(db), str(SEED_2016)]) == 0
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "empty.txt").write_bytes(b"")
    assert build.main(["--db", str(db), str(junk)]) == 1
    assert [r["id"] for r in rows(db, "select id from reports")] == ["000_680e7faf37592182"]
    assert not list(tmp_path.glob("*.building"))


@pytest.fixture(scope="module")
def messy_corpus(tmp_path_factory):
    """The seeds plus the broken files a crawl brings (built once for the module)."""
    tmp_path = tmp_path_factory.mktemp("messy")
    folder = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", folder)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "junk.txt").write_bytes(bytes(range(256)) * 40)
    (folder / "gbk" ).mkdir()
    (folder / "gbk" / "junshan.txt").write_bytes(SEED_2016.read_text(encoding="utf-8").replace("浏览次数:1", "").encode("gbk"))
    (folder / "copy-of-2016.txt").write_bytes(SEED_2016.read_bytes())
    (folder / "no-year.txt").write_text("某某局政府信息公开工作年度报告\n一、总体情况\n本局认真落实条例，共主动公开政府信息25条。\n", encoding="utf-8")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.4 not really")
    (folder / "notes.json").write_text("{}")
    db = tmp_path / "ogi.db"
    assert build.main(["--db", str(db), str(folder)]) == 0
    return db


def issues_for(db, name):
    return rows(db, "select * from build_issues where source_path = ?", [name])


def test_empty_file_is_recorded(messy_corpus):
    [issue] = issues_for(messy_corpus, "empty.txt")
    assert issue["severity"] == "error" and "empty.txt" in issue["message"] and "empty" in issue["message"]


def test_binary_junk_is_recorded(messy_corpus):
    [issue] = issues_for(messy_corpus, "junk.txt")
    assert issue["severity"] == "error" and "binary" in issue["message"]


def test_gbk_page_is_read_like_its_utf8_original(messy_corpus):
    gbk = rows(messy_corpus, "select metric, value, value_raw from metrics where report_id = 'gbk--junshan' order by start")
    original = rows(messy_corpus, "select metric, value, value_raw from metrics where report_id = '000_680e7faf37592182' order by start")
    assert gbk == original and len(gbk) > 10
    [report] = rows(messy_corpus, "select title, year from reports where id = 'gbk--junshan'")
    assert report == {"title": "君山区人民政府2016年政府信息公开工作年度报告", "year": 2016}


def test_same_file_twice_is_one_report(messy_corpus):
    assert rows(messy_corpus, "select count(*) as n from reports where source_sha256 = "
                              "(select source_sha256 from reports where id = '000_680e7faf37592182')") == [{"n": 1}]
    [issue] = issues_for(messy_corpus, "copy-of-2016.txt")
    assert issue["severity"] == "warning" and "000_680e7faf37592182.txt" in issue["message"]


def test_report_with_no_year(messy_corpus):
    [report] = rows(messy_corpus, "select year, title from reports where id = 'no-year'")
    assert report["year"] is None and report["title"] == "某某局政府信息公开工作年度报告"
    [issue] = issues_for(messy_corpus, "no-year.txt")
    assert issue["severity"] == "warning" and "no year" in issue["message"]


def test_formats_not_read_yet_and_other_files_are_recorded(messy_corpus):
    [pdf] = issues_for(messy_corpus, "scan.pdf")
    assert pdf["severity"] == "error" and "PDF" in pdf["message"]
    [other] = issues_for(messy_corpus, "notes.json")
    assert other["severity"] == "warning"


def test_every_good_report_survives_the_bad_ones(messy_corpus):
    ids = {r["id"] for r in rows(messy_corpus, "select id from reports")}
    bundled = {p.stem for p in report_files(ROOT / "reports")}
    assert ids == bundled | {"gbk--junshan", "no-year"}
    assert rows(messy_corpus, "select count(*) as n from application_outcomes where report_id = '003_85b1cd000e56671f'") == [{"n": 175}]


def test_ids_are_stable_across_rebuilds(tmp_path):
    first, second = tmp_path / "a.db", tmp_path / "b.db"
    assert build.main(["--db", str(first), str(ROOT / "reports")]) == 0
    assert build.main(["--db", str(second), str(ROOT / "reports")]) == 0
    query = "select id, report_id, value, start from metrics order by id"
    assert rows(first, query) == rows(second, query) and len(rows(first, query)) > 400


def _indexes(conn, table):
    """Each index of a table (its primary key's too) as its tuple of columns."""
    return [tuple(c[2] for c in conn.execute(f"pragma index_info('{index[1]}')"))
            for index in conn.execute(f"pragma index_list('{table}')")]


def test_indexes_on_report_id_and_keys(built_db):
    conn = sqlite3.connect(built_db)
    indexed = {(table, columns) for table in [*build.TABLES, *map(store.packed, build.TABLES)]
               for columns in _indexes(conn, table)}
    conn.close()
    # a report's rows are found by an index that starts with the report (the primary key's, where it does)
    for table in ("sections", "metrics", "application_outcomes", "review_litigation", "checks"):
        assert any(t == store.packed(table) and columns[:1] == ("report",) for t, columns in indexed), table
    assert any(t == "build_issues" and columns[:1] == ("report_id",) for t, columns in indexed)
    assert ("metrics_packed", ("metric",)) in indexed
    assert ("application_outcomes_packed", ("outcome", "applicant_type")) in indexed


def test_no_index_duplicates_a_primary_key_prefix(built_db):
    conn = sqlite3.connect(built_db)
    for (table,) in conn.execute("select name from sqlite_master where type = 'table' and name not like '%fts%'"):
        key = tuple(c[1] for c in sorted((c for c in conn.execute(f"pragma table_info('{table}')") if c[5]),
                                          key=lambda c: c[5]))
        indexes = [(index[1], tuple(c[2] for c in conn.execute(f"pragma index_info('{index[1]}')")))
                   for index in conn.execute(f"pragma index_list('{table}')") if index[3] != "pk"]
        for name, columns in indexes:
            assert not (key and key[:len(columns)] == columns), f"{name} on {table}{columns} repeats its key {key}"
    conn.close()


def test_pre_aggregated_tables_equal_the_cells_they_sum(db):
    """report_figures and outcome_totals, recomputed here in Python from the value tables."""
    totals: dict = {}
    for row in db.execute("select report_id, outcome, count from application_outcomes where applicant_type = 'total'"):
        totals.setdefault(row["report_id"], {}).setdefault(row["outcome"], []).append(row["count"])
    for figures in db.execute("select * from report_figures"):
        mine = totals.get(figures["report_id"], {})
        add = lambda *keys: (sum(c for k in keys for c in mine.get(k, []) if c is not None)  # noqa: E731
                             if any(c is not None for k in keys for c in mine.get(k, [])) else None)
        denied = [k for k in mine if k.startswith("denied_")]
        assert figures["granted"] == add("granted"), figures["report_id"]
        assert figures["results_total"] == add("results_total"), figures["report_id"]
        assert figures["denied"] == add(*denied), figures["report_id"]
    assert db.execute("select count(*) from report_figures").fetchone()[0] == db.execute("select count(*) from reports").fetchone()[0]
    grouped: dict = {}
    for row in db.execute("select r.year, r.province, o.outcome, o.applicant_type, o.count from application_outcomes o "
                          "join reports r on r.id = o.report_id where r.year is not null"):
        key = tuple(row)[:4]
        reports, count = grouped.get(key, (0, None))
        grouped[key] = (reports + 1, row["count"] if count is None else count + (row["count"] or 0))
    stored = {tuple(r)[:4]: (r["reports"], r["count"]) for r in db.execute("select * from outcome_totals")}
    assert stored == grouped


def test_the_views_give_back_the_rows_the_parser_made(db):
    """Packed storage is invisible: for every report, each view returns exactly the contract rows
    report_rows() makes from the parse (values, spans, raw text, ids, section text)."""
    from parsers import parse_report
    compared = 0
    for rid, path in db.execute("select id, source_path from reports where source_path not like '%/%' order by id"):
        source = ROOT / "reports" / path
        if not source.is_file():
            continue
        given = json.loads(db.execute("select metadata_from from reports where id = ?", [rid]).fetchone()[0] or "{}")
        if given:  # metadata from a sidecar or the manifest: the build's way of reading it is tested elsewhere
            continue
        rows = store.report_rows(rid, parse_report(path, source.read_bytes()))
        for name in ("sections", "metrics", "application_outcomes", "review_litigation"):
            columns = list(store.TABLES[name]["columns"])
            stored = [tuple(r) for r in db.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{name}] "
                                                    "where report_id = ?", [rid])]
            assert sorted(stored, key=repr) == sorted((tuple(r[c] for c in columns) for r in rows[name]), key=repr), \
                (rid, name)
            compared += len(stored)
    assert compared > 400  # the bundled reports without sidecar or manifest metadata


@pytest.mark.parametrize("size", [3 * 4096, 3 * 4096 + 100, 0, 9 * (1 << 20) + 4096])
def test_an_update_copies_the_database_byte_for_byte(tmp_path, size):
    """copy_uncached writes whole pages straight to the disk, in chunks, and falls back to an
    ordinary copy for a size that is not whole pages: the copy is the file, whatever its size."""
    import os

    source, target = tmp_path / "a.db", tmp_path / "b.db"
    source.write_bytes(os.urandom(size))
    target.write_bytes(b"left over from before")
    store.copy_uncached(source, target)
    assert target.read_bytes() == source.read_bytes()


def test_the_readmes_search_works_in_a_downloaded_database(db):
    """The bigram phrase the README shows finds, with plain SQLite (no site functions), the
    sections whose text holds the word, and only those (spaces and line breaks inside it aside)."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    sql = re.search(r"```sql\n(select s\.report_id.*?);", readme, re.S).group(1)
    found = {rowid for (rowid,) in db.execute(sql.replace("s.report_id, s.heading", "s.rowid"))}
    texts = {rowid: re.sub(r"\s+", "", text) for rowid, text in db.execute("select rowid, text from sections")}
    # (the index reads traditional characters as simplified: a 繁體 mirror's 不予公開 is found too)
    assert found and found == {rowid for rowid, text in texts.items() if "不予公开" in text or "不予公開" in text}
