"""What each move to the next stage of the community's lifecycle needs (DESIGN §2), read from the models and said
in words: every check returns the list of what is missing, empty when the community may move on.

    next_stage(community) -> str | None        # the stage after the current one (None at the last)
    previous_stage(community) -> str | None
    missing_for(community, stage) -> list[str] # what moving *to* ``stage`` still needs

The stage a community is in names the work under way; moving to the next stage asks that this work produced what
the next one starts from: households on the roster before the census, findings of the field survey and a needs
survey put to residents before asking needs, the needs survey closed and a draft plan before drafting, a published
comment period before the notice, a vote for every Art. 278 item of the draft (or its exclusion) before the owner
vote, an adopted version with its votes finished before the joint review, the joint review complete before works,
every included item finished before acceptance, and an after-care vote decided before after-care.
"""
from flask_babel import gettext as _
from sqlalchemy import func, select

from participation.aftercare.operations import aftercare_outcome
from participation.extensions import db
from participation.models import (AfterCareProposal, Building, Community, FieldFinding, Household, JointReview,
                                  PlanVersion, Unit, Vote, vote_items)
from participation.models.lifecycle import STAGES
from participation.plans.comments import period_for
from participation.plans.operations import adopted_version, budget_for, latest_version, plan_for, works_by_item
from participation.survey_facts import facts

UNFINISHED_VOTE_STATUSES = ("draft", "open", "preliminary")


def next_stage(community: Community) -> str | None:
    index = STAGES.index(community.status) if community.status in STAGES else -1
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def previous_stage(community: Community) -> str | None:
    index = STAGES.index(community.status) if community.status in STAGES else 0
    return STAGES[index - 1] if index > 0 else None


def names(words) -> str:
    """A list of names as a sentence shows them: "a, b, c" (in Chinese "a、b、c")."""
    return _(", ").join(str(word) for word in words)


def missing_for(community: Community, stage: str) -> list[str]:
    """What moving ``community`` to ``stage`` still needs, in words; [] when nothing is missing."""
    return [str(line) for line in CHECKS[stage](community)]


# --- one check per stage ------------------------------------------------------------------------------------------

def _reserve(community: Community) -> list[str]:
    return []


def _annual_plan(community: Community) -> list[str]:
    budget = budget_for(community)
    if budget is None or budget.envelope is None:
        return [_("The year's budget envelope is not recorded yet (plan → budget).")]
    return []


def _census(community: Community) -> list[str]:
    households = db.session.scalar(select(func.count(Household.id)).join(Unit).join(Building)
                                   .where(Building.community_id == community.id))
    return [] if households else [_("The roster has no households yet: import the roster.")]


def community_surveys(community: Community) -> list[dict]:
    """The community's surveys as the survey engine reports them; none when no survey engine is installed."""
    engine = facts()
    return engine.community_surveys(community.id) if engine is not None else []


def needs_surveys(community: Community) -> list[dict]:
    return [survey for survey in community_surveys(community) if survey["is_needs_survey"]]


def _needs(community: Community) -> list[str]:
    missing = []
    findings = db.session.scalar(select(func.count(FieldFinding.id)).where(FieldFinding.community_id == community.id))
    if not findings:
        missing.append(_("No findings of the field survey are recorded yet."))
    surveys = needs_surveys(community)
    if not surveys:
        missing.append(_("There is no needs survey yet: create one in the survey builder."))
    elif all(survey["status"] == "draft" for survey in surveys):
        missing.append(_("The needs survey “%(title)s” is still a draft: open it to residents.",
                         title=surveys[0]["title"]))
    return missing


def _planning(community: Community) -> list[str]:
    missing = []
    surveys = needs_surveys(community)
    if not surveys:
        missing.append(_("There is no needs survey yet: create one in the survey builder."))
    elif not any(survey["status"] == "closed" for survey in surveys):
        missing.append(_("The needs survey “%(title)s” has not closed yet.", title=surveys[0]["title"]))
    version = latest_version(plan_for(community))
    if version is None or version.status != "draft":
        missing.append(_("There is no draft plan version yet: adopt the suggestions as a draft on the plan page."))
    return missing


def _plan_notice(community: Community) -> list[str]:
    version = latest_version(plan_for(community))
    if version is None or version.status != "draft":
        return [_("There is no draft plan version to put on public notice.")]
    if period_for(version) is None:
        return [_("No comment period is published for version %(number)d yet.", number=version.number)]
    return []


def _votes_on(community: Community, item_ids) -> dict[int, list[Vote]]:
    """{catalogue item id: the community's votes deciding it, cancelled ones aside}."""
    rows = db.session.execute(
        select(vote_items.c.item_id, Vote).join(Vote, Vote.id == vote_items.c.vote_id)
        .where(Vote.community_id == community.id, Vote.status != "cancelled", vote_items.c.item_id.in_(item_ids))
        .order_by(Vote.id)).all()
    votes: dict[int, list[Vote]] = {}
    for item_id, vote in rows:
        votes.setdefault(item_id, []).append(vote)
    return votes


def art278_items(version: PlanVersion):
    """The version's included items whose catalogue entry names an Art. 278 matter (an owner vote decides them)."""
    return [plan_item for plan_item in version.items if plan_item.included and plan_item.item.owner_matter]


def _owner_vote(community: Community) -> list[str]:
    version = latest_version(plan_for(community))
    if version is None or version.status != "draft":
        return [_("There is no draft plan version to put to the owners.")]
    items = art278_items(version)
    votes = _votes_on(community, [plan_item.item_id for plan_item in items])
    without = [plan_item.item.name for plan_item in items if plan_item.item_id not in votes]
    if without:
        return [_("%(count)d items need an owner vote and have none (or are not excluded): %(names)s.",
                  count=len(without), names=names(without))]
    return []


def _joint_review(community: Community) -> list[str]:
    version = adopted_version(plan_for(community))
    if version is None:
        return [_("No plan version is adopted yet.")]
    votes = _votes_on(community, [plan_item.item_id for plan_item in art278_items(version)])
    unfinished = {vote.id: vote.title for decided in votes.values() for vote in decided
                  if vote.status in UNFINISHED_VOTE_STATUSES}
    if unfinished:
        return [_("%(count)d votes have not ended yet: %(names)s.", count=len(unfinished),
                  names=names(unfinished.values()))]
    return []


def _works(community: Community) -> list[str]:
    version = adopted_version(plan_for(community))
    if version is None:
        return [_("No plan version is adopted yet.")]
    review = db.session.scalar(select(JointReview).where(JointReview.version_id == version.id))
    if review is None:
        return [_("The joint review of version %(number)d has not started.", number=version.number)]
    if review.closed_at is None:
        return [_("The joint review of version %(number)d is not complete.", number=version.number)]
    return []


def _acceptance(community: Community) -> list[str]:
    plan = plan_for(community)
    version = adopted_version(plan)
    if version is None:
        return [_("No plan version is adopted yet.")]
    works = works_by_item(plan)
    unfinished = [plan_item.item.name for plan_item in version.items if plan_item.included
                  and (plan_item.item_id not in works or works[plan_item.item_id].status != "finished")]
    if unfinished:
        return [_("%(count)d items are not finished yet: %(names)s.", count=len(unfinished),
                  names=names(unfinished))]
    return []


def _aftercare(community: Community) -> list[str]:
    outcome = aftercare_outcome(community)
    if outcome is not None:
        return [] if outcome["passed"] else [
            _("The latest after-care vote did not pass: put a new proposal to the owners.")]
    pending = db.session.scalar(select(Vote.title).join(AfterCareProposal, AfterCareProposal.vote_id == Vote.id)
                                .where(AfterCareProposal.community_id == community.id,
                                       Vote.status.in_(UNFINISHED_VOTE_STATUSES))
                                .order_by(Vote.id.desc()).limit(1))
    if pending is not None:
        return [_("The after-care vote “%(title)s” is not decided yet.", title=pending)]
    return [_("No after-care vote yet: propose the management mode and fee to the owners.")]


CHECKS = {"reserve": _reserve, "annual_plan": _annual_plan, "census": _census, "needs": _needs,
          "planning": _planning, "plan_notice": _plan_notice, "owner_vote": _owner_vote,
          "joint_review": _joint_review, "works": _works, "acceptance": _acceptance, "aftercare": _aftercare}
