"""The residents' plan page on a phone (issue 17, item 1): the items changed since the version residents last saw
come first and open, the others fold by kind (a <details> per category with its count, no JavaScript needed);
支持 / 反对 / 其他意见 are chips with nothing chosen for a household that has not spoken; the comment box opens on
demand; after saving, the page opens at the item, which says 已提交 in words; each item's cost per household
follows the plan inputs' own rule, so the figures agree with the plan page."""
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from participation.extensions import db
from participation.formatting import number
from participation.models import CatalogueItem, PlanComment
from participation.plans import comments as ops
from participation.plans.comment_queries import compared_version, per_household
from participation.plans.inputs import money, plan_inputs, roster_figures
from participation.plans.operations import edit_version, today
from tests.participation.test_plan_comments import (PLAN_PAGE, published, resident, say, site)  # noqa: F401

HOUSEHOLDS = 24          # make_community's default: 2 buildings × 2 units × 3 floors × 2 doors


def card(page: str, code: str) -> str:
    found = re.search(rf'<article class="card plan-item[^"]*" id="item-{code}">(.*?)</article>', page, re.S)
    assert found, code
    return found.group(1)


def category(page: str, code: str) -> str:
    found = re.search(rf'<details class="plan-category" id="category-{code}"[^>]*>(.*?)</details>\s*(?:{{%|<details'
                      rf' class="plan-category"|</section>)', page, re.S)
    assert found, code
    return found.group(0)


def opening_tag(page: str, element_id: str) -> str:
    return re.search(rf'<[^>]* id="{element_id}"[^>]*>', page).group(0)


def b01_cost() -> Decimal:
    return 2 * db.session.scalar(select(CatalogueItem).filter_by(code="B01")).unit_cost


def test_unchanged_items_fold_by_kind_with_their_count_and_share(app, published):
    page = resident(app, published[3]["home"]).get(PLAN_PAGE).text
    basic = category(page, "basic")
    assert 'id="item-B01"' in basic and " open" not in opening_tag(page, "category-basic")
    assert "共1项" in basic
    share = number(money(b01_cost() / HOUSEHOLDS), 0)
    assert f'约 <span class="nowrap">{share}</span> 元/户' in card(page, "B01")
    # the plan's total per household, by the same rule, and the rule said in words
    total = re.search(r'<p id="plan-total">(.*?)</p>', page, re.S).group(1)
    assert number(b01_cost()) in total and f">{share}<" in total
    assert f"全小区{HOUSEHOLDS}户" in page
    # left out: folded apart, with what it would add
    left = page.split('id="left-out"')[1]
    assert 'id="item-I01"' in left and "若纳入方案" in card(page, "I01")
    # no version before: nothing to list as changed
    assert 'id="changes"' not in page


def test_the_per_household_rule_is_the_plan_inputs_rule(app, site):
    community = site[0]
    budget, households = plan_inputs(community)["budget"], roster_figures(community)["households"]
    assert households == HOUSEHOLDS
    assert per_household(budget["estimated_cost"], households) == budget["cost_per_household"]
    assert per_household(Decimal("100"), 3) == Decimal("33.33") and per_household(Decimal("1"), 0) is None


def test_changed_and_new_items_come_first_open_with_why(app, site, client, login_as):
    community, version, homes, codes = site
    edit_version(None, version.plan, {"I01": {"included": True, "reason": "居民要求加装"}}, "居民出资5%", "征求意见后调整")
    db.session.commit()
    second = version.plan.versions[-1]
    ops.publish(None, second, today(), today() + timedelta(days=6))
    db.session.commit()
    assert compared_version(second).number == 1           # version 1 was never published: the one before
    page = resident(app, codes["home"]).get(PLAN_PAGE).text
    changes = page.split('id="changes"')[1].split('id="plan-items"')[0]
    change = re.search(r'<li id="change-I01">(.*?)</li>', changes, re.S).group(1)
    assert 'id="item-I01"' in change and "居民要求加装" in change and "新纳入方案" in change
    assert 'name="stance"' in change                       # commented on right there
    assert 'id="item-B01"' in category(page, "basic")      # the unchanged one folds
    assert page.index('id="item-I01"') < page.index('id="item-B01"')


def test_changes_are_told_against_the_last_published_version(app, published):
    community, version, homes, codes = published
    plan = version.plan
    ops.close(None, ops.period_for(version))
    edit_version(None, plan, {"B01": {"quantity": "3", "reason": "现场复核"}}, None, "复核")      # version 2, not shown
    edit_version(None, plan, {"I01": {"included": True, "reason": "加装"}}, None, "加装")         # version 3
    db.session.commit()
    third = plan.versions[-1]
    assert compared_version(third).number == 1             # residents saw version 1, not version 2


def test_chips_start_empty_and_the_box_opens_on_demand(app, published):
    home = resident(app, published[3]["home"])
    item = card(home.get(PLAN_PAGE).text, "B01")
    radios = re.findall(r'<input type="radio" name="stance"[^>]*>', item)
    assert len(radios) == 3 and not any("checked" in radio for radio in radios)
    assert re.search(r'<label class="chip chip-support"><input type="radio"', item)
    assert '<details class="say-more">' in item and 'id="body-B01"' in item        # closed, still in the form
    assert 'data-read-target="#item-B01-text"' in item and 'id="item-B01-text"' in item
    # the household's own view is its own answer, shown chosen
    say(home, "object", "太贵了")
    item = card(home.get(PLAN_PAGE).text, "B01")
    assert re.search(r'value="object" id="stance-B01-object" checked', item)
    assert '<details class="say-more" open>' in item


def test_after_saving_the_page_opens_at_the_item_and_says_so_beside_it(app, published):
    home = resident(app, published[3]["home"])
    saved = say(home, "support", "好")
    assert saved.status_code == 302
    assert saved.location.endswith("/r/PC1/plan?saved=B01#item-B01")
    page = home.get(saved.location).text
    assert " open" in opening_tag(page, "category-basic")
    note = re.search(r'<p class="saved-note" role="status" id="saved-B01">(.*?)</p>', card(page, "B01"), re.S)
    assert note and "已提交" in note.group(1) and "您的意见已保存" in note.group(1)
    assert page.count("您的意见已保存") == 1                 # beside the item, not in a flash at the top
    assert home.get(PLAN_PAGE).text.count("已提交") == 0     # only right after saving
    # the whole plan says it in its own card
    assert say(home, "other", "整体同意", item="").location.endswith("?saved=#item-plan")
    assert 'id="saved-plan"' in home.get(f"{PLAN_PAGE}?saved=").text


def test_the_saved_note_needs_the_households_own_view(app, published):
    home = resident(app, published[3]["home"])
    for query in ("?saved=B01", "?saved=Z99", "?saved=%3Cscript%3E", "?saved=I01"):
        page = home.get(PLAN_PAGE + query)
        assert page.status_code == 200 and "saved-note" not in page.text and "<script>" not in page.text
    say(home, "support")
    assert "saved-note" not in app.test_client().get(PLAN_PAGE + "?saved=B01").text    # a visitor: nothing


def test_a_refused_view_opens_its_item_with_the_box_and_the_error(app, published):
    home = resident(app, published[3]["home"])
    refused = say(home, "other", "")
    assert refused.status_code == 400
    assert " open" in opening_tag(refused.text, "category-basic")
    item = card(refused.text, "B01")
    assert '<details class="say-more" open>' in item and 'id="body-B01-error"' in item
    assert db.session.scalars(select(PlanComment)).all() == []


def test_the_closed_period_shows_the_households_view_without_chips(app, published):
    community, version, homes, codes = published
    home = resident(app, codes["home"])
    say(home, "object", "太贵了")
    ops.close(None, ops.period_for(version))
    db.session.commit()
    item = card(home.get(PLAN_PAGE).text, "B01")
    assert 'name="stance"' not in item and "太贵了" in item
