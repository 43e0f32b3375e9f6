"""The staff list of a plan version's comments (issue 17, item 12b): searched by words and building, filtered to the
unanswered objections, the objections or the hidden ones, paged 20 at a time, newest first; each row's actions
(回复 / 隐藏) fold into a <details> opened on demand — open only for the answer the adoption gate waits for; after
an action the list comes back as it was (filters and page kept)."""
import re
from datetime import timedelta

from sqlalchemy import select

from participation.extensions import db
from participation.models import Building, PlanComment, PlanCommentPeriod
from participation.plans import comments as ops
from participation.plans.comment_queries import moderation_list
from participation.plans.operations import today
from tests.conftest import csrf_token
from tests.participation.test_plan_comments import COMMENTS, site  # noqa: F401  (site: fixture)

ROW = re.compile(r'<tr id="c(\d+)"')


def households(community):
    return [household for building in community.buildings for unit in building.units for household in unit.households]


def seed(site, objections=14, supports=10):
    """24 comments on B01 of version 1, one per household: objections first (building 1's twelve households, then
    two of building 2), supports after; the words name who said them."""
    community, version, homes, codes = site
    period = ops.publish(None, version, today(), today() + timedelta(days=6))
    made = []
    for index, household in enumerate(households(community)[:objections + supports]):
        stance = "object" if index < objections else "support"
        made.append(ops.comment(household, period, version.items[0], stance, f"第{index}条 {household.address}"))
    db.session.commit()
    return made


def listed(client, query="") -> list[int]:
    page = client.get(COMMENTS + query)
    assert page.status_code == 200
    return [int(found) for found in ROW.findall(page.text)]


def test_pages_of_twenty_newest_first_and_a_page_past_the_end(app, site, client, login_as):
    made = seed(site)
    login_as("organiser", site[0])
    first, second = listed(client), listed(client, "?page=2")
    assert len(first) == 20 and len(second) == 4
    assert first + second == [row.id for row in reversed(made)]
    page = client.get(COMMENTS).text
    assert '<nav class="pager"' in page and "第1页，共2页" in page
    assert listed(client, "?page=99") == second and listed(client, "?page=abc") == first
    assert listed(client, "?page=0") == first and listed(client, "?page=-1") == first


def test_search_by_words_and_by_building(app, site, client, login_as):
    made = seed(site)
    community = site[0]
    login_as("organiser", community)
    assert listed(client, "?q=第3条") == [made[3].id]
    assert len(listed(client, "?q=屋面")) == 20                       # the item's name matches every comment
    assert listed(client, "?q=%25") == [] and listed(client, "?q=_") == []      # no wildcards
    second = next(building for building in community.buildings if building.name == "2")
    in_second = {row.id for row in made if row.household.unit.building_id == second.id}
    assert set(listed(client, f"?building={second.id}")) == in_second and len(in_second) == 12
    # a building of another community (or no number) is ignored rather than an error
    other = db.session.scalar(select(Building).where(Building.community_id != community.id))
    assert len(listed(client, f"?building={other.id}")) == 20
    assert len(listed(client, "?building=x&q=" + "长" * 500)) == 0


def test_filters_unanswered_objections_and_hidden(app, site, client, login_as):
    made = seed(site)
    login_as("organiser", site[0])
    ops.answer(None, made[0], "已核实")
    ops.hide(None, made[1], "人身攻击")
    ops.hide(None, made[20], "广告")
    db.session.commit()
    objections = {row.id for row in made[:14]}
    assert set(listed(client, "?show=object")) == objections
    assert set(listed(client, "?show=unanswered")) == objections - {made[0].id}     # hidden ones still wait
    assert set(listed(client, "?show=hidden")) == {made[1].id, made[20].id}
    assert set(listed(client, "?show=support&page=1")) == {row.id for row in made[14:]}
    # the older links (the 工作台's "?stance=object&unanswered=1", a message's "?stance=object") read the same
    assert listed(client, "?stance=object&unanswered=1") == listed(client, "?show=unanswered")
    assert listed(client, "?stance=object") == listed(client, "?show=object")
    assert len(listed(client, "?show=nonsense")) == 20
    assert moderation_list(site[1], show="unanswered", per_page=100)["total"] == 13
    page = client.get(COMMENTS + "?show=hidden&q=无此字").text
    assert 'id="no-match"' in page


def test_actions_fold_into_details_open_only_for_a_waiting_answer(app, site, client, login_as):
    made = seed(site, objections=2, supports=1)
    login_as("organiser", site[0])
    page = client.get(COMMENTS).text
    assert page.count('<textarea name="answer"') == 3 and page.count('name="reason"') == 3
    for row in made[:2]:                                   # unanswered objections: the answer box is open
        assert re.search(rf'<details class="comment-action" id="reply-{row.id}" open>', page)
    assert re.search(rf'<details class="comment-action" id="reply-{made[2].id}">', page)
    assert re.search(rf'<details class="comment-action" id="hide-{made[0].id}">', page)
    # readers who do not run the community see no action at all
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login_as("owner_rep", site[0])
    assert 'class="comment-action"' not in client.get(COMMENTS).text


def test_an_action_brings_the_list_back_as_it_was(app, site, client, login_as):
    made = seed(site)
    login_as("organiser", site[0])
    query = "?show=object&q=第&page=1"
    token = csrf_token(client.get(COMMENTS + query).text)
    done = client.post(f"{COMMENTS}/moderate{query}", data={"csrf_token": token, "comment": made[5].id,
                                                            "action": "answer", "answer": "已答复"})
    assert done.status_code == 302
    assert done.location.endswith(f"/comments?show=object&q=%E7%AC%AC&page=1#c{made[5].id}")
    assert db.session.get(PlanComment, made[5].id).answer == "已答复"
    refused = client.post(f"{COMMENTS}/moderate?show=hidden", data={"csrf_token": token, "comment": made[6].id,
                                                                     "action": "hide", "reason": ""})
    assert refused.status_code == 400 and db.session.get(PlanComment, made[6].id).hidden_at is None
    assert db.session.scalar(select(PlanCommentPeriod)) is not None


def test_odd_numbers_in_the_query_or_the_form_never_fail(app, site, client, login_as):
    made = seed(site, objections=1, supports=1)
    login_as("organiser", site[0])
    for query in ("?page=²", "?building=²", "?page=" + "9" * 40, "?building=" + "9" * 40, "?show=é", "?q=%25%5F"):
        assert client.get(COMMENTS + query).status_code == 200, query
    assert client.get(COMMENTS + "?q=%00").status_code == 400           # the app refuses NUL bytes anywhere
    token = csrf_token(client.get(COMMENTS).text)
    for comment in ("²", "1²", "", "x"):
        answer = client.post(f"{COMMENTS}/moderate", data={"csrf_token": token, "comment": comment, "action": "answer",
                                                            "answer": "好"})
        assert answer.status_code == 400, comment
    assert db.session.get(PlanComment, made[0].id).answer is None
