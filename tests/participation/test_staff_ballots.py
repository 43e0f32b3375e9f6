"""Staff-entered owner ballots (issue 12 point 1, DESIGN §4): never by phone; in person only after the staff member
typed the owner's ID tail from the ID card (the web check's hash and back-off) and the owner confirmed; paper sheets
only by organisers, with their number; an owner's own verified ballot never replaced by a staff entry; every change
shown to the owner and sent to the outbox; the audit names the true channel and how the owner was checked."""
import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from participation.elevators.operations import (ElevatorRefused, mark_shaft_households, open_consultation,
                                                record_shaft_consent, start_request)
from participation.extensions import db
from participation.models import AuditEvent, Ballot, BallotChange, Notification, OwnerVerification
from participation.models.types import utcnow
from participation.roster.files import RosterTable
from participation.votes.ballots import cast_ballot, verify_owner
from participation.votes.operations import VoteError
from participation.votes.paper import BallotImportError, import_ballots
from tests.conftest import ID_TAIL, csrf_token, homes
from tests.participation.test_vote_pages import open_vote_of, post, resident, staff


@pytest.fixture(autouse=True)
def _english(app):
    """Operations called without a request speak the default language (Chinese); these tests read English."""
    with force_locale("en"):
        yield


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def grid(vote_site, make_user):
    community, unit, _organiser, _rep = vote_site
    user = make_user("grid", username="gridder", buildings=[unit.building])
    db.session.commit()
    return user


@pytest.fixture
def hotline(make_user):
    user = make_user("hotline", username="desk")
    db.session.commit()
    return user


def assist(client, household, channel):
    return post(client, f"/assist/households/{household.id}", {"channel": channel})


def vote_url(community, vote):
    return f"/r/{community.code}/votes/{vote.id}"


def web_ballot(app, community, vote, household, choice):
    """The owner, on their own phone: verifies with the ID tail, taps a choice and confirms it."""
    client = resident(app, household)
    url = vote_url(community, vote)
    assert post(client, f"{url}/verify", {"tail": ID_TAIL}, token_from=url).status_code == 302
    assert post(client, f"{url}/ballot", {"choice": choice, "confirmed": "1"}, token_from=url).status_code == 302
    return client


# --- never by phone -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("channel", ["phone", "hotline"])
def test_a_phone_session_cannot_cast_or_replace_an_owner_ballot(app, vote_site, hotline, channel):
    """Issue 12 point 1: on the phone channel, ticking "checked in person" cast a ballot and replaced the owner's own
    verified web ballot. Now the page offers no ballot and the POST is refused, whatever is sent."""
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[0]
    household.notice_accepted_at = utcnow()
    db.session.commit()
    web_ballot(app, community, vote, household, "no")
    desk = staff(app, "desk")
    assert assist(desk, household, channel).status_code == 302
    url = vote_url(community, vote)
    for data in ({"choice": "yes", "checked": "y"}, {"choice": "yes", "checked": "y", "confirmed": "1"},
                 {"choice": "yes", "confirmed": "1", "tail": ID_TAIL}):
        response = post(desk, f"{url}/ballot", data, token_from=url)
        ballot = db.session.scalar(select(Ballot))
        db.session.refresh(ballot)
        assert (ballot.choice, ballot.channel, count(BallotChange)) == ("no", "web", 1)
        assert response.status_code == 400 and "never taken by phone" in response.text
    page = desk.get(url)
    assert 'id="no-phone-ballot"' in page.text and 'id="choose-yes"' not in page.text


def test_the_operation_refuses_a_phone_ballot_and_a_phone_consent(vote_site, hotline, make_user):
    """Refused in the operation, not only hidden: Art. 278 and elevator consent ballots, and the shaft owner's own
    consent (DESIGN §4)."""
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[1]
    for channel in ("phone", "hotline"):
        with pytest.raises(VoteError, match="never taken by phone"):
            cast_ballot(vote, household, "yes", channel, actor=organiser)
    assert count(Ballot) == 0
    unit.elevator_possible = True
    request = start_request(household)
    open_consultation(organiser, request)
    mark_shaft_households(organiser, request, [household])
    for channel in ("phone", "hotline"):
        with pytest.raises(ElevatorRefused, match="never taken by phone"):
            record_shaft_consent(organiser, request, household, True, channel)
    assert request.shaft_owners[0].consent is None


# --- in person: the ID tail typed from the ID card, the owner confirms ----------------------------------------------

def test_in_person_the_staff_member_types_the_id_tail_and_the_owner_confirms(app, vote_site, grid):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[2]
    household.notice_accepted_at = utcnow()
    db.session.commit()
    client = staff(app, "gridder")
    assert assist(client, household, "door_to_door").status_code == 302
    url = vote_url(community, vote)
    page = client.get(url)
    assert 'name="tail"' in page.text and 'name="checked"' not in page.text
    # a wrong tail: refused, audited as in person by this staff member, and counted in the household's back-off
    response = post(client, f"{url}/ballot", {"choice": "no", "tail": "99999X"}, token_from=url)
    assert response.status_code == 400 and "does not match" in response.text
    failed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.verify_failed"))
    assert (failed.actor_id, failed.channel) == (grid.id, "in_person")
    # the right tail: a confirmation naming the choice, nothing stored yet
    response = post(client, f"{url}/ballot", {"choice": "no", "tail": ID_TAIL.lower()}, token_from=url)
    assert response.status_code == 200 and 'id="choice-named"' in response.text and "反对" in response.text
    assert count(Ballot) == 0
    check_id = int(response.text.split('name="check" value="')[1].split('"')[0])
    confirm = client.post(f"{url}/ballot", data={"choice": "no", "confirmed": "1", "check": check_id,
                                                 "csrf_token": csrf_token(response.text)})
    assert confirm.status_code == 302
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.choice, ballot.channel, ballot.verified_by_id) == ("no", "in_person", grid.id)
    assert (ballot.verification.method, ballot.verification.verified_by_id) == ("id_tail", grid.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.ballot"))
    assert (event.actor_id, event.channel, event.detail["method"], event.detail["verified_by"],
            event.detail["via"]) == (grid.id, "in_person", "id_tail", grid.id, "door_to_door")
    # the check is good for one ballot: posting it again changes nothing
    again = client.post(f"{url}/ballot", data={"choice": "yes", "confirmed": "1", "check": check_id,
                                               "csrf_token": csrf_token(response.text)})
    assert again.status_code == 400
    db.session.refresh(ballot)
    assert (ballot.choice, count(BallotChange)) == ("no", 1)
    # no check at all (the old "I checked in person" tick): refused
    response = post(client, f"{url}/ballot", {"choice": "yes", "confirmed": "1", "checked": "y"}, token_from=url)
    assert response.status_code == 400 and count(BallotChange) == 1
    for forged in ("²", "9" * 30, "-1", str(check_id + 1000)):
        response = post(client, f"{url}/ballot", {"choice": "yes", "confirmed": "1", "check": forged}, token_from=url)
        assert response.status_code == 400 and count(BallotChange) == 1


def test_a_wrong_tail_in_person_shares_the_owners_web_back_off(vote_site, grid):
    """The same throttle key as the web check: guesses online then in person (or the reverse) add up."""
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[3]
    for _try in range(3):
        with pytest.raises(VoteError):
            verify_owner(household, "00000X")
    for _try in range(3):
        with pytest.raises(VoteError):
            verify_owner(household, "00000X", vote=vote, staff=grid)
    with pytest.raises(VoteError, match="Too many wrong tries"):
        verify_owner(household, ID_TAIL, vote=vote, staff=grid)
    with pytest.raises(VoteError, match="Too many wrong tries"):
        verify_owner(household, ID_TAIL)


def test_an_in_person_check_is_the_staff_members_own_for_this_vote_and_fresh(vote_site, grid, make_user):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    other_vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[0]
    other_grid = make_user("grid", buildings=[unit.building])
    check = verify_owner(household, ID_TAIL, vote=vote, staff=grid)
    with pytest.raises(VoteError):
        cast_ballot(vote, household, "yes", "in_person", actor=other_grid, verified=check)
    with pytest.raises(VoteError):
        cast_ballot(other_vote, household, "yes", "in_person", actor=grid, verified=check)
    with pytest.raises(VoteError):
        cast_ballot(vote, household, "yes", "in_person", actor=grid, verified=verify_owner(household, ID_TAIL))
    check.verified_at = utcnow().replace(year=2020)
    with pytest.raises(VoteError):
        cast_ballot(vote, household, "yes", "in_person", actor=grid, verified=check)
    assert count(Ballot) == 0
    outside = make_user("grid", buildings=[community.buildings[1]])
    with pytest.raises(VoteError):
        verify_owner(household, ID_TAIL, vote=vote, staff=outside)


# --- the owner's own ballot is never replaced by a staff entry --------------------------------------------------

def test_a_staff_entry_does_not_replace_the_owners_verified_ballot(app, vote_site, grid):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[1]
    web_ballot(app, community, vote, household, "no")
    with pytest.raises(VoteError, match="does not replace"):
        cast_ballot(vote, household, "yes", "paper", actor=organiser, sheet_no="17")
    table = RosterTable(["楼栋", "单元", "房号", "选择"], [(2, ["1", "1", household.room, "同意"])])
    with pytest.raises(BallotImportError) as refused:
        import_ballots(organiser, vote, table)
    assert "Row 2" in refused.value.errors[0] and "does not replace" in refused.value.errors[0]
    org = staff(app, "org")
    response = post(org, f"/c/{community.code}/votes/{vote.id}/paper",
                    {"household": household.id, "choice": "yes", "checked": "y", "sheet_no": "17"},
                    token_from=f"/c/{community.code}/votes/{vote.id}/paper")
    assert response.status_code == 400 and "does not replace" in response.text
    ballot = db.session.scalar(select(Ballot))
    db.session.refresh(ballot)
    assert (ballot.choice, ballot.channel) == ("no", "web")
    # the owner there, checked in person now: their choice replaces their own
    check = verify_owner(household, ID_TAIL, vote=vote, staff=grid)
    cast_ballot(vote, household, "yes", "in_person", actor=grid, verified=check, via="door_to_door")
    db.session.refresh(ballot)
    assert (ballot.choice, ballot.channel) == ("yes", "in_person")
    # and a paper sheet does not replace that one either
    with pytest.raises(VoteError, match="does not replace"):
        cast_ballot(vote, household, "no", "paper", actor=organiser)


# --- paper: organisers only, with the sheet's number ------------------------------------------------------------

def test_paper_ballots_only_by_organisers_and_admins_with_the_sheet_number(app, vote_site, grid, hotline, make_user):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[4]
    for user in (grid, hotline):
        with pytest.raises(VoteError, match="organiser staff"):
            cast_ballot(vote, household, "yes", "paper", actor=user)
        with pytest.raises(BallotImportError):
            import_ballots(user, vote, RosterTable(["楼栋", "单元", "房号", "选择"],
                                                   [(2, ["1", "1", household.room, "同意"])]))
    other = make_user("organiser", communities=[])
    with pytest.raises(VoteError, match="organiser staff"):
        cast_ballot(vote, household, "yes", "paper", actor=other)   # an organiser of other communities
    admin = make_user("admin")
    cast_ballot(vote, household, "abstain", "paper", actor=admin, sheet_no=" 0042 ")
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.sheet_no, ballot.verification.method, ballot.verified_by_id) == ("0042", "in_person", admin.id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.ballot"))
    assert (event.channel, event.detail["method"], event.detail["sheet_no"]) == ("paper", "paper_sheet", "0042")
    with pytest.raises(VoteError):
        cast_ballot(vote, household, "yes", "paper", actor=admin, sheet_no="x" * 41)
    org = staff(app, "org")
    url = f"/c/{community.code}/votes/{vote.id}/paper"
    second = homes(unit)[5]
    assert post(org, url, {"household": second.id, "choice": "no", "checked": "y", "sheet_no": "A-7"}).status_code \
        == 302
    assert db.session.scalar(select(Ballot.sheet_no).where(Ballot.household_id == second.id)) == "A-7"


# --- every change shown and notified ----------------------------------------------------------------------------

def test_every_change_is_shown_on_the_vote_page_and_sent_to_the_outbox(app, vote_site, grid):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    household = homes(unit)[0]
    owner = web_ballot(app, community, vote, household, "yes")
    assert count(Notification, Notification.kind == "vote.ballot_changed") == 0   # the owner's own first ballot
    url = vote_url(community, vote)
    assert post(owner, f"{url}/ballot", {"choice": "no", "confirmed": "1"}, token_from=url).status_code == 302
    check = verify_owner(household, ID_TAIL, vote=vote, staff=grid)
    cast_ballot(vote, household, "abstain", "in_person", actor=grid, verified=check, via="door_to_door")
    db.session.commit()
    messages = db.session.scalars(select(Notification).where(Notification.kind == "vote.ballot_changed")
                                  .order_by(Notification.id)).all()
    assert [(m.household_id, m.kind) for m in messages] == [(household.id, "vote.ballot_changed")] * 2
    for message in messages:
        assert vote.title in message.text
        for word in ("同意", "反对", "弃权", ID_TAIL, household.room):
            assert word not in message.text                # the choice never travels in an SMS
    page = owner.get(url)
    history = page.text.split('id="ballot-history"')[1].split("</details>")[0]
    assert history.count("<li>") == 3
    assert "In person, entered by staff" in history and "Online, by the owner" in history
    assert "弃权" in history


def test_the_cli_import_records_paper_sheets_as_paper(runner, vote_site, tmp_path):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    db.session.commit()
    path = tmp_path / "票.csv"
    path.write_text("楼栋,单元,房号,选择,票号\n1,1,101,同意,001\n1,1,102,反对,\n", encoding="utf-8-sig")
    result = runner.invoke(args=["votes", "import-ballots", str(path), "--vote", str(vote.id)])
    assert result.exit_code == 0, result.output
    rows = db.session.execute(select(Ballot.sheet_no, OwnerVerification.method, Ballot.channel)
                              .join(OwnerVerification, Ballot.verification_id == OwnerVerification.id)
                              .order_by(Ballot.id)).all()
    assert rows == [("001", "in_person", "paper"), (None, "in_person", "paper")]
    methods = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "vote.ballot")).all()
    assert [(detail["method"], detail["sheet_no"]) for detail in methods] == [("paper_sheet", "001"),
                                                                             ("paper_sheet", None)]
    duplicate = tmp_path / "dup.csv"
    duplicate.write_text("楼栋,单元,房号,选择,票号\n1,1,201,同意,009\n1,1,202,同意,009\n", encoding="utf-8-sig")
    result = runner.invoke(args=["votes", "import-ballots", str(duplicate), "--vote", str(vote.id)])
    assert result.exit_code == 1 and "009" in result.stderr and count(Ballot) == 2
