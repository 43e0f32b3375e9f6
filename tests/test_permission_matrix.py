"""The permission matrix (issue #2, item 14): every actor × every URL rule, then other communities and buildings.

The decisions live in ``tests/permission_matrix_cases.py``; this module builds a small world through the ORM, signs
each actor in once with its own client, and compares what every request answers with the table. Failures are
collected per actor, so one run names every wrong (actor, method, URL) at once.
"""
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from PIL import Image
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import (AuditEvent, CatalogueItem, ComplaintCategory, District, FieldFinding, Locality,
                                  LocalityRule, Organisation, Plan, PlanItem, PlanVersion, PlanWork)
from participation.models.types import utcnow
from participation.operations.accounts import create_user
from participation.operations.codes import issue_code
from participation.operations.tickets import act, file_ticket
from participation.operations.uploads import upload_root
from surveys.models import Answer, Choice, Question, Response, Section, Survey
from surveys.operations import new_receipt
from tests.conftest import PASSWORD, csrf_token
from tests.permission_matrix_cases import (ACTORS, ADMIN, AGENCY, ANONYMOUS, ASSISTERS, CASES, DEFAULT_PARAMS, GRID,
                                           HOTLINE, LAST_POSTS, MANAGERS, ORGANISER, OWNER_REP, PIPELINE, RESIDENT,
                                           SCOPED_PARAMS, STAFF, VARIANTS, Acts, Redirect)

PARAM = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
# Objects inside a community or a survey, whose id must belong to the community (or survey) the URL names.
ID_PARAMS = {"household_id", "unit_id", "building_id", "section_id", "question_id", "choice_id"}
QUERY_PARAMS = {"community": "community_code", "unit": "unit_id"}   # world key in a row's query → what it names
# Scoped to community A (or its building 1), or to the other district; each maps to the row of its role.
CROSS_ACTORS = {ORGANISER: ORGANISER, OWNER_REP: OWNER_REP, GRID: GRID, AGENCY: AGENCY, PIPELINE: PIPELINE,
                "district2_admin": ADMIN, "district2_organiser": ORGANISER, "district2_hotline": HOTLINE}


# --- the world --------------------------------------------------------------------------------------------------

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


@pytest.fixture
def world(app, reference_data, make_community):
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
                "ticket": tickets[community.code].receipt} | surveys

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


# --- signing in, requests, outcomes ---------------------------------------------------------------------------------

def sign_in(app, world, actor: str):
    """A fresh client for ``actor``, signed in once (staff), entered with the household code (resident), or not."""
    client = app.test_client()
    if actor == RESIDENT:
        page = client.get(f"/r/{world.scopes['A']['community']}")
        response = client.post(f"/r/{world.scopes['A']['community']}",
                               data={"code": world.resident_code, "csrf_token": csrf_token(page.text)})
        assert response.status_code == 302 and response.location.endswith("/home")
    elif actor != ANONYMOUS:
        page = client.get("/login")
        response = client.post("/login", data={"username": world.users[actor], "password": PASSWORD,
                                               "csrf_token": csrf_token(page.text)})
        assert response.status_code == 302, f"{actor} could not sign in"
    return client


def form_token(client, actor: str) -> str:
    """A CSRF token of this client's session, from a page with a form that the actor may open."""
    return csrf_token(client.get("/account/password" if actor in STAFF or actor in CROSS_ACTORS else "/login").text)


def fill(rule: str, case, values: dict) -> str:
    mapping = DEFAULT_PARAMS | case.params
    return PARAM.sub(lambda match: str(values[mapping[match.group(1)]]), rule)


def describe(response) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        return f"{response.status_code} → {urlsplit(response.location).path}"
    return str(response.status_code)


def matches(expected, response, values: dict) -> bool:
    if isinstance(expected, Acts):
        expected = expected.outcome
    if isinstance(expected, Redirect):
        return response.status_code == 302 and urlsplit(response.location).path == expected.path.format(**values)
    return response.status_code == expected


def snapshot() -> dict:
    """Every row of every table but the throttle counters (which a refused guess may legitimately touch)."""
    return {table.name: db.session.execute(select(table).order_by(*table.primary_key.columns)).all()
            for table in db.metadata.sorted_tables if table.name != "throttles"}


def audit_count(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action))


class Matrix:
    """Requests for one actor, with every mismatch collected as a readable line."""

    def __init__(self, client, who: str, values: dict):
        self.client, self.who, self.values, self.failures = client, who, values, []
        self._rows = None   # the database after the last POST, while no GET came in between

    def get(self, rule: str, case, expected) -> None:
        url = fill(rule, case, self.values) + case.query.format(**self.values)
        self._rows = None
        response = self.client.get(url)
        self._compare("GET", url, expected, response)
        response.close()   # send_file responses hold the file open until closed

    def post(self, rule: str, case, expected, token: str) -> None:
        url = fill(rule, case, self.values)
        data = {"csrf_token": token} | {name: self.values[key] for name, key in case.data.items()}
        before = self._rows if self._rows is not None else snapshot()
        audits = audit_count(expected.action) if isinstance(expected, Acts) else None
        response = self.client.post(url, data=data)
        self._compare("POST", url, expected, response)
        self._rows = snapshot()
        if isinstance(expected, Acts):
            if response.status_code < 400 and audit_count(expected.action) != audits + 1:
                self.failures.append(f"{self.who} POST {url}: no {expected.action} audit row")
        else:
            changed = sorted(name for name in before if before[name] != self._rows[name])
            if changed:
                self.failures.append(f"{self.who} POST {url} ({describe(response)}) changed {', '.join(changed)}")
        response.close()

    def _compare(self, method: str, url: str, expected, response) -> None:
        if response.status_code >= 500 or not matches(expected, response, self.values):
            shown = expected.outcome if isinstance(expected, Acts) else expected
            self.failures.append(f"{self.who} {method} {url}: expected {shown}, got {describe(response)}")

    def check(self) -> None:
        assert not self.failures, "\n" + "\n".join(self.failures)


# Every decided case by name: a rule (its row in CASES) or a variant's name (VARIANTS).
ALL_CASES = {rule: (rule, case) for rule, case in CASES.items()} | VARIANTS


def all_cases():
    return list(ALL_CASES.values())


def post_rules():
    """POSTs in table order, variants after the rows, with the ones that end a session last."""
    posts = [(rule, case) for rule, case in all_cases() if case.post is not None]
    return sorted(posts, key=lambda pair: LAST_POSTS.index(pair[0]) + 1 if pair[0] in LAST_POSTS else 0)


# --- every rule has a decision ------------------------------------------------------------------------------------

def test_every_url_rule_has_a_permission_decision_for_every_actor(app):
    rules: dict[str, set] = {}   # one path may be several rules (a GET view and a POST view)
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            rules.setdefault(rule.rule, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    problems = [f"{rule}: no row in tests/permission_matrix_cases.py" for rule in sorted(set(rules) - set(CASES))]
    problems += [f"{rule}: row for a rule that no longer exists" for rule in sorted(set(CASES) - set(rules))]
    problems += [f"variant {name!r}: its rule {rule} has no row" for name, (rule, _) in VARIANTS.items()
                 if rule not in CASES]
    for name, (rule, case) in ALL_CASES.items():
        methods = rules.get(rule)
        if methods is None:
            continue
        problems += [f"{rule}: {method} is not covered by the matrix" for method in methods - {"GET", "POST"}]
        for method, table in (("GET", case.get), ("POST", case.post)):
            if table is None and name in VARIANTS:
                continue   # a variant may check one method only
            if (method in methods) != (table is not None):
                problems.append(f"{rule}: the row's {method} does not match the rule's methods {sorted(methods)}")
            elif table is not None and set(table) != set(ACTORS):
                problems.append(f"{rule} {method}: no decision for {sorted(set(ACTORS) - set(table))}")
        problems += [f"{rule}: known gap {key} names no decided case" for key in case.known
                     if key[1] not in ACTORS or (case.get if key[0] == "GET" else case.post) is None]
        unknown = set(PARAM.findall(rule)) - set(DEFAULT_PARAMS) - set(case.params)
        problems += [f"{rule}: no world object for <{name}>" for name in sorted(unknown)]
    assert not problems, "\n" + "\n".join(problems)


# --- every actor × every rule, in the actor's own scope ---------------------------------------------------------

@pytest.mark.parametrize("actor", ACTORS)
def test_every_rule_answers_the_actor_as_decided(app, world, actor):
    client = sign_in(app, world, actor)
    matrix = Matrix(client, actor, world.scopes["A"])
    for rule, case in all_cases():
        if case.get is not None and ("GET", actor) not in case.known:
            matrix.get(rule, case, case.get[actor])
    token = form_token(client, actor)
    for rule, case in post_rules():
        if ("POST", actor) not in case.known:
            matrix.post(rule, case, case.post[actor], token)
    matrix.check()


KNOWN = [pytest.param(name, method, actor, id=f"{actor}-{method}-{name}",
                      marks=pytest.mark.xfail(strict=True, reason=reason))
         for name, (rule, case) in ALL_CASES.items() for (method, actor), reason in case.known.items()]


@pytest.mark.parametrize("name, method, actor", KNOWN)
def test_known_gap_is_still_open(app, world, name, method, actor):
    """One decided case the app does not meet yet (see the row's ``known``)."""
    client = sign_in(app, world, actor)
    matrix = Matrix(client, actor, world.scopes["A"])
    rule, case = ALL_CASES[name]
    if method == "GET":
        matrix.get(rule, case, case.get[actor])
    else:
        matrix.post(rule, case, case.post[actor], form_token(client, actor))
    matrix.check()


# --- other communities, other buildings -------------------------------------------------------------------------

def _params(rule: str, case) -> set[str]:
    names = set(PARAM.findall(rule)) | set(case.data)
    return names | {QUERY_PARAMS[key] for key in re.findall(r"{(\w+)}", case.query) if key in QUERY_PARAMS}


def scoped_rules():
    """Rules reaching a community's object: a community code, a roster id, an account, a locality or its rule, a
    survey."""
    return [(rule, case) for rule, case in all_cases() if _params(rule, case) & SCOPED_PARAMS and not case.public]


def rules_with_ids():
    """Rules naming a building, unit or household (in the URL, the form or the query)."""
    return [(rule, case) for rule, case in all_cases() if _params(rule, case) & ID_PARAMS]


def elsewhere(case, method: str, row: str, *, other_community: bool):
    """Out of scope answers 404; a role that may never use the page keeps its 403 (it reveals nothing either)."""
    own = (case.get if method == "GET" else case.post)[row]
    if other_community and row in case.cross:
        return case.cross[row]
    return 403 if own == 403 else 404


def run_elsewhere(app, world, who: str, row: str, scope: str, rules, *, other_community: bool) -> None:
    client = sign_in(app, world, who)
    matrix = Matrix(client, who, world.scopes[scope])
    token = form_token(client, who)
    for rule, case in rules:
        if case.get is not None:
            matrix.get(rule, case, elsewhere(case, "GET", row, other_community=other_community))
        if case.post is not None:
            matrix.post(rule, case, elsewhere(case, "POST", row, other_community=other_community), token)
    matrix.check()


@pytest.mark.parametrize("who", CROSS_ACTORS)
def test_objects_of_another_community_answer_404(app, world, who):
    run_elsewhere(app, world, who, CROSS_ACTORS[who], "B", scoped_rules(), other_community=True)


@pytest.mark.parametrize("who", [ADMIN, HOTLINE])
def test_city_wide_staff_reach_community_b_as_they_reach_a(app, world, who):
    """The control: B's objects exist, so the 404s above come from scope, not from missing rows."""
    matrix = Matrix(sign_in(app, world, who), who, world.scopes["B"])
    for rule, case in scoped_rules():
        if case.get is not None:
            matrix.get(rule, case, case.get[who])
    matrix.check()


@pytest.mark.parametrize("who", [ADMIN, HOTLINE, ORGANISER])
def test_a_community_code_with_another_communitys_ids_answers_404(app, world, who):
    """/slips/A/units/<a unit of B>, /surveys/<A's>/paper?unit=<a unit of B>, /surveys/<A's>/questions/<B's>: the id
    must belong to the community or survey the URL names, even for city-wide staff."""
    rules = [(rule, case) for rule, case in rules_with_ids()
             if "<community_code>" in rule or "<int:survey_id>" in rule]
    run_elsewhere(app, world, who, who, "A's code with B's objects", rules, other_community=False)


def test_grid_worker_of_building_1_gets_404_for_building_2(app, world):
    run_elsewhere(app, world, GRID, GRID, "A, building 2", rules_with_ids(), other_community=False)


def test_grid_worker_lists_only_their_buildings(app, world):
    client = sign_in(app, world, GRID)
    a = world.scopes["A"]
    own, other = world.building_households[1], world.building_households[2]
    roster = client.get(f"/c/{a['community']}").text
    search = client.get(f"/assist/?community={a['community']}").text
    search_b2 = client.get(f"/assist/?community={a['community']}&building=2")
    slips = client.get(f"/slips/{a['community']}").text
    assert all(f'id="h{h}"' in roster for h in own) and not any(f'id="h{h}"' in roster for h in other)
    assert all(f"/assist/households/{h}" in search for h in own)
    assert not any(f"/assist/households/{h}\"" in search + search_b2.text for h in other)
    assert search_b2.status_code == 200
    assert f"/buildings/{a['building']}/poster" in slips
    assert f"/buildings/{world.scopes['A, building 2']['building']}/poster" not in slips


def test_resident_of_a_sees_nothing_of_b(app, world):
    client = sign_in(app, world, RESIDENT)
    a, b = world.scopes["A"]["community"], world.scopes["B"]["community"]
    assert world.resident_address in client.get(f"/r/{a}").text   # the page knows this phone's household
    entry_b = client.get(f"/r/{b}")
    assert entry_b.status_code == 200 and world.b_name in entry_b.text   # public, as the slips' QR needs
    assert world.resident_address not in entry_b.text and world.a_name not in entry_b.text
    refused = client.post(f"/r/{b}", data={"code": world.resident_code, "csrf_token": csrf_token(entry_b.text)})
    assert refused.status_code == 400                     # A's code is no key to B
    home = client.get("/home")
    assert home.status_code == 200 and world.a_name in home.text and world.b_name not in home.text
    matrix = Matrix(client, RESIDENT, world.scopes["B"])
    token = form_token(client, RESIDENT)
    for rule, case in scoped_rules():
        # Staff pages of B send the resident to sign in; B's surveys are not there for A's household.
        if case.get is not None:
            matrix.get(rule, case, case.cross.get(RESIDENT, case.get[RESIDENT]))
        if case.post is not None:
            matrix.post(rule, case, case.cross.get(RESIDENT, case.post[RESIDENT]), token)
    matrix.check()


# --- surveys: assisted answering, confidential exports, the grid worker's follow-up list ---------------------------

@pytest.mark.parametrize("who", ASSISTERS)
def test_staff_acting_for_the_household_answer_as_it_does(app, world, who):
    """In assisted mode the answering pages serve the household the staff member acts for exactly as the household's
    own session does; B's surveys stay out of reach."""
    client = sign_in(app, world, who)
    household = world.scopes["A"]["household"]
    page = client.get(f"/assist/households/{household}")
    token = csrf_token(page.text)
    started = client.post(f"/assist/households/{household}", data={"channel": "phone", "csrf_token": token})
    assert started.status_code == 302 and urlsplit(started.location).path == "/home"
    answering = [(rule, case) for rule, case in all_cases() if rule.startswith("/s/")]
    assert answering
    for scope in ("A", "B"):
        matrix = Matrix(client, who, world.scopes[scope])
        for rule, case in answering:
            in_b = scope == "B" and not case.public
            if case.get is not None:
                matrix.get(rule, case, case.cross[RESIDENT] if in_b else case.get[RESIDENT])
            if case.post is not None:
                matrix.post(rule, case, case.cross[RESIDENT] if in_b else case.post[RESIDENT], token)
        matrix.check()


@pytest.mark.parametrize("who", MANAGERS)
def test_a_confidential_survey_gives_totals_and_no_file_per_household(app, world, who):
    survey_id = world.scopes["A"]["open_survey"]
    db.session.get(Survey, survey_id).confidential = True
    db.session.commit()
    client = sign_in(app, world, who)
    assert client.get(f"/surveys/{survey_id}/results").status_code == 200
    for name in ("responses.csv", "responses.xlsx", "responses-long.csv"):
        refused = client.get(f"/surveys/{survey_id}/{name}")
        assert refused.status_code == 403, name
        assert "这是保密问卷：只显示汇总数字，不显示每户的回答。" in refused.text


def test_grid_worker_follow_up_lists_only_their_buildings(app, world):
    client = sign_in(app, world, GRID)
    page = client.get(f"/surveys/{world.scopes['A']['open_survey']}/follow-up")
    assert page.status_code == 200
    assert f'id="fu-{world.scopes["A"]["building"]}"' in page.text
    assert f'id="fu-{world.scopes["A, building 2"]["building"]}"' not in page.text
