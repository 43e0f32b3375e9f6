"""A community with many households and submitted answers, built straight through the models, for the results,
summary and export tests. ``build_world`` returns what it made and the values it stored, so tests compute the
expected figures independently of the code under test."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace

from sqlalchemy import select

from participation.extensions import db
from participation.models import Building, CatalogueItem, Community, District, Household, Locality, Unit
from surveys.models import Answer, Choice, Question, Response, Section, Survey
from surveys.results.tallies import rebuild

NEED_CHOICES = (("need", "需要"), ("neutral", "无所谓"), ("no", "不需要"))
COLOURS = (("red", "红"), ("green", "绿"), ("blue", "蓝"))
ITEMS = ("B01", "I01", "U01")
START = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)


def _district() -> District:
    district = db.session.scalar(select(District).filter_by(name="南关区"))
    if district is None:
        locality = db.session.scalar(select(Locality)) or Locality(province="吉林省", city="长春市")
        district = District(locality=locality, name="南关区")
    return district


def build_community(code="R001", *, buildings=3, units=2, floors=4, per_floor=2) -> Community:
    """Households with varied areas (two decimals) and phones; every 12th one (index 3, 15, 27 …) is vacant."""
    community = Community(code=code, name=f"{code}小区", district=_district(), year_built=1995)
    db.session.add(community)
    index = 0
    for b in range(1, buildings + 1):
        building = Building(name=str(b), sort_key=f"{b:04d}")
        community.buildings.append(building)
        for u in range(1, units + 1):
            unit = Unit(name=str(u), sort_key=f"{u:04d}")
            building.units.append(unit)
            for floor in range(1, floors + 1):
                for door in range(1, per_floor + 1):
                    room = f"{floor}{door:02d}"
                    unit.households.append(Household(
                        room=room, sort_key=room.zfill(6), floor=floor,
                        area=Decimal(f"{48 + floor * 7 + door}.{(index * 37) % 100:02d}"),
                        phone=f"139{b:02d}{u:02d}{floor:02d}{door:02d}",
                        occupancy="vacant" if index % 12 == 3 else ("rented" if index % 7 == 0 else "owner_occupied")))
                    index += 1
    db.session.flush()
    return community


def _question(survey, section, name, qtype, *, role=None, item=None, choices=(), settings=None, label=None):
    question = Question(position=len(survey.questions) + 1, name=name, type=qtype, role=role,
                        item_id=item.id if item else None, label={"zh": label or name, "en": name},
                        settings=settings or {})
    db.session.add(question)
    question.survey, question.section = survey, section
    question.choices.extend(Choice(name=choice, label={"zh": text, "en": choice}, position=position)
                            for position, (choice, text) in enumerate(choices, start=1))
    return question


def build_survey(community: Community, *, confidential=False, status="open") -> Survey:
    items = {item.code: item for item in db.session.scalars(select(CatalogueItem).where(CatalogueItem.code.in_(ITEMS)))}
    survey = Survey(community=community, title={"zh": "需求调查", "en": "Needs survey"}, status=status,
                    confidential=confidential)
    section = Section(survey=survey, position=1, name="main", label={"zh": "问卷"})
    db.session.add_all([survey, section])
    _question(survey, section, "intro", "note")
    for code in ITEMS:
        _question(survey, section, f"need_{code}", "select_one", role="item_need", item=items[code],
                  choices=NEED_CHOICES, label=items[code].name)
        if code != "B01":
            _question(survey, section, f"share_{code}", "yes_no", role="item_share", item=items[code])
    _question(survey, section, "priorities", "rank", role="item_priority", settings={"top_n": 5},
              choices=[(code, items[code].name) for code in ITEMS], label="优先顺序")
    _question(survey, section, "colours", "select_multiple", choices=COLOURS, label="喜欢的颜色")
    _question(survey, section, "persons", "integer", label="家庭人数")
    _question(survey, section, "comment", "text", label="意见")
    _question(survey, section, "visit", "date", label="入户日期")
    db.session.flush()
    return survey


def answer_values(k: int) -> dict:
    """The answers of the k-th answering household: every figure in the tests derives from this."""
    need_i01 = "no" if k % 4 == 3 else "need"
    values = {
        "need_B01": NEED_CHOICES[k % 3][0],
        "need_I01": need_i01,
        "need_U01": "need" if k < 3 else ("neutral" if k % 2 else "no"),   # 3 supporters: a small cell
        "priorities": [ITEMS[(k + shift) % 3] for shift in range(3)][: 1 + k % 3],
        "colours": [name for position, (name, _text) in enumerate(COLOURS) if (k >> position) & 1] or ["red"],
        "persons": k % 6 + 1,
        "visit": date(2024, 5, 1) + timedelta(days=k % 10),
    }
    if need_i01 == "need":
        values["share_I01"] = "yes" if k % 2 == 0 else "no"
    if k < 3:
        values["share_U01"] = "yes"
    if k % 5 == 0:
        values["comment"] = "=HYPERLINK(\"x\")" if k == 0 else f"意见{k}"
    return values


def store_answers(response: Response, survey: Survey, values: dict) -> None:
    by_name = {question.name: question for question in survey.questions}
    for name, value in values.items():
        question = by_name[name]
        if question.type in ("select_multiple", "rank"):
            response.answers.extend(Answer(question_id=question.id, choice=choice,
                                           rank=position if question.type == "rank" else None)
                                    for position, choice in enumerate(value, start=1))
        elif question.type in ("select_one", "yes_no"):
            response.answers.append(Answer(question_id=question.id, choice=value))
        elif question.type == "integer":
            response.answers.append(Answer(question_id=question.id, number=Decimal(value)))
        elif question.type == "date":
            response.answers.append(Answer(question_id=question.id, date_value=value))
        else:
            response.answers.append(Answer(question_id=question.id, text_value=value))


def build_world(code="R001", *, confidential=False, answer=lambda index, household: index % 3 != 0, **sizes):
    """Households answer where ``answer(index, household)``; every 6th non-answering one has a draft; the vacant
    household at index 15 answers too (a vacant unit shown apart)."""
    community = build_community(code, **sizes)
    survey = build_survey(community, confidential=confidential)
    households = [h for building in community.buildings for unit in building.units for h in unit.households]
    values, drafts, k = {}, set(), 0
    for index, household in enumerate(households):
        if answer(index, household) or index == 15:
            response = Response(survey=survey, household=household, status="submitted", receipt=f"{code}R{index:05d}",
                                channel="web" if index % 2 else "import", submitted_at=START + timedelta(hours=index))
            values[household.id] = answer_values(k)
            store_answers(response, survey, values[household.id])
            db.session.add(response)
            k += 1
        elif index % 6 == 0:
            db.session.add(Response(survey=survey, household=household, status="draft", receipt=f"{code}D{index:05d}",
                                    channel="web"))
            drafts.add(household.id)
    db.session.flush()
    rebuild(survey)   # answers written as rows here, not saved one by one: count them once, as the demo does
    return SimpleNamespace(community=community, survey=survey, households=households, values=values, drafts=drafts)
