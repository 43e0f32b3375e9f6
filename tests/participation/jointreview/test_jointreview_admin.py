"""The admin side of joint review: an organisation's speciality, and the locality's list of reviewing parties."""
from sqlalchemy import select

from participation.extensions import db
from participation.jointreview.operations import open_review
from participation.models import AuditEvent, Organisation, ReviewParty
from tests.conftest import csrf_token


def audit(action: str) -> AuditEvent | None:
    return db.session.scalar(select(AuditEvent).where(AuditEvent.action == action))


def test_an_admin_sets_a_departments_speciality(client, auth, world):
    auth.login("boss")
    page = client.get("/admin/organisations/new").get_data(as_text=True)
    assert "Speciality (joint review)" in page
    response = client.post("/admin/organisations/new", data={
        "csrf_token": csrf_token(page), "name": "城市管理局", "kind": "department", "phone": "",
        "speciality": "urban_management"})
    assert response.status_code == 302
    made = db.session.scalar(select(Organisation).filter_by(name="城市管理局"))
    assert (made.kind, made.speciality) == ("department", "urban_management")
    # an unknown speciality changes nothing; a contractor has none, whatever the form says
    client.post(f"/admin/organisations/{made.id}/edit", data={
        "csrf_token": csrf_token(page), "name": "城市管理局", "kind": "department", "speciality": "rockets"})
    client.post("/admin/organisations/new", data={
        "csrf_token": csrf_token(page), "name": "丙建筑公司", "kind": "contractor", "speciality": "water"})
    db.session.expire_all()
    assert db.session.get(Organisation, made.id).speciality == "urban_management"
    assert db.session.scalar(select(Organisation).filter_by(name="丙建筑公司")).speciality is None
    listing = client.get("/admin/organisations").get_data(as_text=True)
    assert "Urban management (城管)" in listing


def test_an_unknown_speciality_is_refused_in_words(client, auth, world):
    auth.login("boss")
    page = client.get("/admin/organisations/new").get_data(as_text=True)
    response = client.post("/admin/organisations/new", data={
        "csrf_token": csrf_token(page), "name": "通信公司", "kind": "pipeline", "speciality": "rockets"})
    assert response.status_code == 400
    assert "Choose a speciality from the list." in response.get_data(as_text=True)
    assert db.session.scalar(select(Organisation).filter_by(name="通信公司")) is None


def test_the_admin_index_links_the_parties_page_which_adds_and_removes(client, auth, world):
    heating = Organisation(name="热力集团", kind="pipeline", speciality="heating")
    db.session.add_all([heating, Organisation(name="乙监理公司", kind="supervisor")])
    db.session.commit()
    auth.login("boss")
    assert "/admin/review-parties" in client.get("/admin/").get_data(as_text=True)
    page = client.get("/admin/review-parties").get_data(as_text=True)
    assert "规划和自然资源局" in page and "热力集团" in page and "乙监理公司" not in page
    locality_id = world.community.district.locality_id
    response = client.post(f"/admin/review-parties/{locality_id}",
                           data={"csrf_token": csrf_token(page), "organisation": str(heating.id)})
    assert response.status_code == 302
    assert db.session.scalar(select(ReviewParty).filter_by(organisation_id=heating.id)) is not None
    assert audit("review_party.add").detail["organisation"] == "热力集团"
    party = db.session.scalar(select(ReviewParty).filter_by(organisation_id=world.gas.id))
    removed = client.post(f"/admin/review-parties/{locality_id}/{party.id}/remove",
                          data={"csrf_token": csrf_token(page)})
    assert removed.status_code == 302
    assert db.session.scalar(select(ReviewParty).filter_by(organisation_id=world.gas.id)) is None
    assert audit("review_party.remove") is not None
    review = open_review(world.organiser, world.community)
    assert {p.organisation.name for p in review.parties} == {"规划和自然资源局", "热力集团"}


def test_a_supervisor_cannot_be_listed_and_organisers_are_kept_out(client, auth, world):
    supervisor = Organisation(name="乙监理公司", kind="supervisor")
    db.session.add(supervisor)
    db.session.commit()
    auth.login("boss")
    page = client.get("/admin/review-parties").get_data(as_text=True)
    locality_id = world.community.district.locality_id
    response = client.post(f"/admin/review-parties/{locality_id}",
                           data={"csrf_token": csrf_token(page), "organisation": str(supervisor.id)},
                           follow_redirects=True)
    assert "Only government departments and pipeline companies review plans." in response.get_data(as_text=True)
    assert db.session.scalar(select(ReviewParty).filter_by(organisation_id=supervisor.id)) is None
    auth.logout()
    auth.login("org")
    assert client.get("/admin/review-parties").status_code == 403


def test_an_organisation_that_took_part_in_a_review_stays_on_record(client, auth, world):
    open_review(world.organiser, world.community)
    world.dept_user.organisation_id = world.gas.id   # no account left on the department
    db.session.commit()
    auth.login("boss")
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert f"/admin/organisations/{world.department.id}/delete" not in page   # no delete button offered
    response = client.post(f"/admin/organisations/{world.department.id}/delete", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert db.session.get(Organisation, world.department.id) is not None
    assert audit("organisation.delete") is None
