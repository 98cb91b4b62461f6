"""Every extracted value links to its span, highlighted in its report's page.

Any row that has report_id, start and end (the metrics, application_outcomes
and review_litigation tables, and canned queries that select those columns)
gets its value or count cell rendered as a link to
/report/{report_id}?start=…&end=…#hl.
"""

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape

VALUE_COLUMNS = {"value", "count"}


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


@hookimpl
def render_cell(row, value, column, datasette):
    if column not in VALUE_COLUMNS:
        return None
    report_id, start, end = _get(row, "report_id"), _get(row, "start"), _get(row, "end")
    if report_id is None or not isinstance(start, int) or not isinstance(end, int):
        return None
    shown = _shown(value, _get(row, "value_raw"))
    # Datasette's own ~-encoding: a %-encoded Chinese id would cost a redirect
    href = datasette.urls.path(f"/report/{tilde_encode(str(report_id))}?start={start}&end={end}#hl")
    return Markup(f'<a class="provenance" href="{escape(href)}" title="在报告原文中查看">{escape(shown)}</a>')
