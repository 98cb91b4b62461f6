"""The site's plugins, function by function, with expectations worked out by hand: how a cell
links to its report and escapes what it shows (ogi_links), what the page cache keeps and for
whom (ogi_cache), what the guard refuses, how it neutralises CSV formulas and which scripts its
policy trusts (ogi_guard). The plugins are imported as `plugins.*` so that mutation testing
(`make mutation`) reaches them; the pages themselves are asked of an in-process Datasette."""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import hashlib
import json
import re
import sqlite3

import pytest
from datasette.app import Datasette

from plugins import ogi_cache, ogi_compress, ogi_guard, ogi_links

SITE = Datasette(memory=True)  # only its URL maker is used: base_url "/"


# ---- ogi_links: every value links to its span, every name to its page, all of it escaped ----

def cell(row: dict, column: str, table: str = "metrics") -> str | None:
    shown = ogi_links.cell_html(row, row.get(column), column, table, SITE)
    return None if shown is None else str(shown)


def test_a_value_links_to_its_span_in_its_report():
    row = {"report_id": "017_pingtan_zone_2022", "value": 12.0, "value_raw": "12", "start": 340, "end": 342}
    assert cell(row, "value") == ('<a class="provenance" href="/report/017_pingtan_zone_2022?start=340&amp;end=342#hl" '
                                  'title="在报告原文中查看">12</a>')
    assert cell(dict(row, value=2.5), "value").endswith(">2.5</a>")
    # no figure read, the words the report wrote instead; markup in them is shown as text
    assert ">&lt;b&gt;无&lt;/b&gt;</a>" in cell(dict(row, value=None, value_raw="<b>无</b>"), "value")
    assert ">（空）</a>" in cell(dict(row, value=None, value_raw=None), "value")
    # a count of table 三 links the same way; without a whole span there is nothing to link to
    assert 'href="/report/017_pingtan_zone_2022?start=340&amp;end=342#hl"' in cell(dict(row, count=3), "count")
    assert cell(dict(row, start=None), "value") is None
    assert cell(dict(row, end="342"), "value") is None
    assert cell({"value": 3, "start": 1, "end": 2}, "value") is None
    # on a table page the report_id beside a value arrives expanded, {"value", "label"}
    expanded = {"report_id": {"value": "r1", "label": "某报告"}, "value": 3, "start": 1, "end": 2}
    assert 'href="/report/r1?start=1&amp;end=2#hl"' in cell(expanded, "value")
    assert cell(row, "value_raw") is None  # other columns are Datasette's to render


def test_a_report_id_links_to_its_page_tilde_encoded_as_datasette_does():
    # (Datasette's tilde encoding: a space is +, a slash ~2F)
    assert cell({"report_id": "a b/c"}, "report_id") == '<a class="report" href="/report/a+b~2Fc" title="报告页">a b/c</a>'
    # on table pages a foreign key arrives expanded
    assert 'href="/report/x1"' in cell({"report_id": {"value": "x1", "label": "某报告"}}, "report_id")
    assert cell({"id": "x1"}, "id", table="reports") == '<a class="report" href="/report/x1" title="报告页">x1</a>'
    assert cell({"id": "x1"}, "id", table="sections") is None
    # a report's title leads to its page, in the reports table or a row that names its report
    assert cell({"id": "x1", "title": "某县<2021>年报"}, "title", table="reports") == \
        '<a class="report" href="/report/x1" title="报告页">某县&lt;2021&gt;年报</a>'
    assert 'href="/report/x2"' in cell({"report_id": "x2", "title": "某县年报"}, "title", table=None)
    assert cell({"id": "x1", "title": "某县年报"}, "title", table="sections") is None
    assert cell({"report_id": None}, "report_id") is None


def test_agency_names_link_to_the_agency_page_escaped():
    # (tilde encoding: / is ~2F, and a Chinese character its UTF-8 bytes, 交 ~E4~BA~A4)
    row = {"agency": "<script>x</script>局", "agency_key": "320813/交通局", "name": "交通局"}
    assert cell(row, "agency", table="reports") == ('<a class="agency" href="/agency/320813~2F~E4~BA~A4~E9~80~9A~E5~B1~80" title="机关页">'
                                                    '&lt;script&gt;x&lt;/script&gt;局</a>')
    assert cell(row, "name", table="agencies") == \
        '<a class="agency" href="/agency/320813~2F~E4~BA~A4~E9~80~9A~E5~B1~80" title="机关页">交通局</a>'
    assert cell(row, "name", table="reports") is None  # a name elsewhere is not an agency's
    assert cell(dict(row, agency_key=None), "agency", table="reports") is None


def test_long_text_is_cut_to_its_first_words_with_a_link_to_the_whole():
    text = "政" * 80
    assert cell({"id": "r1", "text": text}, "text", table="reports") is None  # 80 characters are shown whole
    longer = "<" + "政" * 80
    shown = cell({"id": "r1", "text": longer}, "text", table="reports")
    assert shown == "&lt;" + "政" * 79 + '… <a class="report" href="/report/r1" title="报告页">全文</a>'
    # a section's report is its report_id, not its own id
    assert 'href="/report/r2"' in cell({"id": 7, "report_id": "r2", "text": longer}, "text", table="sections")
    assert cell({"text": longer}, "text", table="sections") == "&lt;" + "政" * 79 + "…"


def test_a_key_is_shown_with_its_official_wording():
    assert cell({"outcome": "granted"}, "outcome", table="application_outcomes") == \
        '（一）予以公开 <small class="key">granted</small>'
    assert cell({"applicant_type": "natural_person"}, "applicant_type", table="application_outcomes") == \
        '自然人 <small class="key">natural_person</small>'
    assert cell({"outcome": "granted"}, "outcome", table="labels") is None  # the labels table shows both already
    assert cell({"outcome": "no_such_key"}, "outcome", table="application_outcomes") is None


def test_places_link_to_their_pages():
    assert cell({"province": "福建省"}, "province", "reports") == '<a class="place" href="/place/~E7~A6~8F~E5~BB~BA~E7~9C~81">福建省</a>'
    assert cell({"province": "福建省", "city": "福州市"}, "city", "reports") == \
        ('<a class="place" href="/place/~E7~A6~8F~E5~BB~BA~E7~9C~81/~E7~A6~8F~E5~B7~9E~E5~B8~82">'
         '福州市</a>')
    assert cell({"province": None, "city": "福州市"}, "city", "reports") is None
    assert cell({"province": ""}, "province", "reports") is None


def test_a_search_passage_marks_the_words_searched_and_links_to_its_place():
    row = {"passage": "依申请<公开>政府信息公开申请", "searched": "公开 信息公开", "report_id": "r1", "start": 5, "end": 9}
    shown = cell(row, "passage", table=None)
    # the longer word first, so 信息公开 is one mark, not 信息 and a marked 公开
    assert shown == ('<a class="passage" href="/report/r1?start=5&amp;end=9#hl" title="在报告原文中查看">'
                     '依申请&lt;<mark>公开</mark>&gt;政府<mark>信息公开</mark>申请</a>')
    assert cell(dict(row, start=None), "passage", table=None) == \
        '依申请&lt;<mark>公开</mark>&gt;政府<mark>信息公开</mark>申请'
    # a word that is also part of an escaped character (&lt;) marks only the text's own
    assert cell({"passage": "<lt>", "searched": "lt"}, "passage", table=None) == "&lt;<mark>lt</mark>&gt;"
    assert cell({"passage": "a<b", "searched": ""}, "passage", table=None) == "a&lt;b"
    # words a mirror injected are struck through, in passages and text previews alike
    assert cell({"passage": "公开澳门新葡京信息", "searched": "公开"}, "passage", table=None) == (
        '<mark>公开</mark><del class="spam" title="镜像网站插入的文字，不是发布机关的原文">澳门新葡京</del>信息')
    assert '<del class="spam"' in cell({"text": "澳门新葡京" + "政" * 80}, "text", table="sections")
    # where one word begins another, the longer is marked
    assert cell({"passage": "政府信息公开", "searched": "信息 信息公开"}, "passage", table=None) == "政府<mark>信息公开</mark>"


# ---- ogi_cache: which answers are kept, under what key, with which headers ----

def scope(path="/ogi/reports", query=b"", headers=(), method="GET", scheme="http") -> dict:
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query,
            "headers": list(headers), "scheme": scheme}


def test_a_request_with_a_cookie_credentials_or_sql_is_never_shared():
    assert ogi_cache.shared_request(scope())
    assert ogi_cache.shared_request(scope(query=b"year=2021&_sort=id"))
    assert not ogi_cache.shared_request(scope(headers=[(b"cookie", b"ds_actor=1")]))
    assert not ogi_cache.shared_request(scope(headers=[(b"Authorization", b"Bearer x")]))
    assert not ogi_cache.shared_request(scope(path="/ogi", query=b"sql=select+random()"))
    assert ogi_cache.shared_request(scope(query=b"_sql_note=1"))  # a parameter named like it is not SQL


def test_a_page_is_kept_under_its_url_host_and_scheme_unless_they_are_too_long():
    key = ogi_cache.page_key(scope(query=b"year=2021", headers=[(b"host", b"ogi.example")], scheme="https"))
    assert key == (b"/ogi/reports", b"year=2021", b"ogi.example", b"https")
    assert ogi_cache.page_key(scope())[2] == b""  # no Host: a key still
    path = "/" + "a" * (ogi_cache.KEY_BYTES - len("http") - 1)  # exactly the limit, with the scheme
    assert ogi_cache.page_key(scope(path=path)) is not None
    assert ogi_cache.page_key(scope(path=path + "a")) is None
    assert ogi_cache.page_key(scope(headers=[(b"host", b"h" * ogi_cache.KEY_BYTES)])) is None


@pytest.mark.parametrize("if_none_match, matches", [
    (b'W/"t1"', True), (b'"t1"', True), (b'"x", W/"t1"', True), (b'"x",W/"t1" ', True), (b"*", True),
    (b'"t2"', False), (b'W/"t11"', False), (b"", False), (None, False),
])
def test_if_none_match_names_the_page_by_weak_comparison(if_none_match, matches):
    assert ogi_cache.not_modified(if_none_match, b'W/"t1"') is matches


def test_a_good_page_goes_out_tagged_and_public_anything_else_unkept():
    headers, keep = ogi_cache.shared_headers(200, [(b"content-type", b"text/html"), (b"Cache-Control", b"max-age=5")],
                                             b'"t1"')
    assert keep
    assert headers == [(b"content-type", b"text/html"), (b"etag", b'"t1"'),
                       (b"cache-control", f"public, max-age={ogi_cache.MAX_AGE}".encode())]
    # the download keeps its own ETag (its hash)
    headers, keep = ogi_cache.shared_headers(200, [(b"ETag", b'"sha"')], b'"t1"')
    assert keep and [v for k, v in headers if k.lower() == b"etag"] == [b'"sha"']
    for status, extra in ((404, []), (500, []), (302, []), (200, [(b"Set-Cookie", b"a=1")])):
        headers, keep = ogi_cache.shared_headers(status, [(b"cache-control", b"max-age=5")] + extra, b'"t1"')
        assert not keep, status
        assert not any(k.lower() in (b"etag", b"cache-control") for k, _ in headers), status


def test_the_cache_keeps_recent_pages_within_its_budget_counting_keys_and_headers():
    entry = 200 + 10 + 2 + 0  # the fixed overhead, a 10-byte body, a 2-byte key, no headers
    pages = ogi_cache.Pages(budget=2 * entry)
    pages.put((b"/a",), 200, [], b"x" * 10)
    pages.put((b"/b",), 200, [], b"x" * 10)
    assert pages.size == 2 * entry and pages.get((b"/a",)) == (200, [], b"x" * 10)  # /a used: /b is oldest now
    pages.put((b"/c",), 200, [], b"x" * 10)
    assert pages.get((b"/b",)) is None and pages.get((b"/a",)) and pages.get((b"/c",))
    assert pages.size == 2 * entry
    # a header counts: this entry is larger than what is left, so the oldest goes
    pages.put((b"/d",), 200, [(b"etag", b"1234")], b"")
    assert pages.get((b"/a",)) is None and len(pages.entries) == 2
    # an entry larger than ENTRY_BYTES is never kept, nor a key twice
    pages.put((b"/e",), 200, [], b"x" * ogi_cache.ENTRY_BYTES)
    assert pages.get((b"/e",)) is None
    size = pages.size
    pages.put((b"/c",), 200, [], b"y" * 10)
    assert pages.size == size and pages.get((b"/c",))[2] == b"x" * 10


def test_the_site_digest_changes_with_any_file_a_page_is_made_of(tmp_path):
    (tmp_path / "templates").mkdir()
    (tmp_path / "plugins" / "__pycache__").mkdir(parents=True)
    (tmp_path / "metadata.yml").write_text("title: a")
    (tmp_path / "templates" / "index.html").write_text("<p>")
    first = ogi_cache.site_digest(tmp_path)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    (tmp_path / "plugins" / "__pycache__" / "x.pyc").write_bytes(b"compiled")  # not what pages are made of
    assert ogi_cache.site_digest(tmp_path) == first
    (tmp_path / "templates" / "index.html").write_text("<p>!")
    second = ogi_cache.site_digest(tmp_path)
    (tmp_path / "metadata.yml").write_text("title: b")
    third = ogi_cache.site_digest(tmp_path)
    (tmp_path / "templates" / "index.html").rename(tmp_path / "templates" / "other.html")  # a name counts too
    assert len({first, second, third, ogi_cache.site_digest(tmp_path)}) == 4


# ---- ogi_guard: what is refused, what a CSV cell becomes, which scripts are trusted ----

def test_requests_asking_too_much_are_refused_at_the_limit_not_before():
    assert ogi_guard._too_much_asked(scope()) is None
    at_limit = "&".join(f"x{n}=1" for n in range(ogi_guard.MAX_PARAMETERS)).encode()
    assert ogi_guard._too_much_asked(scope(query=at_limit)) is None
    assert ogi_guard._too_much_asked(scope(query=at_limit + b"&y=1"))[0] == 400
    facets = "&".join(["_facet=agency"] * ogi_guard.MAX_FACETS).encode()
    assert ogi_guard._too_much_asked(scope(query=facets)) is None
    assert ogi_guard._too_much_asked(scope(query=facets + b"&_facet_array=tags")) == \
        (400, f"A page shows at most {ogi_guard.MAX_FACETS} facets.")
    headers = [(b"x-h", b"1")] * ogi_guard.MAX_HEADERS
    assert ogi_guard._too_much_asked(scope(headers=headers)) is None
    assert ogi_guard._too_much_asked(scope(headers=headers + [(b"x-h", b"1")]))[0] == 431
    path = "/" + "p" * (ogi_guard.MAX_URL_BYTES - 4)  # with the query string "q=1", exactly the limit
    assert ogi_guard._too_much_asked(scope(path=path, query=b"q=1")) is None
    assert ogi_guard._too_much_asked(scope(path=path + "p", query=b"q=1"))[0] == 414
    assert ogi_guard._too_much_asked(dict(scope(path=path + "p"), raw_path=None), ) is None  # path alone fits


def test_sql_and_where_count_as_custom_sql():
    assert ogi_guard._is_custom_sql(scope(path="/ogi", query=b"sql=select+1"))
    assert ogi_guard._is_custom_sql(scope(query=b"_where=id>1"))
    assert not ogi_guard._is_custom_sql(scope(query=b"year=2021&_sort=sql"))


def test_a_refusal_says_why_in_the_format_asked_and_escapes_what_it_repeats():
    start, body = ogi_guard._refuse(400, "There is no column '<b>' to sort by.", scope(path="/ogi/reports"))
    assert start["status"] == 400
    assert dict(start["headers"])[b"content-type"] == b"text/html; charset=utf-8"
    assert "<p>There is no column &#x27;&lt;b&gt;&#x27; to sort by.</p>" in body["body"].decode()
    assert dict(start["headers"])[b"content-security-policy"] == ogi_guard.STRICT
    start, body = ogi_guard._refuse(414, "长", scope(path="/ogi/reports.json"))
    assert dict(start["headers"])[b"content-type"] == b"application/json; charset=utf-8"
    assert json.loads(body["body"]) == {"ok": False, "error": "长", "status": 414}
    assert '"长"' in body["body"].decode("utf-8")  # as written, not \\u957f
    assert ogi_guard._is_json([(b"Content-Type", b"application/json; charset=utf-8")])
    # a page's Link header naming its .json is no JSON response
    assert not ogi_guard._is_json([(b"content-type", b"text/html"), (b"link", b'<r.json>; rel="alternate"')])


@pytest.mark.parametrize("cell, expected", [
    ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1+2", "'+1+2"), ("-A1", "'-A1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\tx", "'\tx"), ("\rx", "'\rx"), ("-5", "-5"), ("+3.5", "+3.5"), ("-.5e3", "-.5e3"), ("1=1", "1=1"),
    ("", ""), ("洪泽区", "洪泽区"), ("-5-5", "'-5-5"),
])
def test_a_cell_a_spreadsheet_would_run_gets_a_quote_numbers_stay_numbers(cell, expected):
    assert ogi_guard.neutralised(cell) == expected


def test_a_streamed_csv_is_neutralised_record_by_record_across_chunks():
    csv = '\ufeffid,title\r\n1,"=cmd|\'/c calc\'!A1"\r\n2,"两行\n=SUM(1)"\r\n3,-7\r\n4,@x\r\n'.encode("utf-8")
    # (written again by a CSV writer: quotes only where a cell needs them)
    expected = '\ufeffid,title\r\n1,\'=cmd|\'/c calc\'!A1\r\n2,"两行\n=SUM(1)"\r\n3,-7\r\n4,\'@x\r\n'
    for size in (1, 2, 3, 7, 16, len(csv)):  # cut anywhere, even inside a character or a quoted line break
        neutraliser = ogi_guard.CsvNeutraliser()
        chunks = [csv[i:i + size] for i in range(0, len(csv), size)]
        out = b"".join(neutraliser.feed(chunk, last=n == len(chunks) - 1) for n, chunk in enumerate(chunks))
        assert out.decode("utf-8") == expected, size


def test_a_byte_order_mark_stays_first_and_bytes_that_are_no_utf8_are_replaced():
    # (the mark is not part of the first cell: a formula there is still one)
    assert ogi_guard.CsvNeutraliser().feed("\ufeff=1,b\r\n".encode(), last=True).decode() == "\ufeff'=1,b\r\n"
    neutraliser = ogi_guard.CsvNeutraliser()
    assert neutraliser.feed("\ufeffa\r\n".encode()) + neutraliser.feed("\ufeff=b\r\n".encode(), last=True) == \
        "\ufeffa\r\n\ufeff=b\r\n".encode()  # only the response's first mark is the response's
    assert ogi_guard.CsvNeutraliser().feed(b"a,\xff\r\n", last=True).decode() == "a,\ufffd\r\n"
    # a character cut at the very end of the response is replaced, not lost
    assert ogi_guard.CsvNeutraliser().feed(b"a,b\r\n\xe6\x94", last=True).decode() == "a,b\r\n\ufffd"
    # a line break inside a quoted cell stays as written
    assert ogi_guard.CsvNeutraliser().feed(b'=x,"a\r\nb"\r\n', last=True) == b'\'=x,"a\r\nb"\r\n'


def test_a_csv_without_formula_characters_passes_through_as_written():
    plain = "id,title\r\n1,洪泽区 2021\r\n".encode("utf-8")
    assert ogi_guard.CsvNeutraliser().feed(plain, last=True) == plain
    assert not ogi_guard._may_hold_formula("id,title\r\n1,a-b\r\n")  # a - inside a cell is no formula
    assert ogi_guard._may_hold_formula('id\r\n"=1"\r\n')
    assert ogi_guard._may_hold_formula("id\r\n\rx\r\n")  # a lone carriage return begins a cell
    assert not ogi_guard._may_hold_formula("a,b\r\n")


def test_the_last_complete_record_ends_after_a_line_break_outside_quotes():
    assert ogi_guard._last_record_end("a,b\r\nc,d") == 5
    assert ogi_guard._last_record_end('a,"x\ny"\r\nc,"p\nq') == 9
    assert ogi_guard._last_record_end('a,"x\ny') == 0
    assert ogi_guard._last_record_end("") == 0
    assert ogi_guard._last_record_end('\n"a\nb') == 1  # a line break at the very start


def test_the_policy_trusts_exactly_the_fixed_inline_scripts():
    template = ('<script>var a = 1;</script><script src="/x.js"></script>'
                '<script type="application/json">{"spec": 1}</script><script>var b = {{ x }};</script>'
                '<script>{% if y %}z(){% endif %}</script><script defer>\nrun();\n</script>')
    assert ogi_guard.fixed_inline_scripts(template) == ["var a = 1;", "\nrun();\n"]
    # the CSP specification's example: sha256 of alert('Hello, world.');
    assert ogi_guard.script_hash("alert('Hello, world.');") == "'sha256-qznLcsROx4GACP2dm0UCKCzCG+HiZ1guq6ZZDob/Tng='"
    policy = ogi_guard.content_security_policy(["'sha256-a'", "'sha256-b'"], False).decode()
    assert "script-src 'self' 'sha256-a' 'sha256-b';" in policy and "unsafe" not in policy.split("style-src")[0]
    assert "script-src 'self' 'sha256-a' 'unsafe-eval';" in ogi_guard.content_security_policy(["'sha256-a'"], True).decode()


def test_only_the_table_and_query_pages_load_the_chart_tool():
    results = [["/-/static-plugins/datasette_vega/main.js", "/other.js"], "/x.js"]
    assert ogi_guard._without_chart_tool(results) == [["/other.js"], "/x.js"]


def test_the_authorizer_hides_file_names_and_refuses_value_generators():
    db = sqlite3.connect(":memory:")
    db.set_authorizer(ogi_guard._authorize)
    assert db.execute("select file from pragma_database_list").fetchall() == [(None,)]
    assert db.execute("select name from pragma_database_list").fetchall() == [("main",)]
    for sql in ("select zeroblob(10)", "select RandomBlob(4)", "select printf('%5d', 1)", "select format('%s', 1)"):
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            db.execute(sql)
    assert db.execute("select upper('a'), length('ab')").fetchall() == [("A", 2)]


def test_a_query_growing_memory_past_its_limit_is_stopped_like_a_slow_one(monkeypatch):
    db = sqlite3.connect(":memory:")
    monkeypatch.setattr(ogi_guard, "QUERY_MEMORY", 2**20)  # 1 MB; the query's string grows to about 20 MB
    grow = "with recursive r(n) as (select 1 union all select n + 1 from r limit 3000000) select group_concat(n) from r"
    with ogi_guard._time_and_memory_limit(db, 10_000), pytest.raises(sqlite3.OperationalError, match="interrupted"):
        db.execute(grow).fetchall()
    monkeypatch.undo()
    with ogi_guard._time_and_memory_limit(db, 50), pytest.raises(sqlite3.OperationalError, match="interrupted"):
        db.execute("with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r").fetchall()
    with ogi_guard._time_and_memory_limit(db, 10_000):
        assert db.execute("select count(*) from (select 1 union all select 2)").fetchall() == [(2,)]
    assert db.execute(grow).fetchall()  # the handler is gone afterwards


# ---- the plugins together, in Datasette: pages asked of it in process ----

def pages(db_path, paths: list[tuple[str, dict]]) -> list:
    """Each path asked, with its headers, of a Datasette that serves db_path with the site's
    plugins (registered as plugins.*, in place of any copies loaded from plugins/ by path)."""
    from datasette.plugins import pm

    from conftest import ROOT
    from serving import SETTINGS

    ours = [ogi_cache, ogi_compress, ogi_guard, ogi_links]
    loaded = [p for p in pm.get_plugins() if getattr(p, "__name__", "") in {f"{m.__name__.split('.')[-1]}.py" for m in ours}]

    async def ask():
        ds = Datasette(immutables=[str(db_path)], template_dir=str(ROOT / "templates"),
                       settings={name: int(value) if value.isdigit() else value for name, value in SETTINGS.items()})
        return [await ds.client.get(path, headers=headers) for path, headers in paths]

    for plugin in loaded:
        pm.unregister(plugin)
    for plugin in ours:
        if not pm.is_registered(plugin):
            pm.register(plugin)
    try:  # (in a thread of its own: the browser tests' Playwright may hold this thread's event loop)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, ask()).result()
    finally:
        for plugin in ours:
            pm.unregister(plugin)
        for plugin in loaded:
            pm.register(plugin)


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("plugins") / "ogi.db"
    db = sqlite3.connect(path)
    db.execute("create table reports (id text primary key, title text, year integer)")
    db.execute("insert into reports values ('r1', '=cmd|calc', 2021), ('r2', '洪泽区', 2022)")
    db.execute("create table metrics (id integer primary key, report_id text, value real, value_raw text, "
               "start integer, end integer)")
    db.execute("insert into metrics values (1, 'r1', 12, '12', 30, 32)")
    db.execute("create view reports_view as select id, year from reports")
    db.execute("create table build_info (key text primary key, value text)")
    db.execute("insert into build_info values ('built', '2026-12-03')")
    db.commit()
    db.close()
    return path


def test_pages_in_process_are_guarded_cached_and_linked(small_db):
    tagged, again, private, unknown_sort, csv, facets, values, desc, by_year, view, nowhere = pages(small_db, [
        ("/ogi/reports", {}), ("/ogi/reports", {"if-none-match": "PLACEHOLDER"}), ("/ogi/reports", {"cookie": "a=1"}),
        ("/ogi/reports?_sort=nope", {}), ("/ogi/reports.csv", {}), ("/ogi/reports?" + "&".join(["_facet=year"] * 11), {}),
        ("/ogi/metrics", {}), ("/ogi/reports.json?_sort_desc=nope&_shape=array", {}),
        ("/ogi/reports.json?_sort=year&_shape=array", {}), ("/ogi/reports_view.json?_sort=nope&_shape=array", {}),
        ("/ogi/nowhere?_sort=nope", {}),
    ])
    assert tagged.status_code == 200 and tagged.headers["etag"].startswith('W/"')
    assert tagged.headers["cache-control"] == f"public, max-age={ogi_cache.MAX_AGE}"
    assert 'href="/report/r1?start=30&amp;end=32#hl"' in values.text  # ogi_links at work on a table page
    assert again.status_code == 200  # a tag that is not the build's is a full page
    assert "etag" not in private.headers and "public" not in private.headers.get("cache-control", "")
    assert unknown_sort.status_code == 400 and "nope" in unknown_sort.text
    assert csv.status_code == 200 and "'=cmd|calc" in csv.text
    assert facets.status_code == 400
    assert desc.status_code == 400 and desc.json() == {"ok": False, "error": "There is no column 'nope' to sort by.",
                                                       "status": 400}
    assert by_year.status_code == 200 and [row["id"] for row in by_year.json()] == ["r1", "r2"]
    assert view.status_code == 400  # a view's columns too
    assert nowhere.status_code == 404  # no table, no column to miss: Datasette's own answer
    # the policy trusts each inline script of the page, by its hash
    policy = tagged.headers["content-security-policy"]
    for code in re.findall(r"<script>(.*?)</script>", tagged.text, re.S):
        digest = base64.b64encode(hashlib.sha256(code.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy
    [not_modified] = pages(small_db, [("/ogi/reports", {"if-none-match": tagged.headers["etag"]})])
    assert not_modified.status_code == 304 and not_modified.content == b""


def test_the_site_loads_nothing_of_the_builder():
    """The server imports its plugins, not the builder: the store package and the readers pull in
    sqlite-utils, the parsers' layouts and the format libraries (seconds of startup, for nothing)."""
    import subprocess
    import sys

    from conftest import ROOT

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys; sys.path.insert(0, 'plugins'); "
         "import ogi_cache, ogi_edge, ogi_guard, ogi_links, ogi_site; print(' '.join(sorted(sys.modules)))"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    builder = [name for name in loaded if name in ("store", "build", "sqlite_utils", "pdfplumber", "docx")
               or name.startswith(("parsers.pipeline", "parsers.readers", "parsers.tables", "parsers.document"))]
    assert builder == []


def test_pages_go_out_gzipped_to_who_accepts_it_and_the_database_as_it_is(small_db):
    assert ogi_compress.compressible("/ogi/reports") and ogi_compress.compressible("/-/static/app.css")
    assert not ogi_compress.compressible("/ogi.db") and not ogi_compress.compressible("/ogi.db.gz")
    assert not ogi_compress.compressible("/-/static/logo.PNG")
    gzipped, plain, database = pages(small_db, [("/ogi/reports", {"accept-encoding": "gzip"}),
                                                ("/ogi/reports", {"accept-encoding": "identity"}),
                                                ("/ogi.db", {"accept-encoding": "gzip"})])
    assert gzipped.headers["content-encoding"] == "gzip" and "accept-encoding" in gzipped.headers["vary"].lower()
    assert "content-encoding" not in plain.headers
    # (httpx unpacks it: the same page; the cache and the guard saw it as written)
    assert gzipped.text == plain.text and gzipped.headers["etag"] == plain.headers["etag"]
    assert int(gzipped.headers["content-length"]) < len(plain.content) / 3
    assert "content-encoding" not in database.headers and database.content == small_db.read_bytes()


def test_the_wide_table_has_a_row_per_report_and_figures_in_the_official_order():
    from plugins.ogi_site import wide_table

    def row(report, field, order, label, value):
        return {"report_id": report, "agency": "甲", "year": 2021, "province": "福建省", "field": field,
                "field_order": order, "label": label, "value": value}

    headers, rows = wide_table([row("a", "granted", 3, "（一）予以公开", 5), row("a", "new_received", 0, "一、新收", 9),
                                row("b", "admin_review_total", 1000, "行政复议（总计）", 1), row("b", "granted", 3, "（一）予以公开", 0)])
    assert headers == ["报告", "机关", "年度", "省份", "一、新收", "（一）予以公开", "行政复议（总计）"]
    assert rows == [["a", "甲", 2021, "福建省", 9, 5, None], ["b", "甲", 2021, "福建省", None, 0, 1]]


def test_scripts_that_write_english_are_served_in_chinese():
    """Every word the table translates is in the script as pinned: a version that words them
    otherwise fails here, not on the page."""
    from plugins.ogi_site import TRANSLATED_SCRIPTS, _package_dir, translated_source

    for package, folder, words in TRANSLATED_SCRIPTS.values():
        scripts = sorted((_package_dir(package) / folder).glob("main.*.js" if package == "datasette_vega" else "table.js"))
        assert len(scripts) == 1, package
        original = scripts[0].read_text(encoding="utf-8")
        served = translated_source(package, folder, scripts[0].name, tuple(words.items()))
        for english, chinese in words.items():
            assert english in original and english not in served and chinese in served, english
        assert translated_source(package, folder, "../../../etc/passwd", ()) is None
