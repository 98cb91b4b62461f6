"""Step 3d: the comparable core of older and narrative reports, in the contracted tables.

Reports without table 三/四 (the 2014-2018 statistics table, a cut page, a table
published as an image, or prose only) still state how many applications came in,
how they ended and how many review and litigation cases there were. Those figures
go into application_outcomes and review_litigation under the same keys as the
2019/2021 tables (the mapping is `comparable_core` in parsers/data/vocabulary.yml),
keeping the span of the figure they came from and marked with their source. A
figure is taken from the table when there is one; from prose only when the prose
states it as a count for this year, once or always with the same value.
"""

from __future__ import annotations

from . import data
from .checks import FLOWS, balance  # the identity the tables are checked by
from .model import Issue, Metric, Outcome, ReviewLitigation


def _the_figure(metrics: list[Metric], key: str) -> Metric | None:
    table = [m for m in metrics if m.metric == key and m.source == "table"]
    if table:
        return table[0]
    stated = [m for m in metrics if m.metric == key and not m.approximate and not m.other_year
              and isinstance(m.cell.value, int)]
    return stated[0] if stated and len({m.cell.value for m in stated}) == 1 else None


def comparable_core(metrics: list[Metric], outcomes: list[Outcome], review: list[ReviewLitigation],
                    template: str) -> tuple[list[Outcome], list[ReviewLitigation], list[Issue]]:
    """Rows to add, and why some were not; nothing where the report has its own table 三/四 rows."""
    core = data.load("vocabulary")["comparable_core"]
    new_outcomes, new_review, issues = [], [], []
    if not outcomes:
        for key, row in core["application_outcomes"].items():
            outcome, applicant_type = row if isinstance(row, list) else (row, "total")
            figure = _the_figure(metrics, key)
            if figure:
                new_outcomes.append(Outcome(outcome, applicant_type, figure.cell, figure.source))
        new_outcomes += _placed_carry(metrics, new_outcomes, core)
        new_outcomes, issues = _without_contradicted_flows(new_outcomes)
    have_review = {(r.proceeding, r.result) for r in review}
    split = core["litigation_split"]
    for key, (proceeding, result) in core["review_litigation"].items():
        figure = _the_figure(metrics, key)
        if not figure or (proceeding, result) in have_review or any(p.startswith("litigation_") for p, _ in have_review):
            continue
        if proceeding == "litigation" and figure.cell.value == 0 and template in split["templates"]:
            new_review += [ReviewLitigation(p, result, figure.cell, figure.source) for p in split["proceedings"]]
        else:
            new_review.append(ReviewLitigation(proceeding, result, figure.cell, figure.source))
    return new_outcomes, new_review, issues


def _placed_carry(metrics: list[Metric], outcomes: list[Outcome], core: dict) -> list[Outcome]:
    """A carry that does not say which way, in the one place the requests' arithmetic allows: the
    carry the report does not state, with the other as stated or, when neither is, as none."""
    carry = _the_figure(metrics, core["unclear_carry"])
    if carry is None:
        return []
    _, over, _, forward = FLOWS
    cells = {(over, "total"): 0, (forward, "total"): 0} | _totals(outcomes)
    fits = [slot for slot in (over, forward) if (slot, "total") not in _totals(outcomes)
            and _adds_up(cells | {(slot, "total"): carry.cell.value})]
    return [Outcome(fits[0], "total", carry.cell, carry.source)] if len(fits) == 1 else []


def _without_contradicted_flows(outcomes: list[Outcome]) -> tuple[list[Outcome], list[Issue]]:
    """The prose's flows, unless all four are there and do not add up (then none of them)."""
    stated = _totals([o for o in outcomes if o.source == "text"])
    [check] = balance(stated, ["total"]) or [None]
    if check is None or check.passed:
        return outcomes, []
    flows = ", ".join(f"{key} {stated[(key, 'total')]}" for key in FLOWS)
    return [o for o in outcomes if o.outcome not in FLOWS], [Issue(
        "warning", f"the prose's request figures do not add up ({flows}: {check.expected:g} came in, "
                   f"{check.actual:g} went out); none of the four was stored in application_outcomes (each is in metrics)")]


def _totals(outcomes: list[Outcome]) -> dict[tuple[str, str], float]:
    return {(o.outcome, "total"): o.cell.value for o in outcomes if o.applicant_type == "total"}


def _adds_up(cells: dict) -> bool:
    found = balance(cells, ["total"])
    return bool(found) and found[0].passed
