"""Parsing steps on small real excerpts, with what a person reads in them."""

import re

import pytest

from parsers import decode, document, figures, finding, regions, tables
from parsers.model import Issue, Section
from parsers.textutil import fold


def test_decode_gbk_utf8_bom_and_refusals():
    text = "君山区人民政府2016年政府信息公开工作年度报告"
    assert decode.decode_text(text.encode("gbk")).text == text
    assert decode.decode_text(text.encode("gb18030")).text == text
    assert decode.decode_text(b"\xef\xbb\xbf" + text.encode("utf-8")).text == text
    with pytest.raises(decode.UnreadableFile, match="empty"):
        decode.decode_text(b"  \n")
    with pytest.raises(decode.UnreadableFile, match="binary"):
        decode.decode_text(b"\x00\x01PK" * 100)


def test_fold_keeps_offsets():
    text = "（一）予以公开｜２４"
    assert fold(text) == "(一)予以公开|24" and len(fold(text)) == len(text)


@pytest.mark.parametrize("name,code", [
    ("君山区人民政府", "430611"), ("长沙市芙蓉区人民政府", "430102"), ("格尔木市人民政府", "632801"),
    ("湘潭市人民政府", "430300"), ("北京市海淀区人民政府", "110108"), ("岳阳市南湖新区管委会", "430600"),
])
def test_region_of_an_agency(name, code):
    assert regions.resolve(name).region_code == code


def test_region_unknown():
    assert regions.resolve("某某局") is None


def test_division_names_are_found_as_scanning_every_name_finds_them():
    """The names in a text, found by looking up the substrings that start at each character,
    are those that testing every one of the thousands of names finds, in the same order (longest
    first, then the list's order), overlapping names included."""
    import random

    def every_name(text, names):  # the reference: each name of the list, tested against the text
        taken, found = [False] * len(text), []
        for name in sorted((n for n in names if n in text), key=len, reverse=True):
            start = text.find(name)
            while start >= 0:
                if not any(taken[start:start + len(name)]):
                    taken[start:start + len(name)] = [True] * len(name)
                    found.append(names[name])
                start = text.find(name, start + 1)
        return found

    table = regions.divisions()
    names = list(table.by_name.codes) + list(table.by_short_name.codes)
    rng = random.Random(7)
    texts = ["湖南省长沙市芙蓉区人民政府办公室", "吉林省吉林市人民政府", "2021年格尔木市政府信息公开工作年度报告", ""]
    for _ in range(3000):  # names packed together, sharing characters where they meet
        a, b = rng.choice(names), rng.choice(names)
        texts += [a + b[1:] + "人民政府", a[:-1] + b, "".join(rng.choice(names) for _ in range(3))]
    for text in texts:
        for index in (table.by_name, table.by_short_name):
            assert regions._mentions(text, index) == every_name(text, index.codes), text


# Table 三's header from the 2021 seed: 其他 and 总计 are column headers, not the rows 3.其他 and (七)总计.
TABLE3_HEAD = """三、收到和处理政府信息公开申请情况
(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) |
申请人情况 | ||||||||
自 然 人 |
法人或其他组织 |
总 计 | |||||||
商业 企业 |
科研 机构 |
社会公益组织 |
法律服务机构 |
其他 | |||||
一、本年新收政府信息公开申请数量 |
137 |
2 |
0 |
0 |
0 |
0 |
139 | ||
"""


def test_column_headers_are_not_rows():
    found = tables.extract(TABLE3_HEAD, 2021)
    assert [(o.outcome, o.applicant_type, o.cell.value) for o in found.outcomes][:2] == [
        ("new_received", "natural_person", 137), ("new_received", "commercial_enterprise", 2)]
    assert {o.outcome for o in found.outcomes} == {"new_received"}
    total = next(o for o in found.outcomes if o.applicant_type == "total")
    assert TABLE3_HEAD[total.cell.start:total.cell.end] == "139"


def _figures(text):
    return [(m.metric, m.cell.value, m.cell.value_raw, m.unit) for m in figures.extract(text, [(0, len(text))])]


def test_figures_with_bounds_and_units():
    assert _figures("完成本地政策解读10余次,办结群众来信180余件,2018年发布信息近2000条。") == [
        ("policy_interpretations", 10, "10余", "次"), ("letters_handled", 180, "180余", "件"),
        ("proactive_items_total", 2000, "近2000", "条")]


def test_things_that_are_not_figures():
    text = ("于5月4日经市政府第17次常务会议审议通过,(潭政办函〔2014〕113号),电话:0731-84683088,"
            "20181120181231,我区政府网站共主动公开政府信息6998条,截至1231,调整后的权责清单共包含行政职权29802018年")
    assert _figures(text) == [("proactive_items_total", 6998, "6998", "条")]


def test_a_list_joined_by_a_pause_mark_is_one_subject():
    assert _figures("全年因政府信息公开申请行政复议、提起行政诉讼案件3宗,已结案2宗。") == [
        ("admin_review_and_litigation_total", 3, "3", "宗"), ("review_litigation_closed", 2, "2", "宗")]


def test_zero_statements():
    assert _figures("我镇2010年度,未发生针对本单位有关政府信息公开事务的行政复议案、行政诉讼案。") == [
        ("admin_review_total", 0, "未", None), ("litigation_total", 0, "未", None)]
    assert _figures("本机关无法提供相关信息。") == []


def test_parts_point_to_their_total():
    text = "共发布各类信息6352条,其中政务动态3517条,领导信息96条。"
    found = figures.extract(text, [(0, len(text))])
    assert [m.part_of for m in found] == [None, 0, 0]


# Table 三 as pdfplumber-style text: cells separated by spaces, a label broken over lines
# (淮安市 2024, 004_huaian_city_2024_section3_excerpt.txt).
PDF_TEXT_TABLE3 = """三、收到和处理政府信息公开申请情况
一、本年新收政府信息公开申请数量 3001 53 0 0 61 4 3119
二、上年结转政府信息公开申请数量 34 0 0 0 0 0 34
（一）予以公开 1288 21 0 0 50 3 1362
（二）部分公开（区分处理的，只计这一情
形，不计其他情形） 447 7 0 0 0 0 454
（三）不
予公开
1.属于国家秘密 2 0 0 0 0 0 2
2.其他法律行政法规禁止公开 30 1 0 0 0 0 31
3.危及“三安全一稳定” 5 0 0 0 0 0 5
4.保护第三方合法权益 6 0 0 0 0 0 6
5.属于三类内部事务信息 7 1 0 0 0 0 8
6.属于四类过程性信息 12 0 0 0 0 0 12
7.属于行政执法案卷 9 0 0 0 0 0 9
8.属于行政查询事项 105 0 0 0 0 0 105
（四）无 1.本机关不掌握相关政府信息 746 12 0 0 10 1 769
"""


def _totals(found):
    return {o.outcome: o.cell.value for o in found.outcomes if o.applicant_type == "total"}


def test_cells_separated_by_spaces():
    found = tables.extract(PDF_TEXT_TABLE3, 2024)
    assert _totals(found) == {"new_received": 3119, "carried_over_from_prev_year": 34, "granted": 1362,
                              "partially_granted": 454, "denied_state_secret": 2, "denied_prohibited_by_law": 31,
                              "denied_three_securities_one_stability": 5, "denied_third_party_rights": 6,
                              "denied_internal_affairs": 8, "denied_process_information": 12,
                              "denied_enforcement_case_file": 9, "denied_administrative_query": 105, "unable_not_held": 769}
    legal = next(o for o in found.outcomes if o.outcome == "new_received" and o.applicant_type == "legal_service_org")
    assert legal.cell.value == 61 and PDF_TEXT_TABLE3[legal.cell.start:legal.cell.end] == "61"


# One cell per line ending in ' |', empty cells left out (岳阳市南湖新区, 2019 format).
CELL_PER_LINE = """三、收到和处理政府信息公开申请情况
(本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) |
申请人情况 |
||||||||
自然人 |
法人或其他组织 |
总计 |
|||||||
商业企业 |
科研机构 |
社会公益组织 |
法律服务机构 |
其他 |
|||||
一、本年新收政府信息公开申请数量 |
3 |
3 |
|||||||
二、上年结转政府信息公开申请数量 |
0 |
0 |
|||||||
三、本年度办理结果 |
(一)予以公开 |
3 |
3 |
||||||
(二)部分公开(区分处理的,只计这一情形,不计其他情形) |
0 |
||||||||
"""


def test_rows_with_left_out_cells_keep_only_their_total():
    found = tables.extract(CELL_PER_LINE, 2019)
    assert [(o.outcome, o.applicant_type, o.cell.value) for o in found.outcomes] == [
        ("new_received", "total", 3), ("carried_over_from_prev_year", "total", 0), ("granted", "total", 3)]
    assert any("only its 总计" in i.message for i in found.issues)


# A blank 2019 table (雄县, 022_...): the layout is known, no value is invented.
BLANK_2019 = """二、主动公开政府信息情况
第二十条第(一)项
信息内容
本年新制作数量
本年新公开数量
对外公开总数量
规章
规范性文件
第二十条第(九)项
采购项目数量
采购总金额
政府集中采购
三、收到和处理政府信息公开申请情况
申请人情况
自然人
一、本年新收政府信息公开申请数量
二、上年结转政府信息公开申请数量
三、本年度办理结果
(一)予以公开
(二)部分公开(区分处理的,只计这一情形,不计其他情形)
(三) 不予公开
1.属于国家秘密
2.其他法律行政法规禁止公开
3.危及“三安全一稳定”
4.保护第三方合法权益
"""


def test_blank_table_is_the_layout_with_no_values():
    found = tables.extract(BLANK_2019, 2021)  # the year says 2021; the table says 2019
    assert found.template == "t2019" and found.outcomes == [] and found.metrics == []


def test_markdown_table_rows_and_delimiters():
    text = "二、主动公开政府信息情况\n第二十条第(一)项\n| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n|---|---|---|---|\n| 规章 | 0 | 0 | 3 |\n"
    found = tables.extract(text, 2022)
    assert [(m.metric, m.cell.value) for m in found.metrics] == [
        ("art20_1.rules.issued", 0), ("art20_1.rules.repealed", 0), ("art20_1.rules.in_force", 3)]


# 平潭综合实验区 2025 (020_pingtan_zone_2025.txt): the page printed table 三 and 四 with no
# separators at all. 330000033 splits as 33|0|0|0|0|0|33 or 3|30|0|0|0|0|33; only the first
# lets the 自然人 column add up to its 总计 (147).
GLUED = ("三、收到和处理政府信息公开申请情况（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）申请人情况"
         "自然人法人或其他组织总计商业企业科研机构社会公益 组织 法律服务 机构 其他一、本年新收政府信息公开申请数量15130000154"
         "二、上年结转政府信息公开申请数量0000000三、本年度办 理结果 （一）予以公开330000033（二）部分公开（区分处理的，只计这一情形，"
         "不计其他情形）380000038（三）不予公开1.属于国家秘密00000002.其他法律行政法规禁止公开00000003.危及“三安全一稳定”"
         "00000004.保护第三方合法权益00000005.属于三类内部事务信息30000036.属于四类过程性信息20000027.属于行政执法案卷"
         "30000038.属于行政查询事项3000003（四）无法提供1.本机关不掌握相关政府信息4910000502.没有现成信息需要另行制作"
         "30000033.补正后申请内容仍不明确0000000（五）不予处理1.信访举报投诉类申请20000022.重复申请00000003.要求提供公开出版物"
         "00000004.无正当理由大量反复申请00000005.要求行政机关确认或重新出具已获取信息0000000（六）其他处理1.申请人无正当理由"
         "逾期不补正、行政机关不再处理其政府信息公开申请 80000082.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府"
         "信息公开申请 20000023.其他1000001（七）总计14710000148四、结转下年度继续办理4200006四、政府信息公开行政复议、"
         "行政诉讼情况行政复议行政诉讼结果维持结果纠正其他结果尚未审结总计未经复议直接起诉复议后起诉结果维持结果纠正其他结果"
         "尚未审结总计结果维持结果纠正其他结果尚未审结总计25380363300630003五、存在的主要问题及改进情况")


def test_cells_printed_with_no_separators():
    found = tables.extract(GLUED, 2025)
    cells = {(o.outcome, o.applicant_type): o.cell for o in found.outcomes}
    assert [cells[("new_received", c)].value for c in ("natural_person", "commercial_enterprise", "total")] == [151, 3, 154]
    assert [cells[("granted", c)].value for c in ("natural_person", "commercial_enterprise", "total")] == [33, 0, 33]
    assert cells[("unable_not_held", "natural_person")].value == 49 and cells[("unable_not_held", "total")].value == 50
    assert cells[("carried_forward_to_next_year", "natural_person")].value == 4
    assert all(c.inferred for c in cells.values()) and len(cells) == 25 * 7
    # Each cell's span is exactly its digits inside the run.
    assert GLUED[cells[("new_received", "natural_person")].start:cells[("new_received", "natural_person")].end] == "151"
    review = {(r.proceeding, r.result): r.cell.value for r in found.review_litigation}
    assert review[("admin_review", "total")] == 36 and review[("litigation_direct", "corrected")] == 3
    assert review[("litigation_after_review", "total")] == 3


def test_a_run_that_splits_two_ways_keeps_only_the_cells_both_agree_on():
    # 33,0,0,0,0,0,33 or 3,30,0,0,0,0,33: the first two cells are ambiguous, the other five are not.
    text = "三、收到和处理政府信息公开申请情况 一、本年新收政府信息公开申请数量330000033二、上年结转政府信息公开申请数量0000000"
    found = tables.extract(text, 2025)
    row = {o.applicant_type: o.cell for o in found.outcomes if o.outcome == "new_received"}
    assert sorted(row) == ["legal_service_org", "other_org", "research_institution", "social_welfare_org", "total"]
    assert (row["total"].value, text[row["total"].start:row["total"].end]) == (33, "33")
    assert any("330000033" in i.message and "2 split" in i.message and "ambiguous" in i.message for i in found.issues)


def test_digits_with_stray_spaces_are_cut_at_the_spaces_first():
    # 2 4 1 0 0 0 0 ... printed as "24 1 000025": of the cuts that add up, the one at both spaces.
    text = "三、收到和处理政府信息公开申请情况 （一）予以公开24 1 000025 （二）部分公开 62 0 0 0 0 0 62"
    found = tables.extract(text, 2025)
    row = {o.applicant_type: o.cell.value for o in found.outcomes if o.outcome == "granted"}
    assert row == {"natural_person": 24, "commercial_enterprise": 1, "research_institution": 0, "social_welfare_org": 0,
                   "legal_service_org": 0, "other_org": 0, "total": 25}


# From 017_pingtan_zone_2022 (cells glued; the prose repeats two of them).
CORROBORATED = ("一、总体情况 集中公开现行有效行政规范性文件698件，动态更新本年度制发的规范性文件88件。"
                "二、主动公开政府信息情况第二十条第（一）项 信息内容 本年制发件数 本年废止件数 现行有效件数 "
                "规章000行政规范性文件8855698第二十条第（五）项信息内容本年处理决定数量行政许可10690")


def test_a_glued_table_two_row_is_cut_where_the_prose_repeats_its_numbers():
    found = tables.extract(CORROBORATED, 2022)
    values = {m.metric: (m.cell.value, m.cell.inferred) for m in found.metrics}
    assert values["art20_1.normative_documents.issued"] == (88, True)
    assert values["art20_1.normative_documents.repealed"] == (55, True)
    assert values["art20_1.normative_documents.in_force"] == (698, True)
    # Without the prose there is no telling 88|55|698 from 8|855|698: nothing is stored.
    bare = tables.extract(CORROBORATED.split("二、")[1].join(["二、", ""]), 2022)
    assert not [m for m in bare.metrics if m.metric.startswith("art20_1.normative")]


def test_a_table_two_row_printed_under_the_next_caption():
    """From 007_shanghai (PDF to Markdown): the rows of 第二十条第（一）项 come out after 第（八）项."""
    text = ("二、主动公开政府信息情况\n第二十条第（一）项\n第二十条第（八）项\n信息内容本年收费金额（单位：万元）\n"
            "行政事业性收费 0\n| 规章 | 22 | 235 |\n| 行政规范性文件 | 34 | 189 |\n三、收到和处理政府信息公开申请情况\n")
    values = {m.metric: m.cell.value for m in tables.extract(text, 2025).metrics}
    assert values["art20_1.rules.issued"] == 22 and values["art20_1.normative_documents.issued"] == 34
    assert values["art20_8.administrative_fees.fee_amount"] == 0


def test_legacy_table_with_this_year_and_running_total():
    # 平潭县 2011: 本年度 and 历年累计 glued after the unit (行政诉讼数条00 is 0 and 0).
    text = "政府信息公开情况统计表 统计指标计量单位2011年度历年累计受理依申请公开信息总数条00行政复议数条00行政诉讼数条00"
    found = tables.extract(text, 2011)
    assert [(m.metric, m.cell.value, m.cell.value_raw) for m in found.metrics] == [
        ("applications_received_total", 0, "0"), ("admin_review_total", 0, "0"), ("litigation_total", 0, "0")]


def test_blank_dash_and_zero_cells_are_kept_apart():
    text = ("三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 | 5 | — | / | - | 0 |  | 5 |\n"
            "二、上年结转政府信息公开申请数量 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |\n")
    found = tables.extract(text, 2021)
    row = [(o.applicant_type, o.cell.value, o.cell.value_raw) for o in found.outcomes if o.outcome == "new_received"]
    assert row[:5] == [("natural_person", 5, "5"), ("commercial_enterprise", None, "—"), ("research_institution", None, "/"),
                       ("social_welfare_org", None, "-"), ("legal_service_org", 0, "0")]


def test_cross_year_compares_carried_over_with_last_years_carried_forward():
    from parsers.checks import cross_year
    reports = [{"id": "a2021", "agency": "某区人民政府", "year": 2021, "doc_type": "annual_report"},
               {"id": "a2022", "agency": "某区人民政府", "year": 2022, "doc_type": "annual_report"},
               {"id": "b2022", "agency": "另一区人民政府", "year": 2022, "doc_type": "annual_report"}]
    outcomes = [{"report_id": "a2021", "outcome": "carried_forward_to_next_year", "applicant_type": "total", "count": 3},
                {"report_id": "a2022", "outcome": "carried_over_from_prev_year", "applicant_type": "total", "count": 1},
                {"report_id": "b2022", "outcome": "carried_over_from_prev_year", "applicant_type": "total", "count": 1}]
    [(report_id, check)] = cross_year(reports, outcomes)
    assert (report_id, check.scope, check.expected, check.actual, check.passed) == ("a2022", "total", 3, 1, 0)


def test_prose_against_the_table(db):
    # 平潭 2022: the prose says 收到政府信息公开申请75件; table 三 says 74 new (and 1 carried over).
    row = db.execute("""select expected, actual, passed from checks where report_id = '017_pingtan_zone_2022'
                        and "check" = 'text_vs_table' and scope = 'applications_received_total'""").fetchone()
    assert tuple(row) == (74, 75, 0)
    row = db.execute("""select expected, actual, passed from checks where report_id = '020_pingtan_zone_2025'
                        and "check" = 'text_vs_table' and scope = 'litigation_total'""").fetchone()
    assert tuple(row) == (9, 9, 1)  # 诉讼9起 = 6 direct + 3 after review


def test_traditional_characters_are_read_like_simplified():
    # A 繁體 mirror of a 2021-format table 三 row: 一、本年新收政府信息公開申請數量
    text = "三、收到和處理政府信息公開申請情況\n一、本年新收政府信息公開申請數量 | 12 | 1 | 0 | 0 | 0 | 0 | 13 |\n"
    found = tables.extract(text, 2022)
    assert [(o.outcome, o.applicant_type, o.cell.value) for o in found.outcomes][-1] == ("new_received", "total", 13)
    assert fold("國務院辦公廳") == "国务院办公厅"


def test_a_notice_about_annual_reports_is_not_one():
    from parsers import document
    text = "信息公開\n\n國務院辦公廳政府信息與政務公開辦公室\n關于政府信息公開工作年度報告\n有關事項的通知\n\n國辦公開辦函〔2019〕60號\n修訂后的條例已于2019年5月15日起施行。\n"
    meta, _ = document.analyse(text)
    assert meta.title == "關于政府信息公開工作年度報告有關事項的通知" and meta.doc_type == "other" and meta.year == 2019


@pytest.mark.parametrize("title,agency", [
    ("长沙市芙蓉区2021年政府信息公开工作年度报告", "长沙市芙蓉区人民政府"),
    ("唐村镇2010年政府信息公开工作年度报告", "唐村镇人民政府"),
    ("平潭综合实验区2022年度政府信息公开工作年度报告", "平潭综合实验区管委会"),
    ("乌海市工业和信息化局2020年政府信息公开工作年度报告", "乌海市工业和信息化局"),
])
def test_agency_from_the_title(title, agency):
    from parsers import data, document
    assert document.find_agency(title, data.load("document")) == agency


def test_a_local_subtotal_column_is_dropped():
    # 自然人 | 法人或其他组织（小计）| 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计
    text = "三、收到和处理政府信息公开申请情况\n一、本年新收政府信息公开申请数量 | 20 | 5 | 3 | 0 | 1 | 0 | 1 | 25 |\n"
    found = tables.extract(text, 2021)
    assert [(o.applicant_type, o.cell.value) for o in found.outcomes] == [
        ("natural_person", 20), ("commercial_enterprise", 3), ("research_institution", 0), ("social_welfare_org", 1),
        ("legal_service_org", 0), ("other_org", 1), ("total", 25)]


def test_headings_found_near_their_words_are_those_a_full_scan_finds():
    """finding._mentions scans only the stretches around a heading's words (heading_reach): for
    every bundled report, and for texts with headings in odd places, it finds exactly what the
    heading pattern finds over the whole text."""
    from pathlib import Path

    from parsers import data, readers

    rules = data.load("tables")
    texts = []
    for path in sorted((Path(__file__).parent.parent / "reports").iterdir()):
        fmt = decode.format_of(path.name)
        if fmt in ("txt", "md", "html"):
            texts.append(fold(readers.read(fmt, path.read_bytes()).text))
    texts += [fold(t) for t in (
        "三、收到和处理政府信息公开申请情况\n申请人情况 自然人",
        "附表   2：主动公开政府信息的情况|第二十条",  # spaces inside the ordinal
        "（四）因政府信息公开申请行政复议、提起行政诉讼情况" * 3,  # mentions one after another
        "统 \n 计 \n 指 \n 标\n" + "行政复议" + "x" * 200 + "情况",  # a word with no heading
        "",
    )]
    for text in texts:
        for name, spec in rules["tables"].items():
            full = [(m.start(), m.end()) for m in finding._heading_pattern(
                spec["heading"], rules["ordinal"]).finditer(text)]
            near = [(m.start(), m.end()) for m in finding._mentions(text, 0, spec, rules)]
            assert near == full, (name, text[:80])


def test_cells_between_separators_are_the_stripped_pieces_a_split_gives():
    """cells._split finds each piece with one pattern; the reference splits on the separator and
    strips each piece: the same spans for random runs of pipes, spaces, ideographic spaces,
    line breaks, digits and words."""
    import random
    import re

    from parsers import cells

    def reference(region, separator):
        pieces, position = [], 0
        for place, piece in enumerate(re.split(f"({separator})", region)):
            start, position = position, position + len(piece)
            if place % 2 == 0 and piece.strip():
                pieces.append((start + len(piece) - len(piece.lstrip()), start + len(piece.rstrip())))
        return pieces

    rng = random.Random(2)
    alphabet = ["|", " ", "\n", "\t", "\u3000", "\xa0", "a", "中", "1", "-"]
    for _ in range(5000):
        region = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert cells._split(region, "|") == reference(region, r"\|"), repr(region)
        assert cells._split(region, "space") == reference(region, r"\s+"), repr(region)


def test_a_damaged_gbk_text_file_is_read_as_gbk_with_its_losses_counted():
    """A GBK text file with two bytes no encoding can read, mid-sentence: the rest is still GBK
    (not UTF-8 with every character replaced), and the loss is counted."""
    text = "君山区人民政府2016年政府信息公开工作年度报告\n本年度主动公开政府信息1203条，收到政府信息公开申请5件。\n" * 20
    data = text.encode("gbk")
    cut = data.index("收到".encode("gbk"))
    damaged = data[:cut] + b"\x81\x20" + data[cut:]
    decoded = decode.decode_text(damaged)
    assert decoded.encoding.replace("-", "").lower() in ("gb18030", "gbk") and decoded.replaced >= 1
    assert decoded.text.count("君山区人民政府2016年政府信息公开工作年度报告") == 20
    assert "本年度主动公开政府信息1203条" in decoded.text


# --- the year a report covers, and where it was read (document.find_year), worked by hand ---------

FROM_FILE = "the text names no year; the year {} was taken from the file name"
FIRST_NAMED = "the title names no year; the year {} is the first one the text names"


@pytest.mark.parametrize("text, title, published, path, expected", [
    # the title first, in any digits
    ("统计期限为2020年1月1日至2020年12月31日。", "某县２０２１年政府信息公开工作年度报告", "2022-01-05", "2019.txt", (2021, None)),
    # then the statistics period
    ("本报告统计期限为2020年1月1日至12月31日。", None, "2022-01-05", "2019.txt", (2020, None)),
    ("统计时间：2018 年 1 月 1 日起", "政府信息公开工作年度报告", None, "", (2018, None)),
    # then the file's own name (not its folders', not its extension's)
    ("2015年以来的工作。", None, "2022-01-05", "reports/2020/gov_2019.txt", (2019, FROM_FILE.format(2019))),
    ("2015年以来的工作。", None, None, "reports/2020/gov.txt", (2015, FIRST_NAMED.format(2015))),
    ("2015年以来的工作。", None, None, "年报.2019.htm", (2019, FROM_FILE.format(2019))),
    ("2015年以来的工作。", None, None, "v20190.txt", (2015, FIRST_NAMED.format(2015))),  # not a year: part of a number
    # then the first year the text names, within its first 600 characters
    ("2016年度，本局认真贯彻落实条例。", None, "2022-01-05", "", (2016, FIRST_NAMED.format(2016))),
    ("政" * 595 + "2016年", None, None, "", (2016, FIRST_NAMED.format(2016))),
    ("政" * 596 + "2016年", None, "2017-02-01", "",
     (2016, "the title names no year; the year was taken as the year before publication")),
    ("本机关认真落实条例。", None, None, "", (None, "no year found: the title names none and there is no statistics period or "
                                                "publication date")),
])
def test_the_year_a_report_covers_and_where_it_was_read(text, title, published, path, expected):
    assert document.find_year(text, title, published, path) == expected


@pytest.mark.parametrize("text, title, span, body_start", [
    # the agency on a line of its own above the title (PDF covers), indented
    ("  淮安市洪泽区人民政府\n2024年政府信息公开工作年度报告\n一、总体情况\n本年度。\n",
     "淮安市洪泽区人民政府2024年政府信息公开工作年度报告", (2, 30), 30),
    # up to 30 characters above count as the agency's line, not 31
    ("某" * 26 + "人民政府\n2024年政府信息公开工作年度报告\n一、总体情况\n",
     "某" * 26 + "人民政府2024年政府信息公开工作年度报告", (0, 48), 48),
    ("某" * 27 + "人民政府\n2024年政府信息公开工作年度报告\n一、总体情况\n", "2024年政府信息公开工作年度报告", (32, 49), 49),
    # a title wrapped over two lines, by its last words or by what a notice's title ends with
    ("某县人民政府关于2023年政府信息公开工作\n年度报告\n一、总体情况\n", "某县人民政府关于2023年政府信息公开工作年度报告", (0, 26), 26),
    ("某县人民政府关于印发2023年政府信息公开工作年度报告\n的通知\n各乡镇：\n",
     "某县人民政府关于印发2023年政府信息公开工作年度报告的通知", (0, 31), 31),
])
def test_the_title_its_span_and_where_the_body_begins(text, title, span, body_start):
    meta, issues = document.analyse(text, "x.txt")
    assert (meta.title, meta.title_span, meta.body_start, issues) == (title, span, body_start, [])
    assert "".join(text[span[0]:span[1]].split()) == title  # the span holds the title as written


def test_a_page_without_a_title_and_with_spam_says_both():
    meta, issues = document.analyse("一、总体情况\n本年度主动公开信息。澳门新葡京\n", "x.txt")
    assert (meta.title, meta.title_span, meta.year) == (None, None, None)
    assert issues == [Issue("warning", "the page contains injected spam text '澳门新葡京'; it was ignored"),
                      Issue("warning", "no title found")]
    # the year of a page without a title comes from its file name, then its publication date
    assert document.analyse("一、总体情况\n发布日期：2021-02-03\n", "gov_2019.txt")[0].year == 2019
    assert document.analyse("一、总体情况\n发布日期：2021-02-03\n", "gov.txt")[0].year == 2020


def test_sections_nest_by_their_numbers_and_end_where_the_next_of_their_level_begins():
    text = ("某县2023年政府信息公开工作年度报告\n"
            "一、总体情况\n本年度。\n"
            "  （一）主动公开\n全年公开120条。\n"
            "（二）依申请公开\n1.收到3件。\n"
            "三、表格里的行 3\n"
            "| 四、管道里的行 | 3 |\n"
            "二、存在的主要问题及改进情况：一是公开不够及时。\n\n"
            "附件\n某县统计表\n")
    at = text.index
    skip = [(at("三、表格"), at("| 四"))]  # a table's region: its rows are not headings, nor a line of | cells
    found = document.find_sections(text, at("一、总体"), len(text), skip)
    expected = [
        Section(1, 1, "一", "总体情况", at("一、总体"), at("二、存在") - 1, "overview", None),
        Section(2, 2, "（一）", "主动公开", at("（一）"), at("（二）") - 1, None, 1),
        Section(3, 2, "（二）", "依申请公开", at("（二）"), at("二、存在") - 1, None, 1),
        Section(4, 3, "1.", "收到3件", at("1.收到"), at("二、存在") - 1, None, 3),
        Section(5, 1, "二", "存在的主要问题及改进情况", at("二、存在"), at("附件") - 2, "problems_improvements", None),
        # an attachment's name on the line after 附件
        Section(6, 1, "附件", "某县统计表", at("附件"), len(text) - 1, None, None),
    ]
    assert found == expected
    # only what lies between start and end is looked at
    assert [s.number for s in document.find_sections(text, at("（二）"), at("二、存在"), [])] == ["（二）", "1.", "三"]


TITLE = "某县人民政府2023年政府信息公开工作年度报告"  # 23 characters


def title_of(text: str) -> str | None:
    return document.analyse(text, "x.txt")[0].title


def test_the_title_is_the_first_line_that_reads_as_one_among_the_first_sixty():
    assert title_of("首页\n" * 59 + TITLE + "\n正文。\n") == TITLE
    assert title_of("首页\n" * 60 + TITLE + "\n正文。\n") is None
    # a mirror's injected title, a cover letter, a quoted title in running text: not the title
    assert title_of(f"澳门新葡京{TITLE}\n{TITLE}\n") == TITLE
    assert title_of(f"关于报送{TITLE}的函\n{TITLE}\n") == TITLE
    assert title_of(f"《{TITLE}》已经公布\n{TITLE}\n") == TITLE
    assert title_of(f"公开条例》和《关于印发{TITLE}\n{TITLE}\n") == TITLE  # a line wrapped inside a quotation
    # up to 80 characters a line is a title; a longer one is a page on one line, whose first
    # chunk between spaces that reads as a title is the title
    long_title = "某" * 57 + TITLE  # 80
    assert title_of(long_title + "\n正文。\n") == long_title
    flattened = f"首页 {TITLE} 发布时间：2024-01-20 " + "正文" * 40 + "\n"
    assert title_of(flattened) == TITLE
    assert document.analyse(flattened, "x.txt")[0].title_span == (3, 3 + len(TITLE))
    assert title_of("某" + long_title + "\n正文。\n") is None


@pytest.mark.parametrize("line, quoted", [
    ("《某县2023年政府信息公开工作年度报告》", True),  # a quoted title
    ("规定》和《关于印发某县2023年政府信息公开工作年度报告", True),  # the end of a quotation first
    ("规定》", True),
    ("某县2023年政府信息公开工作年度报告", False),
    ("某县根据《条例》编制2023年政府信息公开工作年度报告", False),  # a quotation inside
])
def test_a_line_that_begins_with_or_inside_a_quotation_is_running_text(line, quoted):
    assert document._quoted(line) is quoted


def test_a_figure_in_prose_is_read_whole_its_multiplier_its_unit_its_year_and_its_words():
    def read(text):
        return [(m.metric, m.label, m.cell.value, m.cell.value_raw, m.cell.start, m.cell.end, m.unit, m.approximate,
                 m.other_year) for m in figures.extract(text, [(0, len(text))])]

    # 万 multiplies; a change against another year is never this year's figure
    assert read("全年主动公开政府信息1.2万条，比2022年增加3000条。") == [
        ("proactive_items_total", "全年主动公开政府信息", 12000, "1.2万", 10, 14, "条", False, False),
        ("other", "比2022年增加", 3000, "3000", 24, 28, "条", False, True)]
    # 万元 and 亿元 are units of money: the number stays as written
    assert read("收取信息处理费0.5万元。") == [("request_fees_collected", "收取信息处理费", 0.5, "0.5", 7, 10, "万元", False, False)]
    assert read("财政预算约3亿元。") == [("other", "财政预算", 3, "约3", 4, 6, "亿元", True, False)]
    # a number in characters counts for the requests' core only
    assert read("共收到申请二十三件，开展三次培训。") == [
        ("applications_received_total", "共收到申请", 23, "二十三", 5, 8, "件", False, False)]


@pytest.mark.parametrize("line, tokens", [
    # an empty cell between two filled ones is a blank at its middle
    ("| 5 |  | 7 |", [("number", "5", 2, 3), ("blank", "", 6, 6), ("number", "7", 9, 10)]),
    ("|a||b|", [("label", "a", 1, 2), ("blank", "", 3, 3), ("label", "b", 4, 5)]),
    # at a row's end too (no 复议后起诉 cases)
    ("|本年新收 | 5 |   | 7 | |",
     [("label", "本年新收", 1, 5), ("number", "5", 8, 9), ("blank", "", 12, 12), ("number", "7", 16, 17), ("blank", "", 19, 19)]),
    # before the first value of a row of values only (its label on the line above), however indented
    ("|  | 3 | 4 |", [("blank", "", 2, 2), ("number", "3", 5, 6), ("number", "4", 9, 10)]),
    ("|| 3 | 4 |", [("blank", "", 1, 1), ("number", "3", 3, 4), ("number", "4", 7, 8)]),
    ("  |  | 3 |", [("blank", "", 4, 4), ("number", "3", 7, 8)]),
    # but not before a label: that is the page's padding
    ("|  | 本年 | 3 |", [("label", "本年", 5, 7), ("number", "3", 10, 11)]),
    ("| 3 |  |\n|  | 4 |", [("number", "3", 2, 3), ("blank", "", 6, 6), ("blank", "", 11, 11), ("number", "4", 14, 15)]),
])
def test_blank_cells_between_pipes_are_cells(line, tokens):
    from parsers import cells

    assert [(t.kind, t.text, t.start, t.end) for t in cells.tokenize(line, 0, len(line))] == tokens


@pytest.mark.parametrize("written, value", [
    ("二十三", 23), ("两", 2), ("一百零五", 105), ("十", 10), ("三百", 300), ("一百一十", 110), ("九十九", 99),
    ("百", 100), ("〇", 0), ("零", 0), ("二三", None), ("十二三", None),
])
def test_numbers_written_in_characters(written, value):
    assert figures.chinese_number(written) == value


def test_a_figure_after_its_sentences_other_points_to_the_total_it_breaks_down():
    def parts(text):
        return [(m.cell.value_raw, m.part_of) for m in figures.extract(text, [(0, len(text))])]

    assert parts("共收到申请20件，其中自然人申请15件、法人3件。") == [("20", None), ("15", 0), ("3", 0)]
    # not across sentences, not a share, not a figure of another unit
    assert parts("受理申请20件。其中自然人15件。") == [("20", None), ("15", None)]
    assert parts("公开信息300条，占比40%，其中政策文件100条。") == [("300", None), ("40", None), ("100", 0)]
    assert parts("开展培训3次，公开信息300条，其中政策文件100条。") == [("3", None), ("300", None), ("100", 1)]
    assert parts("公开信息300条，收到申请5件，其中自然人4件。") == [("300", None), ("5", None), ("4", 1)]


def test_the_words_a_figures_rules_look_at():
    text = fold("第一段\n本局共受理、答复行政复议案件3宗（均维持），总访问量:29465589次")  # (rules read folded text)
    three, visits = text.index("3宗"), text.index("29465589")
    assert figures._contexts(text, three, three + 2, 0, 0) == {
        "phrase": "本局共受理、答复行政复议案件",  # a list joined by 、 stays one phrase
        "sentence": "本局共受理、答复行政复议案件", "passage": "本局共受理、答复行政复议案件",
        "following": "(均维持",  # an aside after the unit
        "clause": "本局共受理、答复行政复议案件"}
    # a label ended by a colon: the phrase reaches back past it, and not before the last figure
    assert figures._contexts(text, visits, visits + 9, 0, three + 2) == {
        "phrase": "总访问量:", "sentence": "本局共受理、答复行政复议案件3宗(均维持),总访问量:",
        "passage": "本局共受理、答复行政复议案件3宗(均维持),总访问量:", "following": "", "clause": ""}
    assert figures._contexts(text, visits, visits + 9, 0, visits - 2)["phrase"] == "量:"
    # the words right after the unit belong to the phrase (共收到7件依申请公开件)
    after = "共收到7件依申请公开件，办结7件"
    assert figures._contexts(after, 3, 5, 0, 0)["phrase"] == "共收到依申请公开件"


@pytest.mark.parametrize("text, published", [
    ("标题\n发布时间：2024-01-19 10:30\n正文。\n某县人民政府\n2024年1月20日\n", "2024-01-19"),  # the page's field first
    ("标题\n发布日期:2024/1/9\n正文。\n", "2024-01-09"),
    ("标题\n发布时间：2024年12月1日\n", "2024-12-01"),
    ("标题\n正文于2023年3月5日印发。\n某县人民政府\n  2024年1月20日  \n附件\n", "2024-01-20"),  # else the signature
    ("标题\n2024年1月20日\n正文。\n2024年2月31日\n", "2024-02-31"),  # kept as the report wrote it (the audits find it is no real day)
    ("标题\n2024年13月20日\n", None),  # no month 13, no day 32 or 0
    ("标题\n2024年1月32日\n", None),
    ("标题\n2024年1月0日\n", None),
    ("标题\n正文于2023年3月5日印发。\n", None),  # a date inside a sentence signs nothing
])
def test_the_publication_date_is_the_pages_field_else_the_signature(text, published):
    assert document.find_published_date(text, document.lines(text)) == published


def test_a_dates_span_is_its_last_mention_however_written():
    text = "发布时间：2024-01-19\n正文。\n2024年1月19日\n"
    assert document.date_span(text, "2024-01-19") == (text.rindex("2024年"), len(text) - 1)
    assert document.date_span("2024-1-19 与 2024/01/19", "2024-01-19") == (12, 22)
    assert document.date_span(text, "2024-01-20") is None


@pytest.mark.parametrize("rest, heading", [
    ("总体情况", "总体情况"),
    ("  主动公开政府信息情况  ", "主动公开政府信息情况"),
    # a heading that runs on into its text: up to the first full stop, colon or semicolon
    ("总体情况。本年度我局……", "总体情况"), ("总体情况：本年度", "总体情况"), ("甲" * 60 + "；乙", "甲" * 60),
    # a stop past 60 characters is not the heading's: up to the first comma, at most 60 characters
    ("甲" * 61 + "；乙", "甲" * 60), ("甲" * 30 + "，" + "乙" * 40, "甲" * 30), ("政" * 61, "政" * 60),
    ("政" * 60, "政" * 60),
    ("澳门新葡京总体情况", "总体情况"),  # never words a mirror injected
])
def test_a_sections_heading_words(rest, heading):
    assert document._heading(rest) == heading


def test_what_the_title_and_agency_tell_is_filled_in_where_still_unknown():
    from parsers.model import Metadata

    def completed(**given):
        meta = Metadata(**given)
        document.complete(meta)
        return meta.doc_type, meta.agency, meta.province, meta.city, meta.county, meta.region_code

    hongze = ("江苏省", "淮安市", "洪泽区", "320813")
    assert completed(title="淮安市洪泽区交通运输局2023年政府信息公开工作年度报告") == \
        ("annual_report", "淮安市洪泽区交通运输局", *hongze)
    assert completed(title="2023年政府信息公开工作年度报告", agency="洪泽区交通运输局") == \
        ("annual_report", "洪泽区交通运输局", *hongze)  # the place from the agency given
    assert completed(title="某局2023年政府信息公开工作年度报告（洪泽区）", agency="某局") == \
        ("annual_report", "某局", *hongze)  # else from the title
    # a place given is kept, never replaced by one read
    assert completed(title="淮安市洪泽区交通运输局2023年政府信息公开工作年度报告", province="福建省") == \
        ("annual_report", "淮安市洪泽区交通运输局", "福建省", None, None, None)
    assert completed(title="关于做好2023年政府信息公开工作的通知")[0] == "other"
    assert completed(title=None)[0] == "other" and completed(title="某某")[0] == "other"


NAMED_BY_STRUCTURE = ["000_680e7faf37592182.txt", "003_85b1cd000e56671f.txt", "008_pingtan_county_gov_2011.txt",
                      "017_pingtan_zone_2022.txt", "104_pingtan_zone_2014.txt", "180_daoxian_culture_broadcasting_bureau_2013_pre2019_short.txt"]


@pytest.mark.parametrize("name", NAMED_BY_STRUCTURE)
@pytest.mark.parametrize("variant", ["as_numbered", "full_stop_numbers", "one_line"])
def test_a_report_that_never_names_itself_is_known_by_its_parts(name, variant):
    """A mirror or a saved page that lost the title line, and says 年度报告 nowhere (no announcing
    sentence either), is still an annual report by its numbered part headings, however written."""
    from conftest import ROOT
    from parsers.pipeline import parse_report

    text = (ROOT / "reports" / name).read_text(encoding="utf-8")
    start, end = parse_report(name, text.encode("utf-8")).metadata.title_span
    start, end = text.rfind("\n", 0, start) + 1, end  # the title's whole line (a saved page's 标题: field too)
    text = (text[:start] + text[end:]).replace("年度报告", "工作情况").replace("年报", "工作情况").replace("报告", "材料")
    if variant == "full_stop_numbers":
        text = re.sub(r"(^|\s)([一二三四五六七八九十]{1,2})、", r"\1\2．", text)
    if variant == "one_line":
        text = " ".join(text.split("\n"))
    report = parse_report("page.txt", text.encode("utf-8"))
    assert report.metadata.title is None and report.metadata.doc_type == "annual_report"


def test_an_article_that_names_a_few_parts_is_not_a_report():
    article = ("近日，某县召开政务公开工作会议。会议指出，一、主动公开政府信息情况良好；二、收到和处理政府信息公开申请情况"
               "总体平稳。会议要求进一步做好相关工作。\n")
    assert parse_report_of(article).metadata.doc_type == "other"


def parse_report_of(text: str):
    from parsers.pipeline import parse_report

    return parse_report("page.txt", text.encode("utf-8"))
