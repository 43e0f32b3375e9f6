"""The staff 工作台 (issue 15, point 4): what waits for this user, per role and scope, as lines of a count and the
filtered list that shows exactly those rows.

Every line is a plain dict {"key", "label", "count", "endpoint", "args", "community"}: the page draws
``url_for(endpoint, **args)``; a line whose count is 0 is kept (quiet, without a link) so staff know it was checked.
Per-community lines (comments, votes, follow-up visits …) are listed only for communities with something waiting,
with one quiet zero line when none has.

The rules (each stated on the page, ``RULES``):
- a ticket is **due soon** when it is due within the next 24 hours and not yet overdue (the queue's own flag,
  ``complaints.queries.DUE_SOON``: the calendar clock, because the desk works 7×24); the counts are the queue's
  (``queue_count``, the same statement as its pages);
- a comment period is **ending** when it is open and its last day is within ``PERIOD_ENDING_DAYS`` days (Beijing);
  an objection is **unanswered** while it has no answer (hidden ones too: hiding hides words, not the objection;
  ``plans.gates.unanswered_objection``, the adoption gate's own rule);
- a vote is **short of quorum** while it is open, its closing time is still ahead (or not set) and the votes
  package's tally says the ⅔ area and ⅔ headcount quorum (Art. 278) is not met yet;
- a survey is **to close** when it is open and every household answered, or its closing time passed;
- a building is **under 30 %** when fewer than 30 % of its households (vacant ones left out) answered the
  community's open needs survey; its households without an answer are the follow-up visits;
- a community **waits at a gate** when nothing its next stage needs is missing (``lifecycle.stages``), or when its
  newest plan version is a draft whose comment period has closed (adoption is next);
- a community is **stalled** when that draft has waited more than ``STALLED_DAYS`` days since its period closed,
  or it is in works (实施) with an overdue ticket.
"""
from datetime import date, datetime, timedelta
from math import ceil

from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import and_, func, select

from participation.complaints.queries import queue_count
from participation.dashboards.followup import community_surveys, follow_up
from participation.extensions import db
from participation.formatting import beijing_today
from participation.jointreview.queries import reviews_listing, todo_for as joint_review_todo
from participation.labels import STATUS_LABELS
from participation.lifecycle.stages import missing_for, next_stage
from participation.models import (AcceptanceRecord, Community, Plan, PlanCommentPeriod, PlanVersion, Ticket, User,
                                  Vote)
from participation.models.complaints import OPEN_STATES
from participation.models.types import utcnow
from participation.permissions import WORKS_AGENCY_KINDS, visible_communities
from participation.plans.gates import unanswered_objection_counts
from participation.reach.inbox import todo_messages
from participation.votes.operations import tally

# The community hub (the lifecycle helper's page, /c/<code>).
HUB_ENDPOINT = "lifecycle.community"
PERIOD_ENDING_DAYS = 3
STALLED_DAYS = 14

RULES = {
    "due_soon": _l("Due soon: due within the next 24 hours (the calendar clock) and not yet overdue."),
    "period_ending": _l("Comment periods ending: open, with their last day within 3 days."),
    "quorum": _l("Short of quorum: open votes, still before their closing time, where owners holding ⅔ of the area "
                 "and ⅔ of the owners have not yet taken part (民法典 Art. 278)."),
    "surveys": _l("Surveys to close: open, and every household answered or the closing time passed."),
    "low_response": _l("Follow-up visits: households without an answer to the open needs survey, in buildings "
                       "where fewer than 30 % answered."),
    "gates": _l("Ready for the next stage: nothing the next stage needs is missing (move it on from the community's "
                "page). Awaiting adoption: the newest plan version is a draft whose comment period has closed — adopt "
                "it or change it."),
    "stalled": _l("Stalled: a draft plan version whose comment period closed more than 14 days ago and is still "
                  "not adopted, or a community in works with an overdue ticket."),
}


def line(key: str, label: str, count: int, endpoint: str | None = None, about: Community | None = None,
         **args) -> dict:
    """A line of the to-do: ``about`` is the community it concerns, ``args`` the link's (a query string too)."""
    return {"key": key, "label": label, "count": count, "endpoint": endpoint if count else None, "args": args,
            "community": about}


def _per_community(key: str, label: str, rows: list[dict]) -> list[dict]:
    """The rows (lines of communities with something waiting), or one quiet line saying nothing waits."""
    return rows or [line(key, label, 0)]


def _scope(user: User):
    """The ids of the communities ``user`` sees, as a sub-select."""
    return visible_communities(user).with_only_columns(Community.id).order_by(None)


def _communities(ids) -> dict[int, Community]:
    return {c.id: c for c in db.session.scalars(select(Community).where(Community.id.in_(ids)))} if ids else {}


# --- tickets (the queue's own count, so the line and the list agree) ---------------------------------------------

def ticket_lines(user: User, now: datetime) -> list[dict]:
    lines = [line("tickets_overdue", _("Overdue tickets"), queue_count(user, due="overdue", now=now),
                  "hotline.index", due="overdue"),
             line("tickets_due_soon", _("Tickets due within 24 h"), queue_count(user, due="soon", now=now),
                  "hotline.index", due="soon")]
    if user.role == "agency":
        lines.insert(0, line("tickets_to_sign", _("Tickets to sign for (待签收)"),
                             queue_count(user, state="dispatched", now=now), "hotline.index", state="dispatched"))
        lines.append(line("tickets_reopened", _("Tickets sent back after the call-back (重办)"),
                          queue_count(user, reopened=True, now=now), "hotline.index", reopened="1"))
    if user.role in ("hotline", "admin"):
        lines.append(line("tickets_returned", _("Returned tickets to dispatch again (退单)"),
                          queue_count(user, state="returned", now=now), "hotline.index", state="returned"))
        lines.append(line("tickets_callback", _("Call-backs to make (回访)"),
                          queue_count(user, state="completed", now=now), "hotline.index", state="completed"))
    return lines


# --- plan comments -------------------------------------------------------------------------------------------------

def _draft_periods(user: User):
    """(period, version, community id) of draft versions with a comment period, in the user's communities."""
    return db.session.execute(
        select(PlanCommentPeriod, PlanVersion, Plan.community_id)
        .join(PlanVersion, PlanVersion.id == PlanCommentPeriod.version_id).join(Plan, Plan.id == PlanVersion.plan_id)
        .where(Plan.community_id.in_(_scope(user)), PlanVersion.status == "draft")
        .order_by(Plan.community_id, PlanVersion.number)).all()


def period_closed(period: PlanCommentPeriod, day: date) -> bool:
    return period.closed_at is not None or period.closes_on < day


def comment_lines(user: User, day: date) -> list[dict]:
    periods = _draft_periods(user)
    communities = _communities({cid for _p, _v, cid in periods})
    unanswered = unanswered_objection_counts([version.id for _p, version, _c in periods])
    ending, objections = [], []
    for period, version, cid in periods:
        community = communities[cid]
        if period.is_open(day) and period.closes_on <= day + timedelta(days=PERIOD_ENDING_DAYS):
            ending.append(line("period_ending", _("%(community)s: the comment period of version %(number)d ends "
                                                  "on %(day)s", community=community.name, number=version.number,
                                                  day=period.closes_on.isoformat()),
                               1, "plan_comments.comments", community, community_code=community.code,
                               number=version.number))
        if unanswered.get(version.id):
            objections.append(line("objections_unanswered",
                                   _("%(community)s: unanswered objections to version %(number)d",
                                     community=community.name, number=version.number),
                                   unanswered[version.id], "plan_comments.comments", community,
                                   community_code=community.code, number=version.number, stance="object",
                                   unanswered="1"))
    return (_per_community("period_ending", _("Comment periods ending within 3 days"), ending)
            + _per_community("objections_unanswered", _("Unanswered objections"), objections))


def gate_lines(user: User, day: date) -> list[dict]:
    """Communities whose next stage's conditions are all met (``lifecycle.stages.missing_for`` finds nothing:
    a few queries per community, the checks being the lifecycle's own), and those whose newest version is a draft
    with a closed comment period: adoption is next."""
    ready = []
    for community in db.session.scalars(visible_communities(user)):
        stage = next_stage(community)
        if stage is not None and not missing_for(community, stage):
            ready.append(line("gate_stage", _("%(community)s: ready to move on to %(stage)s",
                                              community=community.name, stage=STATUS_LABELS.get(stage, stage)),
                              1, HUB_ENDPOINT, community, community_code=community.code))
    waiting = []
    for community, version, period in _waiting_adoption(user, day):
        waiting.append(line("gate_adoption", _("%(community)s: version %(number)d awaits adoption (comment period "
                                               "closed %(day)s)", community=community.name, number=version.number,
                                               day=_closed_day(period).isoformat()),
                            1, "plans.version", community, community_code=community.code, number=version.number))
    return (_per_community("gate_stage", _("Communities ready for their next stage"), ready)
            + _per_community("gate_adoption", _("Plan versions awaiting adoption"), waiting))


def _closed_day(period: PlanCommentPeriod) -> date:
    if period.closed_at is not None:
        return min(period.closed_at.date(), period.closes_on)
    return period.closes_on


def _waiting_adoption(user: User, day: date) -> list[tuple]:
    newest = (select(PlanVersion.plan_id, func.max(PlanVersion.number).label("number"))
              .group_by(PlanVersion.plan_id).subquery())
    rows = db.session.execute(
        select(Community, PlanVersion, PlanCommentPeriod)
        .join(Plan, Plan.community_id == Community.id).join(PlanVersion, PlanVersion.plan_id == Plan.id)
        .join(newest, and_(newest.c.plan_id == PlanVersion.plan_id, newest.c.number == PlanVersion.number))
        .join(PlanCommentPeriod, PlanCommentPeriod.version_id == PlanVersion.id)
        .where(Community.id.in_(_scope(user)), PlanVersion.status == "draft")
        .order_by(Community.code)).all()
    return [(community, version, period) for community, version, period in rows if period_closed(period, day)]


# --- votes ---------------------------------------------------------------------------------------------------------

def short_of_quorum(vote: Vote, now: datetime) -> bool:
    """Open, still before its closing time, and the tally's quorum (⅔ area and ⅔ headcount) not met yet."""
    return (vote.status == "open" and (vote.closes_at is None or vote.closes_at > now)
            and not tally(vote)["quorum_met"])


def awaits_cosign(vote: Vote) -> bool:
    """A preliminary result the owner representative has not co-signed yet."""
    return vote.status == "preliminary" and vote.cosigned_at is None


def _votes(user: User, statuses) -> list[Vote]:
    return list(db.session.scalars(select(Vote).where(Vote.community_id.in_(_scope(user)),
                                                      Vote.status.in_(statuses))
                                   .order_by(Vote.community_id, Vote.id)))


def vote_lines(user: User, now: datetime) -> list[dict]:
    short: dict[int, list[Vote]] = {}
    for vote in _votes(user, ("open",)):
        if short_of_quorum(vote, now):
            short.setdefault(vote.community_id, []).append(vote)
    communities = _communities(set(short))
    rows = []
    for cid, votes in short.items():
        community = communities[cid]
        ends = [vote.closes_at for vote in votes if vote.closes_at is not None]
        days = max(1, ceil((min(ends) - now) / timedelta(days=1))) if ends else None
        label = (ngettext("%(community)s: votes short of quorum (the first closes in %(num)d day)",
                          "%(community)s: votes short of quorum (the first closes in %(num)d days)", days,
                          community=community.name) if days is not None
                 else _("%(community)s: votes short of quorum", community=community.name))
        rows.append(line("votes_short", label, len(votes), "votes.index", community, community_code=community.code,
                         show="short"))
    return _per_community("votes_short", _("Votes short of quorum"), rows)


def cosign_lines(user: User) -> list[dict]:
    waiting: dict[int, int] = {}
    for vote in _votes(user, ("preliminary",)):
        if awaits_cosign(vote):
            waiting[vote.community_id] = waiting.get(vote.community_id, 0) + 1
    communities = _communities(set(waiting))
    rows = [line("votes_cosign", _("%(community)s: vote results to co-sign", community=communities[cid].name),
                 count, "votes.index", communities[cid], community_code=communities[cid].code, show="cosign")
            for cid, count in waiting.items()]
    return _per_community("votes_cosign", _("Vote results to co-sign"), rows)


def acceptance_lines(user: User) -> list[dict]:
    rows = db.session.execute(
        select(AcceptanceRecord.community_id, func.count())
        .where(AcceptanceRecord.community_id.in_(_scope(user)), AcceptanceRecord.owner_rep_signed_at.is_(None))
        .group_by(AcceptanceRecord.community_id)).all()
    communities = _communities({cid for cid, _n in rows})
    lines = [line("acceptance_sign", _("%(community)s: acceptance records to sign", community=communities[cid].name),
                  count, "acceptance.index", communities[cid], community_code=communities[cid].code)
             for cid, count in rows]
    return _per_community("acceptance_sign", _("Acceptance records to sign"), lines)


# --- surveys (through survey_facts: participation never reads the survey tables) ---------------------------------

def to_close(survey: dict) -> bool:
    """Still open in the survey engine although its closing time passed (``community_surveys`` reports it closed,
    as residents meet it; ``open_past_closing`` says nobody closed it), or open with every household answered."""
    if survey["open_past_closing"]:
        return True
    return survey["status"] == "open" and 0 < survey["households"] <= survey["answered"]


def survey_lines(user: User, surveys: dict[int, list[dict]]) -> list[dict]:
    communities = _communities(set(surveys))
    rows = []
    for cid, listed in surveys.items():
        for survey in listed:
            if to_close(survey):
                rows.append(line("survey_close", _("%(community)s: close the survey “%(title)s” (%(answered)d of "
                                                   "%(households)d households answered)",
                                                   community=communities[cid].name, title=survey["title"],
                                                   answered=survey["answered"], households=survey["households"]),
                                 1, "survey_builder.survey", communities[cid], survey_id=survey["id"]))
    return _per_community("survey_close", _("Surveys to close"), rows)


def follow_up_lines(user: User, surveys: dict[int, list[dict]], *, low_only: bool) -> list[dict]:
    """Per community, the households to visit: in buildings under 30 % (organisers) or in the grid worker's own."""
    visits = follow_up(user, list(surveys), surveys, low_only=low_only)
    communities = _communities(set(visits))
    rows = []
    for cid, entry in visits.items():
        households = sum(len(row["missing"]) for row in entry["buildings"])
        if not households:
            continue
        community = communities[cid]
        label = (ngettext("%(community)s: households to visit in %(num)d building under 30 %%",
                          "%(community)s: households to visit in %(num)d buildings under 30 %%",
                          len(entry["buildings"]), community=community.name) if low_only
                 else _("%(community)s: households in your buildings without an answer to the needs survey",
                        community=community.name))
        args = {"low": "1"} if low_only else {}
        rows.append(line("follow_up", label, households, "assisted.follow_up", community,
                         community=community.code, **args))
    return _per_community("follow_up", _("Follow-up visits (needs survey)"), rows)


# --- the city: stalled communities ---------------------------------------------------------------------------------

def stalled(user: User, day: date, now: datetime) -> list[tuple[Community, str]]:
    """(community, why) of the communities in the user's scope that the rule of ``RULES["stalled"]`` finds."""
    found: dict[int, tuple[Community, str]] = {}
    for community, version, period in _waiting_adoption(user, day):
        if _closed_day(period) < day - timedelta(days=STALLED_DAYS):
            found[community.id] = (community, _("version %(number)d not adopted since its comment period closed on "
                                                "%(day)s", number=version.number, day=_closed_day(period).isoformat()))
    overdue = db.session.execute(
        select(Community, func.count(Ticket.id)).join(Ticket, Ticket.community_id == Community.id)
        .where(Community.id.in_(_scope(user)), Community.status == "works", Ticket.state.in_(OPEN_STATES),
               Ticket.due_at < now)
        .group_by(Community.id).order_by(Community.code)).all()
    for community, count in overdue:
        why = ngettext("%(num)d overdue ticket during the works", "%(num)d overdue tickets during the works", count)
        found[community.id] = (community, f"{found[community.id][1]}; {why}" if community.id in found else why)
    return sorted(found.values(), key=lambda pair: pair[0].code)


# --- per role ------------------------------------------------------------------------------------------------------

def joint_review_lines(user: User) -> list[dict]:
    """The joint-review work awaiting the user's organisation, counted by ``jointreview.queries.todo_for``; each
    line links to the review page when its open reviews are in one community, and each such community has a line."""
    if user.organisation_id is None:
        return []
    figures = joint_review_todo(user)
    open_in = {}
    for review in reviews_listing(user.organisation_id):
        if review.closed_at is None:
            community = review.version.plan.community
            open_in[community.id] = community
    only = next(iter(open_in.values())) if len(open_in) == 1 else None
    args = {"community_code": only.code} if only is not None else {}
    endpoint = "jointreview.index" if only is not None else None
    lines = [line("review_signoff", _("Plan items awaiting your sign-off (联合审查)"), figures["awaiting_signoff"],
                  endpoint, only, **args),
             line("review_returned", _("Your returned items in open reviews"), figures["returned_open"], endpoint,
                  only, **args),
             line("review_conflicts", _("Your works in a conflict (same place, overlapping dates)"),
                  figures["conflicting_works"], endpoint, only, **args)]
    if only is None:
        lines += [line("review_open", _("%(community)s: open joint review", community=community.name), 1,
                       "jointreview.index", community, community_code=community.code)
                  for community in sorted(open_in.values(), key=lambda c: c.code)]
    return lines


def todo(user: User, now: datetime | None = None) -> dict:
    """{"groups": [{"key", "title", "lines", "rules", "waiting"}], "stalled": [(community, why)] (admins) or None,
    "stalled_rule", "messages": {"unread", "newest"}} for ``user``."""
    now = now or utcnow()
    day = beijing_today()
    groups, stalled_rows = [], None
    role = user.role
    works_agency = role == "agency" and user.organisation is not None \
        and user.organisation.kind in WORKS_AGENCY_KINDS
    if role in ("organiser", "hotline", "admin") or works_agency:
        groups.append(_group("tickets", _("Complaint tickets"), ticket_lines(user, now), "due_soon"))
    if role == "organiser":
        surveys = community_surveys(list(db.session.scalars(_scope(user))))
        groups += [
            _group("comments", _("Plan comments"), comment_lines(user, day), "period_ending"),
            _group("votes", _("Owner votes"), vote_lines(user, now), "quorum"),
            _group("surveys", _("Surveys and follow-up visits"),
                   survey_lines(user, surveys) + follow_up_lines(user, surveys, low_only=True),
                   "surveys", "low_response"),
            _group("gates", _("Gates waiting"), gate_lines(user, day), "gates"),
        ]
    if role == "agency":   # reviewing departments and pipeline companies; a contractor only when listed
        review = joint_review_lines(user)
        if not works_agency or any(entry["count"] for entry in review):
            groups.append(_group("joint_review", _("Joint review"), review))
    if role == "owner_rep":
        groups += [_group("cosign", _("To co-sign"), cosign_lines(user)),
                   _group("acceptance", _("To sign"), acceptance_lines(user))]
    if role == "grid":
        surveys = community_surveys(list(db.session.scalars(_scope(user))))
        groups.append(_group("visits", _("Follow-up visits"), follow_up_lines(user, surveys, low_only=False)))
    if role == "admin":
        stalled_rows = stalled(user, day, now)
    return {"groups": [group for group in groups if group["lines"]], "stalled": stalled_rows,
            "stalled_rule": RULES["stalled"], "messages": todo_messages(user)}


def _group(key: str, title: str, lines: list[dict], *rules: str) -> dict:
    return {"key": key, "title": title, "lines": lines, "rules": [RULES[name] for name in rules],
            "waiting": sum(entry["count"] for entry in lines)}
