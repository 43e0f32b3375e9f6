"""The demo's surveys, each where its community's stage puts it, on the demo's calendar (``participation.demo.clock``):

- 曙光里小区 (NG001, 实施): its needs survey ran before the plan (opened and closed before version 1, answers spread
  over those weeks; the plan inputs still read it), and a 施工安排 opinion survey during the works, closed two weeks
  ago; both show their results to residents after the close, so the resident home links the results page. And
  the draft of the next one, before the final inspection (the newest on NG001's list, for the builder's pages).
- 桃源路小区 (NG002, 问需): the needs survey open now, opened two and a half weeks ago and closing in three and a
  half, about 60 % of the households answered (the organiser's paper and door-to-door share) and a few drafts.
- 全安街小区 (NG003, 联合审查): a short draft for the works period.
- A needs-survey template of the admin, the start organisers can copy.

Called by ``flask seed-demo`` after the roster demo; an opened survey tells its households as ``open_survey`` does.
Deterministic for a given demo today (answers from a ``random.Random`` seeded with the demo seed and the address;
times from the demo's calendar). Idempotent: a survey is found again by its community and Chinese title; only
households without a response get one (raw form values checked by ``clean_answers``, inserted in bulk).
"""
import random
from datetime import timedelta

from sqlalchemy import insert, select

from participation.demo import clock
from participation.demo.plan import V1_CREATED
from participation.demo.seed import COMMUNITIES, SEED, USERS
from participation.extensions import db
from participation.models import Building, CatalogueItem, Community, FieldFinding, Household, Unit, User
from participation.models.fieldsurvey import NEEDS_WORK
from participation.roster.codes import ALPHABET
from surveys import messages, models as survey_models
from surveys.answering import operations as answering
from surveys.answering.checks import clean_answers
from surveys.answering.operations import RECEIPT_LENGTH, answer_rows
from surveys.answering.values import jsonable
from surveys.builder.itemblock import add_elevator_question, add_item_block
from surveys.builder.operations import create_survey
from surveys.builder.questions import add_section_raw, append_question, renumber
from surveys.models import Answer, Choice, Response, ResponseRevision, Survey
from surveys.results.tallies import rebuild

COMMUNITY = COMMUNITIES[0][0]   # 曙光里小区: the field survey, the grid worker, the owner representative
OPEN_COMMUNITY = COMMUNITIES[1][0]    # 桃源路小区, at 问需: its needs survey is open now
NEEDS_TITLE = {"zh": "曙光里小区改造需求调查", "en": "Shuguangli renovation needs survey"}
OPEN_TITLE = {"zh": "桃源路小区改造需求调查", "en": "Taoyuanlu renovation needs survey"}
NEEDS_DESCRIPTION = {"zh": "请告诉我们您家需要改造哪些项目、先做哪些。每户填写一份，截止前可以修改。",
                     "en": "Tell us which items your household needs and which should come first. One answer per "
                           "household; you can change it until the survey closes."}
TEMPLATE_TITLE = {"zh": "老旧小区改造需求调查（模板）", "en": "Old-community renovation needs survey (template)"}
# Drafts being written (community code, title, description, the choice question, its choices, made days ago)
DRAFTS = (
    ("NG003", {"zh": "施工期间意见征集", "en": "Your views during the works"},
     {"zh": "联合审查通过后即将开工，请告诉我们施工期间您最关心什么。",
      "en": "Works start after the joint review; tell us what matters most to you while they last."},
     {"zh": "施工期间您最关心什么？", "en": "What matters most to you during the works?"},
     (("noise", "施工噪音", "Noise"), ("access", "出行和停车", "Getting about"), ("safety", "施工安全", "Safety")), -3),
    ("NG001", {"zh": "竣工验收前居民意见征集", "en": "Before the final inspection: your views"},
     {"zh": "部分项目即将完工，联合验收前请告诉我们您家看到的问题。",
      "en": "Some items are nearly finished; before the joint inspection, tell us what problems you see."},
     {"zh": "您对已完工的项目总体是否满意？", "en": "Overall, are you satisfied with the finished items?"},
     (("satisfied", "满意", "Satisfied"), ("mostly", "基本满意", "Mostly"), ("unsatisfied", "不满意", "Not satisfied")),
     -1),
)
OPINION_TITLE = {"zh": "曙光里小区施工安排意见征集", "en": "Shuguangli works arrangements: your views"}
OPINION_DESCRIPTION = {"zh": "屋面防水、道路等项目正在施工，请对施工时间、围挡和出行安排提出您的意见。",
                       "en": "Roofs, roads and other items are being worked on; tell us what you think of the "
                             "hours, the hoardings and getting in and out."}
# (days after demo today, hour) of opening and closing. NG001's needs survey closed ten days before the plan's
# version 1 was made from its answers (participation.demo.plan.V1_CREATED).
NEEDS_OPENS, NEEDS_CLOSES = (V1_CREATED[0] - 31, 9), (V1_CREATED[0] - 10, 18)
OPINION_OPENS, OPINION_CLOSES = (-28, 9), (-14, 18)
OPEN_OPENS, OPEN_CLOSES = (-17, 9), (25, 18)
OPEN_ANSWERED_UNTIL = (-1, 21)    # nothing after the eve of demo today
OPEN_DRAFTS = 4                   # households that began answering and saved without submitting
ANSWER_SHARE = {"needs": 0.65, "opinion": 0.45}   # of occupied households: about 60 % and 43 % of all households
ELEVATOR_BUILDINGS = ("1", "2", "3", "4", "5")    # units where the field survey found room for an elevator
COMMENTS = (
    "希望先解决屋顶漏雨的问题。", "楼道太黑了，老人晚上上下楼不安全。", "停车太乱，消防通道经常被堵。",
    "施工期间请注意噪音，家里有老人和孩子。", "希望能加装电梯，住六楼上下楼太难了。", "雨季小区门口积水严重。",
    "电动车充电桩越多越好。", "垃圾点离楼太近，夏天有味道。", "希望改造过程多公示、多听居民意见。",
)
OPINION_COMMENTS = ("晚上八点以后别再用电镐了。", "围挡把单元门口挡住一半，推轮椅过不去。", "施工车辆进出请有人指挥。",
                    "道路施工时请留一条能走的路。")


def seed_demo_surveys() -> dict:
    """Add the demo surveys and their answers where missing; returns what was added. Never commits."""
    added = {"surveys": 0, "responses": 0}
    users = {role: db.session.scalar(select(User).filter_by(username=USERS[role][0]))
             for role in ("admin", "organiser", "grid")}
    codes = {COMMUNITY, OPEN_COMMUNITY} | {spec[0] for spec in DRAFTS}
    communities = {c.code: c for c in db.session.scalars(select(Community).where(Community.code.in_(codes)))}
    if None in users.values() or len(communities) < len(codes):
        return added
    _shuguangli(communities[COMMUNITY], users, added)
    _taoyuanlu(communities[OPEN_COMMUNITY], users["organiser"], added)
    _template(users["admin"], added)
    for spec in DRAFTS:
        _draft(communities[spec[0]], users["organiser"], spec, added)
    db.session.flush()
    return added


def _shuguangli(community: Community, users: dict, added: dict) -> None:
    """The needs survey before the plan, the opinion survey during the works: answered while open, then closed."""
    households = community_households(community)
    needs = _find(community, NEEDS_TITLE)
    if needs is None:
        needs = build_needs_survey(community, users["organiser"], opened=clock.at(*NEEDS_OPENS),
                                   closes=clock.at(*NEEDS_CLOSES))
        added["surveys"] += 1
    if needs.status == "open" and not needs.is_accepting(clock.at(0)):   # ran its course: answered, then closed
        added["responses"] += bulk_answers(needs, households, "needs", needs_answers, users["grid"],
                                           needs.closes_at - timedelta(hours=1))
        needs.close(now=needs.closes_at)
    opinion = _find(community, OPINION_TITLE)
    if opinion is None:
        opinion = _opinion_survey(community, users["organiser"], opened=clock.at(*OPINION_OPENS),
                                  closes=clock.at(*OPINION_CLOSES))
        added["surveys"] += 1
    if opinion.status == "open" and not opinion.is_accepting(clock.at(0)):
        added["responses"] += bulk_answers(opinion, households, "opinion", _opinion_raw, users["grid"],
                                           opinion.closes_at - timedelta(hours=1))
        opinion.close(now=opinion.closes_at)


def _taoyuanlu(community: Community, organiser: User, added: dict) -> None:
    """Open now, about 60 % answered: NG002 has no grid worker, so the organiser enters the paper and
    door-to-door answers; a few households saved a draft in the last days."""
    survey = _find(community, OPEN_TITLE)
    if survey is None:
        survey = build_needs_survey(community, organiser, opened=clock.at(*OPEN_OPENS), closes=clock.at(*OPEN_CLOSES),
                                    title=OPEN_TITLE)
        added["surveys"] += 1
    if not survey.is_accepting(clock.at(*OPEN_ANSWERED_UNTIL)):
        return
    households = community_households(community)
    added["responses"] += bulk_answers(survey, households, "needs", needs_answers, organiser,
                                       clock.at(*OPEN_ANSWERED_UNTIL),
                                       staff_buildings={building.id for building in community.buildings})
    _drafts(survey, households)


def _drafts(survey: Survey, households: list[Household]) -> None:
    """The first occupied households without a response, every 25th: their household page only, saved as a draft."""
    started = dict(db.session.execute(select(Response.household_id, Response.status)
                                      .where(Response.survey_id == survey.id)).all())
    if "draft" in started.values():   # added by an earlier run (or a resident since): left as they are
        return
    waiting = [h for h in households if h.occupancy != "vacant" and h.id not in started][::25][:OPEN_DRAFTS]
    for index, household in enumerate(waiting):
        when = clock.at(-3 + index % 3, 19 + index % 3, 7 * index % 60)
        rng = random.Random(f"{SEED}:survey:draft:{household.unit.building.name}:{household.unit.name}:"
                            f"{household.room}")
        raw = {"residents": str(rng.choice((1, 2, 3, 4))), "elderly": rng.choice(("yes", "no"))}
        values, errors = clean_answers(survey, household, raw, check_required=False)
        if errors:
            raise RuntimeError(f"demo draft refused for {household.room}: {errors}")
        with clock.fixed_clock(survey_models, answering, now=when):
            draft = answering.save_response(None, survey, household, values, channel="web", submit=False)
        draft.receipt = "R" + "".join(rng.choice(ALPHABET) for _ in range(RECEIPT_LENGTH))   # the seed's


def _template(admin: User, added: dict) -> None:
    """The admin's needs-survey template: the standard item block, for organisers to copy."""
    if db.session.scalar(select(Survey.id).where(Survey.is_template.is_(True), Survey.community_id.is_(None),
                                                 Survey.title["zh"].as_string() == TEMPLATE_TITLE["zh"])):
        return
    create_survey(admin, None, {"title": dict(TEMPLATE_TITLE), "description": dict(NEEDS_DESCRIPTION)}, kind="needs")
    added["surveys"] += 1


def _draft(community: Community, organiser: User, spec: tuple, added: dict) -> None:
    """A short draft, not opened yet: a page, a choice question, a comment box. NG001's (the newest survey there,
    first on its list) is the next one its organiser is writing; NG003's waits for the works to start."""
    _code, title, description, label, choices, made = spec
    if _find(community, title) is not None:
        return
    survey = create_survey(organiser, community, {"title": dict(title), "description": dict(description)})
    survey.created_at = clock.at(made, 15)
    page = survey.sections[0]
    question = append_question(survey, page, name="choice", type="select_one", required=True, label=dict(label))
    for position, (name, zh, en) in enumerate(choices, 1):
        question.choices.append(Choice(name=name, label={"zh": zh, "en": en}, position=position))
    append_question(survey, page, name="suggestion", type="long_text",
                    label={"zh": "其他意见和建议", "en": "Anything else?"})
    db.session.flush()
    renumber(survey)
    added["surveys"] += 1


def _find(community: Community, title: dict) -> Survey | None:
    surveys = db.session.scalars(select(Survey).where(Survey.community_id == community.id)).all()
    return next((survey for survey in surveys if survey.title.get("zh") == title["zh"]), None)


def community_households(community: Community) -> list[Household]:
    return list(db.session.scalars(
        select(Household).join(Unit, Household.unit_id == Unit.id).join(Building, Unit.building_id == Building.id)
        .where(Building.community_id == community.id).order_by(Building.sort_key, Unit.sort_key, Household.sort_key)))


# ---------------------------------------------------------------------------------------------------- structure

def build_needs_survey(community: Community, organiser: User | None, *, opened, closes,
                       title: dict = NEEDS_TITLE) -> Survey:
    """The demo's needs survey, open from ``opened`` (made two days before) until ``closes``; its results are
    shown to residents after the close."""
    survey = Survey(community=community, title=dict(title), description=dict(NEEDS_DESCRIPTION),
                    created_by_id=getattr(organiser, "id", None), closes_at=closes, results_visibility="after_close",
                    created_at=opened - timedelta(days=2))
    db.session.add(survey)
    about = add_section_raw(survey, {"zh": "您家的情况", "en": "Your household"}, name="about")
    append_question(survey, about, name="residents", type="integer", required=True,
                    label={"zh": "您家常住几口人？", "en": "How many people live in your home?"},
                    settings={"min": 1, "max": 12})
    append_question(survey, about, name="elderly", type="yes_no", required=True,
                    label={"zh": "家里有60岁以上的老人吗？", "en": "Does anyone aged 60 or over live with you?"})
    items = add_section_raw(survey, {"zh": "改造项目", "en": "Renovation items"}, name="items")
    catalogue = list(db.session.scalars(select(CatalogueItem).where(CatalogueItem.retired_at.is_(None))
                                        .order_by(CatalogueItem.code)))
    add_item_block(survey, catalogue, section=items)
    elevator = add_section_raw(survey, {"zh": "加装电梯", "en": "Adding an elevator"}, name="elevator_page")
    add_elevator_question(survey, section=elevator, item=next((i for i in catalogue if i.code == "I14"), None))
    other = add_section_raw(survey, {"zh": "意见和建议", "en": "Comments"}, name="comments_page")
    append_question(survey, other, name="comments", type="long_text",
                    label={"zh": "您对这次改造还有什么意见和建议？", "en": "Anything else about the renovation?"})
    db.session.flush()
    renumber(survey)
    _mark_elevator_units(community)
    survey.open(now=opened)
    messages.opened(survey, clock.at(0))   # told today only if still open today
    return survey


def _opinion_survey(community: Community, organiser: User, *, opened, closes) -> Survey:
    survey = Survey(community=community, title=dict(OPINION_TITLE), description=dict(OPINION_DESCRIPTION),
                    created_by_id=organiser.id, closes_at=closes, results_visibility="after_close",
                    created_at=opened - timedelta(days=1))
    db.session.add(survey)
    page = add_section_raw(survey, {"zh": "意见", "en": "Your views"}, name="views")
    satisfied = append_question(survey, page, name="arrangements", type="select_one", required=True,
                                label={"zh": "您对目前的施工安排是否满意？",
                                       "en": "Are you satisfied with how the works are arranged?"})
    for position, (name, zh, en) in enumerate((("satisfied", "满意", "Satisfied"),
                                                ("mostly", "基本满意", "Mostly satisfied"),
                                                ("unsatisfied", "不满意", "Not satisfied")), 1):
        satisfied.choices.append(Choice(name=name, label={"zh": zh, "en": en}, position=position))
    concerns = append_question(survey, page, name="concerns", type="select_multiple",
                               label={"zh": "您最关心哪些方面？（可多选）", "en": "What matters most to you?"})
    for position, (name, zh, en) in enumerate((("noise", "施工噪音", "Building noise"),
                                                ("schedule", "施工时间", "Working hours"),
                                                ("dust", "扬尘", "Dust"),
                                                ("access", "出行和停车", "Getting in and out, parking"),
                                                ("safety", "施工安全", "Safety on site")), 1):
        concerns.choices.append(Choice(name=name, label={"zh": zh, "en": en}, position=position))
    append_question(survey, page, name="suggestion", type="text",
                    label={"zh": "其他建议", "en": "Other suggestions"})
    db.session.flush()
    renumber(survey)
    survey.open(now=opened)
    messages.opened(survey, clock.at(0))   # told today only if still open today
    return survey


def _mark_elevator_units(community: Community) -> None:
    """Where the field survey found room for an elevator, unless an organiser has marked units already."""
    units = [unit for building in community.buildings for unit in building.units]
    if not any(unit.elevator_possible for unit in units):
        for unit in units:
            unit.elevator_possible = unit.building.name in ELEVATOR_BUILDINGS


# ---------------------------------------------------------------------------------------------------- answers

def bulk_answers(survey: Survey, households: list[Household], kind: str, draw, grid: User | None, until, *,
                 share: float | None = None, staff_buildings: set[int] | None = None) -> int:
    """Responses for the households the seed says answered (``share`` of the occupied ones, by default the demo's)
    and that have none yet, at times between the opening and ``until``; returns how many were added. In
    ``staff_buildings`` (by default the grid worker's) a fifth are entered by ``grid`` from paper or door to door.
    Also used by ``bench/survey_summaries.py``."""
    answered = set(db.session.scalars(select(Response.household_id).where(Response.survey_id == survey.id)))
    findings = field_findings(survey.community)
    grid_buildings = staff_buildings if staff_buildings is not None else \
        {building.id for building in grid.buildings} if grid is not None else set()
    place = survey.community.code
    share = ANSWER_SHARE[kind] if share is None else share
    span = max((until - survey.opens_at).total_seconds(), 3600)
    new: list[tuple[Response, dict]] = []
    for household in households:
        unit = household.unit
        rng = random.Random(f"{SEED}:survey:{kind}:{place}:{unit.building.name}:{unit.name}:{household.room}")
        if household.occupancy == "vacant" or rng.random() >= share or household.id in answered:
            continue
        raw = draw(survey, household, rng, findings)
        values, errors = clean_answers(survey, household, raw)
        if errors:   # the drawing rules and the survey disagree: a bug here, never demo data that breaks pages
            raise RuntimeError(f"demo answers refused for {household.room}: {errors}")
        channel, staff = "web", None
        if unit.building_id in grid_buildings:
            pick = rng.random()
            channel = "paper" if pick < 0.1 else "door_to_door" if pick < 0.2 else "web"
            staff = grid if channel != "web" else None
        when = survey.opens_at + timedelta(seconds=int(span * rng.random() ** 1.6))   # most answer early
        response = Response(survey_id=survey.id, household_id=household.id, status="submitted", channel=channel,
                            staff_id=getattr(staff, "id", None), version=1, created_at=when, updated_at=when,
                            submitted_at=when, receipt="R" + "".join(rng.choice(ALPHABET)
                                                                     for _ in range(RECEIPT_LENGTH)))
        new.append((response, values))
    if not new:
        return 0
    db.session.add_all(response for response, _values in new)
    db.session.flush()
    by_name = {question.name: question for question in survey.questions}
    answers, revisions = [], []
    for response, values in new:
        for name, value in values.items():
            for row in answer_rows(by_name[name], value):
                answers.append({"response_id": response.id, "question_id": row.question_id, "choice": row.choice,
                                "rank": row.rank, "number": row.number, "text_value": row.text_value,
                                "date_value": row.date_value})
        revisions.append({"response_id": response.id, "version": 1, "status": "submitted",
                          "channel": response.channel, "staff_id": response.staff_id, "values": jsonable(values),
                          "saved_at": response.submitted_at})
    db.session.execute(insert(Answer), answers)
    db.session.execute(insert(ResponseRevision), revisions)
    rebuild(survey)   # rows inserted in bulk, not saved one by one: recount the survey's tallies once
    return len(new)


def field_findings(community: Community) -> dict[str, str]:
    rows = db.session.execute(select(CatalogueItem.code, FieldFinding.condition)
                              .join(FieldFinding, FieldFinding.item_id == CatalogueItem.id)
                              .where(FieldFinding.community_id == community.id))
    return dict(rows.all())


# Need levels by category: (need, neutral) probabilities; the rest say "no".
NEED_ODDS = {"basic": (0.82, 0.12), "improvement": (0.5, 0.3), "upgrade": (0.3, 0.4)}
SHARE_ODDS = {"improvement": 0.55, "upgrade": 0.4}
PRIORITY_WEIGHT = {"basic": 5.0, "improvement": 2.5, "upgrade": 1.0}
BANDS = (("none", 30), ("up_to_500", 35), ("up_to_2000", 22), ("up_to_5000", 10), ("over_5000", 3))


def needs_answers(survey: Survey, household: Household, rng: random.Random, findings: dict) -> dict:
    """One household's answers: basic items mostly needed (less where the field survey found them good), upgrade
    items split; priorities among what it needs, basic items first; elevator support rising with the floor."""
    elderly = rng.random() < 0.45
    raw: dict = {"residents": str(rng.choice((1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6))), "elderly": "yes" if elderly else "no"}
    needed: list[tuple[str, float]] = []
    for question in survey.questions:
        if question.role != "item_need" or question.item is None:
            continue
        item = question.item
        need, neutral = NEED_ODDS.get(item.category, (0.4, 0.3))
        if findings.get(item.code) in ("good", "not_applicable"):
            need, neutral = 0.15, 0.45
        elif findings.get(item.code) in NEEDS_WORK and item.category != "basic":
            need = min(need + 0.2, 0.9)
        if item.code in ("I04", "I05", "U05", "U06") and elderly:
            need = min(need + 0.3, 0.95)
        if item.code == "I14":
            need = min(0.15 + 0.12 * household.floor, 0.9)
        draw = rng.random()
        level = "need" if draw < need else "neutral" if draw < need + neutral else "no"
        raw[question.name] = level
        if level == "need":
            weight = PRIORITY_WEIGHT.get(item.category, 1.0) * (2.0 if findings.get(item.code) == "missing" else 1.0)
            needed.append((item.code, weight))
            share = f"share_{item.code}"
            if item.category in SHARE_ODDS and any(q.name == share for q in survey.questions):
                raw[share] = "yes" if rng.random() < SHARE_ODDS[item.category] else "no"
    raw["priorities"] = _weighted_order(rng, needed, 5)
    raw["cofunding_band"] = rng.choices([name for name, _w in BANDS], weights=[w for _n, w in BANDS])[0]
    if household.floor > 1 and household.unit.elevator_possible:
        support = min(0.1 + 0.14 * household.floor, 0.9)
        draw = rng.random()
        raw["elevator"] = "support" if draw < support else "neutral" if draw < support + 0.15 else "oppose"
    if rng.random() < 0.18:
        raw["comments"] = rng.choice(COMMENTS)
    return raw


def _weighted_order(rng: random.Random, options: list[tuple[str, float]], top: int) -> list[str]:
    """Up to ``top`` codes drawn without replacement, heavier weights more likely first."""
    pool, picked = list(options), []
    while pool and len(picked) < top:
        code = rng.choices([code for code, _w in pool], weights=[w for _c, w in pool])[0]
        picked.append(code)
        pool = [(c, w) for c, w in pool if c != code]
    return picked


def _opinion_raw(survey: Survey, household: Household, rng: random.Random, findings: dict) -> dict:
    raw: dict = {"arrangements": rng.choices(("satisfied", "mostly", "unsatisfied"), weights=(50, 35, 15))[0]}
    concerns = [name for name, odds in (("noise", 0.5), ("schedule", 0.35), ("dust", 0.3), ("access", 0.45),
                                        ("safety", 0.2)) if rng.random() < odds]
    if concerns:
        raw["concerns"] = concerns
    if rng.random() < 0.12:
        raw["suggestion"] = rng.choice(OPINION_COMMENTS)
    return raw
