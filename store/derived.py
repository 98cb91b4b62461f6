"""A build's begin and finish: what is computed over the whole database once the reports are in
(cross-year checks, audits across reports, agencies, counts for the home page, the aggregates)."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import sqlite_utils

from parsers import agencies, audit, checks, data

from .files import stamp
from .rows import check_rows
from .schema import FIGURES, PACKED_TABLES, REVIEW, packed
from .writer import CHANGED_REPORT_IDS, Writer, create_indexes, create_tables


# --- a build: begin, write, finish ---------------------------------------------------------------

def begin(db: sqlite_utils.Database, full: bool, report_ids: set[str]) -> None:
    """Open the build's transaction: a full build creates the tables; an update marks the reports
    it rebuilds or removes (before their rows go) so that finish() can bring what depends on them
    up to date."""
    db.conn.execute("begin")
    if full:
        create_tables(db)
    mark_changed(db, set() if full else report_ids)


def finish(db: sqlite_utils.Database, writer: "Writer", version: str, full: bool) -> int:
    """Everything that follows from the rows written, the same for a full build and an update
    (a full build has changed every report): labels, indexes, the search index, cross-year
    checks, the pre-aggregated tables, issue ids, counts, the stamp. Returns the report count."""
    if full:
        db.execute("insert into temp.changed_reports select id from reports")
    db.execute("delete from labels")
    writer.add({"labels": data.official_labels()})
    writer.flush()
    if full:  # (an update's copy has them: a change to them is a change of parser_version)
        create_indexes(db)  # (the search indexes were written with the rows: Writer)
    writer.add({"checks": cross_year_checks(db)})
    writer.flush("checks")
    writer.add({"audits": audits_across_reports(db, full)})
    # the agencies of the reports built or removed, before and after (a full build: all of them)
    db.execute(f"insert into temp.changed_agency_keys select agency_key from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute("delete from agencies where agency_key in (select agency_key from temp.changed_agency_keys)")
    writer.add({"agencies": agency_rows(db, "agency_key in (select agency_key from temp.changed_agency_keys)")})
    writer.flush()
    fill_aggregates(db)
    find_coverage_gaps(db)
    renumber_issues(db)
    db.execute("insert or replace into build_info (key, value) values ('parser_version', ?)", [version])
    record_counts(db)
    stamp(db)
    return db.execute("select count(*) from reports").fetchone()[0]


def analyze(db: sqlite_utils.Database, full: bool) -> None:
    """The query planner's statistics, after a full build (from a sample: seconds, not minutes)."""
    if full:
        db.execute("PRAGMA analysis_limit = 1000")
        db.analyze()


def counts(db_path: Path) -> dict:
    """What the database holds, counted for the build's summary."""
    db = sqlite_utils.Database(db_path)
    try:
        count = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        rows = dict(db.execute("select substr(key, 6), value from build_info where key like 'rows:%'").fetchall())
        return {
            "reports": count("select count(*) from reports"),
            # (+column: grouped from a covering index, not in the doc_type index's order from the rows)
            "kinds": db.execute("select doc_type, template, count(*) from reports group by +doc_type, +template "
                                "order by 1, 2").fetchall(),
            "readings": db.execute("select reading, count(*) from reports where +doc_type = 'annual_report' "
                                   "group by 1 order by 2 desc").fetchall(),
            # the views' counts, recorded by the build (counting a view joins every row)
            "metrics": int(rows["metrics"]),
            "outcomes": int(rows["application_outcomes"]),
            "review": int(rows["review_litigation"]),
            "checks": int(rows["checks"]),
            "failed": count("select count(*) from checks_packed where passed = 0"),
            "issues": count("select count(*) from build_issues"),
            "warnings": count("select count(*) from build_issues where severity = 'warning'"),
            "errors": [m for (m,) in db.execute("select message from build_issues where severity = 'error' order by id")],
        }
    finally:
        db.close()


def mark_changed(db: sqlite_utils.Database, report_ids: set[str]) -> None:
    """Before an incremental update removes rows: the reports it rebuilds or removes, and the
    agencies and (year, province) groups they were in, whose cross-year checks and totals move."""
    db.execute("create temp table changed_reports (id text primary key)")
    db.conn.executemany("insert into temp.changed_reports values (?)", [(i,) for i in report_ids])
    db.execute(f"create temp table changed_agencies as select distinct agency from reports "
               f"where id in ({CHANGED_REPORT_IDS}) and agency is not null")
    db.execute(f"create temp table changed_groups as select distinct year, province from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute(f"create temp table changed_agency_keys as select agency_key from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute("create temp table audit_neighbours (id text primary key)")
    add_audit_neighbours(db)


def add_audit_neighbours(db: sqlite_utils.Database) -> None:
    """The reports whose `original` audit compares with a changed report: the same agency's
    report of the year after, and those sharing an LSH band with it (called before the changed
    reports' rows go, and again after the new ones are in)."""
    changed = f"select rowid from reports where id in ({CHANGED_REPORT_IDS})"
    db.execute("insert or ignore into temp.audit_neighbours select r2.id from reports r1 join reports r2 "
               "on r2.agency_key = r1.agency_key and r2.year = r1.year + 1 "
               f"where r1.rowid in ({changed}) and r1.agency_key is not null")
    db.execute("insert or ignore into temp.audit_neighbours select r.id from report_bands_packed b1 "
               "join report_bands_packed b2 on b2.band = b1.band join reports r on r.rowid = b2.report "
               f"where b1.report in ({changed})")


def cross_year_checks(db: sqlite_utils.Database) -> list[dict]:
    """R6 for the reports of the agencies the build touched, before or after (it needs the
    agency's report of the year before): their old cross-year checks go, the new ones are returned."""
    db.execute(f"insert into temp.changed_agencies select distinct agency from reports "
               f"where id in ({CHANGED_REPORT_IDS}) and agency is not null")
    agencies = "select agency from temp.changed_agencies"
    db.execute(f"delete from checks_packed where [check] = (select code from codes where word = 'cross_year') "
               f"and report in (select rowid from reports where agency in ({agencies}))")
    reports = [dict(zip(("id", "agency", "year", "doc_type"), r)) for r in db.execute(
        f"select id, agency, year, doc_type from reports where agency in ({agencies}) and year is not null")]
    # (the packed rows, found by report and outcome code: the view would decode every cell's keys;
    # cross join: each report's two outcomes by the primary key, whatever the statistics say)
    outcomes = [dict(zip(("report_id", "outcome", "applicant_type", "count"), r)) for r in db.execute(
        "select r.id, o.word, a.word, p.count from reports r "
        "cross join application_outcomes_packed p on p.report = r.rowid and p.outcome in (select code from codes "
        "  where word in ('carried_over_from_prev_year', 'carried_forward_to_next_year')) "
        "join codes o on o.code = p.outcome join codes a on a.code = p.applicant_type "
        f"where r.agency in ({agencies})")]
    return check_rows(checks.cross_year(reports, outcomes))


def audits_across_reports(db: sqlite_utils.Database, full: bool) -> list[dict]:
    """The cross_year and original audits (parsers/audit.py) of the annual reports whose
    comparisons may have moved: all of them in a full build; in an update, those built, the
    reports of the agencies they belong to (cross-year checks are per agency), and their
    neighbours before and after (audit_neighbours). Their old rows go; the new ones are returned."""
    if full:
        which = "1"
    else:
        add_audit_neighbours(db)
        which = (f"(r.id in ({CHANGED_REPORT_IDS}) or r.id in (select id from temp.audit_neighbours) "
                 f"or r.agency in (select agency from temp.changed_agencies))")
    reports = db.execute(f"select r.rowid, r.id, r.agency, r.agency_key, r.year from reports r "
                         f"where r.doc_type = 'annual_report' and {which}").fetchall()
    numbers = [number for number, *_ in reports]
    codes = dict(db.execute("select word, code from codes where word in ('cross_year', 'original')").fetchall())
    db.execute("create temp table audited (report integer primary key)")
    db.conn.executemany("insert into temp.audited values (?)", [(n,) for n in numbers])
    db.execute("delete from audits_packed where report in (select report from temp.audited) and indicator in "
               "(select code from codes where word in ('cross_year', 'original'))")
    checks_by_report: dict[int, list] = {}
    for report, passed, detail in db.execute(
            "select report, passed, detail from checks_packed where [check] = ? and report in "
            "(select report from temp.audited) order by report, scope", [codes.get("cross_year", -1)]):
        checks_by_report.setdefault(report, []).append((bool(passed), detail))
    annual = {(agency, year) for agency, year in db.execute(
        "select agency, year from reports where doc_type = 'annual_report' and agency is not null")}
    by_key_year = {}
    for number, key, year in db.execute("select rowid, agency_key, year from reports where doc_type = 'annual_report' "
                                        "and agency_key is not null and year is not null order by id desc"):
        by_key_year[(key, year)] = number  # (the first by id, when an agency has two copies of a year)
    spec = audit.rules()["original"]
    # LSH candidates: reports sharing a band (a band that hundreds of reports share is boilerplate)
    # (the bands first, materialised: joined before they are counted, the few bands every
    # synthetic report shares make billions of pairs)
    partners: dict[int, set[int]] = {}
    for report, other in db.execute(
            "with shared as materialized (select band from report_bands_packed group by band "
            "  having count(*) between 2 and ?) "
            "select b1.report, b2.report from shared s "
            "cross join report_bands_packed b1 on b1.band = s.band "
            "cross join report_bands_packed b2 on b2.band = s.band and b2.report != b1.report "
            + ("" if full else "where b1.report in (select report from temp.audited)"),
            [spec["max_band_reports"]]):
        partners.setdefault(report, set()).add(other)
    about = {number: (rid, agency, key, year) for number, rid, agency, key, year in db.execute(
        "select rowid, id, agency, agency_key, year from reports where doc_type = 'annual_report'")}

    @functools.lru_cache(maxsize=50_000)
    def sentences(number: int) -> frozenset:
        row = db.execute("select sentences from report_fingerprints_packed where report = ?", [number]).fetchone()
        return frozenset(audit.unpack(row[0]) if row else ())

    rows = []
    for number, rid, agency, key, year in reports:
        found = [audit.cross_year(checks_by_report.get(number, []), (agency, (year or 0) - 1) in annual)]
        previous = by_key_year.get((key, year - 1)) if key and year else None
        others = []
        for other in sorted(partners.get(number, ())):
            other_id, other_agency, other_key, other_year = about[other]
            if other_key != key or key is None:  # another agency's report (the same agency's: its own copies)
                others.append((f"{other_agency or other_id}（{other_year}年）", sentences(other)))
        found.append(audit.original(sentences(number), sentences(previous) if previous else None, others))
        rows += [{"report_id": rid, "indicator": a.indicator, "status": a.status, "value": a.value,
                  "detail": a.detail, "start": a.start, "end": a.end, "rule": a.rule} for a in found]
    db.execute("drop table temp.audited")
    return rows


def agency_rows(db: sqlite_utils.Database, which: str = "1") -> list[dict]:
    """One row per agency key (those `which` picks): its usual name (the form most reports use),
    every form seen, its region and level, and the years it reported."""
    found: dict[str, dict] = {}
    for key, agency, code, province, city, county, year in db.execute(
            "select agency_key, agency, region_code, province, city, county, year from reports "
            f"where agency_key is not null and {which} order by id"):
        row = found.setdefault(key, {"agency_key": key, "region_code": code, "province": province, "city": city,
                                     "county": county, "forms": {}, "years": []})
        row["forms"][agency] = row["forms"].get(agency, 0) + 1
        row["years"] += [year] if year else []
    return [{"agency_key": key, "name": max(row["forms"], key=lambda f: (row["forms"][f], -len(f))),
             "region_code": row["region_code"], "province": row["province"], "city": row["city"],
             "county": row["county"], "level": agencies.level(next(iter(row["forms"])), row["region_code"]),
             "names": json.dumps(sorted(row["forms"]), ensure_ascii=False), "reports": sum(row["forms"].values()),
             "first_year": min(row["years"], default=None), "last_year": max(row["years"], default=None)}
            for key, row in found.items()]


def renumber_issues(db: sqlite_utils.Database) -> None:
    """build_issues ids in file order, the same whichever files this build parsed again."""
    db.execute("create temp table issue_order as select id as old, "
               "row_number() over (order by source_path, id) as new from build_issues")
    db.execute("update build_issues set id = -(select new from issue_order where old = build_issues.id)")
    db.execute("update build_issues set id = -id")
    db.execute("drop table temp.issue_order")


COUNTS = {  # build_info keys the home page shows: counting millions of rows per visit is slow
    "reports": "select count(*) from reports",
    "annual_reports": "select count(*) from reports where doc_type = 'annual_report'",
    "agencies": "select count(distinct agency) from reports where agency is not null",
    "first_year": "select min(year) from reports",
    "last_year": "select max(year) from reports",
    "values": "select (select count(*) from metrics_packed) + (select count(*) from application_outcomes_packed)"
              " + (select count(*) from review_litigation_packed)",
    "failed_checks": "select count(*) from checks_packed where passed = 0",
}


HOME = {  # the home page's tables and chart (build_info.home, JSON): the same until the next build
    "per_year": "select year, sum(count) as applications, sum(reports) as reports from outcome_totals "
                "where outcome = 'new_received' and applicant_type = 'total' group by year order by year",
    "by_year": "select year, count(*) as n from reports group by year order by year desc",
    "by_template": "select template, count(*) as n from reports group by template order by n desc",
    "by_reading": "select reading, count(*) as n from reports group by reading order by n desc",
    "by_province": "select province, count(*) as n from reports group by province order by n desc, province",
}


def record_counts(db: sqlite_utils.Database) -> None:
    for key, sql in COUNTS.items():
        db.execute("insert or replace into build_info (key, value) values (?, ?)", [key, db.execute(sql).fetchone()[0]])
    # Rows of each packed table's view: counting a view joins every row (seconds at 100,000 reports);
    # the site's table pages show these instead (plugins/ogi_site.py).
    for name in PACKED_TABLES:
        db.execute("insert or replace into build_info (key, value) values (?, ?)",
                   [f"rows:{name}", db.execute(f"select count(*) from [{packed(name)}]").fetchone()[0]])
    home = {name: [dict(zip([d[0] for d in cursor.description], row)) for row in cursor.fetchall()]
            for name, cursor in ((name, db.execute(sql)) for name, sql in HOME.items())}
    db.execute("insert or replace into build_info (key, value) values ('home', ?)",
               [json.dumps(home, ensure_ascii=False)])

def _metric(name: str) -> str:
    """A prose or older-table figure, for reports without table 三 or 四."""
    return (f"(select m.value from metrics_packed m where m.report = r.rowid and m.metric = {_code(name)} "
            f"order by m.source = {_code('table')} desc limit 1)")


def _code(word: str) -> str:
    return f"(select code from codes where word = '{word}')"


def find_coverage_gaps(db: sqlite_utils.Database) -> None:
    """coverage_gaps for the provinces of the reports the build touched (a full build: all)."""
    provinces = "select province from temp.changed_groups where province is not null"
    db.execute(f"delete from coverage_gaps where province in ({provinces})")
    db.execute(f"""
        insert into coverage_gaps
        with seen as (select distinct agency_key, province, year from reports
                      where doc_type = 'annual_report' and agency_key is not null and year is not null
                        and province in ({provinces})),
             years as (select distinct province, year from seen),
             agencies as (select agency_key, province, min(year) as first from seen group by 1, 2)
        select a.agency_key, a.province, y.year,
               (select max(s.year) from seen s where s.agency_key = a.agency_key and s.year < y.year)
        from agencies a join years y on y.province = a.province and y.year > a.first
        where not exists (select 1 from seen s where s.agency_key = a.agency_key and s.year = y.year)""")


def fill_aggregates(db: sqlite_utils.Database) -> None:
    """Fill report_figures and outcome_totals for the reports the build touched and the
    (year, province) groups they were or are in (a full build touches them all). They read the
    packed tables (decoding only the keys they sum by): through the views, a full build's sums
    would join every cell's report and keys (seconds at 100,000 reports)."""
    db.execute(f"delete from report_figures where report_id in ({CHANGED_REPORT_IDS})")
    numbers = f"select rowid from reports where id in ({CHANGED_REPORT_IDS})"
    outcome_cells = ("select p.report, o.word as outcome, p.count from application_outcomes_packed p "
                     f"join codes o on o.code = p.outcome where p.applicant_type = {_code('total')} "
                     f"and p.report in ({numbers})")
    review_cells = ("select p.report, pr.word as proceeding, rs.word as result, p.count from review_litigation_packed p "
                    "join codes pr on pr.code = p.proceeding join codes rs on rs.code = p.result "
                    f"where p.report in ({numbers})")
    figures = ", ".join(f"{sql} as {name}" for name, sql in FIGURES.items())
    review = ", ".join(f"{sql} as {name}" for name, sql in REVIEW.items())
    db.execute(f"""
        insert into report_figures
        select r.id, r.agency, r.year, r.province, r.template, r.doc_type,
          coalesce(o.new_received, {_metric('applications_received_total')}),
          {', '.join(f'o.{name}' for name in FIGURES)},
          round(1.0 * (coalesce(o.granted, 0) + coalesce(o.partially_granted, 0)) / nullif(o.results_total, 0), 3),
          {', '.join(f'rl.{name}' for name in REVIEW)},
          coalesce(rl.admin_review_total, {_metric('admin_review_total')}),
          coalesce(rl.litigation_total, {_metric('litigation_total')})
        from reports r
        left join (select report, {figures} from ({outcome_cells}) group by report) o on o.report = r.rowid
        left join (select report, {review} from ({review_cells}) group by report) rl on rl.report = r.rowid
        where r.id in ({CHANGED_REPORT_IDS})""")
    db.execute(f"insert into temp.changed_groups select year, province from reports where id in ({CHANGED_REPORT_IDS})")
    db.execute("delete from outcome_totals where exists (select 1 from temp.changed_groups g "
               "where g.year is outcome_totals.year and g.province is outcome_totals.province)")
    # The groups first, each group's reports by the (year, province) index (left to itself, the
    # planner reads every report's cells before it looks at the group: seconds at 100,000 reports),
    # summed by group number and key codes, then named (sorting millions of texts takes seconds).
    db.execute("create temp table summary_groups as select distinct year, province from temp.changed_groups")
    reports = ("temp.summary_groups g cross join reports r indexed by idx_reports_year_province "
               "on r.year is g.year and r.province is g.province")
    db.execute(f"""
        insert into outcome_totals
        select g.year, g.province, o.word, a.word, x.reports, x.count
        from (select g.rowid as grp, p.outcome, p.applicant_type, count(*) as reports, sum(p.count) as count
              from {reports} join application_outcomes_packed p on p.report = r.rowid
              where g.year is not null
              group by g.rowid, p.outcome, p.applicant_type) x
        join temp.summary_groups g on g.rowid = x.grp
        join codes o on o.code = x.outcome join codes a on a.code = x.applicant_type""")
    db.execute("delete from refusal_totals where exists (select 1 from temp.changed_groups g "
               "where g.year is refusal_totals.year and g.province is refusal_totals.province)")
    total, table = _code("total"), _code("table")
    reasons = ("select code from codes c join labels l on l.key = c.word and l.kind = 'outcome' and l.template = 't2021' "
               "where l.parent in ('denied_total', 'unable_total', 'not_processed_total', 'other_total')")
    db.execute(f"""
        insert into refusal_totals
        select g.year, g.province, o.word, x.applications, x.reports, x.results_total
        from (select g.rowid as grp, p.outcome, sum(p.count) as applications, count(*) as reports,
                sum(t.count) as results_total
              from {reports}
              join application_outcomes_packed t on t.report = r.rowid and t.outcome = {_code('results_total')}
                and t.applicant_type = {total} and t.source = {table} and t.count is not null
              join application_outcomes_packed p on p.report = r.rowid and p.applicant_type = {total}
                and p.source = {table} and p.count is not null and p.outcome in ({reasons})
              group by g.rowid, p.outcome) x
        join temp.summary_groups g on g.rowid = x.grp
        join codes o on o.code = x.outcome""")
    db.execute("drop table temp.summary_groups")
