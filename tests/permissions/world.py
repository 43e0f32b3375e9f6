"""The small world the permission matrix asks its questions in (tests/permissions/test_matrix.py): two communities
of one district and one of another, a user of every role with its scope, and an object of every kind a URL can
name — surveys with answers, codes, tickets, plans with versions and works, photos — built through the ORM and the
real operations, so every id a URL rule takes exists and belongs where the rule says."""
from decimal import Decimal
from types import SimpleNamespace

from PIL import Image
from sqlalchemy import select

from participation.accounts.operations import create_user
from participation.complaints.operations import act, file_ticket
from participation.extensions import db
from participation.models import (CatalogueItem, ComplaintCategory, Delivery, District, FieldFinding, Locality,
                                  LocalityRule, Notification, Organisation, Plan, PlanItem, PlanVersion, PlanWork)
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from participation.uploads import upload_root
from surveys.answering.operations import new_receipt
from surveys.models import Answer, Choice, Question, Response, Section, Survey
from tests.conftest import PASSWORD
from tests.permissions.cases import ADMIN, AGENCY, GRID, HOTLINE, ORGANISER, OWNER_REP, PIPELINE


def _photo(name: str) -> str:
    relative = f"matrix/{name}.jpg"
    path = upload_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (8, 8), (200, 120, 40)).save(path, format="JPEG")
    return relative


def _survey(community, status="draft", pages=(("p1", ()),), *, required=()) -> Survey:
    """A survey of ``community`` (None: a template) through the ORM. ``pages``: (page name, questions), a question
    being (name, type, choice names); ``required`` names the questions that need an answer."""
    survey = Survey(community=community, is_template=community is None, status=status,
                    title={"zh": f"{status}问卷"})
    position = 0
    for number, (page, questions) in enumerate(pages, start=1):
        section = Section(name=page, position=number, label={"zh": f"第{number}页"})
        survey.sections.append(section)
        for name, type_, choices in questions:
            position += 1
            survey.questions.append(Question(
                section=section, name=name, type=type_, position=position, label={"zh": name},
                required=name in required,
                choices=[Choice(name=c, position=i, label={"zh": c}) for i, c in enumerate(choices, start=1)]))
    db.session.add(survey)
    return survey


def survey_world(a, b, resident_home):
    """Community A: the draft the builder edits (a spare page, question and choice to delete), a draft to open, an
    empty draft to delete, an open survey the resident's household submitted with a photo, a closed survey, and a
    template. Community B: a draft and an open survey. Returns a function giving the scope keys of A, of B, and of
    A's surveys with B's pages, questions and choices, to call after the commit (the ids)."""
    yes_no = ("yes", "no")
    draft = _survey(a, pages=(("p1", (("q1", "select_one", ("a", "b", "spare")), ("q2", "text", ()))), ("p2", ())))
    to_open, empty = _survey(a, pages=(("p1", (("q1", "yes_no", ()),)),)), _survey(a)
    open_a = _survey(a, "open", (("p1", (("need", "select_one", yes_no), ("photo", "photo", ()))),),
                     required=("need",))
    closed, template = _survey(a, "closed", (("p1", (("need", "select_one", yes_no),)),)), _survey(None)
    need, photo = open_a.questions
    db.session.add(Response(survey=open_a, household=resident_home, status="submitted", receipt=new_receipt(),
                            channel="web", submitted_at=utcnow(), answers=[
                                Answer(question=need, choice="yes"),
                                Answer(question=photo, text_value=_photo("answer"))]))
    draft_b = _survey(b, pages=(("p1", (("q1", "select_one", ("a", "b")),)),))
    open_b = _survey(b, "open", (("p1", (("need", "select_one", yes_no),)),))

    def keys(draft, to_open, empty, open_, closed, spare_section, spare_question, spare_choice) -> dict:
        return {"survey": draft.id, "section": draft.sections[0].id, "question": draft.questions[0].id,
                "choice": draft.questions[0].choices[0].id, "spare_section": spare_section.id,
                "spare_question": spare_question.id, "spare_choice": spare_choice.id, "draft_to_open": to_open.id,
                "empty_draft": empty.id, "open_survey": open_.id, "closed_survey": closed.id,
                "template": template.id, "photo_name": "photo", "nonsense": "?"}

    def later():
        question_b = draft_b.questions[0]
        own = keys(draft, to_open, empty, open_a, closed, draft.sections[1], draft.questions[1],
                   draft.questions[0].choices[2])
        # B's drafts mirror A's states for the city-wide control; B has nothing closed, so its open survey stands in
        # there (what staff and residents get on B is the same for both).
        other = keys(draft_b, draft_b, draft_b, open_b, open_b, draft_b.sections[0], question_b,
                     question_b.choices[1])
        children = ("section", "question", "choice", "spare_section", "spare_question", "spare_choice")
        return own, other, own | {key: other[key] for key in children}
    return later


def build_world(make_community):
    """Communities A and B in one district, a second district, one account per actor (hashed cheaply: the test
    app's PASSWORD_HASH_METHOD), and surveys in both communities (``survey_world``)."""
    locality = db.session.scalar(select(Locality).filter_by(city="长春市"))
    district, district2 = District(locality=locality, name="南关区"), District(locality=locality, name="朝阳区")
    contractor = Organisation(name="甲建筑公司", kind="contractor")
    pipeline = Organisation(name="燃气公司", kind="pipeline")
    foreign = Locality(province="四川省", city="成都市")
    foreign_rule = LocalityRule(locality=foreign, kind="category_slogan", key="upgrade", text_value="积极推进",
                                valid_from=2020, source="成都市实施方案")
    db.session.add_all([district, district2, contractor, pipeline, foreign, foreign_rule])
    # Buildings 1 and 2, each of 2 units with households 101 and 102.
    a = make_community("A001", district=district, floors=1, contractor=contractor)
    b = make_community("B001", district=district, floors=1)

    def user(name, role, **scope):
        return create_user(None, username=name, password=PASSWORD, role=role, **scope)

    users = {
        ADMIN: user("m_admin", "admin"), ORGANISER: user("m_organiser", "organiser", communities=[a]),
        OWNER_REP: user("m_owner_rep", "owner_rep", communities=[a]),
        GRID: user("m_grid", "grid", buildings=[a.buildings[0]]), HOTLINE: user("m_hotline", "hotline"),
        AGENCY: user("m_agency", "agency", organisation=contractor),
        PIPELINE: user("m_pipeline", "agency", organisation=pipeline, communities=[a]),
        "district2_admin": user("m_d2_admin", "admin", district=district2),
        "district2_organiser": user("m_d2_organiser", "organiser", district=district2),
        "district2_hotline": user("m_d2_hotline", "hotline", district=district2),
    }
    target_a, target_b = user("m_target_a", "organiser", communities=[a]), user("m_target_b", "organiser",
                                                                                 communities=[b])
    inactive_a = user("m_inactive_a", "owner_rep", communities=[a])
    inactive_a.active = False
    b01, b02, b03 = (db.session.scalar(select(CatalogueItem).filter_by(code=code)) for code in ("B01", "B02", "B03"))
    b03.retired_at = utcnow()
    for community, name in ((a, "a"), (b, "b")):
        db.session.add(FieldFinding(community=community, item=b01, condition="needs_repair", quantity=Decimal(2),
                                    photo_path=_photo(name), recorded_by=users[ADMIN]))
    # Each community's plan: version 1, adopted, with the item B01 and its works.
    plan_versions = {}
    for community in (a, b):
        version = PlanVersion(number=1, status="adopted", adopted_at=utcnow(), items=[PlanItem(
            item=b01, position=1, included=True, quantity=Decimal(2), unit_cost=b01.unit_cost,
            cost=2 * b01.unit_cost, suggestion="include")])
        db.session.add(Plan(community=community, versions=[version], works=[PlanWork(item=b01)]))
        plan_versions[community.code] = version
    resident_home = a.buildings[0].units[0].households[0]
    resident_home.notice_accepted_at = utcnow()
    # A complaint ticket in each community: A's filed by the resident's household and dispatched to A's contractor
    # (the agency actor's), B's just received.
    complaint = db.session.scalar(select(ComplaintCategory).filter_by(locality_id=locality.id,
                                                                      code="construction_quality"))
    tickets = {community.code: file_ticket(None, community, category=complaint, description="楼道墙皮脱落",
                                           household=community.buildings[0].units[0].households[0])
               for community in (a, b)}
    act(users[HOTLINE], tickets[a.code], "dispatch", agency=contractor)
    resident_code = issue_code(None, resident_home)
    issue_code(None, b.buildings[0].units[0].households[0])
    # A message to the resident's household whose SMS failed: the admins' delivery pages show and retry it.
    failed_sms = Delivery(channel="sms", community_id=a.id, state="failed", attempts=5,
                          idempotency_key="sms-matrix-failed", last_error="timeout")
    db.session.add(Notification(household=resident_home, community=a, kind="survey.opened", text="问卷开始了",
                                params={"community": a.name, "title": "问卷", "deadline": "12月20日"},
                                deliveries=[failed_sms]))
    survey_keys = survey_world(a, b, resident_home)
    rules = db.session.scalars(select(LocalityRule).where(LocalityRule.locality_id == locality.id)
                               .order_by(LocalityRule.id)).all()
    db.session.commit()
    surveys_a, surveys_b, surveys_a_with_b_children = survey_keys()

    def scope(community, building, *, user, inactive, locality_, rule, spare_rule, surveys):
        return {"community": community.code, "building": building.id, "unit": building.units[0].id,
                "household": building.units[0].households[0].id, "item": b01.code, "catalogue_item": b02.code,
                "retired_item": b03.code, "locality": locality_.id, "rule": rule.id, "spare_rule": spare_rule.id,
                "user": user.id, "inactive_user": inactive.id, "organisation": contractor.id,
                "plan_version": plan_versions[community.code].number,
                "ticket": tickets[community.code].receipt, "message": failed_sms.notification_id,
                "failed_delivery": failed_sms.id} | surveys

    own = {"user": target_a, "inactive": inactive_a, "locality_": locality, "rule": rules[0], "spare_rule": rules[-1],
           "surveys": surveys_a}
    scopes = {
        "A": scope(a, a.buildings[0], **own),
        "A, building 2": scope(a, a.buildings[1], **own),
        "A's code with B's objects": scope(a, b.buildings[0], **own | {"surveys": surveys_a_with_b_children}),
        "B": scope(b, b.buildings[0], user=target_b, inactive=target_b, locality_=foreign, rule=foreign_rule,
                   spare_rule=foreign_rule, surveys=surveys_b),
    }
    return SimpleNamespace(users={name: u.username for name, u in users.items()}, scopes=scopes,
                           resident_code=resident_code, resident_address=resident_home.address,
                           a_name=a.name, b_name=b.name,
                           building_households={n: [h.id for u in a.buildings[n - 1].units for h in u.households]
                                                for n in (1, 2)})
