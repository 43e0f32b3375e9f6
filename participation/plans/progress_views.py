"""The residents' progress page of the plan in force at /r/<community_code>/progress (问效于民): what is being built,
how far it is, the joint review and the acceptance results, and where to rate. Only the household's own community;
reads in ``participation.plans.progress``."""
from flask import Blueprint, render_template

from participation.entry.status import rating_rows
from participation.guards import private, resident_or_start
from participation.plans.comments import current_period
from participation.plans.operations import today
from participation.plans.progress import progress_of

bp = Blueprint("progress", __name__)


@bp.get("/r/<community_code>/progress")
def index(community_code: str):
    acting, away = resident_or_start(community_code)
    if away is not None:
        return away
    household = acting.household
    community = household.community
    period = current_period(community)
    return private(render_template(
        "progress/index.html", acting=acting, household=household, community=community,
        progress=progress_of(community), my_ratings={row["round"].id: row for row in rating_rows(household)},
        comments_open=period is not None and period.is_open(today())))
