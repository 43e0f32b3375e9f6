"""The permission matrix (issue #2, item 14): every actor × every URL rule, then other communities and buildings.

The decisions live in ``tests/permissions/cases.py``, the world in ``world.py``, the request helper in ``matrix.py``;
this module signs each actor in once with its own client and compares what every request answers with the table. Failures are
collected per actor, so one run names every wrong (actor, method, URL) at once.
"""
import re
from urllib.parse import urlsplit

import pytest

from participation.extensions import db
from surveys.models import Survey
from tests.conftest import csrf_token
from tests.permissions.cases import (ACTORS, ADMIN, ASSISTERS, CASES, DEFAULT_PARAMS, GRID, HOTLINE, LAST_POSTS,
                                     MANAGERS, ORGANISER, RESIDENT, SCOPED_PARAMS, VARIANTS)
from tests.permissions.matrix import CROSS_ACTORS, PARAM, Matrix, form_token, sign_in
from tests.permissions.world import build_world

# Objects inside a community or a survey, whose id must belong to the community (or survey) the URL names.
ID_PARAMS = {"household_id", "unit_id", "building_id", "section_id", "question_id", "choice_id"}
QUERY_PARAMS = {"community": "community_code", "unit": "unit_id"}   # world key in a row's query → what it names


@pytest.fixture
def world(app, reference_data, make_community):
    return build_world(make_community)


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
    problems = [f"{rule}: no row in tests/permissions/cases.py" for rule in sorted(set(rules) - set(CASES))]
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
        unknown = set(PARAM.findall(rule)) - set(DEFAULT_PARAMS) - set(case.params)
        problems += [f"{rule}: no world object for <{name}>" for name in sorted(unknown)]
    assert not problems, "\n" + "\n".join(problems)


# --- every actor × every rule, in the actor's own scope ---------------------------------------------------------

@pytest.mark.parametrize("actor", ACTORS)
def test_every_rule_answers_the_actor_as_decided(app, world, actor):
    client = sign_in(app, world, actor)
    matrix = Matrix(client, actor, world.scopes["A"])
    for rule, case in all_cases():
        if case.get is not None:
            matrix.get(rule, case, case.get[actor])
    token = form_token(client, actor)
    for rule, case in post_rules():
        matrix.post(rule, case, case.post[actor], token)
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
    roster = client.get(f"/c/{a['community']}/households").text
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
