"""Owner vote pages (participation/votes/views.py, paper_views.py, resident_views.py): the staff flow, the owner's
ballot, hidden tallies, the failed threshold in words, CSRF, roles and scope, and the all-or-nothing ballot
import."""
import html as html_lib
import re
from datetime import timedelta
from io import BytesIO

from flask_babel import force_locale
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Ballot, BallotChange, Vote, VoteObjection
from participation.models.types import utcnow
from participation.roster.codes import issue_code
from participation.votes.ballots import cast_ballot
from participation.votes.operations import close_vote, create_vote, tally
from participation.votes.owners import OWNER_KEY
from tests.conftest import ID_TAIL, AuthActions, csrf_token, homes
from tests.participation.test_entry_views import accept_notice, enter


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def staff(app, username):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert AuthActions(client).login(username).status_code == 302
    return client


def resident(app, household):
    code = issue_code(None, household)
    db.session.commit()
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert enter(client, household.community.code, code).status_code == 302
    assert accept_notice(client).status_code == 302
    return client


def post(client, url, data=None, *, token_from=None, **kwargs):
    page = client.get(token_from or url)
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(page.text)}, **kwargs)


def open_vote_of(community, unit, organiser, **options):
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True, **options)
    db.session.commit()
    return vote


# --- staff ------------------------------------------------------------------------------------------------------

def test_the_whole_staff_flow_through_the_pages(app, vote_site):
    community, unit, organiser, rep = vote_site
    org = staff(app, "org")
    base = f"/c/{community.code}/votes"
    form = org.get(f"{base}/new")
    assert form.status_code == 200 and "Rebuilding or altering buildings" in form.text and "双四分之三" in form.text
    response = org.post(f"{base}/new", data={
        "csrf_token": csrf_token(form.text), "matter": "7", "title": "1号楼1单元加装电梯", "scope": "unit",
        "unit": str(unit.id), "description": "是否加装电梯", "open_now": "1"})
    assert response.status_code == 302
    vote = db.session.scalar(select(Vote))
    assert (vote.status, vote.matter_class, vote.unit_id) == ("open", "special", unit.id)
    url = f"{base}/{vote.id}"
    page = org.get(url)
    assert page.status_code == 200 and "726.00 m²" not in page.text and "363.00 m²" in page.text
    assert org.get(base).status_code == 200 and "1号楼1单元加装电梯" in org.get(base).text

    # paper ballots: five of the six owners, found by 楼栋/单元/房号
    paper = f"{url}/paper"
    for household in homes(unit)[:5]:
        found = org.get(paper, query_string={"building": "1号楼", "unit": "1", "room": household.room})
        assert f'value="{household.id}"' in found.text
        response = org.post(paper, data={"csrf_token": csrf_token(found.text), "household": household.id,
                                         "choice": "yes" if household.room != "101" else "no", "checked": "y"})
        assert response.status_code == 302
    assert count(Ballot) == 5
    assert {ballot.channel for ballot in db.session.scalars(select(Ballot))} == {"paper"}
    assert db.session.scalar(select(Ballot).limit(1)).verified_by_id == organiser.id
    # unchecked owner: refused, nothing stored
    found = org.get(paper, query_string={"room": homes(unit)[5].room, "building": "1"})
    response = org.post(paper, data={"csrf_token": csrf_token(found.text), "household": homes(unit)[5].id,
                                     "choice": "yes"})
    assert response.status_code == 400 and count(Ballot) == 5

    assert post(org, f"{url}/close", token_from=url).status_code == 302
    db.session.refresh(vote)
    assert vote.status == "preliminary"
    # an objection from a household, answered by the organiser
    household_client = resident(app, homes(unit)[5])
    page = household_client.get(f"/r/{community.code}/votes/{vote.id}")
    assert page.status_code == 200 and "Preliminary result" in page.text
    assert post(household_client, f"/r/{community.code}/votes/{vote.id}/objection", {"text": "我家没有收到通知"},
                token_from=f"/r/{community.code}/votes/{vote.id}").status_code == 302
    objection = db.session.scalar(select(VoteObjection))
    assert objection.household_id == homes(unit)[5].id
    page = org.get(url)
    assert "我家没有收到通知" in page.text
    assert org.post(f"{url}/objections/{objection.id}/answer",
                    data={"csrf_token": csrf_token(page.text), "answer": "通知已张贴于单元门"}).status_code == 302
    # finalising before co-signature and the period's end is refused with the reason
    response = post(org, f"{url}/finalise", token_from=url)
    assert response.status_code == 400 and "objection period has not ended" in response.text
    # the owner representative co-signs (the organiser may not)
    assert post(org, f"{url}/cosign", token_from=url).status_code == 403
    rep_client = staff(app, "rep")
    page = rep_client.get(url)
    assert "I observed the count and co-sign" in page.text and "Make the result final" not in page.text
    assert post(rep_client, f"{url}/cosign", token_from=url).status_code == 302
    assert post(rep_client, f"{url}/finalise", token_from=url).status_code == 403
    db.session.refresh(vote)
    vote.objection_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert post(org, f"{url}/finalise", token_from=url).status_code == 302
    db.session.refresh(vote)
    assert vote.status == "final" and vote.result_passed is True and vote.cosigned_by_id == rep.id
    result = org.get(f"{url}/result")
    assert result.status_code == 200 and "Final result" in result.text and "Co-signed by" in result.text
    assert "Result: passed." in result.text
    notice = org.get(f"{url}/notice")
    assert notice.status_code == 200 and "<svg" in notice.text and f"/r/{community.code}/votes/{vote.id}" in notice.text
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"vote.create", "vote.open", "vote.ballot", "vote.close", "vote.objection", "vote.objection.answer",
            "vote.cosign", "vote.finalise"} <= actions


def test_the_failed_threshold_is_named_on_the_result_page(app, vote_site):
    """One yes of six owners: participation misses two thirds by area and by headcount."""
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    cast_ballot(vote, homes(unit)[0], "yes", "paper", organiser)
    close_vote(organiser, vote)
    db.session.commit()
    with force_locale("en"):
        reasons = tally(vote)["reasons"]
    assert reasons and "Participation by area is below two thirds" in reasons[0]
    org = staff(app, "org")
    for url in (f"/c/{community.code}/votes/{vote.id}/result", f"/c/{community.code}/votes/{vote.id}"):
        page = html_lib.unescape(org.get(url).text)
        for reason in reasons:
            assert reason in page
        row = re.search(r'id="threshold-quorum_area">(.*?)</tr>', page, re.S).group(1)
        assert "Not met" in row and "60.50 m² / 363.00 m²" in row and "16.6%" in row and "at least 2/3 (about 66.7%)" in row
        assert "Result: not passed." in page


def test_hidden_tallies_show_participation_only_to_residents_and_staff_while_open(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser, hide_tallies=True)
    for household in homes(unit)[:2]:
        cast_ballot(vote, household, "yes", "paper", organiser)
    db.session.commit()
    org = staff(app, "org")
    household_client = resident(app, homes(unit)[3])
    pages = [org.get(f"/c/{community.code}/votes/{vote.id}").text, org.get(f"/c/{community.code}/votes").text,
             household_client.get(f"/r/{community.code}/votes/{vote.id}").text]
    for page in pages[::2]:
        assert "2 owners / 6 owners" in page and 'id="tallies-hidden"' in page
        assert 'id="vote-yes"' not in page and 'id="thresholds"' not in page and "Result:" not in page
    close_vote(organiser, vote)
    db.session.commit()
    for page in (org.get(f"/c/{community.code}/votes/{vote.id}").text,
                 household_client.get(f"/r/{community.code}/votes/{vote.id}").text):
        assert 'id="vote-yes"' in page and 'id="thresholds"' in page


# --- the owner's ballot -----------------------------------------------------------------------------------------

def test_a_household_code_alone_cannot_vote(app, vote_site):
    """A tenant holds the household code but not the owner's ID number: no ballot without it, a wrong one is
    refused in words, and nothing is stored."""
    community, unit, organiser, _rep = vote_site
    household = homes(unit)[2]
    household.occupancy = "rented"
    vote = open_vote_of(community, unit, organiser)
    client = resident(app, household)
    url = f"/r/{community.code}/votes/{vote.id}"
    page = client.get(url)
    assert page.status_code == 200 and "Tenants cannot vote" in page.text and 'id="verify-form"' in page.text
    assert 'id="choose-yes"' not in page.text
    response = post(client, f"{url}/ballot", {"choice": "yes"}, token_from=url)
    assert response.status_code == 400 and "Only the owner can vote" in response.text
    response = post(client, f"{url}/verify", {"tail": "99999X"}, token_from=url)
    assert response.status_code == 400 and "does not match the owner" in response.text
    response = post(client, f"{url}/verify", {"tail": ""}, token_from=url)
    assert response.status_code == 400
    assert post(client, f"{url}/ballot", {"choice": "yes"}, token_from=url).status_code == 400
    assert count(Ballot) == 0
    with client.session_transaction() as session:
        assert OWNER_KEY not in session


def test_a_verified_owner_votes_and_changes_the_vote(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[1]
    client = resident(app, household)
    home = client.get("/home")
    assert 'id="votes-link"' in home.text
    assert f"/r/{community.code}/votes/{vote.id}" in client.get(f"/r/{community.code}/votes").text
    url = f"/r/{community.code}/votes/{vote.id}"
    assert post(client, f"{url}/verify", {"tail": ID_TAIL.lower()}, token_from=url).status_code == 302
    with client.session_transaction() as session:
        assert session[OWNER_KEY]["household_id"] == household.id
    page = client.get(url)
    assert 'id="choose-yes"' in page.text and "votes once" in page.text
    # a choice button asks for the confirmation naming it (issue 12 point 4); only 确认 casts
    asked = post(client, f"{url}/ballot", {"choice": "yes"}, token_from=url)
    assert asked.status_code == 200 and 'id="confirm-form"' in asked.text and count(Ballot) == 0
    assert post(client, f"{url}/ballot", {"choice": "yes", "confirmed": "1"}, token_from=url).status_code == 302
    assert post(client, f"{url}/ballot", {"choice": "no", "confirmed": "1"}, token_from=url).status_code == 302
    ballot = db.session.scalar(select(Ballot))
    assert (count(Ballot), ballot.choice, ballot.channel, ballot.version) == (1, "no", "web", 2)
    assert count(BallotChange) == 2
    assert 'id="my-ballot"' in client.get(url).text
    # the verification belongs to this household: another household's session does not inherit it
    other = resident(app, homes(unit)[4])
    assert 'id="verify-form"' in other.get(url).text


def test_staff_acting_for_a_household_vote_in_person_with_the_owners_id_tail(app, vote_site, make_user):
    """Issue 12: by phone no ballot at all; door to door the staff member types the owner's ID tail from the ID card
    and the owner confirms (the old "I checked in person" tick alone no longer casts anything)."""
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[0]
    household.notice_accepted_at = utcnow()
    db.session.commit()
    org = staff(app, "org")
    assert post(org, f"/assist/households/{household.id}", {"channel": "phone"}).status_code == 302
    url = f"/r/{community.code}/votes/{vote.id}"
    assert post(org, f"{url}/ballot", {"choice": "yes"}, token_from=url).status_code == 400
    assert post(org, f"{url}/ballot", {"choice": "yes", "checked": "y", "confirmed": "1"},
                token_from=url).status_code == 400
    assert count(Ballot) == 0
    assert post(org, f"/assist/households/{household.id}", {"channel": "door_to_door"}).status_code == 302
    asked = post(org, f"{url}/ballot", {"choice": "yes", "tail": ID_TAIL}, token_from=url)
    assert asked.status_code == 200 and count(Ballot) == 0
    check = re.search(r'name="check" value="(\d+)"', asked.text).group(1)
    assert org.post(f"{url}/ballot", data={"choice": "yes", "confirmed": "1", "check": check,
                                           "csrf_token": csrf_token(asked.text)}).status_code == 302
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.channel, ballot.verified_by_id, ballot.verification.method) == ("in_person", organiser.id,
                                                                                  "id_tail")


# --- refusals ---------------------------------------------------------------------------------------------------

def test_a_post_without_its_csrf_token_is_400_and_stores_nothing(app, vote_site):
    community, unit, organiser, _rep = vote_site
    org = staff(app, "org")
    response = org.post(f"/c/{community.code}/votes/new", data={"matter": "4", "title": "选聘物业", "scope": "community",
                                                               "open_now": "1"})
    assert response.status_code == 400 and count(Vote) == 0
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[0]
    assert org.post(f"/c/{community.code}/votes/{vote.id}/paper",
                    data={"household": household.id, "choice": "yes", "checked": "y"}).status_code == 400
    assert org.post(f"/c/{community.code}/votes/{vote.id}/close").status_code == 400
    client = resident(app, household)
    assert client.post(f"/r/{community.code}/votes/{vote.id}/verify", data={"tail": ID_TAIL}).status_code == 400
    assert client.post(f"/r/{community.code}/votes/{vote.id}/ballot", data={"choice": "yes"}).status_code == 400
    db.session.refresh(vote)
    assert (vote.status, count(Ballot), count(Vote)) == ("open", 0, 1)


def test_roles_and_scope(app, vote_site, make_user, make_community):
    community, unit, organiser, _rep = vote_site
    other = make_community("220102902", buildings=1, units=1)
    make_user("grid", username="grid", buildings=[community.buildings[0]])
    make_user("hotline", username="hot")
    make_user("organiser", username="elsewhere", communities=[other])
    vote = open_vote_of(community, unit, organiser)
    foreign = create_vote(None, other, 4, "选聘物业", open_now=True)
    db.session.commit()
    base = f"/c/{community.code}/votes"
    for username in ("grid", "hot"):
        client = staff(app, username)
        assert client.get(base).status_code == 403 and client.get(f"{base}/{vote.id}").status_code == 403
    elsewhere = staff(app, "elsewhere")
    assert elsewhere.get(base).status_code == 404 and elsewhere.get(f"{base}/{vote.id}").status_code == 404
    assert post(elsewhere, f"{base}/{vote.id}/close", token_from=f"/c/{other.code}/votes").status_code == 404
    org = staff(app, "org")
    assert org.get(f"{base}/{foreign.id}").status_code == 404
    assert org.get(f"/c/{other.code}/votes/{foreign.id}").status_code == 404
    rep = staff(app, "rep")
    assert rep.get(f"{base}/{vote.id}").status_code == 200
    assert rep.get(f"{base}/new").status_code == 403
    assert post(rep, f"{base}/{vote.id}/close", token_from=f"{base}/{vote.id}").status_code == 403
    assert rep.get(f"{base}/{vote.id}/paper").status_code == 403
    # residents: outside the vote's scope (building 2) and another community's vote are 404
    outside = resident(app, community.buildings[1].units[0].households[0])
    assert outside.get(f"/r/{community.code}/votes/{vote.id}").status_code == 404
    assert outside.get(f"/r/{community.code}/votes/{foreign.id}").status_code == 404
    assert outside.get(f"/r/{other.code}/votes").status_code == 404
    assert 'id="votes-link"' not in outside.get("/home").text
    db.session.refresh(vote)
    assert vote.status == "open"


def test_an_import_with_a_bad_row_changes_nothing_and_names_the_row(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    org = staff(app, "org")
    url = f"/c/{community.code}/votes/{vote.id}"
    page = org.get(f"{url}/paper")
    bad = "楼栋,单元,房号,选择\n1,1,101,同意\n1,1,102,也许\n".encode()
    response = org.post(f"{url}/import", data={"csrf_token": csrf_token(page.text),
                                               "file": (BytesIO(bad), "ballots.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 400 and 'id="import-errors"' in response.text
    assert "Row 3" in html_lib.unescape(response.text)
    assert count(Ballot) == 0
    good = "楼栋,单元,房号,选择\n1,1,101,同意\n1,1,102,反对\n".encode()
    response = org.post(f"{url}/import", data={"csrf_token": csrf_token(page.text),
                                               "file": (BytesIO(good), "ballots.csv")},
                        content_type="multipart/form-data")
    assert response.status_code == 302 and count(Ballot) == 2


def test_new_vote_form_scopes_dates_and_errors(app, vote_site):
    community, _unit, _organiser, _rep = vote_site
    org = staff(app, "org")
    url = f"/c/{community.code}/votes/new"
    page = org.get(url)
    response = org.post(url, data={"csrf_token": csrf_token(page.text), "matter": "4", "title": "",
                                   "scope": "buildings", "save_draft": "1"})
    assert response.status_code == 400 and "Enter a title." in response.text
    response = org.post(url, data={"csrf_token": csrf_token(page.text), "matter": "4", "title": "选聘物业",
                                   "scope": "buildings", "save_draft": "1"})
    assert response.status_code == 400 and "Choose at least one building." in response.text
    assert count(Vote) == 0
    response = org.post(url, data={"csrf_token": csrf_token(page.text), "matter": "4", "title": "选聘物业",
                                   "scope": "buildings", "buildings": [str(community.buildings[1].id)],
                                   "opens_at": "2030-01-01T09:00", "closes_at": "2030-01-08T18:00",
                                   "save_draft": "1"})
    assert response.status_code == 302
    vote = db.session.scalar(select(Vote))
    assert (vote.status, vote.matter_class, [b.id for b in vote.buildings]) == (
        "draft", "ordinary", [community.buildings[1].id])
    assert vote.closes_at.astimezone().utcoffset() is not None
    assert vote.opens_at.replace(tzinfo=None).isoformat() == "2030-01-01T01:00:00"   # 09:00 Beijing time
    show = org.get(f"/c/{community.code}/votes/{vote.id}").text
    assert "2号楼" in show and re.search(r"2030-01-08(</span>)?\s*(<span[^>]*>)?18:00", show) and "Open voting" in show
    # a draft is not shown to residents
    household = community.buildings[1].units[0].households[0]
    client = resident(app, household)
    assert client.get(f"/r/{community.code}/votes/{vote.id}").status_code == 404
    assert 'id="resident-votes"' not in client.get(f"/r/{community.code}/votes").text
