"""The vote's register (issue 12 point 2, DESIGN §4): the electorate is frozen when a vote opens. A roster re-import
during the vote (an owner key changed, an area raised from 87.92 to 9,999.99 m²) changes neither the tally nor the
owner's ballot; a correction is its own audited action (organiser/admin, reason, before/after), listed with the
objections; the notice prints the register; roster import audit rows keep each changed field's before and after."""
import html as html_lib
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Ballot, Household
from participation.roster.imports import id_tail_hash, import_roster
from participation.votes.ballots import cast_ballot, verify_owner
from participation.votes.operations import VoteError, close_vote, create_vote, electorate, tally
from tests.conftest import ID_TAIL, csrf_token, homes
from tests.participation.test_vote_pages import resident, staff


@pytest.fixture
def site(vote_site):
    """``vote_site`` with its own owner key on each home of the first 单元 and the voter's home at 87.92 m²:
    (community, that 单元, its organiser)."""
    community, unit, organiser, _rep = vote_site
    for number, household in enumerate(homes(unit), 1):
        household.owner_key = f"owner-{number}"
    homes(unit)[2].area = Decimal("87.92")
    db.session.commit()
    return community, unit, organiser


def roster_of(community, changes=None) -> list[dict]:
    """The community's roster as import rows (DESIGN §8 columns), with ``changes`` {household id: {header: value}}."""
    rows = []
    for building in community.buildings:
        for unit in building.units:
            for household in unit.households:
                row = {"小区编码": community.code, "小区名称": community.name, "楼栋": building.name, "单元": unit.name,
                       "房号": household.room, "楼层": household.floor, "面积": str(household.area),
                       "业主标识": household.owner_key or ""}
                row.update((changes or {}).get(household.id, {}))
                rows.append(row)
    return rows


def web_ballot(vote, household, choice):
    return cast_ballot(vote, household, choice, "web", verified=verify_owner(household, ID_TAIL, vote=vote))


def test_a_roster_reimport_during_the_vote_changes_neither_the_tally_nor_the_owners_ballot(app, site):
    """Issue 12 point 2: re-importing the roster while the vote is open — the voter's owner key changed and their
    area raised from 87.92 to 9,999.99 m², another owner's area doubled — leaves the tally, the quorum and the
    owner's counted ballot as they were when voting opened."""
    community, unit, organiser = site
    voter, other = homes(unit)[2], homes(unit)[4]
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    web_ballot(vote, voter, "yes")
    db.session.commit()
    before = tally(vote)
    assert (before["headcount_participating"], before["area_participating"], before["area_total"]) == \
        (1, "87.92", "390.42")

    import_roster(organiser, roster_of(community, {voter.id: {"业主标识": "owner-3-resold", "面积": "9999.99"},
                                                   other.id: {"面积": "121.00"}}))
    db.session.commit()
    db.session.expire_all()
    assert (voter.owner_key, voter.area) == ("owner-3-resold", Decimal("9999.99"))   # the roster did change

    after = tally(vote)
    assert after == before
    ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote.id))
    assert (ballot.owner, ballot.choice) == ("owner-3", "yes")
    assert electorate(vote)["owner-3"].area == Decimal("87.92") and "owner-3-resold" not in electorate(vote)
    page = resident(app, voter).get(f"/r/{community.code}/votes/{vote.id}").text
    assert 'id="my-ballot"' in page and "同意" in page[page.index('id="my-ballot"'):][:400]
    close_vote(organiser, vote)
    assert (vote.result_area_total, vote.result_area_participating) == (Decimal("390.42"), Decimal("87.92"))


def test_a_household_added_by_a_reimport_is_not_in_the_open_votes_electorate(site, make_user):
    """The register is the electorate: a unit the roster gains during the vote neither counts nor votes."""
    community, unit, organiser = site
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    db.session.commit()
    rows = roster_of(community)
    rows.append({**rows[0], "房号": "401", "楼层": 4, "业主标识": "owner-new"})
    import_roster(organiser, rows)
    db.session.commit()
    new_home = db.session.scalar(select(Household).where(Household.unit_id == unit.id, Household.room == "401"))
    assert new_home is not None
    assert tally(vote)["headcount_total"] == 6 and "owner-new" not in electorate(vote)
    new_home.owner_id_tail_hash = id_tail_hash(community.code, ID_TAIL)
    with pytest.raises(VoteError):
        web_ballot(vote, new_home, "yes")


def test_the_roster_import_audit_row_keeps_each_changed_fields_before_and_after(site):
    community, unit, organiser = site
    voter = homes(unit)[2]
    import_roster(organiser, roster_of(community, {voter.id: {"业主标识": "owner-3-resold", "面积": "9999.99"}}))
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "roster.import"))
    [change] = event.detail["changes"]
    assert change["household_id"] == voter.id
    assert change["fields"] == {"owner_key": ["owner-3", "owner-3-resold"], "area": ["87.92", "9999.99"]}


def test_a_correction_is_audited_with_before_after_reason_and_staff_member(site, make_user):
    from participation.models import VoteRegisterCorrection
    from participation.votes.register import entries
    from participation.votes.register_corrections import correct_entry

    community, unit, organiser = site
    voter = homes(unit)[2]
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    web_ballot(vote, voter, "yes")
    entry = next(entry for entry in entries(vote) if entry.household_id == voter.id)
    rep = make_user("owner_rep", communities=[community])
    for actor, values, field in ((rep, {"owner": "owner-3", "area": "90.00", "reason": "登记簿"}, ""),
                                 (organiser, {"owner": "owner-3", "area": "90.00", "reason": " "}, "reason"),
                                 (organiser, {"owner": "owner-3", "area": "87.92", "reason": "核对"}, ""),
                                 (organiser, {"owner": "owner-3", "area": "0", "reason": "核对"}, "area"),
                                 (organiser, {"owner": "", "area": "90.00", "reason": "核对"}, "owner")):
        with pytest.raises(VoteError) as refused:
            correct_entry(actor, vote, entry, **values)
        assert field in refused.value.errors
    assert db.session.scalar(select(func.count()).select_from(VoteRegisterCorrection)) == 0

    correction = correct_entry(organiser, vote, entry, owner="owner-3", area="90.10", reason="不动产登记簿为90.10㎡")
    assert (correction.area_before, correction.area_after, correction.actor_id) == \
        (Decimal("87.92"), Decimal("90.10"), organiser.id)
    assert tally(vote)["area_participating"] == "90.10"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.register.correct"))
    assert event.actor_id == organiser.id and event.detail["reason"] == "不动产登记簿为90.10㎡"
    assert event.detail["changes"] == {"area": ["87.92", "90.10"]}

    correct_entry(organiser, vote, entry, owner="owner-9", area="90.10", reason="过户，业主为owner-9")
    assert tally(vote)["headcount_participating"] == 0   # owner-3's ballot no longer counts for this unit
    close_vote(organiser, vote)
    with pytest.raises(VoteError):
        correct_entry(organiser, vote, entry, owner="owner-3", area="90.10", reason="晚了")


def test_notice_register_page_and_correction_form(app, site, make_community):
    from participation.models import VoteRegisterCorrection, VoteRegisterEntry

    community, unit, organiser = site
    voter = homes(unit)[2]
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit, open_now=True)
    db.session.commit()
    import_roster(organiser, roster_of(community, {voter.id: {"面积": "9999.99"}}))
    db.session.commit()
    org, rep = staff(app, "org"), staff(app, "rep")
    base = f"/c/{community.code}/votes/{vote.id}"

    notice = html_lib.unescape(org.get(f"{base}/notice").text)
    assert re.search(r'id="register-headcount">6 owners<', notice) and re.search(r'id="register-area">390.42 m²', notice)
    assert "87.92" in notice and "9999.99" not in notice and "1号楼1单元201室" in notice
    assert "owner-3" not in notice   # the roster's 业主标识 is not printed; owners are numbered

    assert rep.get(f"{base}/register").status_code == 200
    page = org.get(f"{base}/register")
    assert page.status_code == 200 and "Correct" in page.text
    entry = db.session.scalar(select(VoteRegisterEntry).where(VoteRegisterEntry.household_id == voter.id))
    url = f"{base}/register/{entry.id}"
    form = org.get(url)
    assert form.status_code == 200 and 'value="87.92"' in form.text
    assert rep.get(url).status_code == 403
    assert rep.post(url, data={"owner": "x", "area": "1", "reason": "x",
                               "csrf_token": csrf_token(rep.get(f"{base}/register").text)}).status_code == 403
    assert org.post(url, data={"owner": "owner-3", "area": "90.00", "reason": "核对"}).status_code == 400  # no CSRF
    response = org.post(url, data={"owner": "owner-3", "area": "90.00", "reason": "",
                                   "csrf_token": csrf_token(form.text)})
    assert response.status_code == 400 and "Give the reason" in response.text
    response = org.post(url, data={"owner": "owner-3", "area": "abc", "reason": "核对",
                                   "csrf_token": csrf_token(form.text)})
    assert response.status_code == 400 and "number of square metres" in response.text
    assert db.session.scalar(select(func.count()).select_from(VoteRegisterCorrection)) == 0
    response = org.post(url, data={"owner": "owner-3", "area": "90.00", "reason": "登记簿面积为90.00",
                                   "csrf_token": csrf_token(form.text)})
    assert response.status_code == 302
    show = org.get(base).text
    assert 'id="register-corrections"' in show and "87.92 m² → 90.00 m²" in show and "登记簿面积为90.00" in show
    response = org.post(url, data={"owner": "owner-9", "area": "90.00", "reason": "已过户",
                                   "csrf_token": csrf_token(form.text)})
    assert response.status_code == 302
    assert "owner-3 → owner-9" in html_lib.unescape(org.get(base).text)
    for page in (rep.get(base).text, rep.get(f"{base}/register").text):   # the roster's 业主标识: managers only
        assert "The owner was changed." in page and "owner-9" not in page and "已过户" in page

    # another vote's entry, another community's vote: 404
    other = make_community("220102902")
    other_vote = create_vote(organiser, other, 7, "加装电梯", open_now=True)
    db.session.commit()
    assert org.get(f"/c/{community.code}/votes/{other_vote.id}/register").status_code == 404
    assert org.get(f"{base}/register/{entry.id + 10_000}").status_code == 404
    assert org.get(f"{base}/register/99999999999").status_code == 404

    close_vote(organiser, vote)
    db.session.commit()
    result = org.get(f"{base}/result").text
    assert "87.92 m² → 90.00 m²" in result and "登记簿面积为90.00" in result and "owner-3" not in result
    closed = org.post(url, data={"owner": "owner-3", "area": "91.00", "reason": "晚了",
                                 "csrf_token": csrf_token(form.text)})
    assert closed.status_code == 400


def test_a_draft_has_no_register_yet(app, site):
    community, unit, organiser = site
    vote = create_vote(organiser, community, 7, "加装电梯", scope="unit", unit=unit)
    db.session.commit()
    org = staff(app, "org")
    assert org.get(f"/c/{community.code}/votes/{vote.id}/register").status_code == 404
    notice = org.get(f"/c/{community.code}/votes/{vote.id}/notice").text
    assert 'id="register-not-frozen"' in notice and 'id="vote-headcount-total">6 owners<' in notice

