"""Where the household stands, for its home page (issue 15, point 5): each survey 已提交 / 草稿 / 未填, each owner vote
已投票 (with the choice and channel) or not, its complaints with their state, its comments on the plan, and the
rating rounds it may rate (已评 / 未评). Reads only, through the features' own queries; surveys through
``participation.survey_facts`` (participation never imports the survey engine).

Only the household's own ballot is shown, as on the vote page: the owner sees their choice; staff acting for the
household see that the owner voted, not how, while the vote hides tallies (DESIGN §4). A household whose owner is
not in a vote's register (a unit added after the register froze) is told so, never asked to vote.
"""
from datetime import datetime

from flask_babel import lazy_gettext as _l

from participation.acceptance.queries import open_rounds_for, response_of, subject_name
from participation.complaints.queries import household_tickets
from participation.models import Household, Ticket
from participation.models.types import utcnow
from participation.plans.comments import current_period, household_comments
from participation.plans.operations import today
from participation.survey_facts import facts
from participation.votes.operations import register_owner
from participation.votes.queries import ballot_of, votes_for

# Short words for how a ballot came in, for one line on the home page ("已投票：同意（网上）").
BALLOT_CHANNEL_WORDS = {"web": _l("online"), "paper": _l("on paper"), "assisted": _l("entered by staff"),
                        "in_person": _l("in person")}
VOTE_STATUSES = ("open", "preliminary")      # running, or counted and in its objection period
COMPLAINTS_SHOWN = 5


def survey_rows(household: Household) -> list[dict]:
    """The household's surveys (open, or closed in the last 30 days), each with ``state`` submitted / draft /
    not_started; none without a survey engine."""
    engine = facts()
    return engine.household_surveys(household.id) if engine is not None else []


def vote_rows(household: Household, *, hide_choices: bool = False) -> list[dict]:
    """The open (and just counted) owner votes whose scope holds the household: {"vote", "state" ("voted" |
    "not_voted" | "not_owner"), "ballot", "choice_hidden"}. ``hide_choices``: staff acting for the household, who
    see that the owner voted but not how while the vote hides tallies."""
    rows = []
    for vote in votes_for(household, VOTE_STATUSES):
        owner = register_owner(vote, household)
        ballot = ballot_of(vote, household) if owner is not None else None
        state = "not_owner" if owner is None else ("voted" if ballot is not None else "not_voted")
        rows.append({"vote": vote, "state": state, "ballot": ballot,
                     "choice_hidden": hide_choices and vote.hide_tallies and not vote.closed})
    return rows


def votes_waiting(rows: list[dict]) -> int:
    """Open votes the household's owner can still cast a ballot in."""
    return sum(1 for row in rows if row["state"] == "not_voted" and row["vote"].status == "open")


def comment_status(household: Household) -> dict | None:
    """The plan's comment period as the household meets it: {"period", "state" (upcoming / open / closed),
    "open", "comments" (the household's, the whole plan first, then by item position)}; None before any."""
    period = current_period(household.community)
    if period is None:
        return None
    day = today()
    mine = household_comments(household, period.version)
    comments = sorted(mine.values(), key=lambda row: (row.plan_item_id is not None,
                                                      row.plan_item.position if row.plan_item_id else 0))
    return {"period": period, "state": period.state(day), "open": period.is_open(day), "comments": comments}


def rating_rows(household: Household, now: datetime | None = None) -> list[dict]:
    """The rating rounds open to the household now: {"round", "subject", "rated" (bool), "rating"}."""
    rows = []
    for round_ in open_rounds_for(household, now or utcnow()):
        response = response_of(round_, household)
        rows.append({"round": round_, "subject": subject_name(round_.item), "rated": response is not None,
                     "rating": response.rating if response is not None else None})
    return rows


def complaint_rows(household: Household, limit: int = COMPLAINTS_SHOWN) -> tuple[list[Ticket], int]:
    """The household's newest complaints (at most ``limit``) and how many it has in all."""
    tickets = household_tickets(household)
    return tickets[:limit], len(tickets)


def home_status(household: Household, *, assisted: bool = False) -> dict:
    """Everything the home page lists, in one dict."""
    votes = vote_rows(household, hide_choices=assisted)
    complaints, complaint_count = complaint_rows(household)
    return {"surveys": survey_rows(household), "votes": votes, "votes_waiting": votes_waiting(votes),
            "comments": comment_status(household), "ratings": rating_rows(household),
            "complaints": complaints, "complaint_count": complaint_count}
