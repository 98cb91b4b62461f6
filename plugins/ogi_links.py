"""Every extracted value links to its span, highlighted in its report's page, and
every report id, agency and place links to its page.

Any row that has report_id, start and end (the metrics, application_outcomes
and review_litigation tables, and canned queries that select those columns)
gets its value or count cell rendered as a link to
/report/{report_id}?start=…&end=…#hl. A report_id cell, the reports
table's id and a report's title link to /report/{id}. Long text (a report's or a section's full
text) is cut to its first words on table pages: the report page shows it whole.
Which column is drawn how is one table, RENDERERS (column -> renderer, and the
values it takes); report_url() makes every link to a report or a span of it.
"""

import functools
import re

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from parsers.data import official_labels, spam_words

KEY_COLUMNS = {"outcome": "outcome", "applicant_type": "applicant_type", "proceeding": "proceeding", "result": "result"}


@functools.lru_cache(maxsize=1)
def _official_labels() -> dict[tuple[str, str], str]:
    """The official wording of each key (the 2021 format's, else the 2019 format's)."""
    labels = {}
    for label in sorted(official_labels(), key=lambda l: l["template"] != "t2021"):
        labels.setdefault((label["kind"], label["key"]), label["label"])
    return labels


TEXT_PREVIEW = 80  # characters of a long text shown in a table cell


def _get(row, key):
    try:
        value = row[key]
    except (KeyError, IndexError):
        return None
    # On table pages a foreign key arrives expanded: {"value": ..., "label": ...}
    return value["value"] if isinstance(value, dict) else value


def _shown(value, value_raw) -> str:
    if value is None:
        return value_raw or "（空）"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def report_url(datasette, report_id, start: int | None = None, end: int | None = None) -> str:
    """A report's page, or a span of its text highlighted there. (Datasette's own ~-encoding of
    the id: a %-encoded Chinese id would cost a redirect.)"""
    path = f"/report/{tilde_encode(str(report_id))}"
    return datasette.urls.path(path if start is None else f"{path}?start={start}&end={end}#hl")


def _report_link(datasette, report_id, shown=None) -> Markup:
    return Markup(f'<a class="report" href="{escape(report_url(datasette, report_id))}" title="报告页">'
                  f'{escape(shown or report_id)}</a>')


SPAM = '<del class="spam" title="镜像网站插入的文字，不是发布机关的原文">{}</del>'


def _marked(text: str, words: list[str]) -> Markup:
    """`text` escaped, each place a searched word occurs marked and each word a mirror site injected
    struck through (it stays in reports.text, but is never shown as the agency's words): in one
    pass over the text, the longer word first where two start at one place (replacing word by word
    marked 公开 again inside a marked 信息公开, and a word such as lt inside the escaped &lt;)."""
    spam = set(spam_words())
    every = sorted({word for word in words if word} | spam, key=len, reverse=True)
    if not every:
        return escape(text)
    parts, done = [], 0
    for found in re.finditer("|".join(map(re.escape, every)), text):
        shown = Markup(SPAM if found[0] in spam else "<mark>{}</mark>").format(found[0])
        parts += [escape(text[done:found.start()]), shown]
        done = found.end()
    return Markup("").join(parts + [escape(text[done:])])


def _passage(datasette, row, value, table):
    """A search result's passage with the searched words marked (the query returns what was
    searched), linked to that place in the report."""
    shown = _marked(value, (_get(row, "searched") or "").split())
    report_id, start, end = _get(row, "report_id"), _get(row, "start"), _get(row, "end")
    if report_id is None or not isinstance(start, int):
        return shown
    href = report_url(datasette, report_id, start, end)
    return Markup(f'<a class="passage" href="{escape(href)}" title="在报告原文中查看">') + shown + Markup("</a>")


def _report_id(datasette, row, value, table):
    # on table pages a foreign key arrives expanded ({"value", "label"}): link it to the report page too
    return _report_link(datasette, value["value"] if isinstance(value, dict) else value)


def _reports_id(datasette, row, value, table):
    return _report_link(datasette, value) if table == "reports" else None


def _title(datasette, row, value, table):
    """A report's title leads to its report page (in the reports table, or a row that names its report)."""
    report_id = _get(row, "id") if table == "reports" else _get(row, "report_id")
    return _report_link(datasette, report_id, value) if report_id is not None else None


def _agency(datasette, row, value, table):
    """An agency's name (or key) links to the agency's page."""
    key = _get(row, "agency_key")
    if not key:
        return None
    href = datasette.urls.path(f"/agency/{tilde_encode(str(key))}")
    return Markup(f'<a class="agency" href="{escape(href)}" title="机关页">{escape(value)}</a>')


def _agency_name(datasette, row, value, table):
    # (a `name` elsewhere is not an agency's)
    return _agency(datasette, row, value, table) if table == "agencies" else None


def _text(datasette, row, value, table):
    """Long text cut to its first words on table pages, with a link to the report page, which shows it whole."""
    if len(value) <= TEXT_PREVIEW:
        return None
    report_id = _get(row, "report_id") if table == "sections" else _get(row, "id")
    preview = _marked(value[:TEXT_PREVIEW], []) + Markup("…")
    return preview if report_id is None else preview + Markup(" ") + _report_link(datasette, report_id, "全文")


def _key(datasette, row, value, table, kind):
    """The official wording beside a key, so that a count reads as what it counts."""
    label = _official_labels().get((kind, value)) if table != "labels" else None
    return Markup(f'{escape(label)} <small class="key">{escape(value)}</small>') if label else None


def _province(datasette, row, value, table):
    href = datasette.urls.path("/place/" + tilde_encode(value))
    return Markup(f'<a class="place" href="{escape(href)}">{escape(value)}</a>') if value else None


def _city(datasette, row, value, table):
    province = _get(row, "province")
    if not (value and province):
        return None
    href = datasette.urls.path(f"/place/{tilde_encode(province)}/{tilde_encode(value)}")
    return Markup(f'<a class="place" href="{escape(href)}">{escape(value)}</a>')


def _value(datasette, row, value, table):
    """A figure or a count links to its span, highlighted in its report."""
    report_id, start, end = _get(row, "report_id"), _get(row, "start"), _get(row, "end")
    if report_id is None or not isinstance(start, int) or not isinstance(end, int):
        return None
    href = report_url(datasette, report_id, start, end)
    shown = _shown(value, _get(row, "value_raw"))
    return Markup(f'<a class="provenance" href="{escape(href)}" title="在报告原文中查看">{escape(shown)}</a>')


def _is_text(value) -> bool:
    return isinstance(value, str)


def _is_given(value) -> bool:
    return value is not None


def _is_anything(value) -> bool:
    return True


# How a column's cells are shown, and the values its renderer takes (others: Datasette's way).
RENDERERS = {
    "passage": (_passage, _is_text), "report_id": (_report_id, _is_given), "id": (_reports_id, _is_given),
    "title": (_title, _is_text),
    "agency": (_agency, _is_text), "agency_key": (_agency, _is_text), "name": (_agency_name, _is_text),
    "text": (_text, _is_text), **{column: (functools.partial(_key, kind=kind), _is_text) for column, kind in KEY_COLUMNS.items()},
    "province": (_province, _is_text), "city": (_city, _is_text), "value": (_value, _is_anything),
    "count": (_value, _is_anything),
}


@hookimpl
def prepare_jinja2_environment(env, datasette):
    # the site's own pages make their links to reports the same way: report_url(id[, start, end])
    env.globals["report_url"] = functools.partial(report_url, datasette)
    # the report page shows its text with injected words struck through, as cells do
    env.filters["spam_marked"] = lambda text: _marked(text, [])


@hookimpl
def render_cell(row, value, column, table, datasette):
    return cell_html(row, value, column, table, datasette)


def cell_html(row, value, column, table, datasette) -> Markup | None:
    """A cell as the site shows it, or None for Datasette's own rendering. (A plain function
    beside the hook: mutation testing changes plain functions only.)"""
    renderer, takes = RENDERERS.get(column, (None, None))
    return renderer(datasette, row, value, table) if renderer and takes(value) else None
