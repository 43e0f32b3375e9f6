"""Totals after a failed owner vote (participation.plans.gates.version_view): the staff comments page, the printed
comment notice and the residents' plan page show the same lower total as the version page and the 公示, with the
failed item left out and the vote's words, never the raw ``total_cost`` (failed items included); and the plan
inputs' JSON schema (docs/plan-inputs.schema.json) requires every item's vote status."""
import copy
import json
import re
from datetime import timedelta
from pathlib import Path

import jsonschema
import pytest

from participation.extensions import db
from participation.plans import comments
from participation.plans.export import plan_json
from participation.plans.inputs import plan_inputs
from participation.plans.operations import today
from tests.participation.test_plan_gates import B01_COST, I06_COST, item, site, with_i06  # noqa: F401  (site: fixture)
from tests.plan_steps import finish_vote, open_item_vote


def cell(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(?:<strong>)?([^<]+)<', page)
    assert found, element_id
    return found.group(1).strip()


def test_a_failed_vote_lowers_the_total_on_the_comment_pages_as_on_the_plan(site, client, login_as):
    community, plan, organiser, owner_rep, _admin = site
    second = with_i06(site)
    comments.publish(organiser, second, today(), today() + timedelta(days=6))
    finish_vote(open_item_vote(organiser, community, 8, "停车位施划", [item("I06")]), organiser, owner_rep,
                yes_share=0.5)                                  # half: the special class fails
    db.session.commit()
    assert second.total_cost == B01_COST + I06_COST             # the raw figure, failed item included
    # the resident's page, before anyone signs in
    page = client.get("/r/GT1/plan").text
    assert "3,000.00" in cell(page, "plan-total") and "203,000" not in page
    assert 'id="vote-out-I06"' in page and 'id="item-I06"' in page
    assert 'id="item-I06"' in page.split('id="left-out"')[1]    # listed with the items not in the plan
    login_as("organiser", community)
    version_page = client.get("/c/GT1/plan/versions/2").text
    staff = client.get("/c/GT1/plan/versions/2/comments").text
    notice = client.get("/c/GT1/plan/versions/2/notice").text
    assert cell(version_page, "total-cost") == cell(staff, "tally-total") == cell(notice, "notice-total") == "3,000.00"
    assert 'id="notice-excluded-I06"' in notice and 'id="notice-I06"' not in notice
    assert "203,000.00" not in staff and "203,000.00" not in notice


# --- the plan inputs' JSON schema lists the vote status of every item -----------------------------------------------

SCHEMA = json.loads((Path(__file__).parents[2] / "docs" / "plan-inputs.schema.json").read_text(encoding="utf-8"))


def test_the_schema_requires_each_items_vote_status(site):
    community, _plan, organiser, owner_rep, _admin = site
    finish_vote(open_item_vote(organiser, community, 8, "停车位施划", [item("I06")]), organiser, owner_rep,
                yes_share=0.5)
    document = json.loads(json.dumps(plan_json(plan_inputs(community))))
    jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
    assert {row["code"]: row["vote_status"] for row in document["items"]}["I06"] == "failed"
    wrong = copy.deepcopy(document)
    wrong["items"][0]["vote_status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(wrong, SCHEMA, cls=jsonschema.Draft202012Validator)
    del document["items"][0]["vote_status_label"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA, cls=jsonschema.Draft202012Validator)
