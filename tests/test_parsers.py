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
