"""The joint review pages through the client: who sees what (403/404), the sign-off and close forms with their
words, CSRF, pipeline works, and the agency's list."""
from sqlalchemy import select

from participation.extensions import db
from participation.jointreview.operations import open_review, record_work, sign_off
from participation.models import (AuditEvent, GateOverride, JointReviewParty, Organisation, PipelineWork,
                                  ReviewSignoff)
from tests.conftest import csrf_token
from tests.participation.jointreview.conftest import add_version, day


def url(world, tail=""):
    return f"/c/{world.community.code}/joint-review{tail}"


def opened(world):
    review = open_review(world.organiser, world.community)
    db.session.commit()
    return review


def token(client, world) -> str:
    return csrf_token(client.get(url(world)).get_data(as_text=True))


def test_the_organiser_opens_the_review_from_its_page(client, auth, world):
    auth.login("org")
    page = client.get(url(world)).get_data(as_text=True)
    assert "The joint review of version 1 has not been opened." in page
    response = client.post(url(world, "/open"), data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert world.review() is not None and len(world.review().parties) == 2
    page = client.get(url(world)).get_data(as_text=True)
    assert "规划和自然资源局" in page and "燃气集团" in page and "Waiting" in page


def test_opening_without_parties_is_refused_in_words(client, auth, world):
    db.session.execute(db.delete(db.metadata.tables["review_parties"]))
    auth.login("org")
    response = client.post(url(world, "/open"), data={"csrf_token": token(client, world)}, follow_redirects=True)
    assert "lists no reviewing departments or pipeline companies" in response.get_data(as_text=True)
    assert world.review() is None


def test_a_party_sees_only_its_own_column_and_signs_off(client, auth, world):
    review = opened(world)
    sign_off(world.dept_user, review, world.items[0], "returned", "规划红线未标明")
    db.session.commit()
    auth.login("gasman")
    page = client.get(url(world)).get_data(as_text=True)
    assert "规划红线未标明" not in page and "规划和自然资源局" not in page
    item_id = world.items[0].id
    assert f'value="approved" id="decision-{item_id}-approved"> Approve' in page
    assert f'value="returned" id="decision-{item_id}-returned"> Return with comments' in page
    item = world.items[0]
    refused = client.post(url(world, f"/items/{item.id}/signoff"),
                          data={"csrf_token": csrf_token(page), "decision": "returned", "comment": ""})
    assert refused.status_code == 400
    assert "Say why you return the item: the comment is required." in refused.get_data(as_text=True)
    assert db.session.scalar(select(ReviewSignoff).where(ReviewSignoff.organisation_id == world.gas.id)) is None
    done = client.post(url(world, f"/items/{item.id}/signoff"),
                       data={"csrf_token": csrf_token(page), "decision": "approved", "comment": ""})
    assert done.status_code == 302
    row = db.session.scalar(select(ReviewSignoff).where(ReviewSignoff.organisation_id == world.gas.id))
    assert (row.decision, row.plan_item_id, row.by_id) == ("approved", item.id, world.gas_user.id)


def test_a_signoff_without_the_csrf_token_is_refused(client, auth, world):
    opened(world)
    auth.login("gasman")
    response = client.post(url(world, f"/items/{world.items[0].id}/signoff"), data={"decision": "approved"})
    assert response.status_code == 400
    assert db.session.scalar(select(ReviewSignoff)) is None


def test_the_organiser_answers_a_returned_item(client, auth, world):
    review = opened(world)
    returned = sign_off(world.gas_user, review, world.items[0], "returned", "请先改迁燃气管")
    db.session.commit()
    auth.login("org")
    page = client.get(url(world)).get_data(as_text=True)
    assert "请先改迁燃气管" in page
    response = client.post(url(world, f"/signoffs/{returned.id}/answer"),
                           data={"csrf_token": csrf_token(page), "answer": "已调整为管线先行施工"})
    assert response.status_code == 302
    assert "已调整为管线先行施工" in client.get(url(world)).get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "joint_review.answer"))
    assert event.object_id == str(returned.id)


def test_closing_is_refused_with_the_missing_words_and_an_admin_overrides(client, auth, world):
    opened(world)
    auth.login("org")
    refused = client.post(url(world, "/close"), data={"csrf_token": token(client, world), "reason": "赶工期"})
    assert refused.status_code == 400
    assert "燃气集团 has not signed off" in refused.get_data(as_text=True)
    assert world.review().closed_at is None and db.session.scalar(select(GateOverride)) is None
    auth.logout()
    auth.login("boss")
    page = client.get(url(world)).get_data(as_text=True)
    assert "Override reason" in page
    done = client.post(url(world, "/close"), data={"csrf_token": csrf_token(page), "reason": "市领导专题会同意"})
    assert done.status_code == 302
    assert world.review().closed_at is not None
    assert db.session.scalar(select(GateOverride)).reason == "市领导专题会同意"


def test_other_agencies_grid_and_hotline_are_kept_out(client, auth, world, make_user, login_as):
    opened(world)
    contractor = Organisation(name="甲建筑公司", kind="contractor")
    db.session.add(contractor)
    world.community.contractor = contractor
    make_user("agency", username="builder", organisation=contractor)
    stranger = Organisation(name="热力公司", kind="pipeline")
    make_user("agency", username="heat", organisation=stranger)
    db.session.commit()
    auth.login("builder")            # sees the community (its contractor), but is no party
    assert client.get(url(world)).status_code == 403
    assert client.post(url(world, f"/items/{world.items[0].id}/signoff"),
                       data={"decision": "approved"}).status_code in (400, 403)
    auth.logout()
    auth.login("heat")               # not listed, not at work here: the community is not confirmed
    assert client.get(url(world)).status_code == 404
    assert client.get("/joint-review").get_data(as_text=True).count("JR1") == 0
    auth.logout()
    login_as("grid", world.community)
    assert client.get(url(world)).status_code == 403
    auth.logout()
    login_as("hotline")
    assert client.get(url(world)).status_code == 403


def test_a_resident_or_visitor_is_sent_to_sign_in(client, world):
    response = client.get(url(world))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_agency_lists_its_reviews_and_the_organiser_may_not_sign(client, auth, world):
    opened(world)
    auth.login("dept")
    page = client.get("/joint-review").get_data(as_text=True)
    assert "JR1小区" in page and "To sign off: 2" in page
    auth.logout()
    auth.login("org")
    assert client.get("/joint-review").status_code == 403
    response = client.post(url(world, f"/items/{world.items[0].id}/signoff"),
                           data={"csrf_token": token(client, world), "decision": "approved"})
    assert response.status_code == 403


def test_a_pipeline_company_enters_and_deletes_its_own_works(client, auth, world):
    opened(world)
    auth.login("gasman")
    form = client.get(url(world, "/works/new"))
    assert form.status_code == 200
    response = client.post(url(world, "/works/new"), data={
        "csrf_token": csrf_token(form.get_data(as_text=True)), "item": str(world.items[0].item_id),
        "building": str(world.community.buildings[0].id), "place": "", "starts_on": "2026-05-01",
        "ends_on": "2026-05-10", "note": "中压管更换"})
    assert response.status_code == 302
    work = db.session.scalar(select(PipelineWork))
    assert (work.organisation_id, work.starts_on, work.ends_on) == (world.gas.id, day(1), day(10))
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pipeline_work.create")) is not None
    bad = client.post(url(world, "/works/new"), data={
        "csrf_token": csrf_token(form.get_data(as_text=True)), "starts_on": "2026-05-10", "ends_on": "2026-05-01"})
    assert bad.status_code == 400 and "The works cannot end before they start." in bad.get_data(as_text=True)
    page = client.get(url(world)).get_data(as_text=True)
    deleted = client.post(url(world, f"/works/{work.id}/delete"), data={"csrf_token": csrf_token(page)})
    assert deleted.status_code == 302 and db.session.scalar(select(PipelineWork)) is None


def test_a_department_and_another_company_cannot_touch_the_works(client, auth, world):
    opened(world)
    work = record_work(world.gas_user, world.community, {"starts_on": day(1), "ends_on": day(2), "place": "东门"})
    db.session.commit()
    auth.login("dept")
    assert client.get(url(world, "/works/new")).status_code == 403
    page = client.get(url(world)).get_data(as_text=True)
    assert client.post(url(world, f"/works/{work.id}/delete"), data={"csrf_token": csrf_token(page)}).status_code \
        == 403
    assert db.session.get(PipelineWork, work.id) is not None


def test_conflicts_are_flagged_to_the_organiser_and_to_the_company(client, auth, world, make_user, catalogue):
    review = opened(world)
    water = Organisation(name="供水公司", kind="pipeline")
    water_user = make_user("agency", username="water", organisation=water)
    review.parties.append(JointReviewParty(organisation=water))
    building = world.community.buildings[0]
    record_work(world.gas_user, world.community, {"starts_on": day(1), "ends_on": day(10), "building": building})
    record_work(water_user, world.community, {"starts_on": day(10), "ends_on": day(12), "building": building})
    db.session.commit()
    auth.login("org")
    page = client.get(url(world)).get_data(as_text=True)
    assert "At 1号楼 from 2026-05-10 to 2026-05-10:" in page and page.count(">Conflict<") == 2
    auth.logout()
    auth.login("gasman")
    assert "At 1号楼 from 2026-05-10 to 2026-05-10:" in client.get(url(world)).get_data(as_text=True)
    auth.logout()
    auth.login("dept")   # its own works are in no conflict
    assert "No two works on one place overlap in time." in client.get(url(world)).get_data(as_text=True)
    auth.logout()
    world.version.status = "superseded"
    add_version(world.community, catalogue, 2)
    db.session.commit()
    auth.login("org")
    page = client.get(url(world)).get_data(as_text=True)
    assert "The joint review of version 2 has not been opened." in page and "Reviews of earlier versions" in page


def test_a_company_changes_its_works_from_their_form(client, auth, world):
    opened(world)
    building = world.community.buildings[1]
    work = record_work(world.gas_user, world.community, {"starts_on": day(1), "ends_on": day(2), "place": "东门",
                                                         "building": building, "item": world.items[1].item})
    db.session.commit()
    auth.login("gasman")
    page = client.get(url(world, f"/works/{work.id}/edit")).get_data(as_text=True)
    assert 'value="东门"' in page and f'<option selected value="{building.id}">' in page
    assert f'<option selected value="{world.items[1].item_id}">' in page
    response = client.post(url(world, f"/works/{work.id}/edit"), data={
        "csrf_token": csrf_token(page), "item": "", "building": "", "place": "南门广场", "starts_on": "2026-05-03",
        "ends_on": "2026-05-04", "note": ""})
    assert response.status_code == 302
    db.session.expire_all()
    changed = db.session.get(PipelineWork, work.id)
    assert (changed.place, changed.building_id, changed.item_id, changed.starts_on) == ("南门广场", None, None, day(3))
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "pipeline_work.update"))
    assert event.detail["changes"]["place"] == ["东门", "南门广场"]
