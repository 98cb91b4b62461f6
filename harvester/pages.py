"""What a government site's pages say: the entries of a report column, its pager, a detail
page's metadata and attachments, a page that is not what was asked for (login, maintenance),
what kind of file a download is, and where it is kept. Pure functions over bytes and text;
what they look for is data (harvester/sites.yml)."""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

import yaml

from parsers.readers import UnreadableFile, decode_html, read_html

KNOWLEDGE = Path(__file__).with_name("sites.yml")


@functools.cache
def _load(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def knowledge(extra: str | Path | None = None) -> dict:
    """The site knowledge: sites.yml, with the hosts of an extra profile file added."""
    known = dict(_load(str(KNOWLEDGE)))
    if extra:
        more = _load(str(extra))
        known["profiles"] = {**(known.get("profiles") or {}), **(more.get("profiles") or {})}
    return known


def profile_for(url: str, known: dict) -> dict:
    """What applies to the host of `url`: the defaults and the host's own profile over them."""
    host = (urlsplit(url).hostname or "").lower()
    return {**known["defaults"], **((known.get("profiles") or {}).get(host) or {})}


@dataclass(frozen=True)
class Entry:
    """One entry of a report column, as listed."""
    url: str
    title: str
    published_date: str | None
    list_url: str


@dataclass
class Detail:
    """What a detail page says about the report it holds or points to."""
    title: str | None = None
    published_date: str | None = None
    agency: str | None = None
    index_number: str | None = None
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (url, link text)
    inline_chars: int = 0  # Chinese characters of the article on the page itself


def _root(html: str | bytes):
    import lxml.html
    from lxml import etree

    text = decode_html(html).text if isinstance(html, bytes) else html
    try:
        return lxml.html.document_fromstring(text or "<html></html>")
    except (etree.ParserError, ValueError):
        return lxml.html.document_fromstring("<html></html>")


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def iso_date(text: str | None, profile: dict) -> str | None:
    """The first date in `text` as YYYY-MM-DD (2024-1-9, 2024.01.09, 2024年1月9日)."""
    match = re.search(profile["date_pattern"], text or "")
    if not match:
        return None
    year, month, day = (int(g) for g in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def is_report_title(title: str, profile: dict) -> bool:
    """Whether a listed title might be an annual report (the build's document kinds decide the rest)."""
    title = re.sub(r"\s+", "", title)
    return any(word in title for word in profile["report_title_words"]) and bool(
        re.search(profile["report_title_year"], title))


def absolute(href: str | None, base: str) -> str | None:
    """A link as an absolute http(s) URL without its fragment; None for script, mail and anchors."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    try:
        url = urldefrag(urljoin(base, href))[0]
        parts = urlsplit(url)
        parts.port  # (raises for a port that is not a number)
    except ValueError:  # http://[broken/…: a link no browser could follow
        return None
    return url if parts.scheme in ("http", "https") and parts.hostname else None


def _item_text(link, profile: dict) -> str:
    """The text of the list item a link sits in (li, tr, dl…), for its date."""
    element = link
    for _ in range(3):
        parent = element.getparent()
        if parent is None:
            break
        element = parent
        if element.tag in ("li", "tr", "dl", "p") or iso_date(element.text_content(), profile):
            break
    return element.text_content()


def list_entries(html: str | bytes, page_url: str, profile: dict) -> list[Entry]:
    """The entries of a list page whose titles might be annual reports, in page order, once each."""
    root = _root(html)
    selector = profile.get("list_items")
    links = root.cssselect(selector) if selector else root.iter("a")
    # (a set of the elements themselves: lxml keeps one proxy per node while it is referenced)
    navigation = {a for container in root.cssselect(", ".join(profile["navigation"])) for a in container.iter("a")}
    entries, seen = [], set()
    for link in links:
        if link in navigation:
            continue
        url = absolute(link.get("href"), page_url)
        text, attribute = _clean(link.text_content()), _clean(link.get("title"))
        # a list shortens long titles ("平潭综合实验区2023年度政府信息…"); the title attribute has them whole
        title = attribute if len(attribute) > len(text.rstrip(".…")) else text
        if not url or url in seen or not title or not is_report_title(title, profile):
            continue
        seen.add(url)
        date = iso_date(_item_text(link, profile).replace(title, " "), profile)
        entries.append(Entry(url, title, date, page_url))
    return entries


def column_folder(column_url: str) -> str:
    """The folder a column's pages live in: http://x/a/b/ for http://x/a/b/index.html."""
    parts = urlsplit(column_url)
    path = parts.path if parts.path.endswith("/") else posixpath.dirname(parts.path) + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def pager_urls(html: str | bytes, page_url: str, column_url: str, profile: dict) -> list[str]:
    """The column's other list pages a list page links to, or its pager script announces."""
    root = _root(html)
    folder = column_folder(column_url)
    pager = profile["pager"]
    found: list[str] = []

    def add(url: str | None) -> None:
        if url and url.startswith(folder) and url != page_url and url not in found:
            found.append(url)

    for link in root.iter("a"):
        url = absolute(link.get("href"), page_url)
        if not url or not url.startswith(folder):
            continue
        relative = url[len(folder):]
        if any(re.search(p, relative) for p in pager["url_patterns"]) or _clean(link.text_content()) in pager["link_texts"]:
            add(url)
    scripts = "\n".join(s.text or "" for s in root.iter("script"))
    for pattern in pager["scripts"]:
        for match in re.finditer(pattern, scripts):
            count, stem, extension = int(match.group(1)), match.group(2), match.group(3)
            # TRS numbers the pages index.html, index_1.html … index_{count-1}.html
            for n in range(1, min(count, 10_000)):
                add(urljoin(folder, f"{stem}_{n}.{extension}"))
    return found


def json_entries(data, page_url: str, profile: dict) -> tuple[list[Entry], int | None]:
    """Entries of a JSON list (a profile's json_list), and the page count it gives."""
    import jmespath

    spec = profile["json_list"]
    entries = []
    for item in jmespath.search(spec["items"], data) or []:
        title = _clean(str(jmespath.search(spec["title"], item) or ""))
        url = absolute(str(jmespath.search(spec["link"], item) or ""), page_url)
        if url and title and is_report_title(title, profile):
            date = iso_date(str(jmespath.search(spec["date"], item) or ""), profile) if spec.get("date") else None
            entries.append(Entry(url, title, date, page_url))
    pages = jmespath.search(spec["pages"], data) if spec.get("pages") else None
    return entries, int(pages) if isinstance(pages, (int, float, str)) and str(pages).isdigit() else None


def _visible(root) -> tuple[str, str]:
    """(title, visible text) of a page: no scripts, styles or templates."""
    title = _clean(root.findtext(".//title"))
    body = root.find("body")
    if body is None:
        return title, ""
    parts = body.xpath(".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)"
                       " and not(ancestor::template)]")
    return title, _clean(" ".join(parts))


def blocked(html: str | bytes, url: str, profile: dict) -> str | None:
    """Why a page served with 200 is not the page asked for (a login or maintenance page), or None."""
    root = _root(html)
    title, text = _visible(root)
    seen = f"{title} {text}"
    asks_password = bool(root.xpath("//input[@type='password']"))
    login_url = any(word in url.lower() for word in profile["login_url_words"])
    if any(m in seen for m in profile["login_markers"]) and (asks_password or login_url):
        return "a login page"
    if asks_password and login_url:
        return "a login page"
    if len(text) <= profile["error_page_max_chars"] and any(m in seen for m in profile["maintenance_markers"]):
        return "a maintenance notice"
    return None


def _labelled(text: str, labels: list[str]) -> str | None:
    for label in labels:
        # the value ends at a space: an empty field is followed by the next label, not taken for a value
        match = re.search(re.escape(label) + r"\s*[:：]\s*([^\s|｜：:]{2,60})(?=[\s|｜]|$)", text)
        if match:
            return match.group(1)
    return None


def read_detail(body: bytes, url: str, profile: dict) -> Detail:
    """A detail page's metadata, its attachments, and how much of the report it holds itself."""
    root = _root(body)
    meta = {}
    for element in root.xpath("//meta[@content]"):
        name = element.get("name") or element.get("property")
        if name and name not in meta and _clean(element.get("content")):
            meta[name] = _clean(element.get("content"))
    _, text = _visible(root)
    detail = Detail()
    for name in ("title", "published_date", "agency"):
        value = next((meta[m] for m in profile["meta"][name] if meta.get(m)), None)
        setattr(detail, name, value)
    detail.published_date = iso_date(detail.published_date, profile) or iso_date(
        _labelled(text, profile["labels"]["published_date"]), profile)
    detail.agency = _labelled(text, profile["labels"]["agency"]) or detail.agency
    detail.index_number = _labelled(text, profile["labels"]["index_number"])
    extensions = tuple(f".{e}" for e in profile["attachment_extensions"])
    for element in root.xpath("//a[@href] | //iframe[@src] | //embed[@src]"):
        link = absolute(element.get("href") or element.get("src"), url)
        label = _clean(element.text_content()) if element.tag == "a" else ""
        if link and (urlsplit(link).path.lower().endswith(extensions) or label.lower().endswith(extensions)):
            if link not in [a for a, _ in detail.attachments]:
                detail.attachments.append((link, label))
    try:
        article = read_html(body).text
    except UnreadableFile:
        article = ""
    detail.inline_chars = len(re.findall(r"[\u4e00-\u9fff]", article))
    return detail


# --- files -------------------------------------------------------------------------------------

# First bytes of the formats the build reads (a .wps is an OLE file like .doc).
SIGNATURES = ((b"%PDF-", "pdf"), (b"PK\x03\x04", "docx"), (b"\xd0\xcf\x11\xe0", "doc"))
HTML_START = re.compile(rb"^\s*(<!doctype html|<html|<head|<body|<meta|<script|<div|<p\b|<table|<!--)", re.I)


def file_kind(body: bytes, url: str) -> str | None:
    """What a download is, by its bytes: pdf, docx, doc (wps when the URL says so), html, or None."""
    start = body[:1024].lstrip(b"\xef\xbb\xbf")
    for signature, kind in SIGNATURES:
        if start.lstrip().startswith(signature):
            return "wps" if kind == "doc" and urlsplit(url).path.lower().endswith(".wps") else kind
    if HTML_START.search(start):
        return "html"
    return None


def extension_of(url: str) -> str | None:
    suffix = posixpath.splitext(urlsplit(url).path)[1].lower().lstrip(".")
    return suffix or None


SAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def document_name(url: str, kind: str) -> str:
    """Where a document is kept under the output folder: one folder per host, a name from the
    URL's path (its query as a short hash), ending as its kind does."""
    parts = urlsplit(url)
    host = SAFE.sub("_", parts.netloc.lower()).strip("_") or "unknown-host"
    stem = SAFE.sub("_", parts.path.strip("/")).strip("_.") or "index"
    if parts.query:
        stem += "_" + hashlib.sha1(parts.query.encode()).hexdigest()[:10]
    if len(stem) > 150:  # file names have a length limit; keep the end, which is the document's own
        stem = hashlib.sha1(stem.encode()).hexdigest()[:10] + "_" + stem[-130:]
    endings = {"html": (".html", ".htm", ".shtml"), "pdf": (".pdf",), "docx": (".docx",), "doc": (".doc",),
               "wps": (".wps",)}[kind]
    if not stem.lower().endswith(endings):
        stem += endings[0]
    return f"{host}/{stem}"


def _site(host: str) -> str:
    """A host's registrable domain (www.x.gov.cn and files.x.gov.cn are x.gov.cn); an IP is itself."""
    if re.fullmatch(r"[\d.]+|\[[0-9a-f:]+\]|[0-9a-f:]+", host):
        return host
    return _extract()(host).top_domain_under_public_suffix or host


@functools.cache
def _extract():
    import tldextract

    # The public suffix list bundled with tldextract: never fetched at run time.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def same_site(url: str, other: str) -> bool:
    a, b = (urlsplit(u).hostname or "" for u in (url, other))
    return a == b or _site(a) == _site(b)
