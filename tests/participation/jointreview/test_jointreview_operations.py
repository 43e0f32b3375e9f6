"""Joint review operations: opening (refused in words), sign-offs, closing (the works gate and its audited override)
and the state other pages read."""
import pytest
from sqlalchemy import delete, select

from participation.extensions import db
from participation.jointreview.operations import ReviewRefused, close_review, open_review, sign_off
from participation.jointreview.queries import review_state, todo_for
from participation.lifecycle.overrides import GateRefused
from participation.models import AuditEvent, GateOverride, ReviewParty
from tests.participation.jointreview.conftest import add_version


def actions(name: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == name)))


def approve_all(world, review):
    for user in (world.dept_user, world.gas_user):
        for item in world.items:
            sign_off(user, review, item, "approved")


def test_open_is_refused_without_an_adopted_version(world):
    world.version.status = "superseded"
    db.session.flush()
    with pytest.raises(ReviewRefused) as refused:
        open_review(world.organiser, world.community)
    assert "no adopted plan version" in refused.value.message


def test_open_is_refused_when_the_locality_lists_no_party(world):
    db.session.execute(delete(ReviewParty))
    with pytest.raises(ReviewRefused) as refused:
        open_review(world.organiser, world.community)
    assert "lists no reviewing departments or pipeline companies" in refused.value.message
    assert world.review() is None


def test_open_snapshots_the_parties_and_is_audited(world):
    review = open_review(world.organiser, world.community)
    db.session.execute(delete(ReviewParty))   # a later change of the list does not touch the open review
    db.session.expire_all()
    assert {party.organisation.name for party in world.review().parties} == {"规划和自然资源局", "燃气集团"}
    event = actions("joint_review.open")[0]
    assert event.object_id == str(review.id) and event.detail["items"] == 2
    with pytest.raises(ReviewRefused, match="already has its joint review"):
        open_review(world.organiser, world.community)


def test_a_return_needs_a_comment_and_can_be_approved_later(world):
    review = open_review(world.organiser, world.community)
    item = world.items[0]
    with pytest.raises(ReviewRefused) as refused:
        sign_off(world.gas_user, review, item, "returned", "  ")
    assert refused.value.errors == {"comment": "Say why you return the item: the comment is required."}
    returned = sign_off(world.gas_user, review, item, "returned", "燃气管线需先改迁")
    assert (returned.decision, returned.comment) == ("returned", "燃气管线需先改迁")
    approved = sign_off(world.gas_user, review, item, "approved")
    assert approved.id == returned.id and approved.decision == "approved"
    assert [e.detail["decision"] for e in actions("joint_review.signoff")] == ["returned", "approved"]
    assert actions("joint_review.signoff")[1].detail["before"] == "returned"


def test_only_listed_parties_sign_and_only_included_items(world, make_user):
    review = open_review(world.organiser, world.community)
    stranger = make_user("agency")   # a contractor, not listed
    with pytest.raises(ReviewRefused, match="Only the departments and companies listed"):
        sign_off(stranger, review, world.items[0], "approved")
    with pytest.raises(ReviewRefused, match="not in the reviewed version"):
        sign_off(world.gas_user, review, world.excluded, "approved")
    with pytest.raises(ReviewRefused, match="Only the departments"):
        sign_off(world.organiser, review, world.items[0], "approved")


def test_close_is_refused_naming_what_is_missing(world):
    review = open_review(world.organiser, world.community)
    sign_off(world.dept_user, review, world.items[0], "approved")
    sign_off(world.gas_user, review, world.items[1], "returned", "与燃气改造冲突")
    with pytest.raises(GateRefused) as refused:
        close_review(world.organiser, review)
    missing = refused.value.missing
    names = [item.item.name for item in world.items]
    assert f"规划和自然资源局 has not signed off: {names[1]}." in missing
    assert f"燃气集团 has not signed off: {names[0]}." in missing
    assert f"燃气集团 returned with comments: {names[1]}." in missing
    assert review.closed_at is None


def test_close_passes_when_every_party_approved_every_item(world):
    review = open_review(world.organiser, world.community)
    approve_all(world, review)
    before = review_state(world.version)
    assert before["missing"] == [] and before["complete"] is False and before["opened"] is True
    close_review(world.organiser, review)
    assert review.closed_at is not None and review.closed_by_id == world.organiser.id
    state = review_state(world.version)
    assert state["complete"] is True and state["missing"] == []
    assert state["counts"] == {"approved": 4, "returned": 0, "waiting": 0}
    assert actions("joint_review.close")[0].detail["overridden"] is False
    with pytest.raises(ReviewRefused, match="is closed"):
        sign_off(world.gas_user, review, world.items[0], "returned", "too late")


def test_an_admin_overrides_with_a_reason_which_is_kept_and_audited(world):
    review = open_review(world.organiser, world.community)
    with pytest.raises(GateRefused):
        close_review(world.organiser, review, reason="organisers cannot override")
    with pytest.raises(GateRefused):
        close_review(world.admin, review)   # no reason: refused even for an admin
    close_review(world.admin, review, reason="市政府专题会议纪要同意先行施工")
    override = db.session.scalar(select(GateOverride))
    assert override.gate == "works_joint_review" and override.version_id == world.version.id
    assert "燃气集团 has not signed off" in override.missing
    assert actions("gate.override")[0].detail["reason"] == "市政府专题会议纪要同意先行施工"
    assert actions("joint_review.close")[0].detail["overridden"] is True
    assert review.closed_at is not None


def test_a_newly_adopted_version_needs_its_own_review(world, catalogue):
    review = open_review(world.organiser, world.community)
    approve_all(world, review)
    close_review(world.organiser, review)
    world.version.status = "superseded"
    second = add_version(world.community, catalogue, 2)
    state = review_state(second)
    assert state["opened"] is False and state["complete"] is False
    assert state["missing"] == ["The joint review of version 2 has not been opened."]
    assert open_review(world.organiser, world.community).version_id == second.id


def test_review_state_without_a_version():
    state = review_state(None)
    assert state["missing"] == ["No plan version is adopted yet."] and state["complete"] is False


def test_todo_counts_an_agencys_waiting_and_returned_items(world):
    review = open_review(world.organiser, world.community)
    sign_off(world.gas_user, review, world.items[0], "returned", "先改管线")
    assert todo_for(world.gas_user) == {"awaiting_signoff": 1, "returned_open": 1, "conflicting_works": 0,
                                        "reviews": 1}
    assert todo_for(world.dept_user)["awaiting_signoff"] == 2
    assert todo_for(world.organiser) == {"awaiting_signoff": 0, "returned_open": 0, "conflicting_works": 0,
                                         "reviews": 0}
