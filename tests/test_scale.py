"""The build at scale, on a small synthetic corpus (bench/corpus.py): parallel,
incremental and Dask builds give the same database as a plain full build, and
the figures the generator wrote are the figures the build read."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

import build
from parsers.search import fts_query

from bench import corpus

pytestmark = pytest.mark.slow

N = 120


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("synthetic") / "corpus"
    corpus.write(N, folder, seed=7, pdf_share=0.03)
    return folder


@pytest.fixture(scope="module")
def reference(synthetic, tmp_path_factory) -> Path:
    """A full build in this process, one file after another: what every other way must equal."""
    db = tmp_path_factory.mktemp("reference") / "ogi.db"
    result = build.build([synthetic], db, jobs=1)
    assert result.mode == "full" and result.parsed == N
    return db


def contents(db_path: Path) -> dict[str, list[tuple]]:
    """Every table's rows in primary-key order, and what full-text searches find."""
    conn = sqlite3.connect(db_path)
    found = {}
    for name, spec in (build.TABLES | build.BOOKKEEPING | build.DERIVED).items():
        pk = [spec["pk"]] if isinstance(spec["pk"], str) else list(spec["pk"])
        columns = [c for c in spec["columns"] if c != "mtime_ns"]  # a copied file has a new mtime
        found[name] = conn.execute(f"select {', '.join(f'[{c}]' for c in columns)} from [{name}] "
                                   f"order by {', '.join(f'[{c}]' for c in pk)}").fetchall()
    for word in ["复议", "政府信息", "予以公开", "人民政府", "诉讼"]:
        found[f"search {word}"] = conn.execute(
            "select id from sections where rowid in (select rowid from sections_fts where sections_fts match ?) "
            "order by id", [fts_query(word)]).fetchall()
        found[f"search reports {word}"] = conn.execute(
            "select id from reports where rowid in (select rowid from reports_fts where reports_fts match ?) "
            "order by id", [fts_query(word)]).fetchall()
    conn.close()
    return found


def test_same_seed_same_corpus(tmp_path):
    corpus.write(15, tmp_path / "a", seed=3)
    corpus.write(15, tmp_path / "b", seed=3)
    corpus.write(15, tmp_path / "c", seed=4)
    files = lambda folder: {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}  # noqa: E731
    assert files(tmp_path / "a") == files(tmp_path / "b")
    assert files(tmp_path / "a") != files(tmp_path / "c")


def test_the_build_reads_the_figures_the_generator_wrote(synthetic, reference):
    conn = sqlite3.connect(reference)
    truth = [json.loads(line) for line in corpus.truth_path(synthetic).read_text(encoding="utf-8").splitlines()]
    layouts = {t["layout"] for t in truth}
    assert {"t2021", "t2019", "pre2019_stats", "narrative"} <= layouts
    tables = [t for t in truth if "table3_total" in t and not t["path"].endswith(".pdf")]
    assert len(tables) > 20
    for t in tables:
        rid = build.report_id(t["path"])
        stored = dict(conn.execute("select outcome, count from application_outcomes where report_id = ? "
                                   "and applicant_type = 'total'", [rid]).fetchall())
        assert {k: stored.get(k) for k in t["table3_total"]} == t["table3_total"], t["path"]
        review = conn.execute("select count(*) from review_litigation where report_id = ?", [rid]).fetchone()[0]
        assert review == 15, t["path"]
        year, template = conn.execute("select year, template from reports where id = ?", [rid]).fetchone()
        assert (year, template) == (t["year"], t["layout"]), t["path"]
    # the one report in twenty with a cell off: a failed check, the figure as written
    broken = [t for t in tables if t["broken"]]
    for t in broken:
        failed = conn.execute("select count(*) from checks where report_id = ? and not passed",
                              [build.report_id(t["path"])]).fetchone()[0]
        assert failed >= 1, t["path"]


def test_parallel_build_equals_the_one_process_build(synthetic, reference, tmp_path):
    db = tmp_path / "parallel.db"
    assert build.build([synthetic], db, jobs=2).mode == "full"
    assert contents(db) == contents(reference)


def test_dask_build_equals_the_local_build(synthetic, reference, tmp_path):
    db = tmp_path / "dask.db"
    build.build([synthetic], db, jobs=2, kind="dask")
    assert contents(db) == contents(reference)


def test_incremental_rebuild_parses_only_what_changed_and_equals_a_full_build(synthetic, tmp_path):
    folder = tmp_path / "corpus"
    shutil.copytree(synthetic, folder)
    db = tmp_path / "ogi.db"
    build.build([folder], db, jobs=2)
    assert build.build([folder], db, jobs=2).parsed == 0

    files = sorted(p for p in folder.rglob("*.txt"))
    changed, deleted = files[0], files[1]
    changed.write_text(changed.read_text(encoding="utf-8").replace("年度报告", "年度报告（修订）", 1), encoding="utf-8")
    deleted.unlink()
    shutil.copy(files[2], folder / "added-copy-of-another.txt")  # a duplicate: a warning, no report
    (folder / "new.txt").write_text("某县教育局2024年政府信息公开工作年度报告\n一、总体情况\n共主动公开政府信息25条。\n",
                                    encoding="utf-8")
    (files[3].parent / f"{files[3].stem}.meta.json").write_text(json.dumps({"source_url": "https://example.gov.cn/x.html"}))
    result = build.build([folder], db, jobs=2)
    assert result.mode == "incremental"
    # the changed file, the duplicate, the new report, the sidecar and the report it describes
    assert (result.parsed, result.removed) == (5, 1)

    full = tmp_path / "full.db"
    build.build([folder], full, jobs=1)
    assert contents(db) == contents(full)
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from reports where source_path = ?",
                        [deleted.relative_to(folder).as_posix()]).fetchone()[0] == 0
    assert conn.execute("select source_url from reports where source_path = ?",
                        [files[3].relative_to(folder).as_posix()]).fetchone()[0] == "https://example.gov.cn/x.html"


def test_a_changed_parser_means_a_full_build(synthetic, tmp_path):
    db = tmp_path / "ogi.db"
    build.build([synthetic], db, jobs=2)
    conn = sqlite3.connect(db)
    conn.execute("update build_info set value = 'older' where key = 'parser_version'")
    conn.commit()
    conn.close()
    assert build.build([synthetic], db, jobs=2).mode == "full"


def test_progress_bar_only_on_a_terminal(synthetic, tmp_path):
    command = [sys.executable, str(ROOT / "build.py"), "--db", str(tmp_path / "a.db"), "--jobs", "2", str(synthetic)]
    quiet = subprocess.run(command, capture_output=True, text=True, check=True)
    assert "file/s" not in quiet.stderr and "%|" not in quiet.stderr
    shown = subprocess.run(command + ["--progress", "on", "--full"], capture_output=True, text=True, check=True)
    assert f"{N}/{N}" in shown.stderr and "file" in shown.stderr


def test_installing_a_converter_means_a_full_build(synthetic, tmp_path, monkeypatch):
    db = tmp_path / "ogi.db"
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))  # no converter on the PATH
    build.build([synthetic], db, jobs=2)
    assert build.build([synthetic], db, jobs=2).mode == "incremental"
    converter = tmp_path / "bin" / "antiword"  # now one is installed
    converter.write_text("#!/bin/sh\n")
    converter.chmod(0o755)
    assert build.build([synthetic], db, jobs=2).mode == "full"
