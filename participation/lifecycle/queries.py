"""The community page as the hub (issue 15, point 3): the stage ladder and, per module the user may open, its state
and next step in words, as plain dicts the template draws.

    ladder(community) -> dict           # the stages, the current one, the next one and what it still needs
    hub(community, user) -> dict        # {"ladder": ..., "modules": [module, ...]}

A module is {"key", "title", "state", "next" (str | None), "endpoint", "args", "links": [{"title", "endpoint",
"args"}]}: one tap from the hub. A module appears only for the roles (and agencies) its page lets in, so the hub
never links to a 403: an agency sees the works' acceptance if it does the works, the joint review if it is one of
the review's parties, the field survey if it is a pipeline company, and the complaints dispatched to it.
"""
from flask_babel import gettext as _, lazy_gettext as _l, ngettext
from sqlalchemy import func, select

from participation.acceptance.queries import records_of, rounds_of
from participation.aftercare.operations import aftercare_outcome
from participation.extensions import db
from participation.formatting import beijing
from participation.jointreview.queries import party_of, review_of
from participation.labels import VERSION_STATUS_LABELS, label
from participation.lifecycle.overrides import overrides_of
from participation.lifecycle.stages import community_surveys, missing_for, needs_surveys, next_stage, previous_stage
from participation.models import (Building, Community, ElevatorRequest, FieldFinding, Household, HouseholdCode,
                                  OPEN_STATES, PlanComment, Ticket, Unit, User, Vote)
from participation.models.lifecycle import STAGES
from participation.models.types import utcnow
from participation.permissions import (ACCEPTANCE_READERS, DECISION_READERS, ELEVATOR_AND_AFTERCARE_READERS,
                                       HOUSEHOLD_READERS, SLIP_PRINTERS, TICKET_READERS, WORKS_AGENCY_KINDS,
                                       can_manage_community, can_view_field_survey, uses_field_survey)
from participation.plans.comments import period_for
from participation.plans.gates import unanswered_objection_counts
from participation.plans.operations import adopted_version, latest_version, plan_for, today, works_by_item
from participation.plans.work_photos import is_works_agency
from participation.survey_facts import facts

PERIOD_STATE_LABELS = {"upcoming": _l("Not open yet"), "open": _l("Open for comments"), "closed": _l("Closed")}


def ladder(community: Community) -> dict:
    coming = next_stage(community)
    current = STAGES.index(community.status) if community.status in STAGES else 0
    overrides = [{"stage": label("status", override.gate.removeprefix("stage:")), "reason": override.reason,
                  "missing": override.missing.splitlines(), "by": override.by.display_name if override.by else "",
                  "at": override.at} for override in overrides_of(community) if override.gate.startswith("stage:")]
    return {"current": community.status, "next": coming, "previous": previous_stage(community), "overrides": overrides,
            "stages": [{"code": stage, "label": label("status", stage), "done": index < current,
                        "current": index == current} for index, stage in enumerate(STAGES)],
            "missing": missing_for(community, coming) if coming else []}


def _module(key, title, state, next_step, endpoint, links=(), **args) -> dict:
    return {"key": key, "title": str(title), "state": str(state), "next": str(next_step) if next_step else None,
            "endpoint": endpoint, "args": args, "links": list(links)}


def _reviews(user: User, plan) -> bool:
    """An agency that is a party of the joint review of the version in force."""
    return party_of(review_of(adopted_version(plan)), user.organisation_id) is not None


def _agency_kind(user: User) -> str | None:
    return user.organisation.kind if user.role == "agency" and user.organisation is not None else None


def hub(community: Community, user: User) -> dict:
    """The ladder and the modules ``user`` may open, in the order of the lifecycle."""
    manages = can_manage_community(user, community)
    role, kind = user.role, _agency_kind(user)
    plan = plan_for(community)
    shown = [
        (role in HOUSEHOLD_READERS, _roster),
        (role in SLIP_PRINTERS, _slips),
        (uses_field_survey(user) and can_view_field_survey(user, community), _field_survey),
        (role in DECISION_READERS and facts() is not None, _surveys),
        (role in HOUSEHOLD_READERS, _plan),
        (role in HOUSEHOLD_READERS and latest_version(plan) is not None, _comments),
        (role in DECISION_READERS, _votes),
        (role in ELEVATOR_AND_AFTERCARE_READERS, _elevators),
        (role in DECISION_READERS or (role == "agency" and _reviews(user, plan)), _joint_review),
        (role in HOUSEHOLD_READERS or is_works_agency(user, community), _works),
        (role in ACCEPTANCE_READERS and (role != "agency" or kind in WORKS_AGENCY_KINDS), _acceptance),
        (role in ELEVATOR_AND_AFTERCARE_READERS, _aftercare),
        (role in TICKET_READERS, _complaints),
        (role in DECISION_READERS, _dashboard),
    ]
    modules = [build(community, user, plan, manages) for visible, build in shown if visible]
    return {"ladder": ladder(community), "modules": modules, "may_move": manages,
            "may_override": role == "admin" and manages}


# --- one card per module ------------------------------------------------------------------------------------------

def _households(community: Community) -> int:
    return db.session.scalar(select(func.count(Household.id)).join(Unit).join(Building)
                             .where(Building.community_id == community.id)) or 0


def _roster(community, user, plan, manages) -> dict:
    households = _households(community)
    state = _("%(households)d households in %(buildings)d buildings", households=households,
              buildings=len(community.buildings))
    next_step = _("Import the roster.") if manages and not households else None
    return _module("roster", _("Roster and households"), state, next_step, "roster.community",
                   community_code=community.code)


def _slips(community, user, plan, manages) -> dict:
    households = _households(community)
    coded = db.session.scalar(
        select(func.count(func.distinct(HouseholdCode.household_id))).join(Household).join(Unit).join(Building)
        .where(Building.community_id == community.id, HouseholdCode.revoked_at.is_(None))) or 0
    state = _("%(coded)d of %(households)d households have a code", coded=coded, households=households)
    next_step = _("Print the slips of the households without a code.") if coded < households else None
    return _module("slips", _("Code slips and posters"), state, next_step, "slips.community",
                   community_code=community.code)


def _field_survey(community, user, plan, manages) -> dict:
    findings = db.session.scalar(select(func.count(FieldFinding.id))
                                 .where(FieldFinding.community_id == community.id)) or 0
    state = ngettext("%(num)d item recorded", "%(num)d items recorded", findings)
    next_step = _("Record each item's condition on site.") if not findings else None
    return _module("field_survey", _("Field survey"), state, next_step, "fieldsurvey.overview",
                   community_code=community.code)


def _surveys(community, user, plan, manages) -> dict:
    surveys = community_surveys(community)
    needs = needs_surveys(community)
    running = [survey for survey in surveys if survey["status"] == "open"]
    state = ngettext("%(num)d survey, %(open)d open", "%(num)d surveys, %(open)d open", len(surveys),
                     open=len(running))
    if not needs:
        next_step = _("Create the needs survey.") if manages else None
    elif needs[0]["status"] == "open":
        survey = needs[0]
        next_step = _("“%(title)s”: %(answered)d of %(households)d households answered; closes %(closes)s.",
                      title=survey["title"], answered=survey["answered"], households=survey["households"],
                      closes=beijing(survey["closes_at"], "%Y-%m-%d") if survey["closes_at"] else "—")
    elif needs[0]["status"] == "draft":
        next_step = _("Open the needs survey “%(title)s” to residents.", title=needs[0]["title"])
    else:
        next_step = None
    return _module("surveys", _("Surveys and the survey builder"), state, next_step,
                   "survey_builder.community_surveys", community_code=community.code)


def _plan(community, user, plan, manages) -> dict:
    version = latest_version(plan)
    links = [{"title": _("Version %(number)d (%(status)s)", number=v.number, status=VERSION_STATUS_LABELS[v.status]),
              "endpoint": "plans.version", "args": {"community_code": community.code, "number": v.number}}
             for v in reversed(plan.versions)] if plan is not None else []
    if version is None:
        state, next_step = _("No plan version yet"), (_("Adopt the suggestions as a draft.") if manages else None)
    else:
        included = sum(1 for item in version.items if item.included)
        state = ngettext("Version %(number)d, %(status)s: %(num)d item",
                         "Version %(number)d, %(status)s: %(num)d items", included, number=version.number, status=VERSION_STATUS_LABELS[version.status])
        next_step = (_("Publish a comment period for version %(number)d.", number=version.number)
                     if manages and version.status == "draft" and period_for(version) is None else None)
    return _module("plan", _("Plan and its versions"), state, next_step, "plans.plan", links,
                   community_code=community.code)


def _comments(community, user, plan, manages) -> dict:
    version = latest_version(plan)
    period = period_for(version)
    if period is None:
        state, next_step = _("Not published yet"), None
    else:
        comments = db.session.scalar(select(func.count(PlanComment.id)).where(PlanComment.period_id == period.id))
        unanswered = unanswered_objection_counts([version.id]).get(version.id, 0)
        state = ngettext("%(state)s, %(opens)s – %(closes)s: %(num)d comment",
                         "%(state)s, %(opens)s – %(closes)s: %(num)d comments", comments,
                         state=PERIOD_STATE_LABELS[period.state(today())], opens=period.opens_on.isoformat(),
                         closes=period.closes_on.isoformat())
        next_step = (ngettext("%(num)d objection to answer.", "%(num)d objections to answer.", unanswered)
                     if unanswered else None)
    return _module("comments", _("Comments on the plan"), state, next_step, "plan_comments.comments",
                   community_code=community.code, number=version.number)


def _votes(community, user, plan, manages) -> dict:
    counts = dict(db.session.execute(select(Vote.status, func.count(Vote.id)).where(Vote.community_id == community.id)
                                     .group_by(Vote.status)).all())
    state = _("%(open)d open, %(closed)d awaiting the final result, %(final)d final", open=counts.get("open", 0),
              closed=counts.get("preliminary", 0), final=counts.get("final", 0))
    next_step = (ngettext("%(num)d vote to co-sign and finalise.", "%(num)d votes to co-sign and finalise.",
                          counts["preliminary"]) if counts.get("preliminary") else None)
    return _module("votes", _("Owner votes"), state, next_step, "votes.index", community_code=community.code)


def _elevators(community, user, plan, manages) -> dict:
    counts = dict(db.session.execute(
        select(ElevatorRequest.status, func.count(ElevatorRequest.id)).join(Unit).join(Building)
        .where(Building.community_id == community.id).group_by(ElevatorRequest.status)).all())
    active = sum(counts.get(status, 0) for status in ("started", "consultation", "vote"))
    state = _("%(active)d requests under way, %(approved)d approved", active=active,
              approved=counts.get("approved", 0))
    return _module("elevators", _("Elevators"), state, None, "elevators.staff", community_code=community.code)


def _joint_review(community, user, plan, manages) -> dict:
    version = adopted_version(plan)
    review = review_of(version)
    if version is None:
        state = _("Waits for an adopted plan version")
    elif review is None:
        state = _("Not started for version %(number)d", number=version.number)
    elif review.closed_at is None:
        state = _("Under way for version %(number)d", number=version.number)
    else:
        state = _("Complete for version %(number)d", number=version.number)
    return _module("joint_review", _("Joint review"), state, None, "jointreview.index",
                   community_code=community.code)


def _works(community, user, plan, manages) -> dict:
    """The works page; the contractor's and supervisor's accounts open the works photos, their part of it."""
    endpoint = "work_photos.index" if user.role == "agency" else "plans.works"
    version = adopted_version(plan)
    if version is None:
        return _module("works", _("Works"), _("Waits for an adopted plan version"), None, endpoint,
                       community_code=community.code)
    works = works_by_item(plan)
    included = [item.item_id for item in version.items if item.included]
    statuses = [works[item_id].status if item_id in works else "not_started" for item_id in included]
    state = _("%(finished)d of %(count)d items finished, %(under_way)d under way",
              finished=statuses.count("finished"), count=len(statuses), under_way=statuses.count("in_progress"))
    return _module("works", _("Works"), state, None, endpoint, community_code=community.code)


def _acceptance(community, user, plan, manages) -> dict:
    rounds, records = rounds_of(community), records_of(community)
    state = _("%(open)d rating rounds open, %(closed)d closed; %(signed)d of %(records)d records fully signed",
              open=sum(1 for round_ in rounds if round_.is_open),
              closed=sum(1 for round_ in rounds if not round_.is_open),
              signed=sum(1 for record_ in records if record_.fully_signed), records=len(records))
    return _module("acceptance", _("Joint acceptance and rating"), state, None, "acceptance.index",
                   community_code=community.code)


def _aftercare(community, user, plan, manages) -> dict:
    outcome = aftercare_outcome(community)
    if outcome is None:
        state = _("No after-care vote decided yet")
    elif outcome["passed"]:
        state = _("Decided: %(mode)s, %(fee)s yuan per m² a month", mode=outcome["mode_label"],
                  fee=f"{outcome['fee']:.2f}")
    else:
        state = _("The latest proposal did not pass")
    return _module("aftercare", _("After-care"), state, None, "aftercare.index", community_code=community.code)


def _complaints(community, user, plan, manages) -> dict:
    query = select(func.count(Ticket.id)).where(Ticket.community_id == community.id, Ticket.state.in_(OPEN_STATES))
    if user.role == "agency":
        query = query.where(Ticket.agency_id == (user.organisation_id or -1))
    open_count = db.session.scalar(query) or 0
    overdue = db.session.scalar(query.where(Ticket.due_at < utcnow())) or 0
    state = _("%(open)d open, %(overdue)d overdue", open=open_count, overdue=overdue)
    return _module("complaints", _("Complaints"), state, None, "hotline.index", community=community.code)


def _dashboard(community, user, plan, manages) -> dict:
    return _module("dashboard", _("Community dashboard"), _("Participation, plan and complaint figures"), None,
                   "dashboards.community", community_code=community.code)
