"""Follow-up visits (回访入户) for the needs survey: per building a staff member may visit, how many households
answered the community's open needs survey and who has not, read through ``participation.survey_facts`` (never the
survey tables). The staff to-do counts from it and the assisted-entry follow-up list shows it, so the two agree.

A building is under 30 % when fewer than 30 % of its households (vacant ones left out, as the response rate does,
DESIGN §6) answered; integer arithmetic, as everywhere a threshold is compared.
"""
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from participation.extensions import db
from participation.models import Building, Community, Household, Unit, User, user_buildings, user_communities
from participation.permissions import visible_communities
from participation.survey_facts import facts

LOW_RESPONSE_PERCENT = 30


def _scope(user: User):
    return visible_communities(user).with_only_columns(Community.id).order_by(None)


def community_surveys(community_ids) -> dict[int, list[dict]]:
    """{community id: its surveys as ``SurveyFacts.community_surveys`` gives them}; empty without a survey engine.
    One call per community: the contract is per community (the engine answers each in three small queries)."""
    engine = facts()
    if engine is None:
        return {}
    return {cid: engine.community_surveys(cid) for cid in community_ids}


def open_needs_survey(listed: list[dict]) -> dict | None:
    """The community's open needs survey (the newest, as listed first)."""
    return next((survey for survey in listed if survey["is_needs_survey"] and survey["status"] == "open"), None)


def seen_buildings(user: User):
    """The buildings whose households ``user`` may visit: a grid worker's own (and those of communities listed for
    them), anyone else's every building of the communities they see."""
    if user.role != "grid":
        return select(Building.id).where(Building.community_id.in_(_scope(user)))
    own = select(user_buildings.c.building_id).where(user_buildings.c.user_id == user.id)
    listed = select(user_communities.c.community_id).where(user_communities.c.user_id == user.id)
    return select(Building.id).where(or_(Building.id.in_(own), Building.community_id.in_(listed)))


def follow_up(user: User, community_ids, surveys: dict[int, list[dict]], *, building_id: int | None = None,
              low_only: bool = False) -> dict[int, dict]:
    """{community id: {"survey", "buildings": [{"building", "households", "answered", "low", "missing":
    [Household]}]}} for the communities with an open needs survey: per building the user may visit, how many
    households (vacant ones left out) answered, whether that is under 30 %, and who has not answered. ``low_only``
    keeps the buildings under 30 %; ``building_id`` one building."""
    engine = facts()
    needs = {cid: survey for cid in community_ids if (survey := open_needs_survey(surveys.get(cid, [])))}
    if not needs or engine is None:
        return {}
    query = (select(Household, Building).join(Unit, Unit.id == Household.unit_id)
             .join(Building, Building.id == Unit.building_id)
             .where(Building.community_id.in_(list(needs)), Building.id.in_(seen_buildings(user)),
                    Household.occupancy != "vacant")
             .order_by(Building.community_id, Building.sort_key, Unit.sort_key, Household.sort_key)
             .options(selectinload(Household.unit)))
    if building_id is not None:
        query = query.where(Building.id == building_id)
    answered = {cid: engine.answered_households(survey["id"]) for cid, survey in needs.items()}
    found: dict[int, dict] = {}
    for household, building in db.session.execute(query):
        cid = building.community_id
        entry = found.setdefault(cid, {"survey": needs[cid], "buildings": {}})
        row = entry["buildings"].setdefault(building.id, {"building": building, "households": 0, "answered": 0,
                                                          "missing": []})
        row["households"] += 1
        if household.id in answered[cid]:
            row["answered"] += 1
        else:
            row["missing"].append(household)
    for entry in found.values():
        rows = list(entry["buildings"].values())
        for row in rows:
            row["low"] = 100 * row["answered"] < LOW_RESPONSE_PERCENT * row["households"]
        entry["buildings"] = [row for row in rows if row["low"] or not low_only]
    return found
