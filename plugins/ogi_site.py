"""Site-wide behaviour: Chinese full-text search, robots.txt, report ids in URLs.

Search: the FTS tables index character bigrams (parsers/search.py). Datasette's
table search box sends `_search` through the SQL function escape_fts(); this
plugin replaces that function (trylast, so it runs after Datasette's own) with
one that turns the query into bigram phrases, so 复议 and 不予公开 both find
exactly the rows that contain them. `fts_query(q)` is the same function for
canned queries and custom pages.
"""

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import Response

from markupsafe import Markup, escape

from parsers.data import spam_words
from parsers.search import fts_query  # the project's package, installed (a deployment installs its wheel)

ROBOTS = """User-agent: *
Disallow: /ogi?sql=
Disallow: /ogi.db
Disallow: /*.csv
Allow: /
"""


@hookimpl(trylast=True)
def prepare_connection(conn):
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
    conn.create_function("fts_query", 1, fts_query, deterministic=True)


@hookimpl
def register_routes():
    return [(r"^/robots\.txt$", lambda: Response.text(ROBOTS))]


def spam_marked(text: str) -> Markup:
    """The text, escaped, with words that mirror sites inject (gambling spam) struck through and
    labelled: they stay in reports.text (spans count them) but are never shown as the agency's words."""
    out, position = [], 0
    words = sorted(spam_words(), key=len, reverse=True)
    while position < len(text):
        found = min(((text.find(w, position), w) for w in words if text.find(w, position) >= 0), default=None)
        if found is None:
            break
        start, word = found
        out.append(escape(text[position:start]))
        out.append(Markup('<del class="spam" title="镜像网站插入的文字，不是发布机关的原文">{}</del>').format(word))
        position = start + len(word)
    out.append(escape(text[position:]))
    return Markup("").join(out)


@hookimpl
def prepare_jinja2_environment(env):
    # Datasette redirects /report/%E6%BB%A6… to its own ~E6~BB~A6… form and hands the page
    # that form: templates decode it (report ids are file names, often Chinese).
    env.filters["tilde_decode"] = tilde_decode
    env.filters["spam_marked"] = spam_marked


@hookimpl
def asgi_wrapper(datasette):
    """Table searches skip counting every match (_nocount): over a national corpus a common
    word matches most sections, and the count would cost more than the page."""
    def wrap(app):
        async def add_nocount(scope, receive, send):
            if scope.get("type") == "http":
                query = scope.get("query_string", b"")
                if b"_search=" in query and b"_nocount=" not in query:
                    scope = dict(scope, query_string=query + b"&_nocount=1")
            await app(scope, receive, send)
        return add_nocount
    return wrap
