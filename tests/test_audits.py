"""The audits (parsers/audit.py, store.audits_across_reports): for each indicator a pass, a fail
and a not-assessable case, on reports made for the purpose; then the rates over the whole
bundled corpus, recomputed here from the tables they rest on."""

from __future__ import annotations

from datetime import date
import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

import build
from conftest import ROOT
from parsers import audit as audit_module
from parsers import document
from parsers import data
from parsers.model import Audit, Check, Section, Version
from parsers.pipeline import parse_report
from variants import PROSE, tables_of, variant

BASE = parse_report("017_pingtan_zone_2022.txt", (ROOT / "reports/017_pingtan_zone_2022.txt").read_bytes())
PINGTAN_2022 = (ROOT / "reports/017_pingtan_zone_2022.txt").read_text(encoding="utf-8")
# Sentences of the kind reports are made of, each of at least twelve Chinese characters.
PROSE_A = ["本机关坚持以公开为常态不公开为例外，全面推进决策执行管理服务结果公开。",
           "全年通过政府网站发布工作动态和通知公告，及时回应社会关切和群众诉求。",
           "进一步完善依申请公开工作机制，规范受理登记审核答复归档等各个环节。",
           "加强政府信息公开工作人员业务培训，提高工作人员的法治意识和业务水平。",
           "政策解读形式较为单一，部分栏目信息更新不够及时，工作人员力量仍显不足。",
           "下一步将加强统筹协调，丰富政策解读形式，确保各栏目信息及时准确更新。"]
PROSE_B = ["围绕乡村振兴重点工作，公开涉农补贴发放和项目建设资金使用情况。",
           "依托便民服务中心设立政务公开专区，方便群众现场查阅各类政府信息。",
           "组织开展政务开放日活动，邀请群众代表走进机关了解行政审批工作流程。",
           "针对群众关心的征地拆迁问题，及时公开补偿标准和安置方案等重要信息。",
           "基层公开标准目录的应用还不够深入，部分村务公开栏内容更新较慢。",
           "明年将对照标准目录逐项梳理公开事项，推动基层政务公开规范化建设。"]


def made_report(agency: str, year: int, prose: list[str], *, carried_over: int | None = None,
                carried_forward: int | None = None, date: str | None = None) -> bytes:
    """A 2021-format report (pipe tables, 平潭's 2022 figures) of `agency` for `year`, its
    prose `prose`, with table 三's carry-over rows' natural-person cells set where given."""
    tables = tables_of(BASE, data.templates())
    rows = []
    for row, values in tables.rows:
        if row["key"] == "carried_over_from_prev_year" and carried_over is not None:
            values = [carried_over, 0, 0, 0, 0, 0, carried_over]
        if row["key"] == "carried_forward_to_next_year" and carried_forward is not None:
            values = [carried_forward, 0, 0, 0, 0, 0, carried_forward]
        rows.append((row, values))
    text = variant(replace(tables, agency=agency, year=year, rows=rows), "pipe", "plain").data.decode("utf-8")
    text = text.replace(PROSE, "".join(prose), 1).replace(PROSE, "无。")
    return (text + (f"{agency}\n{date}\n" if date else "")).encode("utf-8")


def audits_of(report) -> dict[str, tuple]:
    return {a.indicator: (a.status, a.value) for a in report.audits}


def build_folder(tmp_path: Path, files: dict[str, bytes | str]) -> sqlite3.Connection:
    folder = tmp_path / "corpus"
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    db_path = tmp_path / "a.db"
    assert build.main(["--db", str(db_path), "--jobs", "1", str(folder)]) == 0
    return sqlite3.connect(db_path)


def statuses(db: sqlite3.Connection, indicator: str) -> dict[str, str]:
    return dict(db.execute("select report_id, status from audits where indicator = ?", [indicator]).fetchall())


# --- one report ------------------------------------------------------------------------------------

def test_on_time_a_late_department_a_timely_government_and_no_date():
    late = parse_report("bureau.txt", made_report("某市教育局", 2023, PROSE_A), {"published_date": "2024-05-10"})
    # a department's 2023 report is due on 31 January 2024; 10 May is 29 + 31 + 30 + 10 = 100 days on
    assert audits_of(late)["on_time"] == ("fail", 100)
    timely = parse_report("gov.txt", made_report("某县人民政府", 2023, PROSE_A), {"published_date": "2024-03-15"})
    assert audits_of(timely)["on_time"] == ("pass", 0)  # a government's is due on 31 March
    undated = parse_report("undated.txt", made_report("某县人民政府", 2023, PROSE_A))
    assert audits_of(undated)["on_time"] == ("not_assessable", None)
    no_such_day = parse_report("bad.txt", made_report("某县人民政府", 2023, PROSE_A), {"published_date": "2024-13-45"})
    assert audits_of(no_such_day)["on_time"] == ("not_assessable", None)
    signed_late = parse_report("signed.txt", made_report("某市教育局", 2023, PROSE_A, date="2024年2月5日"))
    audit = next(a for a in signed_late.audits if a.indicator == "on_time")
    assert (audit.status, audit.value) == ("fail", 5)  # signed after the deadline: it cannot have been on time
    assert signed_late.source.text[audit.start:audit.end] == "2024年2月5日"  # the evidence
    signed_in_time = parse_report("signed2.txt", made_report("某市教育局", 2023, PROSE_A, date="2024年1月20日"))
    assert audits_of(signed_in_time)["on_time"] == ("uncertain", None)  # signed in time; published when?
    before_2019 = parse_report("old.txt", made_report("某市教育局", 2017, PROSE_A), {"published_date": "2018-03-20"})
    assert audits_of(before_2019)["on_time"] == ("pass", 0)  # until 2019 every agency had until 31 March


def test_complete_all_parts_a_dated_report_missing_one_and_no_year():
    assert audits_of(BASE)["complete"] == ("pass", 1.0)  # six parts, 200 of 200 cells
    # signed at its end, without its last part
    cut = (PINGTAN_2022[:PINGTAN_2022.index("六、其他需要报告的事项")].replace("发布时间: 2023-02-20 15:07", "")
           + "平潭综合实验区管委会\n2023年2月15日\n")
    missing = parse_report("cut.txt", cut.encode("utf-8"))
    assert audits_of(missing)["complete"][0] == "fail"
    assert "其他需要报告的事项" in next(a.detail for a in missing.audits if a.indicator == "complete")
    # the same, as a saved page that stops short: dated at its top, not signed at its end
    stops_short = PINGTAN_2022[:PINGTAN_2022.index("六、其他需要报告的事项")]
    assert audits_of(parse_report("short.txt", stops_short.encode("utf-8")))["complete"][0] == "uncertain"
    # an older report need not head each part: speaking of it is enough
    old = parse_report("008.txt", (ROOT / "reports/008_pingtan_county_gov_2011.txt").read_bytes())
    assert audits_of(old)["complete"][0] == "pass"
    no_year = made_report("某市教育局", 2023, PROSE_A).decode().replace("2023", "")
    report = parse_report("noyear.txt", no_year.encode("utf-8"))
    assert report.metadata.year is None and audits_of(report)["complete"] == ("not_assessable", None)


def test_consistent_and_text_matches_tables():
    # the report's own sums all hold; its prose says 75 applications where table 三 adds up to 74
    assert audits_of(BASE)["consistent"] == ("pass", 0)
    assert audits_of(BASE)["text_matches_tables"] == ("fail", 1)
    agreed = parse_report("agreed.txt", PINGTAN_2022.replace("收到政府信息公开申请75件", "收到政府信息公开申请74件").encode())
    assert audits_of(agreed)["text_matches_tables"] == ("pass", 0)
    broken = made_report("某县人民政府", 2023, PROSE_A, carried_forward=5)  # 74 + 1 ≠ 75 + 5
    assert audits_of(parse_report("broken.txt", broken))["consistent"][0] == "fail"
    prose_only = "某县人民政府2011年政府信息公开工作年度报告\n一、概述\n" + "".join(PROSE_A) + "\n"
    report = parse_report("prose.txt", prose_only.encode("utf-8"))
    assert audits_of(report)["consistent"] == ("not_assessable", None)
    assert audits_of(report)["text_matches_tables"] == ("not_assessable", None)


def test_unchanged_and_clean_source():
    data_ = made_report("某县人民政府", 2023, PROSE_A)
    from harvester.state import sha256
    one = {"versions": [{"version": 1, "sha256": sha256(data_), "fetched_at": "2024-03-01T00:00:00+00:00"}]}
    two = {"versions": [{"version": 1, "sha256": "0" * 64}, {"version": 2, "sha256": sha256(data_)}]}
    assert audits_of(parse_report("a.txt", data_, one))["unchanged"] == ("pass", 1)
    assert audits_of(parse_report("a.txt", data_, two))["unchanged"] == ("fail", 2)
    assert audits_of(parse_report("a.txt", data_))["unchanged"] == ("not_assessable", None)
    assert audits_of(parse_report("a.txt", data_))["clean_source"] == ("pass", 0)
    spam = data_.decode().replace("无。", "无。澳门新葡京娱乐场。", 1).encode("utf-8")
    assert audits_of(parse_report("spam.txt", spam))["clean_source"][0] == "fail"


def test_only_annual_reports_are_audited():
    letter = parse_report("letter.txt", (ROOT / "reports/011_pingtan_2014_workpoints_implementation_letter.txt").read_bytes())
    assert letter.metadata.doc_type != "annual_report" and letter.audits == []


# --- across reports ----------------------------------------------------------------------------------

def test_cross_year_and_original_through_the_build(tmp_path):
    db = build_folder(tmp_path, {
        "x2021.txt": made_report("某县人民政府", 2021, PROSE_A, carried_forward=3),
        # repeats its 2021 prose word for word; carries over what 2021 carried forward
        "x2022.txt": made_report("某县人民政府", 2022, PROSE_A, carried_over=3),
        "y2021.txt": made_report("某市教育局", 2021, PROSE_B, carried_forward=2),
        # new prose; carries over 1 where 2021 carried forward 2
        "y2022.txt": made_report("某市教育局", 2022, PROSE_A[:1] + PROSE_B[::-1][:1] + [
            "今年重点做好教育收费和招生入学信息公开，及时发布学校招生计划和录取结果。",
            "开设教育政策解读专栏，邀请学校负责人在线解答家长关心的热点问题。",
            "规范教育系统信息公开目录，逐项明确公开内容公开时限和责任科室。",
            "开展教育系统政务公开专项检查，发现问题及时督促相关学校整改落实。"], carried_over=1),
        # another agency's report copied from 某县人民政府's (雷同)
        "z2022.txt": made_report("某镇人民政府", 2022, PROSE_A),
        "w2022.txt": "某乡人民政府2022年政府信息公开工作年度报告\n一、总体情况\n全年公开信息十条。\n",
    })
    cross, original = statuses(db, "cross_year"), statuses(db, "original")
    assert (cross["x2022"], cross["y2022"], cross["x2021"]) == ("pass", "fail", "not_assessable")
    assert original["x2022"] == "fail"  # every sentence of its 2021 report again
    assert original["y2022"] == "pass"
    assert original["z2022"] == "fail" and original["w2022"] == "not_assessable"
    detail = db.execute("select detail, value from audits where report_id = 'z2022' and indicator = 'original'").fetchone()
    assert "某县人民政府" in detail[0] and detail[1] == 1.0
    share = db.execute("select value from audits where report_id = 'y2022' and indicator = 'original'").fetchone()[0]
    # its sentences: the format's opening one (统计期限…) and the six given; one is its 2021 report's
    assert share == pytest.approx(1 / 7, abs=0.001)
    # every annual report has one row per indicator
    counts = db.execute("select count(*), count(distinct report_id) from audits").fetchone()
    annual = db.execute("select count(*) from reports where doc_type = 'annual_report'").fetchone()[0]
    assert counts == (8 * annual, annual)


def test_an_update_audits_as_a_full_build_does(tmp_path):
    files = {"x2021.txt": made_report("某县人民政府", 2021, PROSE_A, carried_forward=3),
             "x2022.txt": made_report("某县人民政府", 2022, PROSE_B, carried_over=3),
             "z2022.txt": made_report("某镇人民政府", 2022, PROSE_B)}
    db = build_folder(tmp_path, files)
    assert statuses(db, "original")["z2022"] == "fail"
    db.close()
    # x2022 is rewritten with other prose: z2022, which copied it, is no longer a copy
    (tmp_path / "corpus/x2022.txt").write_bytes(made_report("某县人民政府", 2022, PROSE_A, carried_over=3))
    assert build.main(["--db", str(tmp_path / "a.db"), "--jobs", "1", str(tmp_path / "corpus")]) == 0
    updated = sqlite3.connect(tmp_path / "a.db")
    full = build_folder(tmp_path / "full", {**files, "x2022.txt": made_report("某县人民政府", 2022, PROSE_A,
                                                                            carried_over=3)})
    rows = "select report_id, indicator, status, value, detail from audits order by 1, 2"
    assert updated.execute(rows).fetchall() == full.execute(rows).fetchall()
    assert statuses(updated, "original")["z2022"] == "pass" and statuses(updated, "original")["x2022"] == "fail"


# --- over the bundled corpus ------------------------------------------------------------------------

def test_the_rates_over_the_corpus_follow_from_the_tables_they_rest_on(db):
    annual = [r for (r,) in db.execute("select id from reports where doc_type = 'annual_report'")]
    audits = {(r["report_id"], r["indicator"]): r["status"] for r in db.execute("select * from audits")}
    assert len(audits) == 8 * len(annual)
    own_checks = {}
    for r in db.execute("select report_id, [check], passed from checks"):
        own_checks.setdefault((r["report_id"], r["check"]), []).append(r["passed"])
    for report in annual:
        arithmetic = [p for (rid, check), ps in own_checks.items() if rid == report
                      and check not in ("text_vs_table", "cross_year") for p in ps]
        expected = "not_assessable" if not arithmetic else "pass" if all(arithmetic) else "fail"
        assert audits[(report, "consistent")] == expected, report
        prose = own_checks.get((report, "text_vs_table"))
        assert audits[(report, "text_matches_tables")] == (
            "not_assessable" if not prose else "pass" if all(prose) else "fail"), report
        spam = db.execute("select count(*) from build_issues where report_id = ? and message like '%injected spam%'",
                          [report]).fetchone()[0]
        assert audits[(report, "clean_source")] == ("fail" if spam else "pass"), report
        versions = db.execute("select count(distinct sha256) from report_versions where report_id = ?", [report]).fetchone()[0]
        assert audits[(report, "unchanged")] == {0: "not_assessable", 1: "pass"}.get(versions, "fail"), report
        year, date = db.execute("select year, published_date from reports where id = ?", [report]).fetchone()
        if year and date and date > f"{year + 1}-03-31":  # after the latest deadline of any agency
            assert audits[(report, "on_time")] == "fail", report
        if not date:
            assert audits[(report, "on_time")] == "not_assessable", report
    # the two 2011 reports of 平潭县 and the 平潭 zone share most of their sentences (a real 雷同)
    assert {audits[("008_pingtan_county_gov_2011", "original")], audits[("101_pingtan_zone_2011", "original")]} \
        <= {"uncertain", "fail"}


# --- on the site ----------------------------------------------------------------------------------

def test_the_site_shows_each_reports_audit_its_agencys_scorecard_and_the_queries(get, db):
    rows = {r["indicator"]: r for r in db.execute("select * from audits where report_id = '017_pingtan_zone_2022'")}
    page = get("/report/017_pingtan_zone_2022").text
    # a mark per indicator, with its status's class and its reason, and the evidence linked where there is some
    assert page.count('class="audit audit-') == 8
    assert 'class="audit audit-fail" href="#audit-text_matches_tables"' in page
    assert rows["text_matches_tables"]["status"] == "fail" and rows["text_matches_tables"]["detail"] in page
    on_time = rows["on_time"]
    assert f'?start={on_time["start"]}&amp;end={on_time["end"]}#hl' in page
    document = get("/report/017_pingtan_zone_2022.json").json()
    assert {a["indicator"]: a["status"] for a in document["audits"]} == {k: r["status"] for k, r in rows.items()}
    assert document["audits"][0].get("link") is None or document["audits"][0]["link"].startswith("http")
    key = db.execute("select agency_key from reports where id = '017_pingtan_zone_2022'").fetchone()[0]
    from datasette.utils import tilde_encode
    scorecard = get("/agency/" + tilde_encode(key)).text
    years = db.execute("select count(*) from reports where agency_key = ? and doc_type = 'annual_report'", [key]).fetchone()[0]
    assert 'id="scorecard"' in scorecard and scorecard.count("#audit-on_time") == years
    ranking = get("/ogi/audit_ranking.json", indicator="original", province="福建", _shape="array").json()
    pingtan = next(r for r in ranking if r["agency_key"] == key)
    expected = db.execute("select count(*) from audits a join reports r on r.id = a.report_id where r.agency_key = ? "
                          "and a.indicator = 'original' and a.status = 'pass'", [key]).fetchone()[0]
    assert pingtan["passed"] == expected and all(r["province"].startswith("福建") for r in ranking)
    gaps = get("/ogi/missing_reports.json", province="福建", year="", _shape="array").json()
    assert {(g["agency_key"], g["year"]) for g in gaps} == {
        tuple(r) for r in db.execute("select agency_key, year from coverage_gaps where province = '福建省'")}


# --- every field of an audit: what the site shows, worked out by hand ------------------------------

REGULATION = "《政府信息公开条例》（2019年国务院令第711号）第四十九条、第五十条"
OLD_REGULATION = "《政府信息公开条例》（2007年国务院令第492号）第三十一条、第三十二条"


def on_time_of(report) -> Audit:
    return next(a for a in report.audits if a.indicator == "on_time")


@pytest.mark.parametrize("agency, year, page_date, sidecar_date, expected", [
    # a department's 2023 report is due on 31 January 2024, a government's on 31 March
    ("某市教育局", 2023, None, "2024-05-10",
     ("fail", 100, "2024-05-10发布，晚于政府部门期限（2024-01-31）100天。", REGULATION)),
    ("某市教育局", 2023, None, "2024-01-31", ("pass", 0, "2024-01-31发布，在政府部门期限（2024-01-31）之前。", REGULATION)),
    ("某市教育局", 2023, None, "2024-02-01", ("fail", 1, "2024-02-01发布，晚于政府部门期限（2024-01-31）1天。", REGULATION)),
    ("某县人民政府", 2023, None, "2024-03-31", ("pass", 0, "2024-03-31发布，在人民政府期限（2024-03-31）之前。", REGULATION)),
    # the page's own date first, then what a sidecar or a harvest's listing says
    ("某市教育局", 2023, "2024-01-20 09:30", "2024-05-10", ("pass", 0, "2024-01-20发布，在政府部门期限（2024-01-31）之前。", REGULATION)),
    # until 2019 every agency had until 31 March
    ("某市教育局", 2017, None, "2018-04-02", ("fail", 2, "2018-04-02发布，晚于政府部门期限（2018-03-31）2天。", OLD_REGULATION)),
])
def test_on_time_says_when_against_which_deadline(agency, year, page_date, sidecar_date, expected):
    report = parse_report("r.txt", made_report(agency, year, PROSE_A), {"published_date": sidecar_date})
    audit = audit_module.on_time(report, page_date, sidecar_date)
    assert (audit.indicator, audit.status, audit.value, audit.detail, audit.rule) == ("on_time", *expected)
    assert (audit.start, audit.end) == (None, None)  # a date from outside the text has no span in it


def test_on_time_of_an_agency_of_unknown_kind_is_uncertain_between_the_deadlines():
    report = parse_report("r.txt", made_report("某市教育局", 2023, PROSE_A))
    nameless = replace(report, metadata=replace(report.metadata, agency=None))
    audit = audit_module.on_time(nameless, "2024-03-31", None)
    assert (audit.status, audit.value, audit.detail) == (
        "uncertain", None, "2024-03-31发布，机关类别不明（政府部门期限2024-01-31，人民政府期限2024-03-31）。")
    assert audit_module.on_time(nameless, "2024-01-31", None).detail == "2024-01-31发布，在期限（2024-01-31）之前。"
    assert audit_module.on_time(nameless, "2024-04-01", None).detail == "2024-04-01发布，晚于期限（2024-03-31）1天。"


def test_on_time_from_the_reports_own_date_points_at_it():
    on_the_day = parse_report("s.txt", made_report("某市教育局", 2023, PROSE_A, date="2024年1月31日"))
    audit = on_time_of(on_the_day)
    assert (audit.status, audit.value, audit.detail, audit.rule) == (
        "uncertain", None, "报告所载日期2024-01-31在期限内，但未见网页或采集记录的发布日期。", REGULATION)
    assert on_the_day.source.text[audit.start:audit.end] == "2024年1月31日"
    late = on_time_of(parse_report("s.txt", made_report("某县人民政府", 2023, PROSE_A, date="2024年4月2日")))
    assert (late.status, late.value, late.detail) == ("fail", 2, "报告所载日期2024-04-02已晚于人民政府期限（2024-03-31）2天。")


def test_on_time_without_a_year_a_rule_or_a_date_cannot_be_assessed():
    report = parse_report("r.txt", made_report("某市教育局", 2023, PROSE_A))
    no_year = replace(report, metadata=replace(report.metadata, year=None))
    assert audit_module.on_time(no_year, "2024-01-01", None) == Audit(
        "on_time", "not_assessable", None, "报告年度不明，无法确定发布期限。", REGULATION)
    before_rules = replace(report, metadata=replace(report.metadata, year=2007))
    assert audit_module.on_time(before_rules, "2008-01-01", None) == Audit(
        "on_time", "not_assessable", None, "没有2007年度报告的发布期限规则。", REGULATION)
    assert audit_module.on_time(report, None, None) == Audit(
        "on_time", "not_assessable", None, "报告、网页和附带信息都没有日期。", REGULATION)


FORMAT_2021 = "国办公开办函〔2021〕30号（年度报告格式）"


def complete_of(text: str, name: str = "r.txt") -> Audit:
    return next(a for a in parse_report(name, text.encode("utf-8")).audits if a.indicator == "complete")


def test_complete_names_what_is_missing_and_how_much_of_the_tables_was_read():
    whole = next(a for a in BASE.audits if a.indicator == "complete")
    assert whole == Audit("complete", "pass", 1.0, "应有的6个部分都在，表格单元格读出200/200。", FORMAT_2021)
    without_part_six = PINGTAN_2022[:PINGTAN_2022.index("六、其他需要报告的事项")].replace("发布时间: 2023-02-20 15:07", "")
    signed = complete_of(without_part_six + "平潭综合实验区管委会\n2023年2月15日\n")
    assert signed == Audit("complete", "fail", 1.0, "缺少其他需要报告的事项，表格单元格读出200/200。", FORMAT_2021)
    # the same copy unsigned: it may have been cut where the part began
    assert complete_of(without_part_six).detail == "缺少其他需要报告的事项，表格单元格读出200/200；所读副本无落款，可能不全。"
    assert complete_of(without_part_six).status == "uncertain"
    # the last two parts gone: both named, in the format's order
    without_five_and_six = PINGTAN_2022[:PINGTAN_2022.index("五、存在的主要问题及改进情况")].replace(
        "发布时间: 2023-02-20 15:07", "")
    assert complete_of(without_five_and_six + "\n平潭综合实验区管委会\n2023年2月15日\n").detail == \
        "缺少存在的主要问题及改进情况、其他需要报告的事项，表格单元格读出200/200。"
    no_year = made_report("某市教育局", 2023, PROSE_A).decode().replace("2023", "")
    assert complete_of(no_year) == Audit("complete", "not_assessable", None, "报告年度不明，无法确定应有的部分。",
                                         REGULATION)


def test_complete_of_a_report_without_its_tables_is_uncertain_never_failed():
    parts = "".join(f"{n}、{name}\n{sentence}\n" for n, name, sentence in zip(
        "一二三四五六", ["总体情况", "主动公开政府信息情况", "收到和处理政府信息公开申请情况", "政府信息公开行政复议、行政诉讼情况",
                       "存在的主要问题及改进情况", "其他需要报告的事项"], PROSE_A))
    prose_only = complete_of("某县人民政府2023年政府信息公开工作年度报告\n" + parts + "某县人民政府\n2024年3月1日\n")
    assert (prose_only.status, prose_only.detail) == ("uncertain", "未见统计表格（可能以图片发布），表格单元格读出0/200。")


EVALUATORS = "国办公开办函〔2021〕30号：对报告内容不准确、不完整、雷同或未按时发布的，严肃追责"
TEN = set(range(1, 11))  # a report's ten sentence hashes


@pytest.mark.parametrize("own, previous, others, expected", [
    ({1, 2, 3, 4}, None, [], ("not_assessable", None, "正文句子少于5句，无从比较。")),
    (TEN, set(range(3, 11)), [], ("fail", 0.8, "80%的句子与本机关上一年度报告相同（雷同）。")),
    (TEN, {1, 2, 3, 4, 5, 99}, [], ("uncertain", 0.5, "50%的句子与本机关上一年度报告相同。")),
    (TEN, {1, 2, 3, 4}, [], ("pass", 0.4, "40%的句子与本机关上一年度报告相同。")),
    (TEN, {99}, [], ("pass", 0.0, "0%的句子与本机关上一年度报告相同。")),
    (TEN, None, [], ("pass", 0.0, "语料中没有该机关上一年度的报告；与其他机关的报告未见雷同。")),
    # another agency's report: the closest one is named, from half of the sentences on
    (TEN, None, [("甲县2022年报告", set(range(1, 7))), ("乙县2022年报告", set(range(2, 11)))],
     ("fail", 0.9, "90%的句子与乙县2022年报告相同（雷同）。")),
    (TEN, {1, 2, 3}, [("甲县2022年报告", set(range(1, 6)))],
     ("uncertain", 0.5, "30%的句子与本机关上一年度报告相同，50%的句子与甲县2022年报告相同。")),
    (TEN, None, [("甲县2022年报告", {1, 2, 3, 4})], ("pass", 0.4, "与其他机关的报告未见雷同。")),
    (TEN, {1, 2, 3, 4, 5, 6, 7}, [("甲县2022年报告", {1, 2, 3, 4, 5, 6})],
     ("uncertain", 0.7, "70%的句子与本机关上一年度报告相同，60%的句子与甲县2022年报告相同。")),
])
def test_original_measures_the_share_repeated_and_names_whom_it_repeats(own, previous, others, expected):
    assert audit_module.original(own, previous, others) == Audit("original", *expected, EVALUATORS)


@pytest.mark.parametrize("checks, has_previous, expected", [
    ([], True, ("not_assessable", None, "没有读出上年结转或上年报告的结转下年度数字。")),
    ([], False, ("not_assessable", None, "语料中没有该机关上一年度的报告。")),
    ([(True, "a")] * 3, True, ("pass", 0, "上年结转与上年报告的结转下年度一致（3列）。")),
    ([(True, "a"), (False, "b"), (False, "c"), (False, "d"), (False, "e")], True, ("fail", 4, "b；c；d。")),
])
def test_cross_year_says_how_many_columns_agree(checks, has_previous, expected):
    assert audit_module.cross_year(checks, has_previous) == Audit("cross_year", *expected, FORMAT_2021)


def test_consistent_names_the_failed_checks_and_counts_the_rest():
    def check(name, scope, passed):
        return Check(name, scope, 1, 1 if passed else 2, passed, f"{name} {scope}")

    checks = [check("balance", "natural_person", False), check("applicant_sum", "granted", False),
              check("balance", "total", True), check("text_vs_table", "new_received", False),
              check("cross_year", "total", False)]
    report = replace(BASE, checks=checks)
    # the prose and cross-year comparisons are audits of their own
    assert audit_module.consistent(report) == Audit(
        "consistent", "fail", 2, "3项勾稽校验中2项不相符：applicant_sum(granted)、balance(natural_person)。", FORMAT_2021)
    assert audit_module.consistent(replace(BASE, checks=checks[2:])) == Audit(
        "consistent", "pass", 0, "1项勾稽校验全部相符。", FORMAT_2021)
    many = [check("outcome_sum", f"c{n}", False) for n in range(8)]
    assert audit_module.consistent(replace(BASE, checks=many)).detail == \
        "8项勾稽校验中8项不相符：" + "、".join(f"outcome_sum(c{n})" for n in range(6)) + "。"
    assert audit_module.text_matches_tables(report) == Audit(
        "text_matches_tables", "fail", 1, "text_vs_table new_received。", FORMAT_2021)
    assert audit_module.text_matches_tables(replace(BASE, checks=[check("text_vs_table", "a", True)] * 2)) == Audit(
        "text_matches_tables", "pass", 0, "正文与表格的2个数字一致。", FORMAT_2021)
    assert audit_module.consistent(replace(BASE, checks=checks[3:])) == Audit(
        "consistent", "not_assessable", None, "没有读出可以互相校验的数字。", FORMAT_2021)


def test_unchanged_counts_the_versions_seen_at_the_address():
    one, other = "1" * 64, "2" * 64
    same = [Version(1, one, "2024-03-01T00:00:00+00:00"), Version(2, one, "2024-04-01T00:00:00+00:00")]
    assert audit_module.unchanged(replace(BASE, versions=same)) == Audit(
        "unchanged", "pass", 1, "采集2次，文件未变。", EVALUATORS)
    changed = same + [Version(3, other, "2024-05-01T00:00:00+00:00")]
    assert audit_module.unchanged(replace(BASE, versions=changed)) == Audit(
        "unchanged", "fail", 2, "同一网址先后见到2个不同版本（2024-03-01T00:00:00+00:00起）。", EVALUATORS)
    assert audit_module.unchanged(replace(BASE, versions=[])) == Audit(
        "unchanged", "not_assessable", None, "未经采集，没有发布后的版本记录。", EVALUATORS)


def test_a_deadline_rule_applies_from_its_first_year_to_its_last():
    assert audit_module.deadline(2008, "department") == (date(2009, 3, 31), OLD_REGULATION)
    assert audit_module.deadline(2018, "government") == (date(2019, 3, 31), OLD_REGULATION)
    assert audit_module.deadline(2019, "department") == (date(2020, 1, 31), REGULATION)
    assert audit_module.deadline(2100, "government") == (date(2101, 3, 31), REGULATION)
    assert audit_module.deadline(2007, "department") is None and audit_module.deadline(2101, "department") is None


@pytest.mark.parametrize("part, text, named", [
    ("requests", "三、收到和处理政府信息公开申请情况", True),
    ("requests", "（三）依申请公开情况", True),
    ("requests", "三 . 本机关收到和处理政府信息公开申请情况", True),  # up to twelve words between
    ("requests", "三、本年度本机关在这一年里依法依规收到和处理政府信息公开申请情况", False),  # more: running text
    ("requests", "收到和处理政府信息公开申请情况", False),  # not numbered
    ("review_litigation", "四、行政复议、行政诉讼情况", True),
    ("requests", "四、行政复议、行政诉讼情况", False),
])
def test_a_numbered_heading_names_a_part(part, text, named):
    assert document.heading_names(part, text) is named


def test_sentences_are_the_prose_of_at_least_twelve_chinese_characters_without_headings():
    twelve = "本机关坚持以公开为常态不公"  # 12 Chinese characters
    text = (f"一、总体情况\n{twelve}。{twelve[:11]}。{twelve[:11]}2023。{twelve[:6]} {twelve[6:]}；"
            f"\n二、主动公开政府信息情况详细说明及其他\n二、主动公开政府信息情况详细说明及其他。")
    sections = [Section(1, 1, "一", "总体情况", 0, 10, "overview", None),
                Section(2, 1, "二", "主动公开政府信息情况详细说明及其他", text.index("\n二") + 1, len(text), None, None)]
    # 12 characters count, 11 do not, nor 11 with digits; spaces inside are dropped
    assert audit_module.sentences(text, [(0, len(text))], sections) == [twelve, twelve]
    # (without the sections, a heading long enough reads as a sentence: the line, and its copy in the text)
    heading = "二、主动公开政府信息情况详细说明及其他"
    assert audit_module.sentences(text, [(0, len(text))]) == [twelve, twelve, heading, heading]


def test_a_fingerprint_needs_five_sentences_and_gives_sixteen_bands():
    five = [f"第{n}句本机关坚持以公开为常态不公开为例外" for n in "一二三四五"]
    few = audit_module.fingerprint(five[:4])
    assert few.bands == [] and few.sentences == sorted({audit_module._hash32(s) for s in five[:4]})
    enough = audit_module.fingerprint(five)
    assert len(enough.bands) == 16 and len(set(enough.bands)) == 16
    assert audit_module.fingerprint(list(reversed(five))) == enough  # a set of sentences: order does not count
    assert audit_module.unpack(audit_module.pack(enough.sentences)) == set(enough.sentences)
    assert audit_module.unpack(None) == set()


def test_clean_source_counts_the_injected_words():
    spam = made_report("某县人民政府", 2023, PROSE_A).decode().replace("无。", "无。澳门新葡京娱乐场。", 1)
    assert audit_module.clean_source(parse_report("spam.txt", spam.encode())) == Audit(
        "clean_source", "fail", 1, "所读副本含有1处植入的垃圾文字（镜像网站），不是原始发布版本。", EVALUATORS)
    assert audit_module.clean_source(BASE) == Audit("clean_source", "pass", 0, "所读副本未见植入文字。", EVALUATORS)
