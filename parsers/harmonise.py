"""Step 3d: the comparable core of older and narrative reports, in the contracted tables.

Reports without table 三/四 (the 2014-2018 statistics table, or prose only)
still state how many applications came in and how many review and litigation
cases there were. Those figures go into application_outcomes and
review_litigation under the same keys as the 2019/2021 tables (the crosswalk
in templates.json), keeping the span of the figure they came from. A figure
is taken from the table when there is one; from prose only when the prose
states one value for it.
"""

from __future__ import annotations

from .model import Metric, Outcome, ReviewLitigation

OUTCOMES = {"applications_received_total": ("new_received", "total")}
REVIEW_LITIGATION = {"admin_review_total": ("admin_review", "total"), "litigation_total": ("litigation", "total")}


def _the_figure(metrics: list[Metric], key: str) -> Metric | None:
    table = [m for m in metrics if m.metric == key and m.source == "table"]
    if table:
        return table[0]
    stated = [m for m in metrics if m.metric == key and m.part_of is None]
    return stated[0] if stated and len({m.cell.value for m in stated}) == 1 else None


def comparable_core(metrics: list[Metric], outcomes: list[Outcome],
                    review: list[ReviewLitigation]) -> tuple[list[Outcome], list[ReviewLitigation]]:
    """Rows to add; nothing when the report has its own table 三/四 rows for the same cell."""
    new_outcomes, new_review = [], []
    have_outcomes = {(o.outcome, o.applicant_type) for o in outcomes}
    have_review = {(r.proceeding, r.result) for r in review}
    for key, (outcome, applicant) in OUTCOMES.items():
        figure = _the_figure(metrics, key)
        if figure and not have_outcomes:
            new_outcomes.append(Outcome(outcome, applicant, figure.cell))
    for key, (proceeding, result) in REVIEW_LITIGATION.items():
        figure = _the_figure(metrics, key)
        if figure and (proceeding, result) not in have_review and not any(p.startswith("litigation_") for p, _ in have_review):
            new_review.append(ReviewLitigation(proceeding, result, figure.cell))
    return new_outcomes, new_review
