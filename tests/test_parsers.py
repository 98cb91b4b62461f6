"""Parsing steps on small real excerpts, with what a person reads in them."""

import pytest

from parsers import decode, figures, regions, tables
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
