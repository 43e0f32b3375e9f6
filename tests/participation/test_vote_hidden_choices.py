"""Hidden choices (issue 12 point 3, DESIGN §4): while a vote hides its tallies, nobody — staff included — sees how
anyone voted, on any page, search, export or API: staff see who has voted (to chase the quorum), never how, until
close. Residents see participation only while an owner vote is open, hidden or not; the owner representative sees
what organisers see."""
import re

from participation.api.tokens import create_token
from participation.extensions import db
from participation.votes.ballots import cast_ballot, verify_owner
from participation.votes.operations import close_vote, create_vote
from tests.conftest import ID_TAIL, homes
from tests.participation.test_vote_pages import resident, staff

CHOICE_WORDS = ("同意", "反对", "弃权", "(yes)", "(no)", "(abstain)")


def voted(vote, unit, choices=("yes", "no", "abstain", "yes")):
    """Owners of the unit's first homes vote online (their own verified ballots)."""
    for household, choice in zip(homes(unit), choices):
        cast_ballot(vote, household, choice, "web", verified=verify_owner(household, ID_TAIL, vote=vote))
    db.session.commit()


def search_cells(page: str) -> dict[str, str]:
    """The paper-ballot search results: household id → the text of its "ballot so far" cell."""
    return dict(re.findall(r'<tr id="household-(\d+)"><td>.*?</td>\s*<td[^>]*>(.*?)</td>', page, re.S))


def test_the_paper_ballot_search_shows_who_voted_never_how_while_choices_are_hidden(app, vote_site):
    """Issue 12 point 3: today the search shows each household's current choice (8 requests rebuild the count)."""
    community, unit, organiser, _rep = vote_site
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, hide_tallies=True,
                       open_now=True)
    db.session.commit()
    voted(vote, unit)
    org = staff(app, "org")
    url = f"/c/{community.code}/votes/{vote.id}/paper"
    cells = {}
    for household in homes(unit):
        page = org.get(url, query_string={"building": "1", "unit": "1", "room": household.room})
        assert page.status_code == 200
        cells.update(search_cells(page.text))
    assert len(cells) == 6
    for household in homes(unit)[:4]:
        assert "Has voted" in cells[str(household.id)]
    for household in homes(unit)[4:]:
        assert "Not voted yet" in cells[str(household.id)]
    for text in cells.values():
        assert not any(word in text for word in CHOICE_WORDS), text


def test_without_hidden_tallies_staff_still_see_the_choice_in_the_search(app, vote_site):
    """The control: the same search shows the choice when the vote does not hide its tallies."""
    community, unit, organiser, _rep = vote_site
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, open_now=True)
    db.session.commit()
    voted(vote, unit, ("no",))
    page = staff(app, "org").get(f"/c/{community.code}/votes/{vote.id}/paper",
                                 query_string={"building": "1", "unit": "1", "room": homes(unit)[0].room})
    assert "反对" in search_cells(page.text)[str(homes(unit)[0].id)]


def test_hidden_choices_stay_hidden_on_every_staff_page_and_the_api(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, hide_tallies=True,
                       open_now=True)
    db.session.commit()
    voted(vote, unit)
    base = f"/c/{community.code}/votes"
    for username in ("org", "rep"):
        client = staff(app, username)
        for url in (base, f"{base}/{vote.id}", f"{base}/{vote.id}/notice", f"{base}/{vote.id}/register"):
            page = client.get(url)
            assert page.status_code == 200, url
            assert 'id="vote-yes"' not in page.text and 'id="thresholds"' not in page.text, url
            assert "Result:" not in page.text, url
        assert client.get(f"{base}/{vote.id}/result").status_code == 404
    _row, token = create_token(None, "hidden-api", "organiser", communities=[community])
    db.session.commit()
    body = app.test_client().get(f"/api/v1/votes/{vote.id}/result",
                                 headers={"Authorization": f"Bearer {token}"}).get_json()
    assert body["hidden"] is True and body["headcount_participating"] == 4
    assert not {"headcount_yes", "area_yes", "passed", "quorum_met", "reasons"} & set(body)


def test_residents_see_participation_only_while_an_owner_vote_is_open(app, vote_site):
    """DESIGN §4: residents see participation only while an owner vote is open, even when it does not hide its
    tallies from staff; after close, the result."""
    community, unit, organiser, _rep = vote_site
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, open_now=True)
    db.session.commit()
    voted(vote, unit)
    household_client = resident(app, homes(unit)[5])
    url = f"/r/{community.code}/votes/{vote.id}"
    page = household_client.get(url).text
    assert "4 owners / 6 owners" in page and 'id="tallies-hidden"' in page
    assert 'id="vote-yes"' not in page and 'id="thresholds"' not in page and "Result:" not in page
    listing = household_client.get(f"/r/{community.code}/votes").text
    assert "Passed" not in listing and "Not passed" not in listing
    # the organiser and the owner representative see the running count of this vote
    for username in ("org", "rep"):
        assert 'id="vote-yes"' in staff(app, username).get(f"/c/{community.code}/votes/{vote.id}").text
    close_vote(organiser, vote)
    db.session.commit()
    page = household_client.get(url).text
    assert 'id="vote-yes"' in page and 'id="thresholds"' in page


def test_an_owner_still_sees_their_own_choice(app, vote_site):
    community, unit, organiser, _rep = vote_site
    vote = create_vote(organiser, community, 4, "物业管理方式", scope="unit", unit=unit, hide_tallies=True,
                       open_now=True)
    db.session.commit()
    voted(vote, unit, ("no",))
    page = resident(app, homes(unit)[0]).get(f"/r/{community.code}/votes/{vote.id}").text
    assert 'id="my-ballot"' in page and "反对" in page
