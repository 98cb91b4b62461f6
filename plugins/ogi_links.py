"""Every extracted value links to its span, highlighted in its report's page, and
every report id, agency and place links to its page.

Any row that has report_id, start and end (the metrics, application_outcomes
and review_litigation tables, and canned queries that select those columns)
gets its value or count cell rendered as a link to
/report/{report_id}?start=…&end=…#hl. A report_id cell (and the reports
table's id) links to /report/{id}. Long text (a report's or a section's full
text) is cut to its first words on table pages: the report page shows it whole.
"""

import functools
import re

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

from parsers.data import official_labels

VALUE_COLUMNS = {"value", "count"}
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


def _report_link(datasette, report_id, shown=None) -> Markup:
    href = datasette.urls.path(f"/report/{tilde_encode(str(report_id))}")
    return Markup(f'<a class="report" href="{escape(href)}" title="报告页">{escape(shown or report_id)}</a>')


def _marked(text: str, words: list[str]) -> Markup:
    """`text` escaped, each place a searched word occurs marked: in one pass over the text, the
    longer word first where two start at one place (replacing word by word marked 公开 again
    inside a marked 信息公开, and a word such as lt inside the escaped &lt;)."""
    words = sorted({word for word in words if word}, key=len, reverse=True)
    if not words:
        return escape(text)
    parts, done = [], 0
    for found in re.finditer("|".join(map(re.escape, words)), text):
        parts += [escape(text[done:found.start()]), Markup("<mark>{}</mark>").format(found[0])]
        done = found.end()
    return Markup("").join(parts + [escape(text[done:])])


def _passage(datasette, row, value: str, words: list[str]) -> Markup:
    """A search result's passage with the searched words marked, linked to that place in the report."""
    shown = _marked(value, words)
    report_id, start, end = _get(row, "report_id"), _get(row, "start"), _get(row, "end")
    if report_id is None or not isinstance(start, int):
        return shown
    href = datasette.urls.path(f"/report/{tilde_encode(str(report_id))}?start={start}&end={end}#hl")
    return Markup(f'<a class="passage" href="{escape(href)}" title="在报告原文中查看">') + shown + Markup("</a>")


@hookimpl
def render_cell(row, value, column, table, datasette):
    return cell_html(row, value, column, table, datasette)


def cell_html(row, value, column, table, datasette) -> Markup | None:
    """A cell as the site shows it, or None for Datasette's own rendering. (A plain function
    beside the hook: mutation testing changes plain functions only.)"""
    if column == "passage" and isinstance(value, str):  # a search result (the query returns what was searched)
        return _passage(datasette, row, value, (_get(row, "searched") or "").split())
    if column == "report_id" and value is not None:
        # on table pages a foreign key arrives expanded ({"value", "label"}): link it to the report page too
        return _report_link(datasette, value["value"] if isinstance(value, dict) else value)
    if table == "reports" and column == "id" and value is not None:
        return _report_link(datasette, value)
    if column in ("agency", "name", "agency_key") and isinstance(value, str) and _get(row, "agency_key"):
        if column != "name" or table == "agencies":  # an agency's name links to the agency's page
            href = datasette.urls.path(f"/agency/{tilde_encode(str(_get(row, 'agency_key')))}")
            return Markup(f'<a class="agency" href="{escape(href)}" title="机关页">{escape(value)}</a>')
    if column == "text" and isinstance(value, str) and len(value) > TEXT_PREVIEW:
        report_id = _get(row, "report_id") if table == "sections" else _get(row, "id")
        preview = escape(value[:TEXT_PREVIEW]) + Markup("…")
        if report_id is None:
            return preview
        return preview + Markup(" ") + _report_link(datasette, report_id, "全文")
    if column in KEY_COLUMNS and isinstance(value, str) and table != "labels":
        label = _official_labels().get((KEY_COLUMNS[column], value))
        if label:  # the official wording beside the key, so a count reads as what it counts
            return Markup(f'{escape(label)} <small class="key">{escape(value)}</small>')
    if column == "province" and isinstance(value, str) and value:
        return Markup(f'<a class="place" href="{escape(datasette.urls.path("/place/" + tilde_encode(value)))}">{escape(value)}</a>')
    if column == "city" and isinstance(value, str) and value and _get(row, "province"):
        href = datasette.urls.path(f"/place/{tilde_encode(_get(row, 'province'))}/{tilde_encode(value)}")
        return Markup(f'<a class="place" href="{escape(href)}">{escape(value)}</a>')
    if column not in VALUE_COLUMNS:
        return None
    report_id, start, end = _get(row, "report_id"), _get(row, "start"), _get(row, "end")
    if report_id is None or not isinstance(start, int) or not isinstance(end, int):
        return None
    shown = _shown(value, _get(row, "value_raw"))
    # Datasette's own ~-encoding: a %-encoded Chinese id would cost a redirect
    href = datasette.urls.path(f"/report/{tilde_encode(str(report_id))}?start={start}&end={end}#hl")
    return Markup(f'<a class="provenance" href="{escape(href)}" title="在报告原文中查看">{escape(shown)}</a>')
