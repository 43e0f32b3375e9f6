"""The ballot does not nudge (issue 12 point 4, DESIGN §4): three equal buttons in the paper sheet's order, nothing
pre-selected, and a confirmation naming the choice before anything is cast (a second page, no JavaScript needed);
changeable until close. And paper double keying (point 1): nothing is stored until two people's keyings agree."""
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from participation.extensions import db
from participation.models import AuditEvent, Ballot
from participation.models.votes import PaperKeying
from participation.roster.files import RosterTable
from participation.votes.paper import BallotImportError, discard_keying, import_ballots
from tests.conftest import ID_TAIL, csrf_token, homes
from tests.participation.test_vote_pages import open_vote_of, post, resident, staff

HEADERS = ["楼栋", "单元", "房号", "选择", "票号"]


@pytest.fixture(autouse=True)
def _english(app):
    with force_locale("en"):
        yield


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def verified_owner(app, community, vote, household):
    client = resident(app, household)
    url = f"/r/{community.code}/votes/{vote.id}"
    assert post(client, f"{url}/verify", {"tail": ID_TAIL}, token_from=url).status_code == 302
    return client, url


def test_three_equal_buttons_in_the_sheets_order_and_nothing_preselected(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    client, url = verified_owner(app, community, vote, homes(unit)[0])
    page = client.get(url).text
    form = page.split('id="ballot-form"')[1].split("</form>")[0]
    buttons = re.findall(r'<button type="submit" name="choice" value="(\w+)" class="([^"]+)"', form)
    assert [value for value, _class in buttons] == ["yes", "no", "abstain"]
    assert len({css for _value, css in buttons}) == 1 and "primary" not in buttons[0][1]
    assert "checked" not in form and "autofocus" not in form and "<script" not in form


def test_a_tap_asks_for_a_confirmation_naming_the_choice_and_only_that_casts(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    client, url = verified_owner(app, community, vote, homes(unit)[1])
    asked = post(client, f"{url}/ballot", {"choice": "no"}, token_from=url)
    assert asked.status_code == 200 and count(Ballot) == 0
    named = re.search(r'id="choice-named">([^<]+)<', asked.text).group(1)
    assert "You chose: 反对 (no). Cast this vote?" == named
    assert 'id="change-ballot"' in asked.text and f'href="{url}#ballot"' in asked.text   # 返回修改: a plain link
    assert 'name="confirmed" value="1"' in asked.text and 'value="no"' in asked.text
    done = client.post(f"{url}/ballot", data={"choice": "no", "confirmed": "1", "csrf_token": csrf_token(asked.text)})
    assert done.status_code == 302
    assert db.session.scalar(select(Ballot.choice)) == "no"
    # changeable until close: the same two steps again
    asked = post(client, f"{url}/ballot", {"choice": "abstain"}, token_from=url)
    assert "弃权 (abstain)" in asked.text
    assert client.post(f"{url}/ballot", data={"choice": "abstain", "confirmed": "1",
                                              "csrf_token": csrf_token(asked.text)}).status_code == 302
    assert db.session.scalar(select(Ballot.choice)) == "abstain"
    # a choice that is none of the three: refused, nothing changed
    assert post(client, f"{url}/ballot", {"choice": "yes!", "confirmed": "1"}, token_from=url).status_code == 400
    assert db.session.scalar(select(Ballot.choice)) == "abstain"


def test_the_confirmation_is_in_chinese_by_default(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    client, url = verified_owner(app, community, vote, homes(unit)[2])
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE", None)
    asked = post(client, f"{url}/ballot", {"choice": "no"}, token_from=url)
    assert asked.status_code == 200 and "反对" in asked.text and 'lang="zh' in asked.text


# --- paper double keying ----------------------------------------------------------------------------------------

def sheets(unit, *rows):
    return RosterTable(HEADERS, [(n, ["1", "1", room, choice, sheet]) for n, (room, choice, sheet) in
                                 enumerate(rows, 2)])


def test_double_keying_stores_nothing_until_two_people_agree(vote_site, make_user):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    second = make_user("organiser", communities=[community])
    rooms = [household.room for household in homes(unit)]
    first_keying = sheets(unit, (rooms[0], "同意", "001"), (rooms[1], "反对", "002"), (rooms[2], "弃权", "003"))
    held = import_ballots(organiser, vote, first_keying, filename="a.xlsx", double_keying=True)
    assert held == {"rows": 3, "new": 0, "changed": 0, "held": True} and count(Ballot) == 0
    with pytest.raises(BallotImportError, match="second person"):
        import_ballots(organiser, vote, first_keying)                  # the same person cannot be the second
    with pytest.raises(BallotImportError, match="second person"):
        import_ballots(None, vote, first_keying)                       # nor the CLI without an account
    mistyped = sheets(unit, (rooms[0], "同意", "001"), (rooms[1], "同意", "002"), (rooms[3], "弃权", "003"))
    with pytest.raises(BallotImportError) as differ:
        import_ballots(second, vote, mistyped)
    listed = differ.value.errors
    assert "differ" in listed[0] and len(listed) == 4
    assert any("反对" in line and "同意" in line and "sheet 002" in line for line in listed)
    assert any(rooms[2] in line and "not in the second" in line for line in listed)
    assert any(rooms[3] in line and "not in the first" in line for line in listed)
    assert count(Ballot) == 0 and count(PaperKeying) == 1
    counts = import_ballots(second, vote, first_keying, filename="b.xlsx")
    assert counts == {"rows": 3, "new": 3, "changed": 0, "held": False}
    assert count(PaperKeying) == 0
    stored = db.session.execute(select(Ballot.sheet_no, Ballot.choice, Ballot.verified_by_id).order_by(Ballot.sheet_no))
    assert [tuple(row) for row in stored] == [("001", "yes", second.id), ("002", "no", second.id),
                                              ("003", "abstain", second.id)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "vote.import_ballots"))
    assert event.detail["double_keying"] == {"first_by": organiser.id, "first_file": "a.xlsx", "second_by": second.id}


def test_a_held_keying_can_be_discarded_and_is_shown_on_the_paper_page(app, vote_site, make_user):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    rooms = [household.room for household in homes(unit)]
    import_ballots(organiser, vote, sheets(unit, (rooms[0], "同意", "9")), filename="a.csv", double_keying=True)
    db.session.commit()
    org = staff(app, "org")
    page = org.get(f"/c/{community.code}/votes/{vote.id}/paper")
    assert 'id="keying-held"' in page.text and "a.csv" in page.text and "second keying" in page.text
    assert post(org, f"/c/{community.code}/votes/{vote.id}/keying/discard",
                token_from=f"/c/{community.code}/votes/{vote.id}/paper").status_code == 302
    assert count(PaperKeying) == 0 and count(Ballot) == 0
    assert count(AuditEvent, AuditEvent.action == "vote.keying_discarded") == 1
    with pytest.raises(BallotImportError):
        discard_keying(organiser, vote)


def test_double_keying_through_the_web_upload(app, vote_site, make_user):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    make_user("organiser", username="org2", communities=[community])
    db.session.commit()
    rooms = [household.room for household in homes(unit)]
    body = "楼栋,单元,房号,选择,票号\n" + f"1,1,{rooms[0]},同意,11\n1,1,{rooms[1]},反对,12\n"
    paper = f"/c/{community.code}/votes/{vote.id}/paper"

    def upload(client, text, **extra):
        from io import BytesIO
        return post(client, f"/c/{community.code}/votes/{vote.id}/import",
                    {"file": (BytesIO(text.encode("utf-8-sig")), "票.csv"), **extra}, token_from=paper,
                    content_type="multipart/form-data")

    first = staff(app, "org")
    assert upload(first, body, double_keying="y").status_code == 302 and count(Ballot) == 0
    second = staff(app, "org2")
    wrong = upload(second, body.replace("反对,12", "同意,12"))
    assert wrong.status_code == 400 and 'id="import-errors"' in wrong.text and count(Ballot) == 0
    assert upload(second, body).status_code == 302
    assert count(Ballot) == 2 and count(PaperKeying) == 0


def test_the_cli_keys_twice_with_two_accounts(runner, vote_site, make_user, tmp_path):
    community, unit, organiser, _rep = vote_site
    vote = open_vote_of(community, unit, organiser)
    make_user("organiser", username="org2", communities=[community])
    db.session.commit()
    rooms = [household.room for household in homes(unit)]
    path = tmp_path / "票.csv"
    path.write_text("楼栋,单元,房号,选择,票号\n" + f"1,1,{rooms[0]},同意,1\n", encoding="utf-8-sig")
    args = ["votes", "import-ballots", str(path), "--vote", str(vote.id)]
    held = runner.invoke(args=[*args, "--as-user", "org", "--double-key"])
    assert held.exit_code == 0, held.output
    assert count(Ballot) == 0 and count(PaperKeying) == 1
    assert runner.invoke(args=[*args, "--as-user", "org"]).exit_code == 1
    done = runner.invoke(args=[*args, "--as-user", "org2"])
    assert done.exit_code == 0, done.output
    assert count(Ballot) == 1 and db.session.scalar(select(Ballot.sheet_no)) == "1"
