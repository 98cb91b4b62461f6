"""Step 1: a file's bytes to the report's text, whatever the format.

Every format ends as one string, `reports.text`, and every span in the
database points into it. Tables (HTML `<table>`, PDF ruled tables, Word
tables) are read as cell grids, spans resolved, and written into the text one
row per line with `|` between cells, the same shape the text parser reads
from scraped pages. So the grid decides where each cell is; the text only
carries it. The result is a pure function of the bytes: the same file gives
the same text on every rebuild.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field

from . import data
from .cells import is_value
from .decode import MAX_BYTES, Decoded, UnreadableFile, decode_text
from .model import Issue


@dataclass
class Extracted:
    text: str
    encoding: str | None = None
    page_starts: list[int] | None = None  # offset where each PDF page starts
    hints: dict[str, str] = field(default_factory=dict)  # what the file says about itself: title, source_url…
    issues: list[Issue] = field(default_factory=list)


def read(fmt: str, data_: bytes) -> Extracted:
    """The text of a file of format `fmt` (see decode.FORMATS). Raises UnreadableFile."""
    if not data_.strip():
        raise UnreadableFile("the file is empty")
    if len(data_) > MAX_BYTES:
        raise UnreadableFile(f"the file is {len(data_) // (1024 * 1024)} MB, over the {MAX_BYTES // (1024 * 1024)} MB limit")
    reader = {"txt": read_text, "md": read_text, "html": read_html, "pdf": read_pdf, "docx": read_docx,
              "doc": read_legacy_word, "wps": read_legacy_word}[fmt]
    return reader(data_)


def read_text(data_: bytes) -> Extracted:
    """Text and Markdown files; a saved page whose text is markup goes through the HTML reader,
    whatever its extension."""
    decoded = decode_text(data_)
    markup = markup_in(decoded.text)
    if markup is not None:
        return read_markup(markup, decoded)
    return Extracted(decoded.text, decoded.encoding, issues=_replaced(decoded))


MARKUP_TAG = re.compile(r"<(?:p|div|table|tr|td|br|span|html|body|h\d)\b[^>]*>", re.I)
ESCAPED_TAG = re.compile(r"&lt;(?:p|div|table|tr|td|br|span)\b", re.I)


def markup_in(text: str) -> str | None:
    """The HTML in a text file, if its text is markup: a saved page, a page escaped once
    (&lt;p&gt;…), or a report kept in a JavaScript string (var content = "<p>…<table>…")."""
    import html

    if len(ESCAPED_TAG.findall(text)) >= 3 and len(MARKUP_TAG.findall(text)) < 3:
        text = html.unescape(text)
    if len(MARKUP_TAG.findall(text)) < 3:
        return None
    if text.lstrip("\ufeff \t\r\n").startswith("<"):
        return text
    return script_html(text)


def _replaced(decoded: Decoded) -> list[Issue]:
    if not decoded.replaced:
        return []
    return [Issue("warning", f"{decoded.replaced} characters could not be decoded from {decoded.encoding} "
                             "and were replaced with U+FFFD")]


# --- tables as grids -----------------------------------------------------------

Grid = list[list[str | None]]  # None: covered by a neighbouring cell's rowspan/colspan


def render_grid(grid: Grid) -> list[str]:
    """A table as lines of text: `| label | 1 | 2 |` per row.

    A row with a single filled cell (a caption, or a page framed as a table)
    is a plain line. Empty cells are kept in every column right of the labels,
    even one blank in every row (no 科研机构 applicants): a blank value stays a
    blank cell in its place. Label columns drop theirs (merged label cells).
    """
    value_columns = range(_first_value_column(grid), max(map(len, grid), default=0))
    out = []
    for row in grid:
        filled = [cell for cell in row if cell]
        if len(filled) <= 1:
            out += filled
            continue
        cells = [cell.replace("|", " ") for c, cell in enumerate(row)
                 if cell or (cell is not None and c in value_columns)]
        out.append("| " + " | ".join(cells) + " |")
    return out


def _first_value_column(grid: Grid) -> int:
    """Where the value columns begin: after the label cells (and the cells merged into them)
    of every row that has values."""
    starts = []
    for row in grid:
        first = next((c for c, cell in enumerate(row) if cell and is_value(cell)), None)
        if first is not None:
            labels = [c for c, cell in enumerate(row[:first]) if cell is None or (cell and not is_value(cell))]
            starts.append(labels[-1] + 1 if labels else 0)
    return max(starts, default=0)


def join_lines(text: str) -> str:
    """A cell's lines joined: no space between Chinese characters (三\\n、\\n本 -> 三、本)."""
    def joiner(m: re.Match) -> str:
        before, after = text[m.start() - 1:m.start()], text[m.end():m.end() + 1]
        return " " if before.isascii() and after.isascii() else ""
    return re.sub(r"[ \t]*\n\s*", joiner, text.strip())


# --- HTML ------------------------------------------------------------------------

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.I)
# Every label GB2312 and GBK pages declare is decoded as GB18030, their superset.
GB_CHARSETS = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}


def decode_html(data_: bytes) -> Decoded:
    """By the charset the page declares; by detection when it declares none, or a wrong one.

    Bytes that are valid UTF-8 are UTF-8 whatever the page declares: GBK text is
    practically never valid UTF-8, while pages saved as UTF-8 by a CMS that still
    writes charset=gb2312 are common."""
    try:
        return Decoded(data_.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    declared = META_CHARSET.search(data_[:8192])
    if declared and not data_.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        name = declared.group(1).decode("ascii", "replace").lower()
        encoding = "gb18030" if name in GB_CHARSETS else name
        try:
            return Decoded(data_.decode(encoding), encoding)
        except UnicodeDecodeError:
            if encoding == "gb18030":  # a GBK page with a few damaged bytes: keep the rest
                text = data_.decode(encoding, errors="replace")
                return Decoded(text, encoding, replaced=text.count("\ufffd"))
        except LookupError:
            pass
    return decode_text(data_)


# A JavaScript string literal.
JS_STRING = re.compile(r"""(["'])((?:\\.|(?!\1)[^\\\n])*)\1""")


def _js_unescape(body: str) -> str:
    def one(m: re.Match) -> str:
        c = m.group(1)
        if c[0] == "u":
            return chr(int(c[1:], 16))
        if c[0] == "x":
            return chr(int(c[1:], 16))
        return {"n": "\n", "t": "\t", "r": ""}.get(c, c)
    return re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", one, body)


def script_html(script: str) -> str | None:
    """HTML a script writes into the page (document.write("<p>…</p>"), or a string assigned to innerHTML)."""
    literals = [_js_unescape(m.group(2)) for m in JS_STRING.finditer(script)]
    markup = "".join(s for s in literals if "<" in s or re.search(r"[\u4e00-\u9fff]", s))
    if "<" in markup and len(re.findall(r"[\u4e00-\u9fff]", markup)) >= 20:
        return markup
    return None


def read_html(data_: bytes) -> Extracted:
    decoded = decode_html(data_)
    return read_markup(decoded.text, decoded)


def read_markup(markup: str, decoded: Decoded) -> Extracted:
    import lxml.html
    from lxml import etree

    rules = data.load("html")
    try:
        root = lxml.html.document_fromstring(markup)
    except (etree.ParserError, ValueError) as e:
        raise UnreadableFile(f"the HTML cannot be parsed ({e})") from None
    hints = _page_hints(root, rules)
    for script in root.iter("script"):
        markup = script_html(script.text or "")
        if markup:
            holder = lxml.html.fragment_fromstring(markup, create_parent="div")
            script.addprevious(holder)
    for element in root.xpath("|".join(f"//{tag}" for tag in rules["drop_tags"])):
        element.drop_tree()
    article = find_article(root, rules, hints.get("title"))
    if article is None:
        raise UnreadableFile("the page has no article: no part of it holds enough Chinese text to be a report")
    lines = html_lines(article, set(rules["block_tags"]))
    title = hints.get("title")
    if title and not any(title in line for line in lines[:8]):
        lines.insert(0, title)  # the headline usually sits outside the article's container
    return Extracted("\n".join(lines), decoded.encoding, hints=hints, issues=_replaced(decoded))


def _page_hints(root, rules: dict) -> dict[str, str]:
    meta = {}
    for element in root.xpath("//meta[@content]"):
        name = element.get("name") or element.get("property")
        if name and name not in meta and element.get("content", "").strip():
            meta[name] = " ".join(element.get("content").split())
    hints = {}
    canonical = root.xpath("//link[@rel='canonical']/@href")
    url = next((u for u in canonical + [meta.get(n) for n in rules["url_meta"]] if u and u.startswith("http")), None)
    if url:
        hints["source_url"] = url
    h1 = [" ".join(h.text_content().split()) for h in root.xpath("//h1")]
    title = next((t for t in [meta.get(n) for n in rules["title_meta"]] + h1 if t and "报告" in t), None)
    if title is None:
        page_title = root.findtext(".//title") or ""
        title = next((p.strip() for p in re.split(r"[_|｜—-]+", page_title) if "报告" in p), None)
    if title:
        hints["title"] = title
    date = next((meta.get(n) for n in rules["date_meta"] if meta.get(n)), None)
    if date and re.match(r"\d{4}-\d{2}-\d{2}", date):
        hints["published_date"] = date[:10]
    return hints


def _chinese(text: str) -> int:
    return len(re.findall(r"[\u4e00-\u9fff]", text))


def find_article(root, rules: dict, title: str | None = None):
    """The element that holds the report: a known CMS container, else the smallest
    element holding most of the page's Chinese text that is not link text."""
    for selector in rules["article_selectors"]:
        for element in root.cssselect(selector):
            if _chinese(element.text_content()) >= rules["min_article_chars"]:
                return element
    body = root.find("body")
    if body is None:
        body = root
    def own(element) -> int:
        links = sum(_chinese(a.text_content()) for a in element.iter("a"))
        return _chinese(element.text_content()) - links
    total = own(body)
    if total < rules["min_article_chars"]:
        # A short page is still a report when its title names one and its text has a report's words.
        names_a_report = title and re.search(data.load("document")["title_pattern"].replace("$", ""), re.sub(r"\s+", "", title))
        text = "".join(body.xpath(".//text()[not(ancestor::a)]"))
        return body if names_a_report and any(w in text for w in rules["report_words"]) else None
    best = body
    while True:
        bigger = [child for child in best if isinstance(child.tag, str) and own(child) >= rules["article_share"] * total]
        if not bigger:
            return best
        best = bigger[0]


def html_lines(element, block_tags: set[str]) -> list[str]:
    parts: list[str] = []

    def walk(el) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag == "table" and not el.xpath(".//table"):
            parts.append("\n" + "\n".join(render_grid(html_grid(el))) + "\n")
        elif tag:  # comments and processing instructions have no text of their own
            if tag in block_tags:
                parts.append("\n")
            parts.append(el.text or "")
            for child in el:
                walk(child)
            if tag in block_tags:
                parts.append("\n")
        parts.append(el.tail or "")

    walk(element)
    lines = []
    for line in "".join(parts).split("\n"):
        if line.lstrip().startswith("|"):
            lines.append(line.strip())
        elif line.split():
            lines.append(" ".join(line.split()))
    return lines


# A statistics table has tens of rows and at most ~20 columns; a grid past these bounds is
# cut (a hostile page of rowspan=200 colspan=50 cells would otherwise take gigabytes).
MAX_GRID_ROWS, MAX_GRID_COLUMNS = 1000, 100


def html_grid(table) -> Grid:
    grid: Grid = []
    covered: set[tuple[int, int]] = set()
    rows = table.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")[:MAX_GRID_ROWS]
    for r, tr in enumerate(rows):
        row: list[str | None] = []
        for td in tr.xpath("./td|./th"):
            while (r, len(row)) in covered:
                row.append(None)
            if len(row) >= MAX_GRID_COLUMNS:
                break
            rowspan = min(_span(td.get("rowspan"), 200), len(rows) - r)
            colspan = min(_span(td.get("colspan"), 50), MAX_GRID_COLUMNS - len(row))
            c = len(row)
            row.append(" ".join(td.text_content().split()))
            row += [None] * (colspan - 1)
            if rowspan > 1:
                covered.update((r + dr, c + dc) for dr in range(1, rowspan) for dc in range(colspan))
        while (r, len(row)) in covered:
            row.append(None)
        grid.append(row)
    return grid


SPAN = re.compile(r"\s*(\d+)")


def _span(value: str | None, limit: int) -> int:
    digits = SPAN.match(value) if value else None
    return max(1, min(int(digits.group(1)), limit)) if digits else 1


# --- PDF -------------------------------------------------------------------------

def read_pdf(data_: bytes) -> Extracted:
    """Text and ruled tables, page by page, in reading order (top to bottom).

    PDFium (pypdfium2) reads each page's characters and the paths it draws; pdfplumber's own text
    map lays the characters out in lines and its table finder cuts ruled tables into cells, from
    the same description of the page pdfminer would give. So the text is what pdfplumber alone
    gave (a test compares them on every PDF the tests make and bundle), without pdfminer's
    parsing, which was most of the cost. A page PDFium cannot describe that way (turned, its
    media box not at the origin, or a character box PDFium cannot give: see pdfium_chars) goes to
    pdfplumber whole."""
    import pypdfium2 as pdfium

    document = None
    try:
        document = pdfium.PdfDocument(data_)
        with contextlib.closing(_page_layouts(document, data_)) as layouts:  # pdfplumber closed, whatever happens
            return text_of_pages(layouts)
    except (MemoryError, UnreadableFile):
        raise
    except Exception as e:  # PDFium and pdfminer raise many kinds for damaged files
        raise _unreadable_pdf(e) from None
    finally:
        if document is not None:
            document.close()


def _page_layouts(document, data_: bytes):
    """Each page's layout, by PDFium, or by pdfplumber (opened at the first page that needs it)."""
    plumber = None
    try:
        for index in range(len(document)):
            page = document[index]
            layout = pdfium_layout(page) if _as_pdfminer_would(page) else None
            page.close()
            if layout is None:
                plumber = plumber or _open_plumber(data_)
                layout = plumber_layout(plumber.pages[index])
            yield layout
    finally:
        if plumber is not None:
            plumber.close()


def text_of_pages(layouts) -> Extracted:
    """The text of a PDF's pages, one after another, with the offset where each page starts."""
    lines: list[str] = []
    page_starts: list[int] = []
    length = 0  # characters in "\n".join(lines) so far
    chars = 0
    for layout in layouts:
        page_starts.append(length + (1 if lines else 0))
        for line in page_lines(layout):
            length += len(line) + (1 if lines else 0)
            lines.append(line)
        chars += len(layout.chars)
    if not chars:
        raise UnreadableFile("a scanned PDF: its pages are images with no text layer, so it needs OCR first")
    return Extracted("\n".join(lines), page_starts=page_starts)


@dataclass
class PageLayout:
    """What a page's lines are made from, in pdfplumber's terms, whichever library read the page.
    pdfplumber's table finder takes it for a page: it reads `edges` and `chars`."""

    chars: list[dict]  # text, x0, x1, top, bottom (from the page's top), upright…
    edges: list[dict]  # the ruling lines: rectangles' sides, lines, curves' segments
    rules: int  # lines and rectangles drawn
    bbox: tuple[float, float, float, float]


MAX_PDF_RULES = 2000  # ruling lines on a page past which its tables are not looked for (a hostile grid)


def page_lines(layout: PageLayout) -> list[str]:
    """The page's lines: text outside tables as pdfplumber lays it out, each table as grid rows."""
    from pdfplumber.table import TableFinder, TableSettings
    from pdfplumber.utils.text import chars_to_textmap

    tables = TableFinder(layout, TableSettings.resolve(None)).tables if layout.rules <= MAX_PDF_RULES else []
    boxes = [t.bbox for t in tables]

    def outside(char: dict) -> bool:
        x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    placed = []
    text_chars = [char for char in layout.chars if outside(char)]
    if text_chars:
        x0, top, x1, bottom = layout.bbox
        textmap = chars_to_textmap(text_chars, layout_bbox=layout.bbox, layout_width=x1 - x0, layout_height=bottom - top)
        placed = [(line["top"], [line["text"]]) for line in textmap.extract_text_lines(strip=True, return_chars=False)]
    for table in tables:
        grid = [[join_lines(cell) if cell is not None else None for cell in row] for row in table.extract()]
        placed.append((table.bbox[1], render_grid(grid)))
    placed.sort(key=lambda item: item[0])
    return [line for _, block in placed for line in block if line.strip()]


def plumber_layout(page) -> PageLayout:
    """A page as pdfplumber (pdfminer) reads it."""
    layout = PageLayout(page.chars, page.edges, len(page.lines) + len(page.rects), page.bbox)
    page.close()
    return layout


def _open_plumber(data_: bytes):
    import pdfplumber

    return pdfplumber.open(io.BytesIO(data_))


def _unreadable_pdf(e: Exception) -> UnreadableFile:
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    cause = e.__cause__ or e.__context__ or e
    if isinstance(e, PDFPasswordIncorrect) or isinstance(cause, PDFPasswordIncorrect) or "password" in str(e).lower():
        return UnreadableFile("the PDF is password-protected")
    return UnreadableFile(f"the PDF is damaged or truncated ({type(e).__name__}: {str(e)[:120] or 'no detail'})")


def _as_pdfminer_would(page) -> bool:
    """PDFium's page coordinates are pdfminer's when the page is not turned and its media box
    starts at the origin."""
    return not page.get_rotation() and tuple(page.get_mediabox()[:2]) == (0, 0)


def pdfium_layout(page) -> PageLayout | None:
    """The page as PDFium reads it, or None where its character boxes cannot be pdfminer's."""
    from pdfplumber.utils.geometry import curve_to_edges, line_to_edge, rect_to_edges

    chars = pdfium_chars(page)
    if chars is None:
        return None
    width, height = page.get_width(), page.get_height()
    lines, rects, curves = pdfium_shapes(page, height)
    edges = [line_to_edge(line) for line in lines] + [e for r in rects for e in rect_to_edges(r)] + [
        e for c in curves for e in curve_to_edges(c)]
    return PageLayout(chars, edges, len(lines) + len(rects), (0, 0, width, height))


def pdfium_chars(page) -> list[dict] | None:
    """The page's characters as pdfplumber describes them, less those PDFium adds itself (the
    spaces and line ends it guesses). Boxes are pdfminer's: the advance across (PDFium's loose box),
    the font size up from the baseline's descent. None when a loose box is not a character's
    (characters stacked one per line in a merged cell can get a box 20 times their size)."""
    import pypdfium2.raw as pdfium_c

    textpage = page.get_textpage()
    height = page.get_height()
    box, matrix = pdfium_c.FS_RECTF(), pdfium_c.FS_MATRIX()
    characters = []
    for i in range(pdfium_c.FPDFText_CountChars(textpage)):
        if pdfium_c.FPDFText_IsGenerated(textpage, i):
            continue
        pdfium_c.FPDFText_GetLooseCharBox(textpage, i, box)
        pdfium_c.FPDFText_GetMatrix(textpage, i, matrix)
        size = pdfium_c.FPDFText_GetFontSize(textpage, i) * abs(matrix.d)
        if box.right - box.left > 2 * size + 1 or box.top - box.bottom > 3 * size + 1:
            textpage.close()
            return None
        bottom = height - box.bottom
        characters.append({"object_type": "char", "text": chr(pdfium_c.FPDFText_GetUnicode(textpage, i)),
                           "x0": box.left, "x1": box.right, "top": bottom - size, "doctop": bottom - size,
                           "bottom": bottom, "size": size,
                           "upright": matrix.a * matrix.d > 0 and matrix.b * matrix.c <= 0,
                           "matrix": (matrix.a, matrix.b, matrix.c, matrix.d, 0, 0)})
    textpage.close()
    return characters


def pdfium_shapes(page, height: float) -> tuple[list[dict], list[dict], list[dict]]:
    """The lines, rectangles and curves the page draws, as pdfminer makes them of its paths
    (pdfminer.converter.PDFLayoutAnalyzer.paint_path): each subpath on its own; m-l a line; m-l-l-l-h
    with square corners a rectangle; anything else a curve through its points."""
    import ctypes

    import pypdfium2.raw as pdfium_c

    kinds = {pdfium_c.FPDF_SEGMENT_MOVETO: "m", pdfium_c.FPDF_SEGMENT_LINETO: "l", pdfium_c.FPDF_SEGMENT_BEZIERTO: "c"}
    matrix, x, y = pdfium_c.FS_MATRIX(), ctypes.c_float(), ctypes.c_float()
    shapes: tuple[list, list, list] = ([], [], [])
    for i in range(pdfium_c.FPDFPage_CountObjects(page)):
        path = pdfium_c.FPDFPage_GetObject(page, i)
        if pdfium_c.FPDFPageObj_GetType(path) != pdfium_c.FPDF_PAGEOBJ_PATH:
            continue
        pdfium_c.FPDFPageObj_GetMatrix(path, matrix)
        ops: list[tuple[str, tuple[float, float]]] = []
        bezier = 0
        for k in range(pdfium_c.FPDFPath_CountSegments(path)):
            segment = pdfium_c.FPDFPath_GetPathSegment(path, k)
            pdfium_c.FPDFPathSegment_GetPoint(segment, x, y)
            point = (matrix.a * x.value + matrix.c * y.value + matrix.e, matrix.b * x.value + matrix.d * y.value + matrix.f)
            op = kinds.get(pdfium_c.FPDFPathSegment_GetType(segment), "?")
            bezier = bezier + 1 if op == "c" else 0
            if op != "c" or bezier % 3 == 0:  # a curve is three points; pdfminer keeps its end
                ops.append((op, point))
            if pdfium_c.FPDFPathSegment_GetClose(segment):
                ops.append(("h", point))
        for start in [n for n, (op, _) in enumerate(ops) if op == "m"]:
            end = next((n for n in range(start + 1, len(ops)) if ops[n][0] == "m"), len(ops))
            _paint(ops[start:end], height, shapes)
    return shapes


def _paint(subpath: list[tuple[str, tuple[float, float]]], height: float, shapes: tuple[list, list, list]) -> None:
    lines, rects, curves = shapes
    shape = "".join(op for op, _ in subpath)
    points = [point if op != "h" else subpath[0][1] for op, point in subpath]
    if len(shape) > 3 and shape[-2:] == "lh" and points[-2] == points[0]:
        shape, points = shape[:-2] + "h", points[:-1]  # a redundant l before h
    if shape in ("mlh", "ml"):
        lines.append(_shape("line", points[:2], height))
    elif shape in ("mlllh", "mllll"):
        (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = points
        square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
        if points[0] == points[4] and square:
            rects.append(_shape("rect", points, height))
        else:
            curves.append(_shape("curve", points, height))
    else:
        curves.append(_shape("curve", points, height))


def _shape(kind: str, points: list[tuple[float, float]], height: float) -> dict:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    return {"object_type": kind, "x0": x0, "x1": x1, "y0": y0, "y1": y1, "width": x1 - x0, "height": y1 - y0,
            "top": height - y1, "bottom": height - y0, "doctop": height - y1,
            "pts": [(px, height - py) for px, py in points]}


# --- Word --------------------------------------------------------------------------

MAX_UNZIPPED = 200 * 1024 * 1024


def read_docx(data_: bytes) -> Extracted:
    import docx
    from docx.oxml.ns import qn

    try:
        archive = zipfile.ZipFile(io.BytesIO(data_))
    except zipfile.BadZipFile:
        raise UnreadableFile("not a DOCX: the file is not a zip archive (an old .doc renamed, or damaged)") from None
    unzipped = sum(info.file_size for info in archive.infolist())
    if unzipped > MAX_UNZIPPED:
        raise UnreadableFile(f"the DOCX would unpack to {unzipped // (1024 * 1024)} MB (a zip bomb?); "
                             f"the limit is {MAX_UNZIPPED // (1024 * 1024)} MB")
    if "word/document.xml" not in archive.namelist():
        raise UnreadableFile("not a DOCX: the zip archive has no word/document.xml")
    try:
        document = docx.Document(io.BytesIO(data_))
    except Exception as e:
        raise UnreadableFile(f"the DOCX is damaged ({type(e).__name__}: {str(e)[:120]})") from None
    lines = []
    for block in document.element.body.iterchildren():
        if block.tag == qn("w:p"):
            lines.append(_docx_text(block))
        elif block.tag == qn("w:tbl"):
            lines += render_grid(docx_grid(block))
    lines = [" ".join(line.split()) if not line.startswith("|") else line for line in lines]
    text = "\n".join(line for line in lines if line)
    if not text.strip():
        raise UnreadableFile("the DOCX has no text")
    return Extracted(text)


def _docx_text(element) -> str:
    paragraphs = element.xpath(".//w:p") or [element]
    return join_lines("\n".join("".join(t.text or "" for t in p.xpath(".//w:t")) for p in paragraphs))


def docx_grid(table) -> Grid:
    """A Word table's cells; gridSpan and vMerge continuations become None."""
    grid: Grid = []
    for tr in table.xpath("./w:tr"):
        row: list[str | None] = []
        for tc in tr.xpath("./w:tc"):
            span = tc.xpath("./w:tcPr/w:gridSpan/@w:val")
            merge = tc.xpath("./w:tcPr/w:vMerge")
            continued = bool(merge) and merge[0].get(
                "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") in (None, "continue")
            row.append(None if continued else _docx_text(tc))
            row += [None] * (_span(span[0] if span else None, 50) - 1)
        grid.append(row)
    return grid


def read_legacy_word(data_: bytes) -> Extracted:
    """Word 97–2003 (.doc) and WPS files, through a converter when one is installed."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    with tempfile.TemporaryDirectory() as folder:
        source = f"{folder}/report.doc"
        with open(source, "wb") as f:
            f.write(data_)
        if soffice:
            subprocess.run([soffice, "--headless", "--convert-to", "docx", "--outdir", folder, source],
                           capture_output=True, timeout=120)
            try:
                with open(f"{folder}/report.docx", "rb") as f:
                    return read_docx(f.read())
            except FileNotFoundError:
                raise UnreadableFile("LibreOffice could not convert this Word/WPS file") from None
        antiword = shutil.which("antiword")
        if antiword:
            done = subprocess.run([antiword, "-m", "UTF-8.txt", source], capture_output=True, timeout=120)
            if done.returncode != 0:
                raise UnreadableFile(f"antiword could not read this Word/WPS file: "
                                     f"{done.stderr.decode('utf-8', 'replace').replace(source, 'the file').strip()[:160]}")
            return read_text(done.stdout)
    raise UnreadableFile("a legacy Word/WPS file and no converter is installed (install antiword or LibreOffice, "
                         "or save it as .docx)")
