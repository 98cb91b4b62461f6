"""A synthetic national corpus for measuring the build and the site at scale.

    python bench/corpus.py --n 100000 --out build/corpus [--seed 1] [--pdf-share 0.05]

Reports in every layout the parsers know: the 2021 and 2019 templates (table 三
and 四 as `|` cells, space-separated cells, one cell per line, or an HTML
table), the pre-2019 statistics table, and narrative reports; real division
names from the cpca package's GB/T 2260 list with real department names;
years 2008-2025; figures that satisfy the official sums, except in about one
report in twenty where one cell is off by a few; page furniture (breadcrumbs,
font-size links, share buttons) around them. As text (UTF-8, some GBK), HTML
pages (UTF-8 and GB2312 declared) and a share of PDFs (reportlab).

Each file depends only on the seed and its number, so the same seed gives the
same corpus. `NAME.truth.jsonl` beside the folder records the figures written into each report.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from parsers.data import templates
from parsers.regions import divisions, level

ROOT = Path(__file__).resolve().parent.parent

DEPARTMENTS = ["人民政府", "人民政府办公室", "教育局", "公安局", "财政局", "自然资源局", "生态环境局",
               "住房和城乡建设局", "交通运输局", "水利局", "农业农村局", "卫生健康委员会", "市场监督管理局",
               "人力资源和社会保障局", "民政局", "司法局", "审计局", "统计局", "应急管理局", "文化和旅游局"]
APPLICANTS = ["natural_person", "commercial_enterprise", "research_institution", "social_welfare_org",
              "legal_service_org", "other_org"]
NOISE_TOP = ["当前位置：首页 > 政务公开 > 政府信息公开年报", "【字体：大 中 小】 打印本页 关闭窗口",
             "发布时间：{date}  来源：{agency}  浏览次数：{views}"]
NOISE_BOTTOM = ["分享到：微信 微博 QQ空间", "【打印本页】【关闭窗口】", "主办单位：{agency}  网站标识码：{code}",
                "扫一扫在手机打开当前页"]
PROSE = ["坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》。",
         "进一步完善政府信息公开工作机制，推进决策、执行、管理、服务、结果公开。",
         "加强政策解读和回应关切，及时回应社会公众关注的热点问题。",
         "依托政府门户网站、政务新媒体等平台，拓宽信息公开渠道。",
         "严格落实保密审查制度，确保公开信息准确、安全。"]


def regions() -> list[tuple[str, str, str]]:
    """(code, name, name of its prefecture) for every county-level and prefecture-level division."""
    names = divisions().names
    found = []
    for code, name in sorted(names.items()):
        if level(code) >= 2:
            found.append((code, name, names.get(code[:4] + "00", "")))
    return found


def table_rows(template: str) -> list[dict]:
    """Rows of table 三 with cells (not headers or groups), in order."""
    return [r for r in templates()[template]["table3"]["rows"] if r.get("kind") not in ("header", "group")]


def figures_2019_2021(rng: random.Random, template: str) -> dict:
    """Table 三 (six applicant columns and 总计) and table 四, adding up as the template says."""
    rows = table_rows(template)
    keys = [r["key"] for r in rows]
    results = [k for k in keys if k not in ("new_received", "carried_over_from_prev_year", "results_total",
                                            "carried_forward_to_next_year")]
    cells = {k: [0] * 6 for k in keys}
    for column in range(6):
        scale = [60, 8, 1, 1, 2, 2][column]
        new = rng.randint(0, scale * rng.choice([1, 1, 3, 10]))
        carried = rng.randint(0, max(1, new // 10))
        forward = rng.randint(0, carried + new // 8)
        handled = new + carried - forward
        cells["new_received"][column] = new
        cells["carried_over_from_prev_year"][column] = carried
        cells["carried_forward_to_next_year"][column] = forward
        weights = {"granted": 50, "partially_granted": 10, "unable_not_held": 15}
        for _ in range(handled):
            key = rng.choices(results, weights=[weights.get(k, 1) for k in results])[0]
            cells[key][column] += 1
        cells["results_total"][column] = handled
    review = []
    for _ in range(3):
        four = [rng.choice([0, 0, 0, 1, 2]) for _ in range(4)]
        review += four + [sum(four)]
    return {"table3": {k: v + [sum(v)] for k, v in cells.items()}, "table4": review, "keys": keys}


def break_a_sum(rng: random.Random, figures: dict) -> None:
    """One report in twenty: a cell off by a few, as real reports sometimes are."""
    key = rng.choice(figures["keys"])
    figures["table3"][key][rng.randrange(7)] += rng.choice([-2, -1, 1, 3])
    figures["broken"] = key


def table3_lines(template: str, figures: dict, style: str, rng: random.Random) -> list[str]:
    """Table 三 as a scraped page prints it: `|` cells, spaces, or one cell per line."""
    header = ["", "自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", "总计"]
    out = [_join(header, style)]  # the section heading above is the table's title
    parents = {r["id"]: r for r in templates()[template]["table3"]["rows"]}
    for row in templates()[template]["table3"]["rows"]:
        if row.get("kind") in ("header", "group"):
            out.append(_join([row["label"]], style))
            continue
        label = row["label"]
        if row.get("parent") in parents and style == "pipe" and rng.random() < 0.3:
            label = parents[row["parent"]]["label"] + label  # merged cells flattened into one label
        out.append(_join([label] + [str(v) for v in figures["table3"][row["key"]]], style))
    return out


def table4_lines(template: str, figures: dict, style: str) -> list[str]:
    t4 = templates()[template]["table4"]
    out = [t4["title"] if isinstance(t4, dict) and "title" in t4 else "四、政府信息公开行政复议、行政诉讼情况"]
    out.append(_join(["行政复议", "行政诉讼"], style))
    out.append(_join(["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"] * 3, style))
    out.append(_join([str(v) for v in figures["table4"]], style))
    return out


def _join(cells: list[str], style: str) -> str:
    if style == "pipe":
        return "| " + " | ".join(cells) + " |"
    if style == "lines":
        return "\n".join(c for c in cells if c != "")
    return "  ".join(cells).strip()


def pre2019_lines(rng: random.Random) -> tuple[list[str], dict]:
    """The pre-2019 statistics table, totals the sums of their rows as the template implies."""
    rows = templates()["pre2019_stats"]["rows"]
    values = {}
    for row in reversed(rows):  # children before their parents
        if row.get("kind") == "header":
            continue
        children = [r["id"] for r in rows if r["parent"] == row["id"] and r["id"] in values]
        numbered = [values[c] for c in children if not c[-1].isalpha()]  # 1.1 -> 1.1.1, 1.1.2…
        parts = [values[c] for c in children if c[-1].isalpha()]  # 其中 rows: 1.1.a, 1.1.b
        if row["unit"] == "万元":
            value = rng.choice([0, 0, 0.5, 1.2])
        elif numbered:  # a total of its numbered rows
            value = sum(numbered)
        else:  # a leaf, or a figure with 其中 parts
            value = rng.randint(0, 400 if row["unit"] == "条" else 30) + sum(parts)
        values[row["id"]] = value
    channels = [values[r["id"]] for r in rows if r["parent"] == "1.2"]
    values["1.1"] = max([values["1.1"], *channels])  # each channel's items are within the total
    out = ["政府信息公开情况统计表", "| 统计指标 | 单位 | 统计数 |"]
    for row in rows:
        if row.get("kind") == "header":
            out.append(f"| {row['label']} | | |")
        else:
            out.append(f"| {row['label']} | {row['unit'] or ''} | {values[row['id']]} |")
    return out, {row["key"]: values[row["id"]] for row in rows if row["id"] in values}


def narrative_lines(rng: random.Random, year: int) -> tuple[list[str], dict]:
    received = rng.randint(0, 300)
    granted = rng.randint(0, received)
    reviews = rng.randint(0, 5)
    out = ["一、概述", rng.choice(PROSE), "二、主动公开政府信息情况",
           f"全年主动公开政府信息{rng.randint(100, 9000)}条，其中规范性文件{rng.randint(0, 40)}件。",
           "三、依申请公开政府信息情况",
           f"{year}年共收到政府信息公开申请{received}件，已全部按时答复，其中同意公开{granted}件。",
           "四、政府信息公开的收费及减免情况", "未收取任何费用。",
           "五、因政府信息公开申请行政复议、提起行政诉讼的情况",
           f"全年因政府信息公开申请行政复议{reviews}件，提起行政诉讼{rng.randint(0, 3)}件。",
           "六、存在的主要问题和改进措施", rng.choice(PROSE)]
    return out, {"applications_received": received}


def report(n: int, seed: int, places: list, pdf_share: float) -> tuple[str, bytes, dict]:
    """File name, bytes and the figures written, for report number n."""
    rng = random.Random(seed * 1_000_003 + n)
    code, place, prefecture = rng.choice(places)
    department = rng.choice(DEPARTMENTS)
    agency = place + department
    year = rng.randint(2008, 2025)
    layout = ("t2021" if year >= 2021 else "t2019" if year >= 2019 else rng.choice(["pre2019_stats", "narrative"]))
    if rng.random() < 0.08:
        layout = "narrative"
    title = f"{agency}{year}年政府信息公开工作年度报告"
    date = f"{year + 1}-01-{rng.randint(10, 31):02d}"
    truth = {"n": n, "agency": agency, "year": year, "layout": layout, "region_code": code}
    lines = [title]
    if layout in ("t2019", "t2021"):
        figures = figures_2019_2021(rng, layout)
        if rng.random() < 0.05:
            break_a_sum(rng, figures)
        style = rng.choice(["pipe", "pipe", "pipe", "spaces", "lines"])
        sections = [s["label"] for s in templates()[layout]["sections"]]
        lines += [sections[0], rng.choice(PROSE), rng.choice(PROSE), sections[1],
                  f"本年新制发规范性文件{rng.randint(0, 30)}件。", sections[2]]
        lines += table3_lines(layout, figures, style, rng)
        lines += [sections[3]] + table4_lines(layout, figures, style)
        lines += [sections[4], rng.choice(PROSE), sections[5], "无。"]
        truth.update(table3_total={k: v[6] for k, v in figures["table3"].items()}, table4=figures["table4"],
                     style=style, broken=figures.get("broken"))
    elif layout == "pre2019_stats":
        body, values = pre2019_lines(rng)
        lines += ["一、概述", rng.choice(PROSE), "二、主动公开情况", rng.choice(PROSE), "附件"] + body
        truth.update(pre2019=values)
    else:
        body, values = narrative_lines(rng, year)
        lines += body
        truth.update(values)
    lines.append(f"{agency}\n{date}")
    noise = {"date": date, "agency": agency, "views": rng.randint(10, 9999), "code": code}
    top = [line.format(**noise) for line in rng.sample(NOISE_TOP, 2)]
    bottom = [line.format(**noise) for line in rng.sample(NOISE_BOTTOM, 2)]
    stem = f"{year}/{code[:2]}/{n:06d}_{agency}"
    kind = rng.random()
    if kind < pdf_share:
        return stem + ".pdf", pdf_bytes(lines), truth
    text = "\n".join(top + lines + bottom) + "\n"
    if kind < pdf_share + 0.3:
        charset = rng.choice(["utf-8", "utf-8", "gb2312"])
        return stem + ".html", html_page(title, lines, top, bottom, charset).encode(_codec(charset), "replace"), truth
    codec = "gb18030" if rng.random() < 0.15 else "utf-8"
    return stem + ".txt", text.encode(codec), truth


def _codec(charset: str) -> str:
    return "gb18030" if charset == "gb2312" else charset


def html_page(title: str, lines: list[str], top: list[str], bottom: list[str], charset: str) -> str:
    from html import escape

    def paragraph(line: str) -> str:
        if line.startswith("| "):
            cells = line.strip("| ").split(" | ")
            return "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>"
        return f"<p>{escape(line)}</p>"

    body, in_table = [], False
    for line in lines:
        is_row = line.startswith("| ")
        if is_row and not in_table:
            body.append("<table border=\"1\">")
        if in_table and not is_row:
            body.append("</table>")
        in_table = is_row
        body.append(paragraph(line))
    if in_table:
        body.append("</table>")
    nav = "".join(f"<li><a href=\"/col{i}\">栏目{i}</a></li>" for i in range(12))
    return (f"<!DOCTYPE html><html><head><meta charset=\"{charset}\"><title>{escape(title)}</title>"
            f"<meta name=\"ArticleTitle\" content=\"{escape(title)}\"></head><body>"
            f"<div class=\"nav\"><ul>{nav}</ul></div><div class=\"crumbs\">{escape(top[0])}</div>"
            f"<div id=\"zoom\">{''.join(body)}</div><div class=\"footer\">{''.join(escape(b) for b in bottom)}</div>"
            "</body></html>")


def pdf_bytes(lines: list[str]) -> bytes:
    import io

    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    y = 800
    for line in "\n".join(lines).split("\n"):
        page.setFont("STSong-Light", 9)
        page.drawString(40, y, line.replace("|", " ")[:90])
        y -= 14
        if y < 50:
            page.showPage()
            y = 800
    page.save()
    return buffer.getvalue()


def truth_path(corpus: Path) -> Path:
    """Beside the corpus, not in it: build/corpus -> build/corpus.truth.jsonl."""
    return corpus.with_name(corpus.name + ".truth.jsonl")


def write(n: int, out: Path, seed: int = 1, pdf_share: float = 0.05, start: int = 0) -> int:
    places = regions()
    out.mkdir(parents=True, exist_ok=True)
    with open(truth_path(out), "w", encoding="utf-8") as truth_file:
        for number in range(start, start + n):
            name, content, truth = report(number, seed, places, pdf_share)
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            truth_file.write(json.dumps({"path": name, **truth}, ensure_ascii=False) + "\n")
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pdf-share", type=float, default=0.05)
    args = parser.parse_args(argv)
    if args.out.exists() and any(args.out.iterdir()):
        parser.error(f"{args.out} is not empty: remove it first (the corpus is written whole)")
    write(args.n, args.out, args.seed, args.pdf_share)
    print(f"wrote {args.n} reports to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
