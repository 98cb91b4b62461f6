"""The five founding reports: what a person reads in each, found in the database."""

import pytest

from conftest import ROOT
from score import load, mismatches

EXPECTATIONS = load(ROOT / "tests" / "expected")
# Corpus reports whose layouts are not all read yet. Strict: a file that starts
# to pass must be taken off this list.
NOT_YET: set[str] = set()


@pytest.mark.parametrize("expected", [
    pytest.param(e, marks=pytest.mark.xfail(strict=True, reason="layout not read yet")) if e["file"] in NOT_YET else e
    for e in EXPECTATIONS], ids=[e["file"] for e in EXPECTATIONS])
def test_report_matches_what_a_person_reads(db, expected):
    assert mismatches(db, expected) == []


SEEDS = ["000_680e7faf37592182", "001_b722d12b70247cc9", "002_7a6cba6d02a39fa6", "003_85b1cd000e56671f", "004_14180acebc5eaf6b"]


def test_all_five_seeds_are_in_the_database(db):
    assert db.execute(f"select count(*) from reports where id in ({','.join('?' * 5)})", SEEDS).fetchone()[0] == 5


def test_every_cell_of_table_three_and_four(db):
    """The 2021 report: table 三 is 25 rows x 7 applicant types, table 四 has 15 cells."""
    rid = "003_85b1cd000e56671f"
    assert db.execute("select count(*) from application_outcomes where report_id = ?", [rid]).fetchone()[0] == 25 * 7
    assert db.execute("select count(*) from review_litigation where report_id = ?", [rid]).fetchone()[0] == 15


def test_every_row_of_the_2017_statistics_table(db):
    """62 of the table's 65 rows carry a value (三 header rows are empty); nothing else is a table metric."""
    rows = db.execute("select metric from metrics where report_id = '002_7a6cba6d02a39fa6' and source = 'table'").fetchall()
    assert len(rows) == 62 and len({r[0] for r in rows}) == 62


def test_checks_of_the_2021_report(db):
    rows = db.execute("""select "check", count(*), sum(passed) from checks where report_id = '003_85b1cd000e56671f'
                         group by "check" order by "check" """).fetchall()
    # 7 columns balance and outcome sums, 25 rows applicant sums, 3 review groups; all hold in this report.
    assert [tuple(r) for r in rows] == [("applicant_sum", 25, 25), ("balance", 7, 7), ("outcome_sum", 7, 7), ("review_sum", 3, 3)]


def test_checks_of_the_2017_table(db):
    rows = {r["check"]: (r["expected"], r["actual"], r["passed"]) for r in
            db.execute("select * from checks where report_id = '002_7a6cba6d02a39fa6'")}
    assert rows["staff_sum"] == (5, 5, 1)  # 5 staff = 0 full-time + 5 part-time
    assert rows["channels_within_total"] == (482, 436, 1)  # 482 items, the largest channel 436
    assert rows["channel_header_sum"] == (436, 436, 1)
    assert all(passed for _, _, passed in rows.values())


def test_approximate_figures_keep_what_was_written(db):
    rows = {r["value_raw"]: (r["value"], r["unit"], r["approximate"]) for r in
            db.execute("select * from metrics where report_id = '000_680e7faf37592182' and approximate = 1")}
    assert rows == {"10余": (10, "次", 1), "180余": (180, "件", 1)}
    near = db.execute("select value_raw from metrics where report_id = '004_14180acebc5eaf6b' and value = 10000").fetchone()
    assert near["value_raw"] == "近10000余"


def test_runs_of_glued_digits_are_not_figures(db):
    """Scraping lost 年/月/日 in 001 (20181120181231 was 2018年1月1日至2018年12月31日)."""
    text = db.execute("select text from reports where id = '001_b722d12b70247cc9'").fetchone()[0]
    for run in ("20181120181231", "29802018", "20183", "201819", "2018423", "20189", "1231"):
        start = text.index(run)
        overlapping = db.execute("""select value_raw from metrics where report_id = '001_b722d12b70247cc9'
                                    and start < ? and "end" > ?""", [start + len(run), start]).fetchall()
        assert overlapping == [], run


def test_negative_statements_are_zero_with_the_negation_as_written(db):
    rows = db.execute("""select metric, value, value_raw, label from metrics
                         where report_id = '000_680e7faf37592182' and value_raw = '没有' order by metric""").fetchall()
    assert [(r["metric"], r["value"]) for r in rows] == [
        ("admin_review_total", 0), ("complaints_total", 0), ("litigation_total", 0)]
    assert "行政复议和行政诉讼案件" in rows[0]["label"]


def test_cover_letter_is_not_the_report(db):
    """002 starts with a letter 关于上报《…》的报告; the report's title is the one after it, and no section is in the letter."""
    first = db.execute("""select min(s.start), instr(r.text, '格尔木市2017年政府信息公开工作年度报告') - 1
                          from sections s join reports r on r.id = s.report_id where r.id = '002_7a6cba6d02a39fa6'""").fetchone()
    assert first[0] > first[1] >= 0


SECTIONS_000 = [
    (1, "一", "概述", "overview", None), (2, "(一)", "强化工作部署", None, "一"), (2, "(二)", "突出公开要点", None, "一"),
    (2, "(三)", "加强培训督导", None, "一"), (1, "二", "主动和依申请公开情况", "proactive_disclosure", None),
    (2, "(一)", "主动公开", None, "二"), (2, "(二)", "依申请公开", None, "二"),
    (1, "三", "行政复议、诉讼和申诉情况", "review_litigation", None), (1, "四", "政府信息公开支出及收费情况", "fees", None),
    (1, "五", "存在的主要问题及改进措施", "problems_improvements", None), (2, "(一)", "主要问题", None, "五"),
    (2, "(二)", "改进措施", None, "五"),
]


def test_sections_and_their_hierarchy(db):
    rows = db.execute("""select s.level, s.number, s.heading, s.key, p.number as parent
                         from sections s left join sections p on p.id = s.parent_id
                         where s.report_id = '000_680e7faf37592182' order by s.ordinal""").fetchall()
    assert [tuple(r) for r in rows] == SECTIONS_000


def test_sections_of_the_2021_report(db):
    rows = db.execute("""select number, heading, key from sections
                         where report_id = '003_85b1cd000e56671f' and level = 1 order by ordinal""").fetchall()
    assert [tuple(r) for r in rows] == [
        ("一", "总体情况", "overview"), ("二", "主动公开政府信息情况", "proactive_disclosure"),
        ("三", "收到和处理政府信息公开申请情况", "requests"), ("四", "政府信息公开行政复议、行政诉讼情况", "review_litigation"),
        ("五", "存在的主要问题及改进情况", "problems_improvements"), ("六", "其他需要报告的事项", "other_matters")]
    # Table rows such as 三、本年度办理结果 are cells, not sections.
    assert db.execute("select count(*) from sections where heading like '本年度办理结果%' "
                      "and report_id = '003_85b1cd000e56671f'").fetchone()[0] == 0


NOISE = ["打印本页", "关闭窗口", "分享到", "当前位置", "浏览次数", "扫一扫", "字号", "背景颜色", "凯发一触即发", "责任编辑", "0413piao"]


def test_page_noise_is_never_a_title_agency_or_section(db):
    for word in NOISE:
        assert db.execute("select count(*) from reports where title like ? or agency like ?",
                          [f"%{word}%", f"%{word}%"]).fetchone()[0] == 0, word
        assert db.execute("select count(*) from sections where heading like ?", [f"%{word}%"]).fetchone()[0] == 0, word


def test_page_noise_is_never_inside_a_section(db):
    for word in ["打印本页", "扫一扫", "分享到", "浏览次数", "点击下载附件"]:
        assert db.execute("select count(*) from sections where text like ?", [f"%{word}%"]).fetchone()[0] == 0, word


def test_page_noise_is_never_a_figure(db):
    """浏览次数:1 in 000 and the share count 0 in 004 sit on furniture lines."""
    for rid, word in [("000_680e7faf37592182", "浏览次数"), ("004_14180acebc5eaf6b", "分享到")]:
        text = db.execute("select text from reports where id = ?", [rid]).fetchone()[0]
        start = text.index(word)
        line_end = text.index("\n", text.index("\n", start) + 1)  # the furniture line and the one after it
        assert db.execute('select count(*) from metrics where report_id = ? and start between ? and ?',
                          [rid, start, line_end]).fetchone()[0] == 0


def test_injected_spam_is_recorded(db):
    row = db.execute("select * from build_issues where report_id = '003_85b1cd000e56671f'").fetchone()
    assert row["severity"] == "warning" and "凯发一触即发" in row["message"] and "003_85b1cd000e56671f.txt" in row["message"]
