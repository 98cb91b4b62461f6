"""The classes of failure found on reports the parser had never seen, each shown on
variants written here (not only on the corpus document that revealed it)."""

from __future__ import annotations

import pytest

import parsers

HEAD = "根据《中华人民共和国政府信息公开条例》规定，"


def parse(text: str, name: str = "report.txt"):
    return parsers.parse_report(name, text.encode("utf-8"))


def core(report) -> dict:
    return {(o.outcome, o.applicant_type): (o.cell.value, o.source) for o in report.outcomes}


def assert_spans_hold_their_values(report) -> None:
    """Provenance: the text at each stored value's span is that number as written."""
    for row in [*report.outcomes, *report.review_litigation, *report.metrics]:
        raw = row.cell.value_raw
        assert report.source.text[row.cell.start:row.cell.end] == raw
        if raw.isdigit():  # (a zero statement's value as written is its negation word: 无, 未)
            assert int(raw) == row.cell.value


# --- which kind of document ---------------------------------------------------------------

@pytest.mark.parametrize("opening", [
    "特向社会公布2023年政府信息公开工作年度报告。",
    "现公布广东省人民政府办公厅2023年政府信息公开工作年度报告。",
    "由鹿城区发展和改革局编制的2023年度政府信息公开年度报告。",
    "二郎街道现面向社会公开2023年度政府信息公开年度报告。",
])
def test_a_report_without_a_title_that_announces_itself_is_an_annual_report(opening):
    report = parse(HEAD + opening + "\n一、总体情况\n本年度共收到政府信息公开申请5件。\n")
    assert report.metadata.doc_type == "annual_report" and report.metadata.year == 2023
    assert report.template == "t2021"  # the format in force for 2023: no table left to say otherwise


@pytest.mark.parametrize("opening, agency", [
    ("现公布广东省人民政府办公厅2023年政府信息公开工作年度报告。", "广东省人民政府办公厅"),
    ("郑州高新区沟赵办事处向社会公布2023年度本级政府信息公开年度报告。", "郑州高新区沟赵办事处"),
    ("本年报是由鹿城区发展和改革局编制的2023年度政府信息公开年度报告。", "鹿城区发展和改革局"),
    ("特向社会公布2023年政府信息公开工作年度报告。", None),
])
def test_the_announcing_agency_is_kept_when_it_is_named(opening, agency):
    report = parse(HEAD + opening + "\n")
    assert report.metadata.agency == agency


@pytest.mark.parametrize("text", [
    "文字解读:济南市历下区2022年政府信息公开工作年度报告\n一、编制背景\n发布了《济南市历下区2022年政府信息公开工作年度报告》。\n",
    "图解：某某县2022年政府信息公开工作年度报告\n一图读懂。\n",
    "导读 日前，某某省人民政府正式向社会发布2020年政府信息公开工作年度报告。报告显示，全年公开政策文件236件。\n",
    "某某区2022年上半年政府信息公开工作情况\n上半年共收到申请3件。\n",
])
def test_explainers_news_and_half_year_bulletins_are_other(text):
    assert parse(text).metadata.doc_type == "other"


def test_a_cited_format_names_the_template_when_no_table_is_left():
    cites = HEAD + "按照《中华人民共和国政府信息公开工作年度报告格式》(国办公开办函〔2019〕60号)，特向社会公布2022年政府信息公开工作年度报告。\n"
    assert parse(cites).template == "t2019"
    assert parse(cites.replace("〔2019〕60号", "[2021]30号")).template == "t2021"


@pytest.mark.parametrize("title, agency", [
    ("2023年度北京市城市管理委员会政府信息公开工作年度报告", "北京市城市管理委员会"),
    ("北京市城市管理委员会2023年政府信息公开工作年度报告", "北京市城市管理委员会"),
    ("2023年政府信息公开工作年度报告", None),
    ("文字解读:济南市历下区大明湖街道办事处2022年政府信息公开工作年度报告", "济南市历下区大明湖街道办事处"),
])
def test_the_agency_before_or_after_the_year_in_a_title(title, agency):
    assert parse(title + "\n一、总体情况\n").metadata.agency == agency


def test_a_title_saying_xinxi_gongkai_without_zhengfu_is_a_title():
    report = parse("道县文广新局2013年度信息公开工作\n年度报告\n一、主动公开政府信息的情况：\n主动公开信息5条；\n")
    assert report.metadata.title == "道县文广新局2013年度信息公开工作年度报告"
    assert report.metadata.doc_type == "annual_report"


# --- counts stated only in prose -------------------------------------------------------------

@pytest.mark.parametrize("sentence, expected", [
    ("全年共收到90件申请，已办结86件、正在办理4件。",
     {"new_received": 90, "results_total": 86, "carried_forward_to_next_year": 4}),
    ("共收到7件依申请公开件，办结6件，结转下年度继续办理1件，予以公开3件。",
     {"new_received": 7, "results_total": 6, "carried_forward_to_next_year": 1, "granted": 3}),
    ("全年新收政府信息公开申请数量12件，上年结转政府信息公开申请数量2件，其中部分公开3件。",
     {"new_received": 12, "carried_over_from_prev_year": 2, "partially_granted": 3}),
    ("全年收到并办结政府信息公开申请20件。", {"new_received": 20, "results_total": 20}),  # one number, two steps
    ("开设窗口26个，共受理申请121510件。", {}),  # approvals at a service hall, not disclosure requests
    ("本年度受理政府信息公开申请15宗，答复15宗。其中予以公开9宗，属于行政执法案卷2宗，本机关不掌握相关政府信息4宗。",
     {"new_received": 15, "results_total": 15, "granted": 9, "denied_enforcement_case_file": 2, "unable_not_held": 4}),
])
def test_the_comparable_core_from_prose(sentence, expected):
    text = "某某市某某局2023年政府信息公开工作年度报告\n（二）依申请公开情况\n" + sentence + "\n"
    report = parse(text)
    found = {outcome: value for (outcome, applicant), (value, source) in core(report).items() if source == "text"}
    assert found == expected
    for o in report.outcomes:  # provenance: each span holds the number as written
        assert report.source.text[o.cell.start:o.cell.end] == o.cell.value_raw and o.cell.value_raw.strip()


def test_figures_of_another_year_and_totals_that_include_carried_over_are_not_new_received():
    text = ("某某市某某局2023年政府信息公开工作年度报告\n共收到信息公开申请22起，比2022年(31起)下降29%，答复29起。\n"
            "全年共收到公开申请1466件（上年度结转16件，结转下年度9件）。\n")
    found = {k[0]: v for k, v in core(parse(text)).items()}
    assert 31 not in [v for v, _ in found.values()]
    assert found["carried_over_from_prev_year"] == (16, "text") and found["carried_forward_to_next_year"] == (9, "text")
    # 1466 includes last year's 16: it is not this year's new applications; 22 is (22 + 16 = 29 + 9)
    assert found["new_received"] == (22, "text") and found["results_total"] == (29, "text")


def test_prose_flows_that_do_not_add_up_are_not_stored_but_kept_as_metrics():
    """22 came in and 16 were carried over, 22 answered and 9 carried forward: 38 in, 31 out. One of the
    readings is wrong or the report is: none of the four goes into the core; metrics keep each."""
    text = ("某某市某某局2023年政府信息公开工作年度报告\n共收到信息公开申请22起，答复22起。\n"
            "全年共收到公开申请1466件（上年度结转16件，结转下年度9件）。\n")
    report = parse(text)
    assert not {"new_received", "carried_over_from_prev_year", "results_total", "carried_forward_to_next_year"} & {
        k[0] for k in core(report)}
    stated = {(m.metric, m.cell.value) for m in report.metrics}
    assert {("applications_received_total", 22), ("applications_closed", 22), ("applications_carried_over", 16),
            ("applications_carried_forward", 9)} <= stated
    assert any("do not add up" in i.message and "38 came in, 31 went out" in i.message for i in report.issues)


def test_a_column_of_flows_that_do_not_add_up_goes_with_them():
    """全部为自然人申请 makes new_received's 自然人 the same figure as its 总计: in doubt with it."""
    text = ("某某市某某局2023年政府信息公开工作年度报告\n共收到信息公开申请22起，全部为自然人申请，答复22起。\n"
            "全年共收到公开申请1466件（上年度结转16件，结转下年度9件）。\n")
    assert not {"new_received", "carried_over_from_prev_year", "results_total", "carried_forward_to_next_year"} & {
        outcome for outcome, _ in core(parse(text))}


def test_approximate_counts_never_enter_the_core():
    report = parse("某某市某某局2023年政府信息公开工作年度报告\n全年收到政府信息公开申请10余件，均已按时答复。\n")
    assert core(report) == {}


def test_prose_never_replaces_a_table():
    text = ("某某区2023年政府信息公开工作年度报告\n全年共收到申请99件。\n三、收到和处理政府信息公开申请情况\n"
            "| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"
            "| 一、本年新收政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |\n")
    assert core(parse(text))[("new_received", "total")] == (5, "table")


@pytest.mark.parametrize("template_year, proceedings", [
    (2023, {"admin_review", "litigation_direct", "litigation_after_review"}),
    (2016, {"admin_review", "litigation"}),
])
def test_no_review_or_litigation_in_prose(template_year, proceedings):
    text = f"某某镇{template_year}年政府信息公开工作年度报告\n本年度没有发生因政府信息公开引起的行政复议、行政诉讼。\n"
    review = {(r.proceeding, r.result): (r.cell.value, r.source) for r in parse(text).review_litigation}
    assert {p for p, _ in review} == proceedings and all(v == (0, "text") for v in review.values())


# --- how much was read --------------------------------------------------------------------

TABLE3_HEAD = "三、收到和处理政府信息公开申请情况\n| 申请人情况 | 自然人 | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | 总计 |\n"


def test_reading_is_partial_for_a_cut_table_and_names_what_was_read():
    report = parse("某某区2023年政府信息公开工作年度报告\n" + TABLE3_HEAD
                   + "| 一、本年新收政府信息公开申请数量 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |\n")
    assert (report.reading.reading, report.reading.cells_read, report.reading.cells_expected) == ("partial", 7, 200)


def test_a_table_seen_but_not_read_is_no_table_with_a_warning():
    report = parse("某某区2023年政府信息公开工作年度报告\n" + TABLE3_HEAD + "（表格为图片，见附件）\n")
    assert report.reading.reading == "no_table"
    assert any("table 三's heading and header rows are in the report" in i.message for i in report.issues)


def test_reading_of_prose_reports_and_other_documents():
    prose = parse("某某镇2016年政府信息公开工作年度报告\n本年度收到政府信息公开申请3件。\n")
    assert (prose.reading.reading, prose.reading.cells_expected) == ("prose_only", None)
    other = parse("关于做好2023年政府信息公开工作年度报告编制发布工作的通知\n各单位：\n")
    assert other.reading.reading == "not_applicable"


@pytest.mark.parametrize("sentence, expected", [
    ("全年共收到政府信息公开申请两件，均已按时答复。", {"new_received": (2, "两")}),
    ("本年度共受理依申请公开十二件，办结十二件。", {"new_received": (12, "十二"), "results_total": (12, "十二")}),
    ("全年未收到一件政府信息公开申请。", {"new_received": (0, "未")}),
    ("收到政府信息公开申请十余件。", {}),  # a bound, not a count
    ("开展培训三次，形成一个机制。", {}),  # numbers in characters count only for the requests' core
])
def test_counts_written_in_characters(sentence, expected):
    report = parse("某县某局2023年政府信息公开工作年度报告\n" + sentence + "\n")
    found = {o.outcome: (o.cell.value, o.cell.value_raw) for o in report.outcomes}
    assert found == expected
    assert all(report.source.text[o.cell.start:o.cell.end] == o.cell.value_raw for o in report.outcomes)


@pytest.mark.parametrize("forms, region_code", [
    (["长沙市芙蓉区人民政府", "芙蓉区人民政府", "芙蓉区政府"], "430102"),
    (["长沙市芙蓉区人民政府办公室", "芙蓉区人民政府办公厅", "芙蓉区政府办公室"], "430102"),
    (["平潭综合实验区管理委员会", "平潭综合实验区管委会（平潭综合实验区）"], "350128"),
])
def test_one_agency_key_for_every_form_of_an_agencys_name(forms, region_code):
    from parsers.agencies import agency_key
    assert len({agency_key(form, region_code) for form in forms}) == 1
    assert agency_key(forms[0], region_code).startswith(region_code + ":")


def test_different_agencies_of_one_place_keep_different_keys():
    from parsers.agencies import agency_key
    keys = {agency_key(name, "430102") for name in ("芙蓉区人民政府", "芙蓉区人民政府办公室", "芙蓉区教育局", "芙蓉区公安分局")}
    assert len(keys) == 4


# --- carry-overs in prose, in the wordings reports use ---------------------------------------
# new n, carried over c, closed n + c - f, carried forward f: each wording, in either order, for
# several report years; the figures add up, so all four go into the core.

CARRIED_OVER = ["{last}年结转{c}件", "上年转结政府信息公开申请{c}件", "上年度结转{c}件", "结转至{year}年办理的{c}件"]
CARRIED_FORWARD = ["结转{next}年{f}件", "转下一年办理{f}件", "{f}件转结{next}年办结", "结转下年度继续办理{f}件"]


@pytest.mark.parametrize("year", [2019, 2022, 2024])
@pytest.mark.parametrize("over", CARRIED_OVER)
@pytest.mark.parametrize("forward", CARRIED_FORWARD)
@pytest.mark.parametrize("carry_first", [False, True])
def test_carry_over_and_forward_in_their_wordings(year, over, forward, carry_first):
    n, c, f = 37, 4, 6
    words = dict(year=year, last=year - 1, next=year + 1, c=c, f=f)
    received = f"全年共收到政府信息公开申请{n}件，办结{n + c - f}件。"
    carries = f"政府信息公开申请方面，{over.format(**words)}，{forward.format(**words)}。"
    body = carries + received if carry_first else received + carries
    report = parse(f"某某县某某局{year}年政府信息公开工作年度报告\n一、总体情况\n{body}\n")
    assert_spans_hold_their_values(report)
    assert {k[0]: v[0] for k, v in core(report).items()} == {
        "new_received": n, "carried_over_from_prev_year": c, "results_total": n + c - f,
        "carried_forward_to_next_year": f}


@pytest.mark.parametrize("year", [2020, 2023, 2025])
def test_a_received_total_that_contains_the_carry_over_is_never_new_received(year):
    text = (f"某某镇{year}年政府信息公开工作年度报告\n一、总体情况\n"
            f"全年受理政府信息公开申请25件（含{year - 1}年结转1件），均已办结。\n")
    found = {k[0]: v[0] for k, v in core(parse(text)).items()}
    assert found.get("carried_over_from_prev_year") == 1 and "new_received" not in found


@pytest.mark.parametrize("wording", ["{year}年结转{c}件", "结转{earlier}年{c}件", "{earlier}年结转{c}件"])
def test_a_carry_named_by_a_year_that_says_neither_is_not_stored(wording):
    """The report's own year before the verb, or a year two back: neither last year's carry-over
    nor the carry-forward."""
    text = (f"某某县某某局2023年政府信息公开工作年度报告\n一、总体情况\n全年共收到政府信息公开申请9件，"
            + wording.format(year=2023, earlier=2021, c=3) + "。\n")
    found = {k[0] for k in core(parse(text))}
    assert not found & {"carried_over_from_prev_year", "carried_forward_to_next_year"}


FLOWS = ("new_received", "carried_over_from_prev_year", "results_total", "carried_forward_to_next_year")


def _tables_flows() -> list[tuple[str, int, dict]]:
    """(name, year, the four flows' 总计) of each bundled report whose table 三 gives all four."""
    from pathlib import Path

    found = []
    for path in sorted((Path(__file__).resolve().parent.parent / "reports").iterdir()):
        if path.suffix in (".txt", ".md", ".html", ".pdf", ".docx"):
            report = parsers.parse_report(path.name, path.read_bytes())
            totals = {o.outcome: o.cell.value for o in report.outcomes
                      if o.source == "table" and o.applicant_type == "total" and o.outcome in FLOWS}
            if len(totals) == 4 and report.metadata.year and all(isinstance(v, int) for v in totals.values()):
                found.append((path.name, report.metadata.year, totals))
    return found


TABLES_FLOWS = _tables_flows()


def test_no_stored_prose_figure_contradicts_its_reports_arithmetic():
    """Each bundled report's table 三 flows, stated in prose instead (its tables gone), in the wordings
    above: where the report's figures add up the core holds them; where they do not, or one is
    written wrong, none of the four is stored."""
    assert len(TABLES_FLOWS) >= 5
    for name, year, flows in TABLES_FLOWS:
        for broken in (0, 1):
            stated = dict(flows, results_total=flows["results_total"] + broken)
            words = dict(year=year, last=year - 1, next=year + 1, c=stated["carried_over_from_prev_year"],
                         f=stated["carried_forward_to_next_year"])
            prose = (f"全年共收到政府信息公开申请{stated['new_received']}件，{CARRIED_OVER[0].format(**words)}，"
                     f"办结{stated['results_total']}件，{CARRIED_FORWARD[0].format(**words)}。")
            report = parse(f"某某局{year}年政府信息公开工作年度报告\n一、总体情况\n{prose}\n")
            kept = {k[0]: v[0] for k, v in core(report).items() if k[0] in FLOWS}
            adds_up = (stated["new_received"] + stated["carried_over_from_prev_year"]
                       == stated["results_total"] + stated["carried_forward_to_next_year"])
            assert kept == (stated if adds_up else {}), (name, broken)


# --- decisions stated in prose beside table 二 ---------------------------------------------

DECISIONS = [("作出行政处罚决定{n}件", "administrative_penalty_decisions"),
             ("办理行政许可{n}项", "administrative_licensing_decisions"),
             ("实施行政强制措施{n}起", "administrative_enforcement_decisions")]


@pytest.mark.parametrize("order", [(0, 1, 2), (2, 0, 1), (1, 2, 0)])
@pytest.mark.parametrize("lead", ["全年共", "2023年，本局", "本年度依法"])
def test_decisions_in_prose_beside_the_table_are_metrics_with_their_spans(order, lead):
    from pathlib import Path

    source = Path(__file__).resolve().parent.parent / "reports/020_pingtan_zone_2025.txt"
    text = source.read_text(encoding="utf-8")
    numbers = [417, 96, 8]
    sentence = lead + "，".join(DECISIONS[i][0].format(n=numbers[i]) for i in order) + "。"
    at = text.index("二、主动公开政府信息情况")
    report = parse(text[:at] + sentence + "\n" + text[at:], source.name)
    for i, (_, key) in enumerate(DECISIONS):
        [metric] = [m for m in report.metrics if m.metric == key and m.source == "text"]
        assert metric.cell.value == numbers[i]
        assert str(numbers[i]) in report.source.text[metric.cell.start:metric.cell.end]


def test_a_licensing_application_is_not_an_information_request():
    report = parse("某某县某某局2023年政府信息公开工作年度报告\n一、总体情况\n全年受理行政许可申请310件。\n")
    assert "new_received" not in {k[0] for k in core(report)}


# --- one figure, two statements --------------------------------------------------------------

@pytest.mark.parametrize("wording", ["全年受理和办结政府信息公开申请{n}件", "本年度收到并办结政府信息公开申请{n}件",
                                     "共收到并全部办结依申请公开{n}件"])
@pytest.mark.parametrize("n", [0, 6, 23])
def test_one_number_for_received_and_closed(wording, n):
    report = parse(f"某某镇2022年政府信息公开工作年度报告\n一、总体情况\n{wording.format(n=n)}。\n")
    assert_spans_hold_their_values(report)
    found = {k: v for k, v in core(report).items()}
    assert found[("new_received", "total")] == (n, "text") and found[("results_total", "total")] == (n, "text")


@pytest.mark.parametrize("then", ["，全部为自然人申请", "，均为自然人提出", "，申请人都是个人"])
def test_requests_all_from_natural_persons(then):
    report = parse(f"某某镇2023年政府信息公开工作年度报告\n一、总体情况\n全年收到政府信息公开申请7件{then}。\n")
    found = core(report)
    assert found[("new_received", "natural_person")] == (7, "text") and found[("new_received", "total")] == (7, "text")
    [cell] = [o.cell for o in report.outcomes if o.applicant_type == "natural_person"]
    assert report.source.text[cell.start:cell.end] == "7"


def test_a_natural_person_among_others_is_not_all():
    report = parse("某某镇2023年政府信息公开工作年度报告\n一、总体情况\n全年收到政府信息公开申请7件，其中自然人申请5件。\n")
    assert ("new_received", "natural_person") not in core(report)


def _review(report) -> dict:
    return {(r.proceeding, r.result): r.cell.value for r in report.review_litigation}


@pytest.mark.parametrize("sentence, expected", [
    ("行政复议1件，正在办理中", {("admin_review", "total"): 1, ("admin_review", "pending"): 1}),
    ("行政复议2件，目前尚未审结", {("admin_review", "total"): 2, ("admin_review", "pending"): 2}),
    ("行政复议3件，其中1件正在审理", {("admin_review", "total"): 3, ("admin_review", "pending"): 1}),
    ("行政复议2件，均为其他结果", {("admin_review", "total"): 2, ("admin_review", "other"): 2}),
    ("行政诉讼4件，其中2件尚在审理", {("litigation", "total"): 4, ("litigation", "pending"): 2}),
    ("收到申请10件，其中1件正在办理中", {}),  # the requests' carry-forward, not a review
])
def test_reviews_still_open_in_prose(sentence, expected):
    report = parse(f"某某局2018年政府信息公开工作年度报告\n一、总体情况\n{sentence}。\n")
    assert_spans_hold_their_values(report)
    assert _review(report) == expected


# --- a carry that does not say which way, placed by the arithmetic -------------------------------

@pytest.mark.parametrize("carry", ["结转{u}件", "{year}年结转{u}件", "结转办理{u}件"])
@pytest.mark.parametrize("new, closed, u, other, carries", [
    (40, 43, 3, "", {"carried_over_from_prev_year": 3}),  # 40 + 3 = 43 + 0
    (40, 37, 3, "", {"carried_forward_to_next_year": 3}),  # 40 + 0 = 37 + 3
    (40, 39, 3, "上年结转2件，", {"carried_over_from_prev_year": 2, "carried_forward_to_next_year": 3}),
    (40, 41, 3, "结转下年度2件，", {"carried_over_from_prev_year": 3, "carried_forward_to_next_year": 2}),
    (40, 40, 0, "", {}),  # a 0 fits both ways: placed nowhere
    (40, 41, 3, "", {}),  # fits neither way
])
@pytest.mark.parametrize("year", [2021, 2024])
def test_a_carry_of_no_stated_direction_goes_where_the_arithmetic_puts_it(carry, new, closed, u, other, carries, year):
    text = (f"某某局{year}年政府信息公开工作年度报告\n一、总体情况\n全年收到政府信息公开申请{new}件，{other}"
            f"{carry.format(u=u, year=year)}，办结{closed}件。\n")
    report = parse(text)
    assert_spans_hold_their_values(report)
    found = {k[0]: v[0] for k, v in core(report).items()}
    assert {k: v for k, v in found.items() if k.startswith("carried")} == carries


@pytest.mark.parametrize("granted", ['"同意公开"的{n}件', "同意公开{n}件", "予以公开{n}件"])
@pytest.mark.parametrize("not_held", ["因信息不存在的{n}件", "因信息不存在无法提供{n}件", "本机关不掌握相关信息{n}件"])
def test_reasons_in_plain_words(granted, not_held):
    sentence = f"全年收到政府信息公开申请9件，其中{granted.format(n=4)}，{not_held.format(n=5)}。"
    found = {k[0]: v[0] for k, v in core(parse(f"某某局2022年政府信息公开工作年度报告\n{sentence}\n")).items()}
    assert found["granted"] == 4 and found["unable_not_held"] == 5


@pytest.mark.parametrize("none", ["本年度无政府信息公开行政复议、诉讼案件", "未发生因政府信息公开引起的行政复议、行政诉讼",
                                  "没有发生政府信息公开行政复议和行政诉讼案件"])
def test_none_of_review_and_none_of_either_litigation(none):
    report = parse(f"某某局2022年政府信息公开工作年度报告\n一、总体情况\n{none}。\n")
    assert _review(report) == {("admin_review", "total"): 0, ("litigation_direct", "total"): 0,
                               ("litigation_after_review", "total"): 0}
