"""Page shapes that read on a 360 px phone (issue 15's journey screenshots): the plan version lists its included
items first and folds the rest, the plan's gate overrides are one card each with the missing list folded, the hub's
module cards are not a link-list, and the progress page separates the start and finish dates."""
import re

from sqlalchemy import select

from participation.extensions import db
from participation.models import GateOverride
from participation.plans.operations import adopt_version
from tests.conftest import homes
from tests.participation.test_plan_gates import site  # noqa: F401  (the fixture)
from tests.participation.test_progress import progress_site  # noqa: F401  (the fixture)
from tests.participation.test_vote_pages import resident


def test_the_version_page_shows_included_items_first_and_folds_the_others(site, client, login_as):  # noqa: F811
    community, plan, *_ = site
    first = plan.versions[0]
    out = [row.item.code for row in first.items if not row.included]
    assert out and [row.item.code for row in first.items if row.included] == ["B01"]
    login_as("organiser", community)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/c/GT1/plan/versions/1").text
    shown, folded = page.split('<details class="items-out" id="items-out">')
    assert 'id="item-B01" class="included"' in shown and 'id="items-in"' in shown
    assert all(f'id="item-{code}"' not in shown and f'id="item-{code}" class="retired"' in folded for code in out)
    assert f"Not in the plan: {len(out)} items" in folded


def test_overrides_on_the_plan_page_are_cards_with_the_missing_list_folded(site, client, login_as):  # noqa: F811
    community, plan, _organiser, _rep, admin = site
    adopt_version(admin, plan.versions[0], override_reason="区政府已召开听证会，书面意见已收集")
    override = db.session.scalar(select(GateOverride))
    db.session.commit()
    login_as("organiser", community)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    page = client.get("/c/GT1/plan").text
    section = page[page.index('id="overrides"'):]
    section = section[:section.index("</section>")]
    assert "<table" not in section
    card = re.search(rf'<li class="override" id="override-{override.id}">(.*?)</li>\s*</ul>', section, re.S)
    missing = override.missing.splitlines()
    assert card and "区政府已召开听证会" in card.group(1) and "<details>" in card.group(1)
    assert f"What was missing ({len(missing)})" in card.group(1) and all(line in card.group(1) for line in missing)


def test_the_hub_module_cards_are_not_a_link_list(site, client, login_as):  # noqa: F811
    community, *_ = site
    login_as("organiser", community)
    page = client.get("/c/GT1").text
    assert '<ul class="hub-modules">' in page and 'class="card" id="module-plan"' in page
    assert "hub-modules link-list" not in page


def test_the_progress_page_separates_the_start_and_finish_dates(app, progress_site):  # noqa: F811
    client = resident(app, homes(progress_site["unit"])[0])
    html = client.get(f"/r/{progress_site['community'].code}/progress").text
    b01 = html[html.index(f'id="item-{progress_site["items"]["B01"].code}"'):]
    dates = re.search(r'<p class="muted work-dates">(.*?)</p>', b01, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", dates).strip() == "Started on 2026-05-01 · Finished on 2026-09-30"
